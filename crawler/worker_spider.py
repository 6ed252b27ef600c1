"""The spider of one worker in a crawl with workers, and its scheduler (see crawler/distributed.py).

:class:`WorkerSpider` is the single-process :class:`~crawler.spider.SiteSpider` with every decision that
needs the whole crawl moved to Redis: which URLs are new, ``max_pages``, the trap bounds, which sitemaps
are read, and the URLs only sitemaps name. Its records go to ``pages.worker-K.jsonl`` (and
``sitemap_urls.worker-K.jsonl``, ``robots_txt.worker-K.jsonl``), merged by the coordinator's finalize.

:class:`RedisScheduler` holds only what this worker has leased. The worker never waits inside Redis: a
Twisted LoopingCall refreshes its heartbeat, leases work when the downloader has room, and when the worker
has nothing to do asks Redis whether the crawl is finished (spider_idle raises DontCloseSpider until then).
"""

from __future__ import annotations

import json
import time
from collections import deque
from pathlib import Path

import scrapy
from scrapy import signals
from scrapy.core.scheduler import BaseScheduler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import DontCloseSpider
from twisted.internet import task

from .distributed import Frontier, connect
from .spider import MAX_SITEMAPS, SiteSpider

TICK = 0.1  # seconds between looks at Redis while the worker has nothing to do
# a URL offered again is sent to Redis only when it is shallower, or as deep and found a less way ('link'
# before 'redirect' before 'sitemap', the order Redis and one process keep of equal depths)
VIA_RANK = {"link": 0, "redirect": 1, "sitemap": 2}


