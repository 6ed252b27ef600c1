"""A small local web server for a folder of HTML files, with what real sites have that a folder lacks.

``_server.json`` in the folder's root may declare:

- ``redirects``: ``[[from_path, to, status], ...]`` (301, 302, 307, 308; ``to`` may be absolute),
- ``headers``: ``{path: {header: value}}`` added to that path's response (X-Robots-Tag, Last-Modified ...),
- ``gone``: paths answering 410,
- ``calendar``: a path prefix serving an endless month-by-month calendar (a crawler trap),
- ``errors``: ``{path: status}`` answered with that status (500 ...).

In ``.xml`` and ``.txt`` files, ``__ORIGIN__`` is replaced by the server's own origin (robots.txt and
sitemaps need absolute URLs, and the port is chosen at start).

It serves ``longneck demo`` and the test suite; it binds to 127.0.0.1 only.
"""

from __future__ import annotations

import html
import json
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit


class SiteHandler(SimpleHTTPRequestHandler):
    server_version = "longneck-demo/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # quiet: the crawler reports what matters
        pass

    @property
    def rules(self) -> dict:
        return self.server.rules

    def send_head(self):
        self.server.log.append((self.command, self.path, self.headers.get("User-Agent", "")))
        if self.server.delay:
            threading.Event().wait(self.server.delay)  # a slow server, for tests that interrupt a crawl
        path = urlsplit(self.path).path
        rules = self.rules
        for source, target, status in rules.get("redirects", []):
            if path == source:
                self.send_response(status)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
        if path in rules.get("gone", []):
            return self._send_text(410, "<html><body><h1>Gone</h1><p>This page has been removed.</p></body></html>")
        if path in rules.get("errors", {}):
            return self._send_text(rules["errors"][path], "<html><body><h1>Server error</h1></body></html>")
        calendar = rules.get("calendar")
        if calendar and path.rstrip("/") == calendar.rstrip("/"):
            return self._send_text(200, _calendar_page(calendar, self.path))
        local = Path(self.translate_path(path))
        if local.is_dir() and not path.endswith("/") and (local / "index.html").is_file():
            self.path = path + "/" + (f"?{urlsplit(self.path).query}" if urlsplit(self.path).query else "")
            return super().send_head()  # served at both /x and /x/, as CMSs do
        if local.suffix in (".xml", ".txt") and local.is_file():
            # robots.txt and sitemaps need absolute URLs: __ORIGIN__ becomes this server's origin
            origin = f"http://{self.headers.get('Host') or '127.0.0.1'}"
            text = local.read_text(encoding="utf-8").replace("__ORIGIN__", origin)
            body = text.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8" if local.suffix == ".txt" else "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            import io

            return io.BytesIO(body)
        return super().send_head()

    def end_headers(self):
        path = urlsplit(self.path).path
        for header, value in self.rules.get("headers", {}).get(path, {}).items():
            self.send_header(header, value)
        super().end_headers()

    def send_error(self, code, message=None, explain=None):
        if code == 404:
            not_found = Path(self.directory) / "404.html"
            if not_found.exists():
                self._send_text(404, not_found.read_text(encoding="utf-8"), write=True)
                return
        super().send_error(code, message, explain)

    def _send_text(self, status: int, text: str, write: bool = False):
        import io

        body = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if write:
            if self.command != "HEAD":
                self.wfile.write(body)
            return None
        return io.BytesIO(body)


def _calendar_page(prefix: str, raw_path: str) -> str:
    query = parse_qs(urlsplit(raw_path).query)
    month = (query.get("month") or ["2026-11"])[0]
    try:
        year, mon = (int(x) for x in month.split("-"))
        if not 1 <= mon <= 12:
            raise ValueError
    except ValueError:
        year, mon = 2026, 11
    prev_m = (year - (mon == 1), 12 if mon == 1 else mon - 1)
    next_m = (year + (mon == 12), 1 if mon == 12 else mon + 1)
    title = f"Events calendar {year}-{mon:02d}"
    return (f"<!doctype html><html lang='en'><head><title>{html.escape(title)}</title></head><body>"
            f"<main><h1>{html.escape(title)}</h1><p>No events are listed for this month.</p>"
            f"<a href='{prefix}?month={prev_m[0]}-{prev_m[1]:02d}'>Previous month</a> "
            f"<a href='{prefix}?month={next_m[0]}-{next_m[1]:02d}'>Next month</a></main></body></html>")


class BackgroundServer:
    """An HTTP server (``self.httpd``) run in a background thread (``self.thread``): url, start, stop, and
    ``with``."""

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class SiteServer(BackgroundServer):
    """Serve ``root`` on 127.0.0.1 in a background thread: ``with SiteServer(path) as server: server.url``."""

    def __init__(self, root, port: int = 0, delay: float = 0.0, handler=None):
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"site folder not found: {self.root}")
        rules_file = self.root / "_server.json"
        rules = json.loads(rules_file.read_text(encoding="utf-8")) if rules_file.exists() else {}
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), partial(handler or SiteHandler, directory=str(self.root)))
        self.httpd.daemon_threads = True
        self.httpd.rules = rules
        self.httpd.delay = delay
        self.httpd.log = []  # (method, path, user agent) of every request, in order
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def log(self) -> list:
        return self.httpd.log
