"""A site whose crawl keeps only a sample of some URLs (an endless calendar over max_query_variants, an
endless chain of numbered pages over max_urls_per_pattern), audited three times through the CLI: twice
unchanged, with the server answering one direction of each chain slowly in the first run and the other
direction in the second (so a crawl that admitted URLs as responses came back kept different months each
time); then after real changes to the site. The Changes sheet must say `site` only for what the site
changed, and `crawl` for a page that fell into or out of the crawl's sample."""

from __future__ import annotations

import html
import threading
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import openpyxl

from audit.demo.server import BackgroundServer
from audit.history import History, database_url

from . import rules_site
from .conftest import longneck, read_records

PARKING = ("Pay your parking fine online with a debit card. A penalty charge notice shows the amount and the date. "
           "Pay within 14 days to get the reduced rate. You need the notice number and the vehicle registration.")
BINS = ("Bins are collected once a week. Check your bin collection day by postcode. Recycling goes in the blue bin "
        "and garden waste in the green bin. Report a missed bin collection within two working days.")
NEWS = ("The mayor opened the new playground in the park on Saturday. Children from three schools joined the "
        "ceremony and the brass band played. Volunteers planted trees around it and the cafe served lemonade.")

MAX_QUERY_VARIANTS = 4  # the calendar's months kept
MAX_URLS_PER_PATTERN = 5  # the diary's numbered pages kept (and at most 5 URLs of any other pattern)


class Site(BackgroundServer):
    """``pages``: path -> (title, text, links); ``/agenda`` is an endless month calendar (``?month=YYYY-MM``,
    each month linking the one before and after; ``/agenda`` itself shows ``entry``), ``/diary/N`` an
    endless chain of numbered pages (each linking N-1 and N+1). ``slow``: a function (path, month or
    number) -> seconds to wait before answering."""

    def __init__(self):
        self.pages = {
            "/": ("Welcome to Sampleton", "Council services for residents of Sampleton: parking, bins and news.",
                  ["/parking/pay", "/parking/appeal", "/bins/days", "/bins/missed", "/news?page=1", "/agenda",
                   "/diary/100", "/about/history"]),
            "/parking/pay": ("Pay a parking fine", PARKING, []),
            "/parking/appeal": ("Appeal a parking fine", PARKING + " Challenge the penalty if the signs were unclear.",
                                []),
            "/bins/days": ("Bin collection days", BINS, []),
            "/bins/missed": ("Report a missed bin", BINS + " Missed bins are emptied the next day.", []),
            "/about/history": ("The history of Sampleton", NEWS.replace("playground", "museum"), []),
        }
        self.news_pages = 2  # /news?page=1 .. 2: fewer than max_query_variants, never a sample
        self.entry = (2027, 2)
        self.slow = lambda path, key: 0.0
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, self))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def answer(self, path: str, query: dict):
        """(status, title, text, links) for a request, or None (404)."""
        if path == "/agenda":
            month = query.get("month", [None])[0]
            year, mon = (int(x) for x in month.split("-")) if month else self.entry
            before = (year - (mon == 1), 12 if mon == 1 else mon - 1)
            after = (year + (mon == 12), 1 if mon == 12 else mon + 1)
            return (f"Agenda {year}-{mon:02d}", "No events are listed for this month.",
                    [f"/agenda?month={y}-{m:02d}" for y, m in (before, after)])
        if path.startswith("/diary/") and path[7:].isdigit():
            n = int(path[7:])
            return f"Diary {n}", "Nothing happened today.", [f"/diary/{n - 1}", f"/diary/{n + 1}"]
        if path == "/news":
            page = int(query.get("page", ["1"])[0])
            if not 1 <= page <= self.news_pages:
                return None
            more = [f"/news?page={page + 1}"] if page < self.news_pages else []
            return f"News, page {page}", NEWS, more
        return self.pages.get(path)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def __init__(self, site, *args, **kwargs):
        self.site = site
        super().__init__(*args, **kwargs)

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        key = query.get("month", [None])[0] or (parts.path[7:] if parts.path.startswith("/diary/") else None)
        wait = self.site.slow(parts.path, key)
        if wait:
            threading.Event().wait(wait)
        if parts.path == "/robots.txt":
            body, kind, status = b"User-agent: *\nAllow: /\n", "text/plain", 200
        else:
            found = self.site.answer(parts.path, query)
            status = 200 if found else 404
            title, text, links = found or ("Not found", "There is no such page.", [])
            items = "".join(f'<li><a href="{html.escape(u)}">{html.escape(u)}</a></li>' for u in links)
            body = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
                    f"</head><body><main><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p><ul>{items}</ul>"
                    f"</main></body></html>").encode("utf-8")
            kind = "text/html; charset=utf-8"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


TASKS = rules_site.TASK_TABLES  # the rules site's two tasks, without its labels


