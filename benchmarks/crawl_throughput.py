"""Crawl throughput and memory: longneck against a bare Scrapy spider, on a real documentation set
served by nginx on loopback.

    apt-get install nginx-light libreoffice-help-en-us     # once, as root
    .venv/bin/python benchmarks/crawl_throughput.py [--root DIR] [--rounds 2] [--concurrency 16]
    .venv/bin/python benchmarks/crawl_throughput.py --synthetic 20000 --rounds 1   # memory vs site size

Both crawlers start from the same pages with the same concurrency, robots.txt obeyed and AutoThrottle
off (on loopback it only adds delay). Rounds alternate bare / longneck so machine noise hits both; the
figure that counts is the ratio within a round. Pages/s is pages over the whole command's wall time
(longneck's includes its finalize pass). Memory: peak RSS of the crawling process (wait4), and RSS
sampled from /proc across the run to show whether it grows with the pages fetched.

longneck runs Scrapy with CONCURRENT_ITEMS=16 (see crawler/settings.py); a third row per round shows
the bare spider with that setting too, so both the issue's baseline (Scrapy defaults) and a
like-for-like ratio are printed. ``--synthetic N`` generates an N-page site (about 7 KB a page, 20
links each, a few hundred per section) to show memory against site size.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_DOCS = Path("/usr/share/libreoffice/help")
DEFAULT_STARTS = [f"en-US/text/{m}/main0000.html" for m in
                  ("swriter", "scalc", "simpress", "sdraw", "sbasic/shared", "smath", "schart", "sdatabase")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_nginx(root: Path, workdir: Path) -> tuple[subprocess.Popen, str]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        sys.exit("nginx not found: apt-get install nginx-light")
    port = free_port()
    conf = workdir / "nginx.conf"
    conf.write_text(f"""
