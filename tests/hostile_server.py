"""A small raw-socket HTTP server for fault tests: each path answers with bytes written by hand, so a
test can send what no well-behaved server library would (a 64 KB header, a fake gzip body, a body cut
short), on any loopback address (Linux routes all of 127/8 to loopback: 127.0.0.2 is a second host)."""

from __future__ import annotations

import socket
import threading
import time


def http(status: int, body: bytes | str = b"", headers: dict | None = None, content_type: str = "text/html",
         length: int | None = None) -> bytes:
    """The bytes of a whole response (``length`` overrides Content-Length, to promise more than is sent)."""
    body = body.encode("utf-8") if isinstance(body, str) else body
    lines = [f"HTTP/1.1 {status} X", f"Content-Type: {content_type}",
             f"Content-Length: {len(body) if length is None else length}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class RawServer:
    """``routes`` maps a path (with query) to the bytes to answer, or to a function(server) returning
    them; other paths get 404. Every request line is kept in ``log``; ``hold`` maps a path to an Event
    the answer waits for (a test releases it, or kills the crawler meanwhile)."""

    def __init__(self, routes: dict, host: str = "127.0.0.1"):
        self.routes = routes
        self.log: list[str] = []
        self.hold: dict[str, threading.Event] = {}
        self.received = threading.Condition()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(64)
        self.url = f"http://{host}:{self.sock.getsockname()[1]}"
        self._stop = False

    def __enter__(self):
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._stop = True
        for event in self.hold.values():
            event.set()
        self.sock.close()

    def _serve(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn):
        with conn:
            data = b""
            try:
                while b"\r\n\r\n" not in data and len(data) < 65536:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                path = data.split(b"\r\n", 1)[0].split(b" ")[1].decode("latin-1")
                with self.received:
                    self.log.append(path)
                    self.received.notify_all()
                if path in self.hold:
                    self.hold[path].wait(120)
                answer = self.routes.get(path, http(404, "<html><title>Not found</title></html>"))
                if callable(answer):
                    answer = answer(self)
                conn.sendall(answer)
                conn.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def count(self, path: str) -> int:
        with self.received:
            return self.log.count(path)

    def wait_for_new(self, path: str, before: int, proc, timeout: float = 60) -> None:
        """Block until ``path`` has been requested more than ``before`` times, or the process ``proc`` ends."""
        deadline = time.monotonic() + timeout
        with self.received:
            while self.log.count(path) <= before:
                if proc.poll() is not None:
                    raise AssertionError(f"the crawl ended before it asked for {path}")
                if time.monotonic() > deadline:
                    raise AssertionError(f"{path} was not requested within {timeout} s")
                self.received.wait(0.05)

    def wait_for(self, path: str, timeout: float = 60) -> None:
        """Block until ``path`` has been requested (a condition, not a fixed sleep)."""
        with self.received:
            if not self.received.wait_for(lambda: path in self.log, timeout):
                raise AssertionError(f"{path} was not requested within {timeout} s; requests: {self.log}")
