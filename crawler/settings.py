"""Scrapy settings: a polite crawler by default (robots.txt, AutoThrottle, 1–2 requests per host, a
User-Agent that names the project), bounded everywhere (timeouts, retries, maximum size)."""

BOT_NAME = "nianbao"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = "nianbao/0.1 (annual-report archive; +https://github.com/nianbao/nianbao; contact: see README)"
ROBOTSTXT_OBEY = True

CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Scrapy 2.19 starts CONCURRENT_ITEMS asyncio tasks for every callback's output, however little it holds; a
# response here yields one item (and a listing a few dozen requests): 100 tasks a response were ~10% of the
# crawl process's CPU (bench/crawl.py --profile)
CONCURRENT_ITEMS = 8
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024   # a 50 MB "page" is cancelled and recorded, never stored half
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2                        # with back-off from AutoThrottle; 412 is never retried
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REDIRECT_MAX_TIMES = 5
TWISTED_DNS_RESOLVER = "crawler.middlewares.PolicyResolver"   # the network policy again at connect time
CLOSESPIDER_TIMEOUT = 24 * 3600        # a whole run ends within a day (per-site caps: crawler/registry.py), so a
                                       # weekly crawl never finds the previous one still running

COOKIES_ENABLED = False                # challenge cookies are not minted: a WAF page is recorded blocked
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False         # Scrapy's remote-control HTTP port: never open a listening port
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.DedupMiddleware": 40,
    "crawler.middlewares.HostGateMiddleware": 50,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.RobotsTxtMiddleware": 100,           # fixes concurrent waiters (see the class)
    "crawler.middlewares.ConditionalRequestMiddleware": 560,
    "crawler.middlewares.RedirectGuardMiddleware": 650,   # sees 3xx before Scrapy's RedirectMiddleware (600)
    "crawler.middlewares.AntiBotMiddleware": 660,
}
ITEM_PIPELINES = {
    "crawler.item_pipeline.StorePipeline": 300,
}
EXTENSIONS = {
    "crawler.extensions.CrawlRunRecorder": 500,
    "crawler.extensions.ProgressDisplay": 510,
}