worker_processes 1;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    sendfile on;
    keepalive_timeout 65;
    client_body_temp_path {workdir}/body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
    server {{ listen 127.0.0.1:{port}; root {root}; }}
}}
""")
    proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(workdir)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit(f"nginx did not start: {proc.stderr.read().decode()}")


def run_measured(cmd: list[str]) -> dict:
    """Run ``cmd``; wall time, peak RSS (MB) and RSS samples [(seconds, MB)]."""
    samples = []
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    stop = threading.Event()

    def sample():
        status = Path(f"/proc/{proc.pid}/status")
        while not stop.is_set():
            try:
                for line in status.read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        samples.append((time.monotonic() - started, int(line.split()[1]) / 1024))
            except OSError:
                return
            stop.wait(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    stop.set()
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.decode()[-3000:]}")
    return {"wall": wall, "peak_mb": usage.ru_maxrss / 1024, "samples": samples, "stdout": out.decode()}


def run_bare(urls, concurrency, concurrent_items=100) -> dict:
    result = run_measured([sys.executable, str(HERE / "bare_spider.py"), "--concurrency", str(concurrency),
                           "--concurrent-items", str(concurrent_items), *urls])
    result["pages"] = json.loads(result["stdout"].strip().splitlines()[-1])["pages"]
    return result


def run_longneck(urls, concurrency, workdir: Path, round_no: int) -> dict:
    out = workdir / f"longneck-{round_no}"
    config = workdir / "bench.toml"
    config.write_text(
        "[site]\nname = 'benchmark'\nstart_urls = [" + ", ".join(json.dumps(u) for u in urls) + "]\n"
        f"concurrency = {concurrency}\nautothrottle = false\nmax_pages = 1000000\nmax_depth = 1000\n"
        "max_query_variants = 1000000\nmax_urls_per_pattern = 1000000\n")
    result = run_measured([sys.executable, "-m", "audit.cli", "crawl", str(config), "--out", str(out), "-q"])
    summary = json.loads((out / "crawl.json").read_text())
    result["pages"] = summary["records_this_run"]
    result["fields"] = sum(1 for _ in open(out / "pages.jsonl"))
    return result


def synthetic_site(root: Path, pages: int) -> list[str]:
    """An N-page site: sections of 250 pages, each page ~7 KB of text with nav, breadcrumbs and 20 links."""
    words = ("permit parking waste collection council tax passport street report application form fee "
             "appointment office resident business service online payment address document").split()
    sections = max(1, pages // 250)
    nav = "".join(f'<li><a href="/s{k}/">Section {k}</a></li>' for k in range(min(sections, 12)))
    for i in range(pages):
        section = i % sections
        links = "".join(f'<li><a href="/s{(i + 7 * j) % pages % sections}/p{(i + 7 * j) % pages}.html">'
                        f'Page {(i + 7 * j) % pages}</a></li>' for j in range(1, 21))
        text = " ".join(words[(i * 31 + k * 7) % len(words)] for k in range(900))
        html = (f"<!doctype html><html lang='en'><head><title>Page {i}</title></head><body><header><nav><ul>{nav}"
                f"</ul></nav></header><nav aria-label='Breadcrumb'><a href='/'>Home</a> <a href='/s{section}/'>S{section}"
                f"</a></nav><main><h1>Page {i}</h1><p>{text}</p><ul>{links}</ul></main><footer>Footer</footer></body></html>")
        target = root / f"s{section}" / f"p{i}.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html)
    for k in range(sections):
        index = "".join(f'<a href="/s{k}/p{i}.html">{i}</a> ' for i in range(k, pages, sections))
        (root / f"s{k}" / "index.html").write_text(f"<html><body><main>{index}</main></body></html>")
    (root / "index.html").write_text(f"<html><body><nav>{nav}</nav><main>"
                                     + "".join(f'<a href="/s{k}/">{k}</a> ' for k in range(sections)) + "</main></body></html>")
    return ["index.html"]


def rss_profile(samples) -> str:
    if not samples:
        return "-"
    end = samples[-1][0]
    marks = []
    for frac in (0.25, 0.5, 0.75, 1.0):
        t = end * frac
        marks.append(min(samples, key=lambda s: abs(s[0] - t))[1])
    return " / ".join(f"{m:.0f}" for m in marks)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=DEFAULT_DOCS, help="folder of HTML to serve")
    parser.add_argument("--start", action="append", help="start path under the root (repeatable)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--synthetic", type=int, metavar="N", help="crawl a generated N-page site instead")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="longneck-bench-"))
    workdir.chmod(0o755)  # nginx's workers (www-data) must be able to read a generated site
    if args.synthetic:
        args.root = workdir / "site"
        args.start = synthetic_site(args.root, args.synthetic)
    if not args.root.is_dir():
        sys.exit(f"{args.root} not found: apt-get install libreoffice-help-en-us (or pass --root)")
    nginx, base = start_nginx(args.root, workdir)
    try:
        urls = [f"{base}/{s}" for s in (args.start or DEFAULT_STARTS)]
        probe = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", urls[0]], capture_output=True, text=True)
        if probe.returncode == 0 and probe.stdout != "200":
            sys.exit(f"nginx answers {probe.stdout} for {urls[0]}: check {workdir}/error.log")
        print(f"serving {args.root} on {base} (nginx, 1 worker); concurrency {args.concurrency}; "
              f"{os.cpu_count()} cores")
        ratios = []
        rows = []
        tuned_ratios = []
        for r in range(1, args.rounds + 1):
            bare = run_bare(urls, args.concurrency)
            ours = run_longneck(urls, args.concurrency, workdir, r)
            tuned = run_bare(urls, args.concurrency, concurrent_items=16)
            b_rate, o_rate, t_rate = (x["pages"] / x["wall"] for x in (bare, ours, tuned))
            ratios.append(o_rate / b_rate)
            tuned_ratios.append(o_rate / t_rate)
            rows.append((r, "bare spider", bare, b_rate))
            rows.append((r, "longneck crawl", ours, o_rate))
            rows.append((r, "bare, items=16", tuned, t_rate))
        print(f"{'round':>5}  {'crawler':<15} {'pages':>6} {'wall s':>7} {'pages/s':>8} {'peak MB':>8}  RSS at 25/50/75/100% MB")
        for r, name, res, rate in rows:
            print(f"{r:>5}  {name:<15} {res['pages']:>6} {res['wall']:>7.1f} {rate:>8.1f} {res['peak_mb']:>8.0f}  "
                  f"{rss_profile(res['samples'])}")
        print(f"ratio longneck / bare spider (Scrapy defaults) per round: {', '.join(f'{x:.2f}' for x in ratios)}; "
              f"median {statistics.median(ratios):.2f} (goal >= 0.80)")
        print(f"ratio longneck / bare spider with CONCURRENT_ITEMS=16: {', '.join(f'{x:.2f}' for x in tuned_ratios)}; "
              f"median {statistics.median(tuned_ratios):.2f}")
    finally:
        nginx.terminate()
        nginx.wait()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
