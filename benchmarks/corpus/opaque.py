"""Serve a folder of HTML with opaque URLs, as a CMS does: every page at ``/node/N.html``.

The folder's pages get numbers in a fixed shuffled order (so numbers say nothing about sections),
links in ``href`` and ``src`` attributes are rewritten to the numbered URLs, and the structure that is
left is what a CMS site has: menus, breadcrumbs, lists of links, headings and text. Binds to
127.0.0.1 only.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from audit.demo.server import BackgroundServer

PAGES = (".html", ".htm", ".xhtml", ".pdf", ".docx")
_LINK = re.compile(rb"""((?:href|src)\s*=\s*)(["'])([^"']*)\2""", re.I)


class OpaqueServer(BackgroundServer):
    """``with OpaqueServer(root) as server: server.url, server.translate(url)``."""

    def __init__(self, root, port: int = 0, within: str = ""):
        """``within``: a regular expression; only the pages whose plain URL path matches get a number
        (the plain site's crawl scope)."""
        self.root = Path(root).resolve()
        scope = re.compile(within or ".*")
        files = sorted(f for f in (p.relative_to(self.root).as_posix() for p in self.root.rglob("*")
                                   if p.is_file() and p.suffix.lower() in PAGES) if scope.search("/" + f))
        # a fixed order that hides the folders: numbers by a hash of the path
        order = sorted(files, key=lambda f: hashlib.sha1(f.encode()).hexdigest())
        self.node = {f: f"/node/{k + 1}{'.html' if f.endswith(('.html', '.htm', '.xhtml')) else Path(f).suffix}"
                     for k, f in enumerate(order)}
        self.file = {v: k for k, v in self.node.items()}
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_HEAD(self):
                self.do_GET(body=False)

            def do_GET(self, body=True):
                path = urlsplit(self.path).path
                if path == "/":
                    path = server.start_node or "/"
                    self.send_response(301)
                    self.send_header("Location", path)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                name = server.file.get(path)
                if name is None:
                    local = server.root / unquote(path).lstrip("/")
                    if not local.is_file() or server.root not in local.resolve().parents:
                        data = b"<html><body><h1>Not found</h1></body></html>"
                        return self._send(404, "text/html; charset=utf-8", data, body)
                    name = local.relative_to(server.root).as_posix()
                data = (server.root / name).read_bytes()
                kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
                if kind in ("text/html", "application/xhtml+xml"):
                    data = server.rewrite(name, data)
                    kind = "text/html"
                self._send(200, kind, data, body)

            def _send(self, status, kind, data, body):
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if body:
                    self.wfile.write(data)

        self.start_node = None
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def _lookup(self, path: str):
        """The file a URL path names: itself, or the index.html of a folder."""
        path = unquote(path).lstrip("/")
        if path in self.node:
            return path
        index = (path.rstrip("/") + "/index.html").lstrip("/")
        return index if index in self.node else None

    def rewrite(self, name: str, data: bytes) -> bytes:
        """The page with every link to a page of the folder pointed at its node."""
        here = "/" + name

        def swap(match):
            target = match.group(3).decode("latin-1")
            if target.startswith(("mailto:", "javascript:", "data:", "#")) or "//" in target.split("?")[0][:8]:
                return match.group(0)
            absolute = urljoin(here, target)
            parts = urlsplit(absolute)
            found = self._lookup(parts.path)
            if found is None:
                return match.group(0)
            new = self.node[found] + (f"#{parts.fragment}" if parts.fragment else "")
            return match.group(1) + match.group(2) + new.encode() + match.group(2)

        return _LINK.sub(swap, data)

    def translate(self, url: str) -> str | None:
        """The opaque URL of a page given by its plain URL on this server (``None`` if not a page)."""
        parts = urlsplit(url)
        found = self._lookup(parts.path)
        return f"{self.url}{self.node[found]}" if found else None
