"""Scope rules on the demo site, and crawls that are interrupted (kill -9, Ctrl-C) and resumed."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from urllib.parse import urlsplit

import pytest

from audit.demo import SITE_DIR
from audit.demo.server import SiteServer

from .conftest import ROOT, crawl, longneck, path_of, read_records, write_config


@pytest.fixture(scope="module")
def slow_demo():
    """The demo site answering each request after 20 ms, so a crawl can be caught half-way."""
    with SiteServer(SITE_DIR, delay=0.02) as server:
        yield server


@pytest.fixture(scope="module")
def reference(slow_demo, tmp_path_factory):
    records, _ = crawl(tmp_path_factory.mktemp("reference"), {"start_urls": [slow_demo.url + "/"]})
    return {r["url"] for r in records}


def test_max_pages_is_exact(demo_server, tmp_path):
    records, summary = crawl(tmp_path, {"start_urls": [demo_server.url + "/"], "max_pages": 20})
    assert len(records) == 20
    assert summary["skipped"]["max_pages"] > 0 and summary["complete"] is False
    full, _ = crawl(tmp_path, {"start_urls": [demo_server.url + "/"]}, name="full")
    # each URL left out is counted once, however many pages link to it
    assert 20 + summary["skipped"]["max_pages"] <= len(full)


def test_max_depth_bounds_link_following(demo_server, tmp_path):
    records, summary = crawl(tmp_path, {"start_urls": [demo_server.url + "/"], "max_depth": 1})
    linked = [r for r in records if not r["in_sitemap"] and r["depth"] is not None]
    assert linked and all(r["depth"] <= 1 for r in linked)
    assert summary["skipped"]["max_depth"] > 0
    assert any(r["found_via"] == "sitemap" for r in records)  # the sitemap still reaches deeper pages


def test_exclude_and_include(demo_server, tmp_path):
    records, summary = crawl(tmp_path, {"start_urls": [demo_server.url + "/"], "exclude": ["/news/", r"\.pdf$"]})
    assert records and not [r for r in records if "/news/" in r["url"] or r["url"].endswith(".pdf")]
    assert summary["skipped"]["scope: excluded"] > 0
    records, _ = crawl(tmp_path, {"start_urls": [demo_server.url + "/residents/"], "include": ["/residents/"]},
                       name="include")
    assert len(records) > 30 and all("/residents/" in r["url"] for r in records)


def test_robots_txt_can_be_ignored_for_sites_you_own(demo_server, tmp_path):
    records, _ = crawl(tmp_path, {"start_urls": [demo_server.url + "/"], "obey_robots_txt": False})
    by_path = {path_of(r["url"]): r for r in records}
    assert by_path["/internal/staff-directory"]["status"] == 200


def test_allowed_domains_keep_the_crawl_on_site(demo_server, tmp_path):
    # the start host is 127.0.0.1; allowing only another host leaves nothing in scope
    config = write_config(tmp_path / "c.toml", {"start_urls": [demo_server.url + "/"], "allowed_domains": ["example.org"]})
    proc = longneck("crawl", config, "--out", tmp_path / "out", "-q", check=False)
    assert proc.returncode == 1 and "out of scope" in proc.stderr


def start_crawl(config, out):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "audit.cli", "crawl", str(config), "--out", str(out), "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)


def wait_for_records(out, count, proc, deadline_s=60):
    """Poll until the crawl has written ``count`` records (a condition, not a fixed sleep)."""
    pages = out / "pages.jsonl"
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if pages.exists() and pages.read_bytes().count(b"\n") >= count:
            return
        if proc.poll() is not None:
            raise AssertionError(f"crawl ended before {count} records: {proc.stderr.read()}")
        time.sleep(0.02)
    raise AssertionError(f"no {count} records within {deadline_s} s")


def interrupt(server, tmp_path, after: int, sig):
    """Start a crawl of ``server``, wait for ``after`` records, send ``sig``; returns (config, out, proc)."""
    config = write_config(tmp_path / "c.toml", {"start_urls": [server.url + "/"], "concurrency": 2})
    out = tmp_path / "out"
    proc = start_crawl(config, out)
    wait_for_records(out, after, proc)
    proc.send_signal(sig)
    return config, out, proc


def complete_urls(out):
    lines = (out / "pages.jsonl").read_bytes().split(b"\n")
    return {json.loads(line)["url"] for line in lines if line.strip() and line.endswith(b"}")}


def test_resume_after_kill_9_loses_and_duplicates_nothing(slow_demo, reference, tmp_path):
    config, out, proc = interrupt(slow_demo, tmp_path, 40, signal.SIGKILL)
    proc.wait()
    before = complete_urls(out)
    assert 40 <= len(before) < len(reference)
    with open(out / "pages.jsonl", "ab") as fh:  # as if the kill had cut a line half-way
        fh.write(b'{"url": "http://127.0.0.1/cut-off", "status": 2')
    log_mark = len(slow_demo.log)

    longneck("crawl", config, "--out", out, "--resume", "-q")
    records = read_records(out)
    urls = [r["url"] for r in records]
    assert len(urls) == len(set(urls)), "a record was written twice"
    assert set(urls) == reference, f"lost: {reference - set(urls)}; extra: {set(urls) - reference}"
    refetched = {path for method, path, _ in slow_demo.log[log_mark:] if method == "GET"} & {path_of(u) for u in before}
    assert refetched <= {"/robots.txt", "/sitemap.xml"}, f"fetched again after resume: {sorted(refetched)[:5]}"
    summary = json.loads((out / "crawl.json").read_text())
    assert summary["complete"] and summary["resumed_from"] == len(before)


def test_ctrl_c_stops_cleanly_and_resumes(slow_demo, reference, tmp_path):
    config, out, proc = interrupt(slow_demo, tmp_path, 30, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 3, stderr
    assert "--resume" in stdout
    summary = json.loads((out / "crawl.json").read_text())
    assert summary["complete"] is False
    longneck("crawl", config, "--out", out, "--resume", "-q")
    urls = [r["url"] for r in read_records(out)]
    assert len(urls) == len(set(urls)) and set(urls) == reference


def test_existing_crawl_is_never_overwritten(demo_server, tmp_path):
    config = write_config(tmp_path / "c.toml", {"start_urls": [demo_server.url + "/"], "max_pages": 5})
    longneck("crawl", config, "--out", tmp_path / "out", "-q")
    before = (tmp_path / "out" / "pages.jsonl").read_bytes()
    proc = longneck("crawl", config, "--out", tmp_path / "out", "-q", check=False)
    assert proc.returncode == 1 and "--resume" in proc.stderr
    assert (tmp_path / "out" / "pages.jsonl").read_bytes() == before


def test_breadth_first_order(demo_server, tmp_path):
    """Pages are fetched shallow first: with one request at a time, the depth of what links reach never
    decreases; what only the sitemap names comes after."""
    records, _ = crawl(tmp_path, {"start_urls": [demo_server.url + "/"], "concurrency": 1})
    depths = [r["depth"] for r in records if r["found_via"] != "sitemap"]
    assert depths == sorted(depths)
    first_orphan = next(i for i, r in enumerate(records) if r["found_via"] == "sitemap")
    assert all(r["found_via"] == "sitemap" or r["depth"] is None for r in records[first_orphan:])


def test_max_pages_keeps_the_shallowest_pages(demo_server, tmp_path):
    records, _ = crawl(tmp_path, {"start_urls": [demo_server.url + "/"], "max_pages": 30})
    assert all(r["found_via"] != "sitemap" for r in records)  # the sitemap does not crowd out linked pages
    assert max(r["depth"] for r in records) <= 2


def test_progress_bar_shows_pages_rate_queue_errors(demo_server, tmp_path):
    config = write_config(tmp_path / "c.toml", {"start_urls": [demo_server.url + "/"], "max_pages": 40})
    proc = longneck("crawl", config, "--out", tmp_path / "out", "--scrapy-set", "LONGNECK_PROGRESS=true")
    final = proc.stderr.replace("\r", "\n").strip().splitlines()[-1]
    assert re.search(r"crawl: \d+ pages .*errors=\d+, queue=\d+, rate=[\d.]+/s", final), proc.stderr[-500:]
    assert "crawl incomplete (site.max_pages reached): 40 URLs recorded" in proc.stdout


def test_output_pipeline_is_swappable_through_scrapy_settings(demo_server, tmp_path):
    extra = ('[scrapy]\nITEM_PIPELINES = { "crawler.pipelines.JsonlWriterPipeline" = 800, '
             '"tests.pipeline_probe.UrlListPipeline" = 900 }\n')
    records, _ = crawl(tmp_path, {"start_urls": [demo_server.url + "/"], "max_pages": 15}, extra=extra)
    listed = (tmp_path / "run" / "urls.txt").read_text().split()
    assert sorted(listed) == sorted(r["url"] for r in records) and len(listed) == 15
