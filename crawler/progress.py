"""Progress on the terminal while the crawl runs, and the numbers for its summary.

A tqdm bar (pages done, pages/s, queue, errors), refreshed twice a second; shown when stderr is a
terminal unless LONGNECK_PROGRESS says otherwise.
"""

from __future__ import annotations

import sys
import time

from scrapy import signals
from twisted.internet import task


class Progress:
    def __init__(self, crawler, enabled: bool):
        self.crawler = crawler
        self.enabled = enabled
        self.bar = None
        self.loop = None
        self.started = None

    @classmethod
    def from_crawler(cls, crawler):
        setting = crawler.settings.get("LONGNECK_PROGRESS")
        enabled = sys.stderr.isatty() if setting is None else bool(setting)
        ext = cls(crawler, enabled)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def queue_size(self) -> int:
        """URLs found and not yet fetched: held for the next round, scheduled or in flight."""
        engine = self.crawler.engine
        scheduler = getattr(engine, "scheduler", None) or getattr(getattr(engine, "_slot", None), "scheduler", None)
        held = len(getattr(self.crawler.spider, "held", None) or ())
        try:
            return len(scheduler) + len(engine.downloader.active) + held
        except TypeError:
            return held

    def spider_opened(self, spider):
        self.started = time.monotonic()
        if not self.enabled:
            return
        from tqdm import tqdm

        self.bar = tqdm(desc="crawl", unit=" pages", file=sys.stderr, dynamic_ncols=True,
                        initial=getattr(spider, "resumed_records", 0))
        self.loop = task.LoopingCall(self.refresh)
        self.loop.start(0.5, now=False)

    def refresh(self):
        stats = self.crawler.stats
        done = stats.get_value("longneck/records", 0) + getattr(self.crawler.spider, "resumed_records", 0)
        self.bar.update(done - self.bar.n)
        elapsed = max(time.monotonic() - self.started, 1e-6)
        self.bar.set_postfix(rate=f"{stats.get_value('longneck/records', 0) / elapsed:.1f}/s",
                             queue=self.queue_size(),
                             errors=stats.get_value("longneck/errors", 0) + stats.get_value("longneck/http_errors", 0),
                             refresh=False)

    def spider_closed(self, spider, reason):
        if self.loop and self.loop.running:
            self.loop.stop()
        if self.bar is not None:
            self.refresh()
            self.bar.close()
        self.crawler.stats.set_value("longneck/elapsed", time.monotonic() - (self.started or time.monotonic()))
