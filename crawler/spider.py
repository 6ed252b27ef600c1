"""The longneck spider: fetch every in-scope page once, breadth first, and emit one record per URL.

Every decision about *whether* to fetch a URL is made in :meth:`SiteSpider.request_for` (scope, depth,
trap bounds, max_pages); every record is built by :meth:`SiteSpider.record_from_response` or
:meth:`SiteSpider.record_from_failure`. Redirects are not followed transparently: the 3xx is recorded
and its target scheduled as a URL of its own, so every hop has a record and none is lost to the
duplicate filter.

The crawl goes in rounds, breadth first: the URLs a round's pages lead to are held until the round is
fetched, then admitted together in the order of their depth and URL (:meth:`SiteSpider.release_round`).
Every bound that admits only some URLs (``max_pages``, ``max_depth``, ``max_urls_per_pattern``,
``max_query_variants``) then keeps the same URLs in every crawl of an unchanged site, whatever order
the responses arrive in.
"""

from __future__ import annotations

import json
import os
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import TextResponse
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from . import extract
from .dates import read_local_dates
from .items import empty_record
from .state import load_state
from .urls import Scope, TrapGuard, UrlNormalizer, host_of

HTML_TYPES = ("text/html", "application/xhtml+xml")
_LINK_CANONICAL = re.compile(r'<([^>]+)>\s*;[^,]*rel="?canonical"?', re.IGNORECASE)
MAX_SITEMAPS = 1000