class WorkerSpider(SiteSpider):
    name = "longneck-worker"

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_opened, signal=signals.spider_opened)
        crawler.signals.connect(spider.on_closed, signal=signals.spider_closed)
        crawler.signals.connect(spider.on_item_done, signal=signals.item_scraped)
        crawler.signals.connect(spider.on_item_done, signal=signals.item_error)
        crawler.signals.connect(spider.on_item_done, signal=signals.item_dropped)
        crawler.signals.connect(spider.on_spider_error, signal=signals.spider_error)
        return spider

    def configure(self, settings) -> None:
        super().configure(settings)
        self.worker = settings.get("LONGNECK_WORKER_ID")
        self.frontier = Frontier(connect(settings.get("LONGNECK_REDIS_URL")), settings.get("LONGNECK_RUN_ID"),
                                 self.max_pages, self.traps.max_pattern, self.traps.max_query)
        self.lease_seconds = settings.getfloat("LONGNECK_LEASE_SECONDS", 60.0)
        self.out_dir = Path(settings.get("LONGNECK_OUTPUT_DIR") or ".")
        self.concurrency = settings.getint("CONCURRENT_REQUESTS")
        self.leased: dict[tuple, str] = {}  # (kind, url) -> queue entry, until its work is written
        self.offered: dict[str, int] = {}  # URL offered to a round -> depth * 4 + VIA_RANK (see follow)
        self.finished = False
        self.loop = None
        self._beat = 0.0
        self.heartbeat()

    # ---- the worker's life --------------------------------------------------------------------------
    def heartbeat(self) -> None:
        self._beat = time.monotonic()
        self.frontier.heartbeat(self.worker, self.lease_seconds)

    def on_opened(self, spider=None):
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(TICK, now=False)

    def tick(self):
        try:
            if time.monotonic() - self._beat >= self.lease_seconds / 4:
                self.heartbeat()
            if self.finished:
                return
            engine = self.crawler.engine
            scheduler = getattr(engine, "scheduler", None)  # Scrapy 2.19+; the slot's before
            if scheduler is None:
                scheduler = getattr(getattr(engine, "_slot", None), "scheduler", None)
            if scheduler is None:
                return
            room = self.concurrency - len(engine.downloader.active) - len(scheduler)
            if room > 0 and not engine.needs_backout():
                requests = self.leased_requests(min(room, 4))
                for request in requests:
                    engine.crawl(request)
                if requests:
                    return
            if engine.spider_is_idle():
                self.settle_dead()
            if engine.spider_is_idle() and self.frontier.idle() == "done":
                self.finished = True
                if hasattr(engine, "close_spider_async"):
                    from scrapy.utils.defer import deferred_from_coro

                    deferred_from_coro(engine.close_spider_async(reason="finished"))
                else:
                    engine.close_spider(self, "finished")
        except Exception:  # noqa: BLE001 - a lost Redis round trip must not stop the loop; say it and go on
            self.logger.exception("worker %s: Redis round trip failed", self.worker)

    def on_idle(self, spider=None):
        if not self.finished:
            raise DontCloseSpider

    def on_closed(self, spider=None, reason=None):
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.frontier.add_skipped(self.skipped)
        self.skipped = {}
        key = self.frontier.key("workers")
        info = json.loads(self.frontier.r.hget(key, self.worker) or "{}")
        info.update(state="closed", reason=reason, records=self.crawler.stats.get_value("longneck/records", 0))
        self.frontier.r.hset(key, self.worker, json.dumps(info))
        # whatever this worker still held goes back to the queue now, not after its lease
        self.frontier.r.delete(self.frontier.key(f"alive:{self.worker}"))
        self.frontier.reap()

    def settle_dead(self) -> int:
        """In-flight URLs of a dead worker whose record it wrote before it could tell Redis (killed between
        the two) are acknowledged here, not fetched again, when its part file is on this machine (local
        workers share the run folder). Read from the end of the file, where that record is. Returns how
        many were settled."""
        r, key = self.frontier.r, self.frontier.key
        held: dict[str, list] = {}
        for entry, owner in r.hgetall(key("inflight")).items():
            held.setdefault(owner.split("|", 1)[0], []).append(entry)
        settled = 0
        for worker, entries in held.items():
            if worker == self.worker or r.exists(key(f"alive:{worker}")):  # one look per worker, not per URL
                continue
            recorded = _tail_urls(self.out_dir / f"pages.worker-{worker}.jsonl")
            done = [e for e in entries if (f := json.loads(e))[0] == "p" and f[1] in recorded]
            if done:
                settled += int(self.frontier.release(*done) or 0)
        return settled

    # ---- work from Redis ----------------------------------------------------------------------------
    async def start(self):
        return
        yield  # noqa: unreachable - an empty async generator: the coordinator seeded the queue

    def leased_requests(self, n: int) -> list:
        requests = []
        for entry in self.frontier.lease(self.worker, n):
            fields = json.loads(entry)
            if fields[0] == "e":  # the crawl has run dry: the tasks' examples it did not reach, as in one process
                for _ in self.follow(self.examples(), exempt=True):
                    pass  # a too-long URL is claimed and counted, not recorded (SiteSpider.on_idle does the same)
                self.frontier.release(entry)  # once they are queued: until then the crawl cannot finish
                continue
            if fields[0] == "p":
                _, url, depth, via = fields
                request = self.page_fetch(url, depth, via)
            else:
                _, url, hops = fields
                request = self.sitemap_fetch(url, hops)
            request.meta["ln_entry"] = entry
            self.leased[(fields[0], url)] = entry
            requests.append(request)
        return requests

    def release(self, kind: str, url: str) -> None:
        entry = self.leased.pop((kind, url), None)
        if entry is not None:
            self.frontier.release(entry)

    def on_item_done(self, item=None, response=None, spider=None, **kwargs):
        self.release("p", item["url"])

    def on_spider_error(self, failure=None, response=None, spider=None):
        if response is not None and "ln_entry" in response.meta:
            fields = json.loads(response.meta["ln_entry"])
            self.release(fields[0], fields[1])

    # ---- decisions shared with every worker ---------------------------------------------------------
    def request_for(self, url, depth, found_via, priority=None, exempt=False):
        out = list(self.follow([(url, depth, found_via)], exempt=exempt))
        return out[0] if out else None

    def follow(self, offers, exempt=False):
        """Offer a page's URLs to the shared frontier in one round trip; yields only the records of URLs
        refused with a reason the audit must show (too long), which this worker claimed first. ``exempt``:
        the tasks' examples, not cut by max_pages or max_depth."""
        entries = []
        for url, depth, via in offers:
            if url is None or url in self.seen:
                continue
            known = self.offered.get(url)
            rank = depth * 4 + VIA_RANK.get(via, 3)
            if known is not None and rank >= known and not exempt:
                continue  # offered already, no shallower: Redis holds it for the next round
            reason = self.scope.reason_out(url)
            if reason:
                self.seen.add(url)
                if reason != "external":
                    entries.append(("k", url, depth, via, f"scope: {reason}", "", False))
                continue
            if depth > self.max_depth and not exempt:  # counted in Redis unless another worker has fetched it
                entries.append(("d", url, depth, via, "", "", False))
                continue
            if self.url_limit and len(url) > self.url_limit:
                self.seen.add(url)
                entries.append(("c", url, depth, via, "url too long", "", False))
            else:
                if exempt or via == "start":
                    self.seen.add(url)
                else:  # held in Redis until the round ends: offered again if this worker finds it shallower
                    self.offered[url] = rank
                entries.append(("x" if exempt else "q", url, depth, via, *self.traps.keys(url)))
        for entry, result in zip(entries, self.frontier.offer(entries)):
            if entry[0] == "c" and result == 1:
                yield self.too_long_record(entry[1], entry[2], entry[3])

    def _sitemap_request(self, url, hops=0):
        from urllib.parse import urlsplit

        if not url or url in self.sitemaps_seen:
            return None
        self.sitemaps_seen.add(url)
        offsite = urlsplit(url).scheme.lower() not in ("http", "https") or not self.scope.is_internal(url)
        if self.frontier.sitemap(url, hops, offsite, MAX_SITEMAPS) == 2:
            self.logger.warning("Sitemap %s not fetched: its host is not in scope", url[:300])
        return None

    def parse_robots(self, response):
        try:
            yield from super().parse_robots(response)
        finally:
            self.release("s", response.meta.get("ln_entry") and json.loads(response.meta["ln_entry"])[1])

    def parse_sitemap(self, response):
        try:
            yield from super().parse_sitemap(response)
            pending, self.sitemap_pending = self.sitemap_pending, {}
            self.frontier.add_sitemap_pending({u: list(self.traps.keys(u)) for u in pending})
        finally:
            self.release("s", response.meta.get("ln_entry") and json.loads(response.meta["ln_entry"])[1])

    def on_sitemap_error(self, failure):
        super().on_sitemap_error(failure)
        entry = failure.request.meta.get("ln_entry")
        if entry:
            self.release("s", json.loads(entry)[1])