def changes(workbook) -> dict:
    """The Changes sheet's pages: {path with query: (Change, Cause)}."""
    ws = openpyxl.load_workbook(workbook, read_only=True)["Changes"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(rows) if row[:2] == ["URL", "Change"])
    cause = rows[header].index("Cause")
    out = {}
    for row in rows[header + 1:]:
        if row and row[0]:
            parts = urlsplit(row[0])
            out[parts.path + (f"?{parts.query}" if parts.query else "")] = (row[1], row[cause])
    return out


def position(path: str, key: str) -> int:
    """Where a month or a diary page is from the one the site links first: <0 before, 0, >0 after."""
    if path == "/agenda":
        return (key > "2027-02") - (key < "2027-02")
    return int(key) - 100


def sample(run) -> set:
    return {urlsplit(r["url"]).path + "?" + urlsplit(r["url"]).query for r in read_records(run)
            if "/agenda?" in r["url"] or "/diary/" in r["url"]}


def test_an_unchanged_site_sampled_by_trap_bounds_has_no_site_changes_and_real_changes_still_do(tmp_path):
    with Site() as site:
        origin = site.url
        config = tmp_path / "site.toml"
        config.write_text(f'[site]\nname = "Sampleton"\nstart_urls = ["{origin}/"]\nautothrottle = false\n'
                          f'concurrency = 8\nmax_query_variants = {MAX_QUERY_VARIANTS}\n'
                          f'max_urls_per_pattern = {MAX_URLS_PER_PATTERN}\n' + TASKS.format(origin=origin),
                          encoding="utf-8")
        audits = tmp_path / "audits"

        # the months before the entry month (and the diary's pages before its first) answer slowly: a crawl
        # admitting URLs as they are found runs ahead into the later months
        site.slow = lambda path, key: 0.4 if key is not None and position(path, key) < 0 else 0.0
        longneck("run", config, "--out", audits / "q1", "-q")
        # the same site, the other direction slow
        site.slow = lambda path, key: 0.4 if key is not None and position(path, key) > 0 else 0.0
        longneck("run", config, "--out", audits / "q2", "-q")

        unchanged = changes(audits / "q2" / "audit.xlsx")
        assert not [u for u, (_, cause) in unchanged.items() if "site" in (cause or "")], unchanged
        assert not [u for u, (change, _) in unchanged.items() if change in ("new", "gone")], unchanged
        first, second = sample(audits / "q1"), sample(audits / "q2")
        assert sum("/agenda?" in u for u in first) == MAX_QUERY_VARIANTS
        assert sum("/diary/" in u for u in first) == MAX_URLS_PER_PATTERN
        assert first == second, "the trap bounds kept the same sample of an unchanged site"

        store = History(database_url("", audits / "q2"))
        runs = store.runs("Sampleton")
        recorded = {(t["reason"], t["pattern"].split("/", 1)[1]) for t in store.traps(runs[-1]["id"])}
        assert recorded == {("max-query-variants", "agenda?month"), ("max-urls-per-pattern", "diary/<n>")}
        # the first run as the previous version recorded it (schema 3: no traps table): its crawl.json says
        # what its bounds capped
        with store.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE traps")
            conn.exec_driver_sql(f"UPDATE runs SET schema_version = 3 WHERE id = {runs[-1]['id']}")
        store.close()

        # the site changes: a page is gone and one is added, the news loses its second page (two variants,
        # under the bound: all of them were crawled), and the calendar opens a month later and the diary
        # one page later (so the samples move, though every month and page is still there)
        del site.pages["/about/history"]
        site.pages["/"][2][-1] = "/bins/garden-waste"
        site.pages["/bins/garden-waste"] = ("Garden waste", BINS.replace("Bins", "Garden waste bins"), [])
        site.news_pages = 1
        site.entry = (2027, 3)
        site.pages["/"][2][6] = "/diary/101"
        site.slow = lambda path, key: 0.0
        longneck("run", config, "--out", audits / "q3", "-q")  # opens the old history, adds the table

    changed = changes(audits / "q3" / "audit.xlsx")
    assert changed["/about/history"] == ("gone", "site")
    assert changed["/bins/garden-waste"] == ("new", "site")
    assert changed["/news?page=2"] == ("gone", "site")
    # months and diary pages that moved into or out of the samples: there all along
    moved = {u: v for u, v in changed.items() if u.startswith(("/agenda?", "/diary/")) and v[0] in ("new", "gone")}
    assert {"/agenda?month=2026-12", "/agenda?month=2027-04", "/diary/98", "/diary/103"} == set(moved), changed
    assert all(cause == "crawl" for _, cause in moved.values()), moved
    # and what else the site changed: the pages whose links changed
    assert {u for u, (_, cause) in changed.items() if "site" in (cause or "")} == {
        "/about/history", "/bins/garden-waste", "/news?page=2", "/", "/agenda", "/news?page=1"}, changed
