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


# ---- 2. the scope holds for every request: a second host on 127.0.0.2 hears nothing ----------------

def test_off_site_sitemaps_robots_lines_index_children_and_redirects_are_never_fetched(tmp_path):
    other = RawServer({}, host="127.0.0.2")
    site = RawServer({})
    second = RawServer({}, host="127.0.0.3")  # an allowed host whose robots.txt redirects off-site
    with other, site, second:
        o, x = site.url, other.url
        second.routes.update({"/robots.txt": http(302, headers={"Location": f"{x}/robots.txt"}),
                              "/": page("Second")})
        other.routes.update({p: urlset(x, ["/secret"]) for p in ("/sitemap.xml", "/child.xml", "/moved.xml")})
        site.routes.update({
            "/robots.txt": http(200, f"User-agent: *\nAllow: /\nSitemap: {x}/sitemap.xml\nSitemap: {o}/index.xml\n",
                                content_type="text/plain"),
            "/index.xml": sitemap_index([f"{x}/child.xml", f"{o}/local.xml"]),
            "/sitemap.xml": http(302, headers={"Location": f"{x}/moved.xml"}),
            "/local.xml": urlset(o, ["/orphan"]),
            "/": page("Home", ["/away", f"{x}/linked"]),
            "/away": http(301, headers={"Location": f"{x}/page"}),
            "/orphan": page("Orphan"),
        })
        config = write_config(tmp_path / "c.toml", {"start_urls": [o + "/", second.url + "/"],
                                                    "allowed_domains": ["127.0.0.1", "127.0.0.3"]})
        longneck("crawl", config, "--out", tmp_path / "out", "-q")
        assert other.log == [], f"the off-site host was asked for {other.log}"
        assert "/robots.txt" in second.log and "/" in second.log
    by_path = {path_of(r["url"]): r for r in read_records(tmp_path / "out")}
    assert by_path["/orphan"]["found_via"] == "sitemap"  # the in-scope child of the index is read
    assert by_path["/away"]["final_url"] == f"{x}/page"
    summary = json.loads((tmp_path / "out" / "crawl.json").read_text())
    # robots.txt line, index child, sitemap redirect, and the spider's own read of the redirected robots.txt
    assert summary["skipped"]["scope: off-site sitemap"] == 4


# ---- 3. a URL too long to fetch is recorded with its reason ------------------------------------------

def test_url_over_the_length_limit_is_recorded_as_skipped(tmp_path):
    long_path = "/search?q=" + "x" * 2100
    with RawServer({"/": page("Home", [long_path, "/ok"]), "/ok": page("Ok")}) as site:
        config = write_config(tmp_path / "c.toml", {"start_urls": [site.url + "/"]})
        longneck("crawl", config, "--out", tmp_path / "out", "-q")
        assert not [p for p in site.log if p.startswith("/search")]
    by_path = {path_of(r["url"]): r for r in read_records(tmp_path / "out")}
    record = by_path[long_path]
    assert record["status"] is None and record["found_via"] == "link" and record["depth"] == 1
    assert f"{len(record['url'])} characters" in record["error"] and "2083" in record["error"]
    summary = json.loads((tmp_path / "out" / "crawl.json").read_text())
    assert summary["skipped"]["url too long"] == 1
    assert any(link["url"] == record["url"] for link in by_path["/"]["outlinks"])  # the source shows it


# ---- 4. a redirect chain of 30 hops is followed to its end; a loop stops ----------------------------

def test_long_redirect_chain_is_followed_to_its_end(tmp_path):
    routes = {"/": page("Home", ["/hop/0", "/loop/a"]), "/end": page("End"),
              "/loop/a": http(301, headers={"Location": "/loop/b"}), "/loop/b": http(301, headers={"Location": "/loop/a"})}
    for i in range(30):
        routes[f"/hop/{i}"] = http(301, headers={"Location": f"/hop/{i + 1}" if i < 29 else "/end"})
    with RawServer(routes) as site:
        config = write_config(tmp_path / "c.toml", {"start_urls": [site.url + "/"]})
        longneck("crawl", config, "--out", tmp_path / "out", "-q")
    by_path = {path_of(r["url"]): r for r in read_records(tmp_path / "out")}
    first = by_path["/hop/0"]
    assert path_of(first["final_url"]) == "/end" and first["error"] is None
    assert [path_of(h["url"]) for h in first["redirect_chain"]] == [f"/hop/{i}" for i in range(30)]
    assert path_of(by_path["/hop/29"]["final_url"]) == "/end"
    loop = by_path["/loop/a"]
    assert [path_of(h["url"]) for h in loop["redirect_chain"]] == ["/loop/a", "/loop/b", "/loop/a"]


