"""Faults and hostile sites, end to end through the command line: prints one row per case (case,
expected, observed, figure), so the next check of issue 12's list is one command.

    .venv/bin/python benchmarks/faults.py            # about two minutes

Every server runs on 127.0.0.x (a second loopback address plays the off-site host). The tests cover
the same faults with exact assertions (tests/test_crawl_faults.py, tests/test_audit_faults.py); this
script measures them on bigger inputs (the demo site, a kill at a moment chosen by the crawl's own
progress) and says what it saw.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.hostile_server import RawServer, http  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
ROWS: list[tuple] = []


def longneck(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "audit.cli", *map(str, args)], capture_output=True, text=True,
                          env=ENV, cwd=ROOT, timeout=timeout)


def config(path: Path, start: str, extra: str = "", **site) -> Path:
    values = {"name": "faults", "start_urls": [start], "autothrottle": False, "concurrency": 4, **site}
    lines = ["[site]"] + [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def records(out: Path) -> list[dict]:
    return [json.loads(line) for line in open(out / "pages.jsonl", encoding="utf-8") if line.strip()]


def row(case, expected, observed, figure=""):
    ROWS.append((case, expected, observed, figure))
    print(f"  {case}: {observed} {figure}", file=sys.stderr)


def page(title, links=()):
    anchors = "".join(f"<a href='{h}'>{h}</a> " for h in links)
    words = " ".join(f"{title.lower()} word{i}" for i in range(40))
    return http(200, f"<html lang='en'><head><title>{title}</title></head><body><main><h1>{title}</h1>"
                     f"<p>{words}</p>{anchors}</main></body></html>")


def kill_and_resume(tmp: Path) -> None:
    """The demo site, killed with SIGKILL once a third of it is recorded, then --resume."""
    from audit.demo import SITE_DIR
    from audit.demo.server import SiteServer

    with SiteServer(SITE_DIR) as server:
        cfg = config(tmp / "demo.toml", server.url + "/", concurrency=2, download_delay=0.02)
        clean = tmp / "clean"
        longneck("crawl", cfg, "--out", clean, "-q")
        want = {r["url"]: r for r in records(clean)}
        out = tmp / "killed"
        proc = subprocess.Popen([sys.executable, "-m", "audit.cli", "crawl", str(cfg), "--out", str(out), "-q"],
                                env=ENV, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started = time.monotonic()
        while proc.poll() is None and time.monotonic() - started < 120:
            path = out / "pages.jsonl"
            if path.exists() and sum(1 for _ in open(path, "rb")) >= len(want) // 3:
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.01)  # polling the crawl's progress (a benchmark may; the tests use conditions)
        proc.wait()
        resumed = longneck("crawl", cfg, "--out", out, "-q", "--resume")
        got = records(out)
        urls = [r["url"] for r in got]
        lost = len(set(want) - set(urls))
        twice = len(urls) - len(set(urls))
        fields = sum(1 for r in got if r["url"] in want and any(
            r.get(k) != want[r["url"]].get(k) for k in ("depth", "in_sitemap", "found_via", "status")))
        row("kill -9 a third into the demo crawl, then --resume", "0 lost, 0 twice, 0 fields differ",
            f"{lost} lost, {twice} twice, {fields} differ", f"exit {resumed.returncode}, {len(want)} URLs")


def off_site(tmp: Path) -> None:
    with RawServer({}, host="127.0.0.2") as other, RawServer({}) as site:
        o = site.url
        site.routes.update({
            "/robots.txt": http(200, f"User-agent: *\nAllow: /\nSitemap: {other.url}/s.xml\nSitemap: {o}/index.xml\n",
                                content_type="text/plain"),
            "/index.xml": http(200, f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/'
                                    f'sitemap/0.9"><sitemap><loc>{other.url}/child.xml</loc></sitemap></sitemapindex>',
                               content_type="application/xml"),
            "/": page("Home", ["/a", f"{other.url}/page"]), "/a": page("A"),
        })
        proc = longneck("crawl", config(tmp / "off.toml", o + "/"), "--out", tmp / "off", "-q")
        row("robots.txt and sitemap-index entries on another host (127.0.0.2)", "0 requests to it",
            f"{len(other.log)} requests", f"exit {proc.returncode}")


def regex(tmp: Path) -> None:
    started = time.monotonic()
    proc = longneck("check", config(tmp / "re.toml", "http://127.0.0.1:9/", include=["(a+)+$"]))
    row("include = '(a+)+$' (catastrophic backtracking)", "refused at check, at once",
        f"exit {proc.returncode}: {proc.stderr.strip().splitlines()[-1][:70] if proc.stderr.strip() else ''}",
        f"{time.monotonic() - started:.1f} s")


def hostile(tmp: Path) -> None:
    long_url = "/long?" + "x" * 2200
    chain = {f"/r{i}": http(301, headers={"Location": f"/r{i + 1}"}) for i in range(30)}
    routes = {"/": page("Home", ["/big-header", "/fake-gzip", "/cut", long_url, "/r0"]),
              "/big-header": http(200, "<html><title>x</title></html>", headers={"X-Big": "a" * 65536}),
              "/fake-gzip": http(200, b"not gzip" * 20, headers={"Content-Encoding": "gzip"}),
              "/cut": http(200, b"<html><title>cut</title>", length=5000), "/r30": page("End"), **chain}
    with RawServer(routes) as site:
        proc = longneck("crawl", config(tmp / "h.toml", site.url + "/", timeout=10.0), "--out", tmp / "h", "-q")
    by = {r["url"][len(site.url):]: r for r in records(tmp / "h")}
    errors = [by.get(p, {}).get("error") or "" for p in ("/big-header", "/fake-gzip", "/cut")]
    one_line = sum(1 for e in errors if e and "\n" not in e)
    row("64 KB header, fake gzip body, body cut short", "3 records with one-line errors, exit 0, no traceback",
        f"{one_line} of 3 one-line errors, exit {proc.returncode}, traceback {'Traceback' in proc.stderr}")
    long_rec = by.get(long_url[:]) or next((r for u, r in by.items() if u.startswith("/long")), None)
    row("a link to a URL over 2,083 characters", "recorded as skipped with the reason",
        (long_rec or {}).get("error") or "no record", "")
    row("a 30-hop redirect chain", "followed to /r30", (by.get("/r0") or {}).get("final_url", "")[len(site.url):] or
        "not recorded", f"{len((by.get('/r0') or {}).get('redirect_chain') or [])} hops")


def tiny(tmp: Path) -> None:
    with RawServer({"/": http(403, "<html><title>Forbidden</title></html>")}) as site:
        proc = longneck("run", config(tmp / "t.toml", site.url + "/", extra=TASK), "--out", tmp / "tiny", "-q",
                        "--no-history")
    row("a site that answers 403 (nothing to classify)", "a workbook that says why, exit 4",
        f"exit {proc.returncode}, workbook {(tmp / 'tiny' / 'audit.xlsx').exists()}",
        "traceback" if "Traceback" in proc.stderr else "")


TASK = ('[[tasks]]\nid = "bins"\nname = "Bins"\ndescription = "Bin collection days"\nkeywords = ["bin"]\n')


def history_faults(tmp: Path) -> None:
    with RawServer({"/": page("Home", ["/a", "/b"]), "/a": page("Bins a"), "/b": page("Bins b")}) as site:
        cfg = config(tmp / "d.toml", site.url + "/", extra=TASK)
        longneck("run", cfg, "--out", tmp / "audits" / "q1", "-q")
        db = tmp / "audits" / "history.sqlite"
        lock = sqlite3.connect(db, timeout=0)
        lock.execute("BEGIN EXCLUSIVE")
        release = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3)"])
        proc = subprocess.Popen([sys.executable, "-m", "audit.cli", "audit", str(tmp / "audits" / "q1")],
                                env=ENV, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        release.wait()
        lock.rollback()
        lock.close()
        out, err = proc.communicate(timeout=120)
        row("SQLite history locked for 3 s by another process", "waits, then records the run",
            f"exit {proc.returncode}", (err.strip().splitlines() or [""])[-1][:60])
        runs = sqlite3.connect(db).execute("select count(*) from runs").fetchone()[0]
        bad = longneck("audit", tmp / "audits" / "q1", "--output", tmp / "audits" / "q1" / "pages.jsonl" / "x.xlsx")
        after = sqlite3.connect(db).execute("select count(*) from runs where coalesce(pending, 0) = 0").fetchone()[0]
        row("the workbook cannot be written", "error, no run recorded", f"exit {bad.returncode}, "
            f"{after - runs} runs recorded", "")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        for case in (off_site, regex, hostile, tiny, history_faults, kill_and_resume):
            sub = tmp / case.__name__
            sub.mkdir()
            try:
                case(sub)
            except Exception as exc:  # noqa: BLE001 - a case that breaks is a row too
                row(case.__name__, "(ran)", f"{type(exc).__name__}: {exc}"[:120])
    width = [max(len(str(r[i])) for r in ROWS + [("case", "expected", "observed", "figure")]) for i in range(4)]
    for r in [("case", "expected", "observed", "figure")] + ROWS:
        print(" | ".join(str(v).ljust(w) for v, w in zip(r, width)))


if __name__ == "__main__":
    if {"-h", "--help"} & set(sys.argv[1:]):  # the docstring is the usage
        print(__doc__)
        sys.exit(0)
    main()
