"""Document → canonical record. Pure functions; never imports Scrapy or the database."""

from extract.record import extract_bytes, extract_file  # noqa: F401
