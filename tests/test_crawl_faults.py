"""Fault injection for the crawler (issue 12): kill -9 at each phase and resume, a second host the
crawl must never contact, URLs too long to fetch, long redirect chains, and hostile responses.
Servers are raw sockets on loopback (tests/hostile_server.py); every wait is for a condition."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from .conftest import ROOT, longneck, path_of, read_records, write_config
from .hostile_server import RawServer, http


def page(title: str, links=(), words: int = 40) -> bytes:
    anchors = "".join(f"<li><a href='{href}'>{href}</a></li>" for href in links)
    text = " ".join(f"{title.lower()} word{i}" for i in range(words))
    return http(200, f"<!doctype html><html lang='en'><head><title>{title}</title></head><body><main>"
                     f"<h1>{title}</h1><p>{text}</p><ul>{anchors}</ul></main></body></html>")


def urlset(origin: str, paths) -> bytes:
    body = "".join(f"<url><loc>{origin}{p}</loc><lastmod>2026-01-01</lastmod></url>" for p in paths)
    return http(200, f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                     f"{body}</urlset>", content_type="application/xml")


def sitemap_index(urls) -> bytes:
    body = "".join(f"<sitemap><loc>{u}</loc></sitemap>" for u in urls)
    return http(200, f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                     f"{body}</sitemapindex>", content_type="application/xml")


def start_crawl(config: Path, out: Path, *args) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "audit.cli", "crawl", str(config), "--out", str(out), "-q", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT)


# ---- 1. kill -9 at each phase, then --resume: the same crawl as a clean one --------------------------

class Site:
    """Links (depth 1–3), a redirect, a sitemap index with two children naming linked pages (some
    deep) and orphans, and orphans that link on: to a page no sitemap names and to another orphan."""

    def __init__(self):
        self.server = RawServer({})
        o = self.server.url
        routes = {
            "/robots.txt": http(200, f"User-agent: *\nAllow: /\nSitemap: {o}/index.xml\n", content_type="text/plain"),
            "/index.xml": sitemap_index([f"{o}/sm1.xml", f"{o}/sm2.xml"]),
            "/sm1.xml": urlset(o, ["/", "/p1", "/p2/deep", "/p3/a/deep"] + [f"/o{i}" for i in range(1, 8)]),
            "/sm2.xml": urlset(o, ["/p1/a"] + [f"/o{i}" for i in range(8, 16)]),
            "/": page("Home", [f"/p{i}" for i in range(1, 5)] + ["/r"]),
            "/r": http(301, headers={"Location": f"{o}/moved"}),
            "/moved": page("Moved"),
            "/o1": page("Orphan 1", ["/late", "/o2"]),
            "/late": page("Late", ["/late/deeper"]),
            "/late/deeper": page("Late deeper"),
        }
        for i in range(1, 5):
            routes[f"/p{i}"] = page(f"P{i}", [f"/p{i}/a", f"/p{i}/b", f"/p{i}/deep", "/"])
            for sub in ("a", "b", "deep"):
                routes[f"/p{i}/{sub}"] = page(f"P{i} {sub}", [f"/p{i}/{sub}/deep", f"/p{i}/{sub}/x"])
                for leaf in ("deep", "x"):
                    routes[f"/p{i}/{sub}/{leaf}"] = page(f"P{i} {sub} {leaf}", [f"/p{i}"])
        for i in range(2, 16):
            routes[f"/o{i}"] = page(f"Orphan {i}", [f"/o{i + 1}"] if i < 15 else [])
        self.server.routes.update(routes)


FIELDS = ("status", "depth", "in_sitemap", "found_via", "final_url", "redirect_chain")


def comparable(out: Path) -> dict:
    records = read_records(out)
    urls = [path_of(r["url"]) for r in records]
    assert len(urls) == len(set(urls)), f"recorded twice: {sorted(u for u in urls if urls.count(u) > 1)}"
    return {path_of(r["url"]): {f: json.dumps(r[f], sort_keys=True).replace(path_of(r["url"]), "") if f in
                                ("final_url", "redirect_chain") else r[f] for f in FIELDS} for r in records}


@pytest.fixture(scope="module")
def site():
    s = Site()
    with s.server:
        yield s


@pytest.fixture(scope="module")
def clean(site, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("clean")
    config = write_config(tmp / "c.toml", {"start_urls": [site.server.url + "/"], "concurrency": 4})
    longneck("crawl", config, "--out", tmp / "out", "-q")
    result = comparable(tmp / "out")
    assert {"/o15", "/late/deeper", "/moved", "/p3/a/deep"} <= set(result)
    assert result["/o15"]["found_via"] == "sitemap" and result["/o2"]["found_via"] == "sitemap"
    assert result["/late"]["found_via"] == "link" and result["/p2/deep"]["found_via"] == "link"
    return result


def kill_while_held(site, out: Path, config: Path, path: str) -> None:
    """Hold the answer to ``path``; once the crawl has asked for it, kill -9 the crawl."""
    event = site.server.hold.setdefault(path, threading.Event())
    event.clear()
    try:
        before = site.server.count(path)
        proc = start_crawl(config, out)
        try:
            site.server.wait_for_new(path, before, proc)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
    finally:
        event.set()


def kill_in_finalize(out: Path, config: Path) -> None:
    """The finalize pass writes pages.jsonl.tmp: made a pipe here (4 KB buffer), it blocks the writer
    until this test reads; kill -9 once the first records have been written, then leave the half-written
    file a kill leaves."""
    out.mkdir(parents=True)
    tmp = out / "pages.jsonl.tmp"
    os.mkfifo(tmp)
    fd = os.open(tmp, os.O_RDONLY | os.O_NONBLOCK)
    fcntl.fcntl(fd, 1031, 4096)  # F_SETPIPE_SZ
    proc = start_crawl(config, out)
    written = b""
    deadline = time.monotonic() + 60
    try:
        while written.count(b"\n") < 2:
            assert time.monotonic() < deadline and proc.poll() is None, "the crawl did not reach finalize"
            try:
                written += os.read(fd, 4096)
            except BlockingIOError:
                time.sleep(0.01)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        os.close(fd)
    tmp.unlink()
    tmp.write_bytes(written)
    assert not (out / "crawl.json").exists()


@pytest.mark.parametrize("phase,hold", [
    ("startup", "/robots.txt"),       # nothing read yet
    ("sitemap read", "/sm2.xml"),     # the index read, one child sitemap in flight
    ("mid-crawl", "/p2/deep"),        # a linked page that the sitemap names too, in flight
    ("orphans", "/o9"),               # the link crawl done, sitemap-only pages being fetched
    ("finalize", None),               # every page fetched, pages.jsonl being rewritten
])
def test_kill_9_at_each_phase_then_resume_equals_a_clean_crawl(site, clean, tmp_path, phase, hold):
    config = write_config(tmp_path / "c.toml", {"start_urls": [site.server.url + "/"], "concurrency": 4})
    out = tmp_path / "out"
    if hold:
        kill_while_held(site, out, config, hold)
    else:
        kill_in_finalize(out, config)
    longneck("crawl", config, "--out", out, "--resume", "-q")
    resumed = comparable(out)
    assert set(resumed) == set(clean), f"lost: {set(clean) - set(resumed)}; extra: {set(resumed) - set(clean)}"
    differ = {u: {f: (resumed[u][f], clean[u][f]) for f in FIELDS if resumed[u][f] != clean[u][f]}
              for u in clean if resumed[u] != clean[u]}
    assert not differ, f"after a kill at {phase}: {differ}"
    summary = json.loads((out / "crawl.json").read_text())
    assert summary["complete"] and summary["in_sitemap"] == sum(r["in_sitemap"] for r in clean.values())
