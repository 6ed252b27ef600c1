"""What a crawl folder already holds, for ``--resume``.

``pages.jsonl`` is the crawl's only state: a URL with a record is done; the frontier is every in-scope
link, redirect target and sitemap URL those records point to that has no record yet. This survives
``kill -9`` (Scrapy's JOBDIR does not: its queues and its seen-set can disagree with what was written),
and a record is never lost or written twice. A line cut off by a kill is removed before appending.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class CrawlState:
    done: set = field(default_factory=set)
    frontier: list = field(default_factory=list)  # (url, depth, found_via), shallowest first
    sitemap_sources: set = field(default_factory=set)  # sitemaps read to the end ({"sitemap": URL})
    sitemaps_pending: list = field(default_factory=list)  # index children with no marker yet
    sitemap_phase: bool = False  # the link crawl had run dry and the sitemap-only URLs were scheduled


def repair_tail(path: Path) -> int:
    """Cut a last line that a kill left without its newline; returns the bytes removed."""
    if not path.exists() or path.stat().st_size == 0:
        return 0
    with open(path, "rb+") as fh:
        size = fh.seek(0, 2)
        step, pos = 65536, size
        while pos > 0:
            start = max(0, pos - step)
            fh.seek(start)
            chunk = fh.read(pos - start)
            nl = chunk.rfind(b"\n")
            if nl != -1:
                keep = start + nl + 1
                break
            pos = start
        else:
            keep = 0
        if keep < size:
            fh.truncate(keep)
        return size - keep


def iter_records(path: Path):
    """Every complete record of a pages.jsonl (lines that do not parse are reported and skipped)."""
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not a JSON record ({exc})") from None


def load_state(out_dir: Path, normalise) -> CrawlState:
    """What is done and what is left. A URL a page links to counts as found by a link (the crawl fetches
    links before the URLs only a sitemap names), except on pages fetched after the link crawl ran dry:
    by then every sitemap-only URL had been scheduled at once, as ``sitemap``."""
    state = CrawlState()
    pages = out_dir / "pages.jsonl"
    early: dict[str, tuple[int, str]] = {}  # offered by pages of the link crawl
    late: dict[str, tuple[int, str]] = {}  # offered by pages fetched after it ran dry
    into = early

    def offer(url, depth, via):
        if url and (url not in into or into[url][0] > depth):
            into[url] = (depth, via)

    if pages.exists():
        repair_tail(pages)
        for record in iter_records(pages):
            state.done.add(record["url"])
            if record.get("found_via") == "sitemap" and not state.sitemap_phase:
                # records are written as they arrive, and the first sitemap-only page comes after every
                # page of the link crawl (it is scheduled when nothing else is in flight)
                state.sitemap_phase = True
                into = late
            depth = record.get("depth") or 0
            offer(record.get("redirect_to"), depth, "redirect")
            robots = f"{record.get('meta_robots') or ''} {record.get('x_robots_tag') or ''}"
            if "nofollow" in robots or not 200 <= (record.get("status") or 0) < 300:
                continue
            for link in record.get("outlinks") or ():
                if link.get("internal"):
                    offer(link["url"], depth + 1, "link")
            offer(record.get("canonical"), depth + 1, "link")
            for alt in record.get("hreflang") or ():
                offer(alt.get("url"), depth + 1, "link")
    candidates = early
    pending: dict = {}
    sitemap = out_dir / "sitemap_urls.jsonl"
    if sitemap.exists():
        repair_tail(sitemap)
        for entry in iter_records(sitemap):
            if "sitemap" in entry:
                state.sitemap_sources.add(entry["sitemap"])
            elif entry.get("pending"):
                pending[entry["pending"]] = None
            elif entry.get("url") and entry["url"] not in candidates:
                candidates[entry["url"]] = (1, "sitemap")
    for url, value in late.items():
        candidates.setdefault(url, value)
    state.sitemaps_pending = [u for u in pending if u not in state.sitemap_sources]
    state.frontier = sorted(((u, d, v) for u, (d, v) in candidates.items() if u not in state.done),
                            key=lambda t: (t[1], t[0]))
    return state