class RedisScheduler(BaseScheduler):
    """What this worker has leased and not yet started; leases one more when the engine asks and it has
    none (the shared queue itself stays in Redis)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.local: deque = deque()
        self.spider = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open(self, spider):
        self.spider = spider

    def close(self, reason):
        return None

    def has_pending_requests(self) -> bool:
        return bool(self.local)

    def enqueue_request(self, request) -> bool:
        self.local.append(request)
        return True

    def next_request(self):
        if not self.local and self.spider is not None and not self.spider.finished:
            self.local.extend(self.spider.leased_requests(1))
        return self.local.popleft() if self.local else None

    def __len__(self) -> int:
        return len(self.local)


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware with the body shared through Redis: the first worker that needs a
    host's robots.txt fetches it and stores it; the others wait for it (without blocking the reactor) and
    parse the same body. A worker that dies while fetching it lets its claim expire, and another fetches."""

    async def robot_parser(self, request):
        from scrapy.utils.defer import maybe_deferred_to_future
        from scrapy.utils.httpobj import urlparse_cached
        from scrapy.utils.misc import build_from_crawler
        from twisted.internet import reactor

        netloc = urlparse_cached(request).netloc
        spider = self.crawler.spider
        frontier = spider.frontier
        deadline = time.monotonic() + 10 * spider.lease_seconds
        while netloc not in self._parsers and time.monotonic() < deadline:
            raw = frontier.r.hget(frontier.key("robots"), netloc)
            if raw is not None:
                shared = json.loads(raw)
                self._parsers[netloc] = (build_from_crawler(self._parserimpl, self.crawler,
                                                            shared["body"].encode("latin-1"))
                                         if "body" in shared else None)
                break
            if frontier.r.set(frontier.key(f"robots_lock:{netloc}"), spider.worker, nx=True,
                              ex=max(5, int(2 * spider.lease_seconds))):
                break  # this worker fetches it
            await maybe_deferred_to_future(task.deferLater(reactor, 0.05, lambda: None))
        return await super().robot_parser(request)

    def _share(self, netloc: str, value: dict) -> None:
        frontier = self.crawler.spider.frontier
        frontier.r.hset(frontier.key("robots"), netloc, json.dumps(value))

    async def _parse_robots(self, response, netloc, request):
        self._share(netloc, {"body": response.body.decode("latin-1")})
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc, netloc):
        self._share(netloc, {"error": str(exc)[:300]})
        super()._robots_error(exc, netloc)


def _tail_urls(part: Path, size: int = 256 * 1024) -> set:
    """The URLs of the complete records at the end of a part file (its last ``size`` bytes)."""
    try:
        with open(part, "rb") as handle:
            handle.seek(0, 2)
            end = handle.tell()
            handle.seek(max(0, end - size))
            lines = handle.read().split(b"\n")
    except OSError:
        return set()
    urls = set()
    for line in lines[1:] if end > size else lines:  # the first line may be cut
        try:
            urls.add(json.loads(line)["url"])
        except (ValueError, KeyError, TypeError):
            continue
    return urls