def test_a_chain_longer_than_the_hop_limit_says_it_was_cut(tmp_path):
    from crawler import finalize as fin

    n = fin.MAX_HOPS + 5
    records = [{"url": f"http://h/{i}", "status": 301, "redirect_to": f"http://h/{i + 1}", "found_via": "start" if i == 0 else "redirect"}
               for i in range(n)] + [{"url": f"http://h/{n}", "status": 200, "found_via": "redirect"}]
    (tmp_path / "pages.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    fin.finalize(tmp_path)
    out = {r["url"]: r for r in read_records(tmp_path)}
    assert "cut" in out["http://h/0"]["error"] and len(out["http://h/0"]["redirect_chain"]) == fin.MAX_HOPS
    assert out["http://h/10"]["final_url"] == f"http://h/{n}" and not out["http://h/10"].get("error")


# ---- 5. hostile responses: one record each, a one-line error, exit 0 ---------------------------------

def test_hostile_responses_become_records_with_one_line_errors(tmp_path):
    routes = {
        "/": page("Home", ["/big-header", "/fake-gzip", "/cut", "/ok"]),
        "/ok": page("Ok"),
        "/big-header": http(200, "<html><title>x</title></html>", headers={"X-Big": "a" * 65536}),
        "/fake-gzip": http(200, b"this is not gzip at all" * 10, headers={"Content-Encoding": "gzip"}),
        "/cut": http(200, b"<html><title>cut</title>", length=5000),
    }
    with RawServer(routes) as site:
        config = write_config(tmp_path / "c.toml", {"start_urls": [site.url + "/"], "timeout": 10.0})
        proc = longneck("crawl", config, "--out", tmp_path / "out", "-q")
    assert "Traceback" not in proc.stderr and proc.returncode == 0
    by_path = {path_of(r["url"]): r for r in read_records(tmp_path / "out")}
    expected = {"/big-header": "connection closed before the response headers ended",
                "/fake-gzip": "bad compressed body: the response says Content-Encoding gzip",
                "/cut": "connection closed mid-body"}
    for path, start in expected.items():
        error = by_path[path]["error"]
        assert error.startswith(start) and "\n" not in error and len(error) <= 300, (path, error)
        assert by_path[path]["status"] is None
    assert by_path["/ok"]["status"] == 200 and by_path["/ok"]["error"] is None


def test_a_kill_at_any_line_of_the_sitemap_file_leaves_every_sitemap_url_to_resume(site, tmp_path):
    """sitemap_urls.jsonl cut after each of its lines (where a kill can leave it): every URL the sitemaps
    list is either in the resumed frontier or in a sitemap --resume reads again."""
    from crawler.state import load_state
    from crawler.urls import UrlNormalizer

    o = site.server.url
    children = {f"{o}/index.xml": [f"{o}/sm1.xml", f"{o}/sm2.xml"]}
    listed = {f"{o}/sm1.xml": ["/", "/p1", "/p2/deep", "/p3/a/deep"] + [f"/o{i}" for i in range(1, 8)],
              f"{o}/sm2.xml": ["/p1/a"] + [f"/o{i}" for i in range(8, 16)]}
    config = write_config(tmp_path / "c.toml", {"start_urls": [o + "/"], "max_pages": 3})
    longneck("crawl", config, "--out", tmp_path / "full", "-q")
    lines = (tmp_path / "full" / "sitemap_urls.jsonl").read_bytes().splitlines(keepends=True)
    assert len(lines) > 20
    for cut in range(len(lines) + 1):
        folder = tmp_path / f"cut{cut}"
        folder.mkdir()
        (folder / "sitemap_urls.jsonl").write_bytes(b"".join(lines[:cut]))
        state = load_state(folder, UrlNormalizer())
        frontier = {path_of(u) for u, _, via in state.frontier if via == "sitemap"}
        read_again = set(getattr(state, "sitemaps_pending", ()))
        for index, kids in children.items():
            if index not in state.sitemap_sources:
                read_again |= {index, *kids}  # robots.txt names the index: it is read again
            for kid in kids:
                assert kid in state.sitemap_sources or kid in read_again, f"cut at line {cut}: {kid} is lost"
        for sitemap, paths in listed.items():
            if sitemap not in read_again:
                lost = set(paths) - frontier
                assert not lost, f"cut at line {cut}: {sitemap} counts as read but {sorted(lost)} are lost"
