"""longneck's crawler: Scrapy spider, extraction, output pipeline. Knows nothing of top tasks.

Entry point: :func:`crawler.run.crawl`; record schema: :mod:`crawler.items`."""