def _header(response, name: str) -> str | None:
    values = response.headers.getlist(name)
    if not values:
        return None
    return ", ".join(v.decode("latin-1").strip() for v in values)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class SiteSpider(scrapy.Spider):
    """Crawl one site as configured by the ``LONGNECK_*`` settings (see :mod:`crawler.settings`)."""

    name = "longneck"

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.configure(crawler.settings)
        crawler.signals.connect(spider.on_idle, signal=scrapy.signals.spider_idle)
        return spider

    def configure(self, settings) -> None:
        self.normalise = UrlNormalizer(settings.getlist("LONGNECK_STRIP_QUERY_PARAMS"))
        self.start_list = [u for u in (self.normalise(u) for u in settings.getlist("LONGNECK_START_URLS")) if u]
        hosts = settings.getlist("LONGNECK_ALLOWED_DOMAINS") or [host_of(u) for u in self.start_list]
        self.scope = Scope(hosts, settings.getlist("LONGNECK_INCLUDE"), settings.getlist("LONGNECK_EXCLUDE"))
        self.sitemap_list = settings.getlist("LONGNECK_SITEMAPS")
        # the tasks' example pages: fetched at the end if the crawl has not reached them (max_pages, depth)
        self.seed_list = [u for u in (self.normalise(u) for u in settings.getlist("LONGNECK_SEED_URLS")) if u]
        self.max_pages = settings.getint("LONGNECK_MAX_PAGES")
        self.max_depth = settings.getint("LONGNECK_MAX_DEPTH")
        self.traps = TrapGuard(settings.getint("LONGNECK_MAX_URLS_PER_PATTERN"),
                               settings.getint("LONGNECK_MAX_QUERY_VARIANTS"))
        self.out_dir = Path(settings.get("LONGNECK_OUTPUT_DIR"))
        self.seen: set[str] = set()
        self.sitemaps_seen: set[str] = set()
        self.scheduled = 0
        self.skipped: dict[str, int] = {}
        self.cut: set[str] = set()  # URLs not scheduled because max_pages was reached
        # the URLs found since the last round began, with the least depth and how each was found: admitted
        # together, in the order of their depth and URL, when the round is fetched (release_round)
        self.held: dict[str, tuple[int, str]] = {}
        self.frontier: list = []
        # URLs only a sitemap has named so far: fetched when the link crawl runs dry, so that links
        # (breadth first, with their real depth) always come first and max_pages keeps the shallowest
        self.sitemap_pending: dict[str, None] = {}
        if settings.getbool("LONGNECK_RESUME"):
            state = load_state(self.out_dir, self.normalise)
            for url in state.done:
                self.seen.add(url)
                self.traps.admit(url)
            self.sitemaps_seen |= state.sitemap_sources
            self.scheduled = len(state.done)
            if state.sitemap_phase:  # the sitemap-only URLs had been scheduled: they go first again
                self.frontier = list(state.frontier)
            else:
                self.frontier = [f for f in state.frontier if f[2] != "sitemap"]
                self.sitemap_pending = dict.fromkeys(f[0] for f in state.frontier if f[2] == "sitemap")
            # sitemaps an index named whose URLs were not all written when the crawl stopped
            self.sitemap_resume = list(state.sitemaps_pending)
            self.resumed_records = len(state.done)
        else:
            self.resumed_records = 0
            self.sitemap_resume = []
        self.url_limit = settings.getint("URLLENGTH_LIMIT") or 0
        self._sitemap_file = open(self.out_dir / part_file("sitemap_urls.jsonl", settings), "a", encoding="utf-8")

    def closed(self, reason):
        self._sitemap_file.close()

    # ---- deciding what to fetch -------------------------------------------------------------------
    def _skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def request_for(self, url: str | None, depth: int, found_via: str, priority: int | None = None,
                    exempt: bool = False, held: bool = False):
        """A Request for ``url`` when it should be fetched, else None (the reason is counted, or the URL is
        held for the next round: any URL but a start URL or a task's example), or a record of a URL that is
        refused with a reason the audit must show (a URL too long to fetch). ``held``: the URL comes out of
        the held URLs (release_round), to be decided now."""
        if url is None or url in self.seen:
            return None
        reason = self.scope.reason_out(url)
        if reason:
            self.seen.add(url)
            if reason != "external":
                self._skip(f"scope: {reason}")
            return None
        if depth > self.max_depth and not exempt:
            self._skip("max_depth")
            return None
        if self.url_limit and len(url) > self.url_limit:
            # Scrapy would drop it silently (URLLENGTH_LIMIT): record it, so the pages linking to it show it
            self.seen.add(url)
            self._skip("url too long")
            return self.too_long_record(url, depth, found_via)
        if self.scheduled >= self.max_pages and not exempt:
            if url not in self.cut:  # each URL once, however many pages link to it
                self.cut.add(url)
                self._skip("max_pages")
            return None
        if not held and not exempt and found_via != "start":
            known = self.held.get(url)
            if known is None or (depth, found_via) < known:  # the least depth; of equal ones 'link' first
                self.held[url] = (depth, found_via)
            return None
        self.seen.add(url)
        if not self.traps.admit(url):
            return None
        self.scheduled += 1
        return self.page_fetch(url, depth, found_via, priority)

    def too_long_record(self, url: str, depth: int, found_via: str) -> dict:
        record = empty_record(url)
        record.update(depth=depth, found_via=found_via, fetched_at=_now(),
                      error=f"not fetched: the URL is {len(url)} characters long, over the "
                            f"{self.url_limit} that browsers and servers accept (URLLENGTH_LIMIT)")
        return record

    async def start(self):
        for url in self.start_list:
            root = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}"
            for sitemap in (f"{root}/robots.txt", f"{root}/sitemap.xml"):
                request = self._sitemap_request(sitemap)
                if request is not None:
                    yield request
        for sitemap in [*self.sitemap_list, *self.sitemap_resume]:
            request = self._sitemap_request(sitemap)
            if request is not None:
                yield request
        for url in self.start_list:
            request = self.request_for(url, 0, "start")
            if request is not None:
                yield request
        for url, depth, via in self.frontier:
            request = self.request_for(url, depth, via)
            if request is not None:
                yield request
        self.frontier = []

    def _sitemap_request(self, url: str | None, hops: int = 0):
        """A Request for a robots.txt or sitemap, when its host is in scope (a site must not make the
        crawler fetch other hosts: robots.txt ``Sitemap:`` lines, index children and redirects included)."""
        if not url or url in self.sitemaps_seen or len(self.sitemaps_seen) >= MAX_SITEMAPS:
            return None
        if urlsplit(url).scheme.lower() not in ("http", "https") or not self.scope.is_internal(url):
            self.sitemaps_seen.add(url)
            self._skip("scope: off-site sitemap")
            self.logger.warning("Sitemap %s not fetched: its host is not in scope", url[:300])
            return None
        self.sitemaps_seen.add(url)
        return self.sitemap_fetch(url, hops)

    def sitemap_fetch(self, url: str, hops: int = 0):
        """The Request for a robots.txt or sitemap already checked by :meth:`_sitemap_request`."""
        callback = self.parse_robots if url.endswith("/robots.txt") else self.parse_sitemap
        return scrapy.Request(url, callback=callback, errback=self.on_sitemap_error, priority=100,
                              meta={"dont_obey_robotstxt": url.endswith("/robots.txt"), "handle_httpstatus_all": True,
                                    "dont_redirect": True, "ln_sitemap": True, "ln_hops": hops})

    def page_fetch(self, url: str, depth: int, found_via: str, priority: int | None = None):
        """The Request for a page :meth:`request_for` has admitted."""
        return scrapy.Request(
            url, callback=self.parse_page, errback=self.on_error, dont_filter=False,
            priority=-depth if priority is None else priority,
            meta={"ln_url": url, "ln_depth": depth, "ln_via": found_via, "dont_redirect": True,
                  "handle_httpstatus_all": True},
        )

    def _sitemap_redirect(self, response):
        """A sitemap or robots.txt that redirects: its target, scope-checked like any sitemap."""
        location = _header(response, "Location")
        hops = response.meta.get("ln_hops", 0) + 1
        if not location or hops > self.settings.getint("REDIRECT_MAX_TIMES", 20):
            return None
        return self._sitemap_request(extract.resolve(response.url, location, lambda u: u), hops)

    # ---- robots.txt and sitemaps ------------------------------------------------------------------
    def parse_robots(self, response):
        if 300 <= response.status < 400:
            request = self._sitemap_redirect(response)
            if request is not None:
                yield request
            return
        if response.status != 200 or not isinstance(response, TextResponse):
            return
        # kept for finalize: with obey_robots_txt off, pages robots.txt disallows are still marked
        root = f"{urlsplit(response.url).scheme}://{urlsplit(response.url).netloc}"
        with open(self.out_dir / part_file("robots_txt.jsonl", self.settings), "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"origin": root, "text": response.text[:500_000]}) + "\n")
        for url in sitemap_urls_from_robots(response.body, base_url=response.url):
            request = self._sitemap_request(url)
            if request is not None:
                yield request

    def parse_sitemap(self, response):
        if 300 <= response.status < 400:
            request = self._sitemap_redirect(response)
            if request is not None:
                yield request
            return
        if response.status != 200:
            return
        body = response.body
        if body[:2] == b"\x1f\x8b":
            try:
                body = gunzip(body, max_size=self.settings.getint("DOWNLOAD_MAXSIZE") or 0)
            except (OSError, ValueError):
                self.logger.warning("Sitemap %s is not valid gzip", response.url)
                return
        try:
            sitemap = Sitemap(body)
        except Exception as exc:  # lxml raises several types on garbage; a bad sitemap must not stop the crawl
            self.logger.warning("Sitemap %s could not be parsed: %s", response.url, exc)
            return
        # what the sitemap names is written first and the {"sitemap": URL} marker last, in one flush: a
        # kill before the marker leaves the sitemap to be read again by --resume, never half-counted.
        # An index's children are written as {"pending": URL} before they are fetched, so --resume
        # fetches those that have no marker of their own.
        lines, requests, items = [], [], []
        for entry in sitemap:
            loc = entry.get("loc")
            if not loc:
                continue
            if sitemap.type == "sitemapindex":
                target = extract.resolve(response.url, loc, lambda u: u)
                request = self._sitemap_request(target) if target else None
                if request is not None:
                    lines.append({"pending": target, "index": response.url})
                    requests.append(request)
            else:
                url = extract.resolve(response.url, loc, self.normalise)
                if url is None:
                    continue
                lines.append({"url": url, "lastmod": entry.get("lastmod")})
                if url not in self.seen:
                    if self.url_limit and len(url) > self.url_limit:
                        record = self.request_for(url, 1, "sitemap")
                        if isinstance(record, dict):
                            items.append(record)
                    else:
                        self.sitemap_pending[url] = None
        lines.append({"sitemap": response.url})
        self._sitemap_file.write("".join(json.dumps(line) + "\n" for line in lines))
        self._sitemap_file.flush()
        yield from items
        yield from requests

    def on_idle(self, spider=None):
        """A round is fetched: the next one, of the URLs its pages led to; when there are none, what only
        the sitemaps name (orphans, held for a round of their own); then the tasks' examples the crawl did
        not reach (the classifier needs them). The crawl carries on while any of them is fetched."""
        for step in (self.release_round, self.sitemap_only, self.release_round, self.missing_examples):
            if step():
                raise scrapy.exceptions.DontCloseSpider

    def release_round(self) -> bool:
        """Admit the URLs held since the last round, shallowest first and in the order of their URLs within a
        depth; True when any is scheduled. What a bound keeps then depends only on the site: a round holds
        every URL the round before it led to, and the bound keeps the first in this order. (Admitted as
        they arrived, the URLs kept would depend on which responses came back first: two crawls of an
        unchanged calendar would keep different months, and a page found first by a longer path would
        lead past max_depth.)"""
        held, self.held = self.held, {}
        order = sorted(held, key=lambda url: (held[url][0], url))
        return self._schedule(self.request_for(url, *held[url], held=True) for url in order)

    def sitemap_only(self) -> bool:
        pending, self.sitemap_pending = self.sitemap_pending, {}
        return self._schedule(self.request_for(url, 1, "sitemap") for url in pending)

    def missing_examples(self) -> bool:
        return self._schedule(self.request_for(url, depth, via, exempt=True) for url, depth, via in self.examples())

    def _schedule(self, requests) -> bool:
        scheduled = False
        for request in requests:
            if isinstance(request, scrapy.Request):
                self.crawler.engine.crawl(request)
                scheduled = True
        return scheduled

    def examples(self) -> list[tuple]:
        """The tasks' examples as the end of the crawl offers them, ``(url, depth, found_via)``, once: exempt
        from max_pages and max_depth (the crawl with workers offers them the same way, WorkerSpider)."""
        seeds, self.seed_list = self.seed_list, []
        return [(url, 1, "example") for url in seeds]

    def on_sitemap_error(self, failure):
        self.logger.info("Sitemap or robots.txt not fetched: %s", failure.getErrorMessage())

    # ---- pages ------------------------------------------------------------------------------------
    def parse_page(self, response):
        record = self.record_from_response(response)
        yield from self.follow(offers_from(record, response.meta["ln_depth"]))
        yield record

    def follow(self, offers):
        """Requests (and records of URLs refused with a reason) for ``(url, depth, found_via)`` offers."""
        for url, depth, via in offers:
            request = self.request_for(url, depth, via)
            if request is not None:
                yield request

    def record_from_response(self, response) -> dict:
        meta = response.meta
        record = empty_record(meta["ln_url"])
        content_type = (_header(response, "Content-Type") or "").split(";")[0].strip().lower() or None
        record.update(
            status=response.status, content_type=content_type, bytes=len(response.body),
            elapsed=round(meta.get("download_latency") or 0.0, 4), fetched_at=_now(),
            depth=meta["ln_depth"], found_via=meta["ln_via"], x_robots_tag=_header(response, "X-Robots-Tag"),
        )
        last_modified = _header(response, "Last-Modified")
        if last_modified:
            record["dates"]["http_last_modified"] = extract.normalise_date(last_modified)
            record["date_sources"]["http_last_modified"] = "HTTP Last-Modified"
        if 300 <= response.status < 400:
            location = _header(response, "Location")
            record["redirect_to"] = extract.resolve(response.url, location, self.normalise)
            if not location:
                record["error"] = "redirect without a Location header"
            return record
        link_header = _header(response, "Link")
        if link_header:
            match = _LINK_CANONICAL.search(link_header)
            if match:
                record["canonical"] = extract.resolve(response.url, match.group(1), self.normalise)
        body = response.body
        is_html = content_type in HTML_TYPES or (content_type is None and isinstance(response, scrapy.http.HtmlResponse))
        if is_html and isinstance(response, TextResponse):
            self._fill_html(record, response)
        elif kind := extract.document_kind(content_type, response.url, body):
            doc = extract.extract_document(kind, body)
            record["title"] = doc["title"]
            record["main_text"] = doc["main_text"]
            record["word_count"] = extract.word_count(doc["main_text"])
            record["dates"].update(doc["dates"])
            record["date_sources"].update((key, f"{kind.upper()} properties") for key in doc["dates"])
            record["error"] = doc.get("error")
            record["content_hash"] = extract.content_hash(doc["main_text"]) if doc["main_text"] else _body_hash(body)
            self._set_language(record, None)
            read_local_dates(record["dates"], record["date_sources"], record["main_text"], record["language"])
        else:
            record["content_hash"] = _body_hash(body)
        return record

    def _fill_html(self, record: dict, response) -> None:
        text = response.text
        record["charset"] = response.encoding
        if "\ufffd" in text and b"\xef\xbf\xbd" not in response.body:
            text, used = repair_charset(response.body, response.encoding)
            record["error"] = (f"charset: the declared {response.encoding} does not decode the page; "
                               f"decoded as {used}")
            record["charset"] = used
        try:
            fields = extract.extract_html(text, response.url, self.normalise, self.scope.is_internal)
        except Exception as exc:  # a hostile page must cost its fields, never the crawl
            self.logger.warning("Could not extract %s: %s", response.url, exc)
            record["error"] = f"extraction failed: {type(exc).__name__}: {exc}"[:300]
            record["content_hash"] = _body_hash(response.body)
            return
        dates, sources = fields.pop("dates"), fields.pop("date_sources")
        declared = fields.pop("declared_language")
        if fields["canonical"] is None:
            fields.pop("canonical")  # keep a canonical sent in the Link header
        record.update(fields)
        record["dates"].update(dates)
        record["date_sources"].update(sources)
        self._set_language(record, declared)
        # local formats (meta values, "Actualizat: 14 septembrie 2012" in the text) need the page's language
        read_local_dates(record["dates"], record["date_sources"], record["main_text"], record["language"])

    @staticmethod
    def _set_language(record: dict, declared: str | None) -> None:
        if declared:
            record["language"] = declared.split("-")[0].split("_")[0].lower()
            record["language_source"] = "declared"
        else:
            detected = extract.detect_language(record["main_text"])
            record["language"] = detected
            record["language_source"] = "detected" if detected else None

    def on_error(self, failure):
        request = failure.request
        record = empty_record(request.meta["ln_url"])
        record.update(depth=request.meta["ln_depth"], found_via=request.meta["ln_via"], fetched_at=_now())
        record["error"] = describe_failure(failure, self.settings.getint("DOWNLOAD_MAXSIZE"))
        record["robots_blocked"] = failure.check(IgnoreRequest) is not None and "robots.txt" in str(failure.value)
        yield record


def offers_from(record: dict, depth: int) -> list[tuple]:
    """The URLs a record leads to, as ``(url, depth, found_via)``: its redirect target (no click), then,
    unless the page says nofollow or is not a 2xx, its internal links, canonical and hreflang URLs."""
    offers = []
    if record["redirect_to"]:
        offers.append((record["redirect_to"], depth, "redirect"))
    follow = "nofollow" not in (record["meta_robots"] or "") and "nofollow" not in (record["x_robots_tag"] or "")
    if follow and 200 <= (record["status"] or 0) < 300:
        targets = [link["url"] for link in record["outlinks"] if link["internal"]]
        targets += [u for u in (record["canonical"],) if u]
        targets += [h["url"] for h in record["hreflang"] if h["url"]]
        offers += [(target, depth + 1, "link") for target in targets]
    return offers


def part_file(name: str, settings) -> str:
    """``pages.jsonl`` for a crawl in one process; ``pages.worker-3.jsonl`` for worker 3 of a crawl with
    workers (LONGNECK_PART), merged into ``pages.jsonl`` when the crawl is finalized."""
    part = settings.get("LONGNECK_PART")
    if not part:
        return name
    stem, _, ext = name.partition(".")
    return f"{stem}.{part}.{ext}"


def repair_charset(body: bytes, failed: str) -> tuple[str, str]:
    """Decode a page whose declared charset does not fit its bytes, as browsers do (WHATWG order): an
    encoding the document declares itself (BeautifulSoup's EncodingDetector finds it), else
    windows-1252, the web's legacy default. Statistical guessing is not used: on short Western pages it
    picks Baltic or Cyrillic code pages."""
    from bs4.dammit import EncodingDetector

    declared = EncodingDetector.find_declared_encoding(body, is_html=True)
    for encoding in (declared, "windows-1252"):
        if not encoding or encoding.lower().replace("_", "-") == (failed or "").lower().replace("_", "-"):
            continue
        try:
            return body.decode(encoding), encoding
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("windows-1252", errors="replace"), "windows-1252"


def _header_of(failure, name: str) -> str | None:
    response = getattr(failure.value, "response", None)
    return _header(response, name) if response is not None else None


def _body_hash(body: bytes) -> str:
    import hashlib

    return hashlib.sha1(body).hexdigest()


def describe_failure(failure, maxsize: int) -> str:
    """One line a site owner understands, naming the kind of failure."""
    import zlib

    from twisted.internet import error as terr
    from twisted.internet.defer import CancelledError
    from twisted.web._newclient import ResponseNeverReceived

    value = failure.value
    kind = type(value).__name__
    message = failure.getErrorMessage()
    https = failure.request.url.startswith("https:")
    if failure.check(IgnoreRequest):
        return "blocked by robots.txt" if "robots.txt" in message else f"ignored: {message}"
    if failure.check(terr.DNSLookupError) or kind == "CannotResolveHostError":
        return message if message.startswith("DNS lookup failed") else f"DNS lookup failed: {message}"
    if failure.check(terr.TimeoutError, terr.TCPTimedOutError) or kind == "DownloadTimeoutError":
        return f"timeout: {message}"
    if failure.check(terr.ConnectionRefusedError) or kind == "DownloadConnectionRefusedError":
        return "connection refused"
    if failure.check(CancelledError) or kind == "DownloadCancelledError" or "max size" in message.lower():
        return f"too large: the response exceeds max_page_bytes ({maxsize} bytes)"
    if kind in ("BadGzipFile", "BrotliError", "DecompressionError") or failure.check(zlib.error) \
            or "decompress" in message.lower():
        encoding = _header_of(failure, "Content-Encoding") or (
            "gzip" if kind == "BadGzipFile" or "gzip" in message.lower() else "br" if "brotli" in kind.lower() else None)
        said = f"says Content-Encoding {encoding}" if encoding else "is compressed"
        return f"bad compressed body: the response {said} but its body does not decode ({message})"[:300]
    if kind in ("ResponseDataLossError", "_DataLoss") or "data loss" in message.lower():
        return "connection closed mid-body: fewer bytes arrived than the response's Content-Length announced"
    text = f"{kind}: {message}"
    if not https and (kind in ("DownloadFailedError", "ResponseNeverReceived", "ResponseFailed")
                      and ("ConnectionDone" in message or "ConnectionLost" in message)):
        return ("connection closed before the response headers ended (the server closed it, or sent a "
                "header line longer than 16 KB)")
    if "SSL" in text or "certificate" in text.lower() or "tls" in text.lower() or (
            https and (failure.check(terr.ConnectionLost, ResponseNeverReceived) or "connection" in text.lower())):
        return f"TLS error: the secure connection failed ({message})"[:300]
    return text[:300]
