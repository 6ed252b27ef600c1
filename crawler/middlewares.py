"""Downloader middleware: the crawl's scope applied to every request that leaves the machine.

The spider already checks the scope before it asks for a page or a sitemap; this is the last gate, for
requests Scrapy makes on its own (robots.txt of a host, a redirect of robots.txt) and for anything a
future code path forgets. A site under audit must not make the auditor's machine fetch other hosts.
"""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest


class ScopeMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request, spider=None):
        scope = getattr(self.crawler.spider, "scope", None)
        if scope is not None and not scope.is_internal(request.url):
            self.crawler.stats.inc_value("longneck/off_site_refused")
            raise IgnoreRequest(f"off-site: {request.url[:200]} is not in scope (site.allowed_domains)")
        return None
