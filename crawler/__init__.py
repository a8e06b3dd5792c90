"""The Scrapy project: site registry → spiders → pipelines. (Crawling lands with its own issue.)"""
