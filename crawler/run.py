"""Run one crawl to completion in this process (Scrapy's CrawlerProcess owns the reactor, so call it
from an entry point such as the CLI, once per process), then finalize and summarise it."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from .finalize import finalize
from .settings import VERSION, build_settings


class CrawlError(RuntimeError):
    """A crawl that cannot start or produced nothing usable; the message says why."""


def refuse_crawled(out_dir, resume: bool) -> None:
    """Refuse to start a new crawl in a folder that already holds one (its pages.jsonl, or a crawl with
    workers' part files), before anything in it is written: nothing is changed, the config.json included."""
    out_dir = Path(out_dir)
    if resume or not out_dir.is_dir():
        return
    held = [p for p in [out_dir / "pages.jsonl", *sorted(out_dir.glob("pages.worker-*.jsonl"))]
            if p.is_file() and p.stat().st_size]
    if held:
        raise CrawlError(f"{held[0]} already holds a crawl: add --resume to continue it, "
                         f"or choose another --out folder (nothing was changed)")


def crawl(site: dict, out_dir, resume: bool = False, scrapy_overrides: dict | None = None,
          progress: bool | None = None) -> dict:
    """Crawl ``site`` (validated [site] keys) into ``out_dir/pages.jsonl``; returns the summary that is
    also written to ``out_dir/crawl.json``."""
    from scrapy.crawler import CrawlerProcess

    from .spider import SiteSpider

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    refuse_crawled(out_dir, resume)
    if not resume:
        (out_dir / "sitemap_urls.jsonl").unlink(missing_ok=True)
    else:  # a crawl with workers continued in one process: its part files are records like any other
        from .finalize import merge_parts

        merge_parts(out_dir)
    settings = build_settings(site, out_dir, resume=resume, scrapy_overrides=scrapy_overrides, progress=progress)
    started = time.time()
    process = CrawlerProcess(settings)
    # every failed fetch becomes a record with its error; Scrapy's own error lines would repeat them
    for name in ("scrapy.downloadermiddlewares.retry", "scrapy.downloadermiddlewares.robotstxt", "scrapy.core.scraper",
                 "scrapy.core.downloader.handlers.http11", "scrapy.downloadermiddlewares.httpcompression"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    crawler = process.create_crawler(SiteSpider)
    startup_errors = []
    process.crawl(crawler).addErrback(startup_errors.append)
    process.start()
    if startup_errors:  # e.g. a bad Scrapy setting given with [scrapy] or --scrapy-set
        error = startup_errors[0].value
        raise CrawlError(f"the crawl could not start: {type(error).__name__}: {error}")
    spider = crawler.spider
    stats = crawler.stats.get_stats()
    return summarise(out_dir, site, started, {
        "finish_reason": stats.get("finish_reason"),
        "records_this_run": stats.get("longneck/records", 0),
        "resumed_from": getattr(spider, "resumed_records", 0),
        "requests": stats.get("downloader/request_count", 0),
        "bytes_received": stats.get("downloader/response_bytes", 0),
        "skipped": getattr(spider, "skipped", {}),
        "traps": spider.traps.report() if spider else [],
    }, user_agent=settings.get("USER_AGENT"))


def summarise(out_dir: Path, site: dict, started: float, stats: dict, user_agent: str | None = None) -> dict:
    """Finalize the run folder and write ``crawl.json``; ``stats`` holds what the crawl counted (one
    process, or the coordinator of a crawl with workers)."""
    from .settings import user_agent as default_agent

    out_dir = Path(out_dir)
    elapsed = time.time() - started
    finished = finalize(out_dir)
    fetched_now = stats["records_this_run"]
    skipped = stats["skipped"]
    summary = {
        "tool": "longneck", "version": VERSION,
        "finish_reason": stats["finish_reason"],
        # a crawl cut short by max_pages did not see the whole site (trap bounds are deliberate: they
        # leave out endless variants of pages already seen)
        "complete": stats["finish_reason"] == "finished" and not skipped.get("max_pages"),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "elapsed_s": round(elapsed, 2),
        "records_total": finished["records"],
        "records_this_run": fetched_now,
        "resumed_from": stats["resumed_from"],
        "pages_per_s": round(fetched_now / elapsed, 2) if elapsed else None,
        "by_status": finished["by_status"],
        "unreachable_by_links": finished["unreachable_by_links"],
        "in_sitemap": finished["in_sitemap"],
        "requests": stats.get("requests"),
        "bytes_received": stats.get("bytes_received"),
        "skipped": dict(sorted(skipped.items())),
        "traps": stats["traps"],
        "user_agent": user_agent or default_agent(site),
        "site": site,
    }
    if "workers" in stats:
        summary["workers"] = stats["workers"]
    tmp = out_dir / "crawl.json.tmp"
    tmp.write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(out_dir / "crawl.json")
    if not any(k.endswith("xx") for k in finished["by_status"]):
        raise CrawlError(_nothing_fetched(out_dir, site))
    return summary


def _nothing_fetched(out_dir: Path, site: dict) -> str:
    reasons = []
    pages = out_dir / "pages.jsonl"
    if pages.exists():
        from .state import iter_records

        for record in iter_records(pages):
            if record.get("found_via") == "start":
                reasons.append(f"{record['url']}: {record.get('error') or 'no response'}")
    detail = "; ".join(reasons) or f"{', '.join(site['start_urls'])}: out of scope or not crawlable"
    return (f"the start URL could not be fetched, so nothing was crawled: {detail}. "
            f"Check the address, and that the site answers from this machine.")


def _state(summary: dict) -> str:
    if summary["complete"]:
        return "complete"
    if summary["finish_reason"] == "finished":
        return "incomplete (site.max_pages reached)"
    return f"stopped ({summary['finish_reason']})"


def format_summary(summary: dict) -> str:
    lines = [
        f"crawl {_state(summary)}: "
        f"{summary['records_total']} URLs recorded ({summary['records_this_run']} this run"
        + (f", {summary['resumed_from']} resumed" if summary["resumed_from"] else "")
        + f") in {summary['elapsed_s']:.1f} s, {summary['pages_per_s'] or 0:.1f} pages/s",
        "  status: " + ", ".join(f"{k} {v}" for k, v in summary["by_status"].items()),
        f"  in sitemap: {summary['in_sitemap']}; reached by no link: {summary['unreachable_by_links']}",
    ]
    if summary["skipped"]:
        lines.append("  not fetched: " + ", ".join(f"{k} {v}" for k, v in summary["skipped"].items()))
    for trap in summary["traps"][:10]:
        lines.append(f"  trap bound {trap['reason']}: {trap['skipped']} URLs like {trap['pattern']}")
    if not summary["complete"] and summary["finish_reason"] == "finished":
        lines.append(f"  incomplete: stopped at site.max_pages; {summary['skipped'].get('max_pages', 0)} URLs were "
                     "not fetched (raise max_pages to audit the whole site)")
    elif not summary["complete"]:
        lines.append("  continue with the same command and --resume")
    return "\n".join(lines)
