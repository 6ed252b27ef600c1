"""Bad input gets a clear record or message and loses nothing: a hostile local server, and start URLs
that cannot be reached at all."""

from __future__ import annotations

import gzip
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .conftest import crawl, longneck, path_of, write_config

LATIN1 = "<html><head><title>Caf\u00e9</title></head><body><main><p>Caf\u00e9 r\u00e9sum\u00e9 na\u00efve d\u00e9j\u00e0 vu</p></main></body></html>"

ROUTES = {
    "/": (200, {"Content-Type": "text/html; charset=utf-8"}, (
        "<html><body><main><p>Start</p>"
        + "".join(f'<a href="{p}">{p}</a> ' for p in [
            "/slow", "/error500", "/huge", "/binary", "/image.png", "/latin1", "/meta-charset", "/malformed", "/deep",
            "/header-noindex", "/link-canonical", "/loop-a", "/empty", "/no-type", "http://outside.invalid/page",
            "/missing"])
        + "</main></body></html>").encode()),
    "/error500": (500, {"Content-Type": "text/html"}, b"<h1>Internal error</h1>"),
    "/huge": (200, {"Content-Type": "text/html"}, b"<html><body>" + b"<p>big page</p>" * 20000 + b"</body></html>"),
    "/binary": (200, {"Content-Type": "application/octet-stream"}, bytes(range(256)) * 40),
    "/image.png": (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n" + b"\x00" * 500),
    # declares UTF-8, sends Latin-1: the text must not fill with replacement characters
    "/latin1": (200, {"Content-Type": "text/html; charset=utf-8"}, LATIN1.encode("latin-1")),
    # no charset in the header, the right one in a meta tag
    "/meta-charset": (200, {"Content-Type": "text/html"},
                      LATIN1.replace("<head>", '<head><meta charset="windows-1252">').encode("cp1252")),
    "/malformed": (200, {"Content-Type": "text/html"},
                   b"<html><body><main><p>Unclosed <b>bold <i>italic <table><tr><td>cell</p></main><a href='/deep'>x"),
    "/deep": (200, {"Content-Type": "text/html"}, b"<div>" * 5000 + b"<p>deep text</p>" + b"</div>" * 5000),
    "/header-noindex": (200, {"Content-Type": "text/html", "X-Robots-Tag": "noindex"}, b"<html><body><p>x</p></body></html>"),
    "/link-canonical": (200, {"Content-Type": "text/html", "Link": '</canonical-target>; rel="canonical"'},
                        b"<html><body><p>x</p></body></html>"),
    "/canonical-target": (200, {"Content-Type": "text/html"}, b"<html><body><p>canonical</p></body></html>"),
    "/loop-a": (301, {"Location": "/loop-b"}, b""),
    "/loop-b": (301, {"Location": "/loop-a"}, b""),
    "/empty": (200, {"Content-Type": "text/html"}, b""),
    "/no-type": (200, {}, b"<html><body><main><p>no content type header</p></main></body></html>"),
    # rules for longneck by name apply; the generic group does not block anything
    "/robots.txt": (200, {"Content-Type": "text/plain"},
                    b"User-agent: *\nDisallow:\n\nUser-agent: longneck\nDisallow: /private-for-longneck\n\n"
                    b"Sitemap: /sitemap_index.xml\n"),
    "/private-for-longneck": (200, {"Content-Type": "text/html"}, b"<p>not for crawlers called longneck</p>"),
    # a sitemap index pointing at a gzipped sitemap that lists a page no link reaches
    "/sitemap_index.xml": (200, {"Content-Type": "application/xml"}, (
        b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<sitemap><loc>/sitemap-pages.xml.gz</loc></sitemap></sitemapindex>")),
    "/sitemap-pages.xml.gz": (200, {"Content-Type": "application/gzip"}, gzip.compress(
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>/orphan-from-gzip</loc><lastmod>2017-05-06</lastmod></url>"
        b"<url><loc>/private-for-longneck</loc></url></urlset>")),
    "/orphan-from-gzip": (200, {"Content-Type": "text/html"}, b"<html><body><main><p>only in a sitemap</p></main></body></html>"),
}


class HostileHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/slow":
            self.server.stop.wait(10)  # never answers within the crawl's timeout
            return
        status, headers, body = ROUTES.get(self.path, (404, {"Content-Type": "text/html"}, b"<h1>Not found</h1>"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    server = ThreadingHTTPServer(("127.0.0.1", 0), HostileHandler)
    server.daemon_threads = True
    server.stop = threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    records, summary = crawl(tmp_path_factory.mktemp("hostile"),
                             {"start_urls": [url + "/"], "timeout": 1.0, "max_page_bytes": 100_000})
    server.stop.set()
    server.shutdown()
    return {path_of(r["url"]): r for r in records}, summary


def test_every_linked_url_has_exactly_one_record(hostile):
    by_path, summary = hostile
    expected = {p for p in ROUTES if p not in ("/robots.txt", "/sitemap_index.xml", "/sitemap-pages.xml.gz")}
    expected |= {"/slow", "/missing"}
    assert expected <= set(by_path)
    assert not [p for p in by_path if "outside.invalid" in p]  # external links are listed, never fetched
    assert summary["complete"] is True


def test_sitemap_index_and_gzip_sitemap_reach_orphans(hostile):
    record = hostile[0]["/orphan-from-gzip"]
    assert record["status"] == 200 and record["found_via"] == "sitemap" and record["in_sitemap"] is True
    assert record["depth"] is None and record["dates"]["sitemap_lastmod"] == "2017-05-06"


def test_robots_rules_for_longneck_by_name(hostile):
    record = hostile[0]["/private-for-longneck"]
    assert record["robots_blocked"] is True and record["status"] is None


def test_elapsed_and_bytes(hostile):
    record = hostile[0]["/"]
    assert isinstance(record["elapsed"], float) and 0 <= record["elapsed"] < 5
    assert record["bytes"] == len(ROUTES["/"][2])


def test_timeout_is_recorded(hostile):
    record = hostile[0]["/slow"]
    assert record["status"] is None and record["error"].startswith("timeout")


def test_server_error_and_missing(hostile):
    assert hostile[0]["/error500"]["status"] == 500
    assert hostile[0]["/missing"]["status"] == 404


def test_size_cap(hostile):
    record = hostile[0]["/huge"]
    assert record["status"] is None and record["error"].startswith("too large")


def test_binary_content_gets_type_size_and_hash_only(hostile):
    for path, kind in (("/binary", "application/octet-stream"), ("/image.png", "image/png")):
        record = hostile[0][path]
        assert record["status"] == 200 and record["content_type"] == kind and record["bytes"] > 0
        assert record["main_text"] == "" and record["content_hash"] and record["outlinks"] == []


def test_wrong_declared_charset_is_repaired(hostile):
    record = hostile[0]["/latin1"]
    assert "Caf\u00e9 r\u00e9sum\u00e9 na\u00efve" in record["main_text"] and "\ufffd" not in record["main_text"]
    assert record["title"] == "Caf\u00e9" and "charset" in record["error"]


def test_charset_from_meta_tag(hostile):
    record = hostile[0]["/meta-charset"]
    assert "Caf\u00e9 r\u00e9sum\u00e9" in record["main_text"] and record["error"] is None


def test_malformed_and_deeply_nested_html(hostile):
    assert "cell" in hostile[0]["/malformed"]["main_text"]
    assert "deep text" in hostile[0]["/deep"]["main_text"]


def test_indexability_from_headers(hostile):
    assert hostile[0]["/header-noindex"]["x_robots_tag"] == "noindex"
    record = hostile[0]["/link-canonical"]
    assert path_of(record["canonical"]) == "/canonical-target"
    assert "/canonical-target" in hostile[0]  # canonical targets are crawled too


def test_redirect_loop_ends(hostile):
    record = hostile[0]["/loop-a"]
    assert [path_of(h["url"]) for h in record["redirect_chain"]] == ["/loop-a", "/loop-b", "/loop-a"]


def test_empty_and_untyped_responses(hostile):
    assert hostile[0]["/empty"]["status"] == 200 and hostile[0]["/empty"]["word_count"] == 0
    assert "no content type header" in hostile[0]["/no-type"]["main_text"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("start, message", [
    (f"http://127.0.0.1:{free_port()}/", "connection refused"),
    ("http://nonexistent-host.invalid/", "DNS lookup failed"),
])
def test_unreachable_start_url_fails_clearly(tmp_path, start, message):
    config = write_config(tmp_path / "c.toml", {"start_urls": [start], "timeout": 2.0})
    proc = longneck("crawl", config, "--out", tmp_path / "out", "-q", check=False)
    assert proc.returncode == 1
    assert "could not be fetched" in proc.stderr and message in proc.stderr
    assert "Traceback" not in proc.stderr
    record = json.loads((tmp_path / "out" / "pages.jsonl").read_text().splitlines()[0])
    assert record["status"] is None and message in record["error"]


def test_tls_error_is_named(tmp_path, demo_server):
    https = demo_server.url.replace("http://", "https://") + "/"  # TLS to a plain-HTTP port
    config = write_config(tmp_path / "c.toml", {"start_urls": [https], "timeout": 3.0})
    proc = longneck("crawl", config, "--out", tmp_path / "out", "-q", check=False)
    assert proc.returncode == 1 and "TLS error" in proc.stderr, proc.stderr


def test_bad_config_is_one_clear_message(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[site]\nname = "x"\nstart_urls = ["http://127.0.0.1:9/"]\nmax_page = 3\n')
    proc = longneck("crawl", config, "--out", tmp_path / "out", check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"longneck: config error: {config}: site: unknown key 'max_page'. "
                                   "Did you mean 'max_pages'?")
    assert not (tmp_path / "out").exists()


def test_bad_scrapy_setting_is_one_clear_message(tmp_path, demo_server):
    config = write_config(tmp_path / "c.toml", {"start_urls": [demo_server.url + "/"]})
    proc = longneck("crawl", config, "--out", tmp_path / "out", "-q", "--scrapy-set",
                    'ITEM_PIPELINES={"crawler.pipelines.JsonlWriterPipeline"="soon"}', check=False)
    assert proc.returncode == 1
    assert "could not start" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr[-2000:]


@pytest.mark.parametrize("command", ["crawl", "run"])
def test_a_refused_crawl_changes_nothing_in_the_folder(tmp_path, command):
    """A folder that holds a crawl is refused before anything in it is written: its config.json (what
    `longneck audit` reads) stays the one the crawl was made with."""
    out = tmp_path / "run"
    out.mkdir()
    (out / "pages.jsonl").write_text('{"url": "http://127.0.0.1:1/"}\n', encoding="utf-8")
    (out / "config.json").write_text('{"the": "crawl\'s own config"}', encoding="utf-8")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    other = write_config(tmp_path / "other.toml", {"start_urls": ["http://127.0.0.1:1/"]},
                         '[[tasks]]\nid = "a"\nname = "A"\ndescription = "Do A"\nkeywords = ["a"]\nexamples = ["http://127.0.0.1:1/a"]\n')
    proc = longneck(command, other, "--out", out, "-q", check=False)
    assert proc.returncode != 0
    assert "already holds a crawl" in proc.stderr and "nothing was changed" in proc.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
