"""The baseline: a bare Scrapy spider that only follows links (same host), nothing extracted.

    python benchmarks/bare_spider.py --concurrency 16 URL [URL ...]

Prints one JSON line: pages fetched and seconds. Used by crawl_throughput.py."""

import argparse
import json
import time
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import CrawlerProcess


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, start, **kwargs):
        super().__init__(**kwargs)
        self.start_list = start
        self.host = urlsplit(start[0]).netloc

    async def start(self):
        for url in self.start_list:
            yield scrapy.Request(url)

    def parse(self, response):
        if not isinstance(response, scrapy.http.TextResponse):
            return
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href)
            if urlsplit(url).netloc == self.host:
                yield scrapy.Request(url.split("#")[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--concurrent-items", type=int, default=100, help="Scrapy CONCURRENT_ITEMS (default 100)")
    args = parser.parse_args()
    process = CrawlerProcess({
        "CONCURRENT_REQUESTS": args.concurrency, "CONCURRENT_REQUESTS_PER_DOMAIN": args.concurrency,
        "CONCURRENT_ITEMS": args.concurrent_items, "ROBOTSTXT_OBEY": True, "AUTOTHROTTLE_ENABLED": False, "LOG_LEVEL": "WARNING", "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False, "USER_AGENT": "bare-benchmark-spider",
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    })
    crawler = process.create_crawler(BareSpider)
    started = time.time()
    process.crawl(crawler, start=args.urls)
    process.start()
    elapsed = time.time() - started
    print(json.dumps({"pages": crawler.stats.get_value("response_received_count", 0), "seconds": elapsed}))


if __name__ == "__main__":
    main()
