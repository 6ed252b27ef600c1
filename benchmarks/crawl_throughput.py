"""Crawl throughput and memory: longneck against a bare Scrapy spider, on a real documentation set
served by nginx on loopback.

    apt-get install nginx-light libreoffice-help-en-us     # once, as root
    .venv/bin/python benchmarks/crawl_throughput.py [--root DIR] [--rounds 2] [--concurrency 16]

Both crawlers start from the same pages with the same concurrency, robots.txt obeyed and AutoThrottle
off (on loopback it only adds delay). Rounds alternate bare / longneck so machine noise hits both; the
figure that counts is the ratio within a round. Pages/s is pages over the whole command's wall time
(longneck's includes its finalize pass). Memory: peak RSS of the crawling process (wait4), and RSS
sampled from /proc across the run to show whether it grows with the pages fetched.
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


def run_bare(urls, concurrency) -> dict:
    result = run_measured([sys.executable, str(HERE / "bare_spider.py"), "--concurrency", str(concurrency), *urls])
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
    args = parser.parse_args()
    if not args.root.is_dir():
        sys.exit(f"{args.root} not found: apt-get install libreoffice-help-en-us (or pass --root)")
    workdir = Path(tempfile.mkdtemp(prefix="longneck-bench-"))
    nginx, base = start_nginx(args.root, workdir)
    try:
        urls = [f"{base}/{s}" for s in (args.start or DEFAULT_STARTS)]
        print(f"serving {args.root} on {base} (nginx, 1 worker); concurrency {args.concurrency}; "
              f"{os.cpu_count()} cores")
        ratios = []
        rows = []
        for r in range(1, args.rounds + 1):
            bare = run_bare(urls, args.concurrency)
            ours = run_longneck(urls, args.concurrency, workdir, r)
            b_rate, o_rate = bare["pages"] / bare["wall"], ours["pages"] / ours["wall"]
            ratios.append(o_rate / b_rate)
            rows.append((r, "bare spider", bare, b_rate))
            rows.append((r, "longneck crawl", ours, o_rate))
        print(f"{'round':>5}  {'crawler':<15} {'pages':>6} {'wall s':>7} {'pages/s':>8} {'peak MB':>8}  RSS at 25/50/75/100% MB")
        for r, name, res, rate in rows:
            print(f"{r:>5}  {name:<15} {res['pages']:>6} {res['wall']:>7.1f} {rate:>8.1f} {res['peak_mb']:>8.0f}  "
                  f"{rss_profile(res['samples'])}")
        print(f"ratio longneck / bare per round: {', '.join(f'{x:.2f}' for x in ratios)}; "
              f"median {statistics.median(ratios):.2f} (goal >= 0.80)")
    finally:
        nginx.terminate()
        nginx.wait()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
