"""A crawl with workers: pages/s for 1, 2 and 4 local workers, the ratio to one worker, and RSS per worker.

    apt-get install nginx-light redis-server      # once, as root
    .venv/bin/python benchmarks/crawl_workers.py [--pages 10000] [--workers 1 2 4] [--concurrency 16]

A synthetic site (benchmarks/crawl_throughput.py's generator: ~7 KB pages, 20 links each, sections of 250)
is written once and served by nginx on loopback (static files: thousands of requests a second on one core,
so the server is not what limits the crawl). Each row is the real command, ``longneck crawl CONFIG --out DIR
-q --workers N`` (a private redis-server per run), plus one row for the crawl in one process (no
``--workers``) for reference. Pages/s is pages over the whole command's wall time (Redis start, workers'
start, finalize and the merge of the parts included); "crawl pages/s" is crawl.json's figure (to the end of
the crawl, before finalize). RSS: peak of each worker process, of the coordinator and of redis-server,
sampled from /proc every 0.25 s.

The goal of issue 14 is a ratio of at least 0.8 x N to one worker. Extracting a page costs CPU (parsing,
main text, language, dates), so N workers cannot go faster than the cores free for them: on a 2-core
machine the ceiling is about 2x whatever N is, less what nginx, Redis and the coordinator take. The CPU
time of each command (the coordinator and every process it waited for: workers, redis-server) per page
gives that ceiling whatever else the machine is doing: cores / CPU a page.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from crawl_throughput import start_nginx, synthetic_site  # noqa: E402


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def run(config: Path, out: Path, workers: int | None) -> dict:
    cmd = [sys.executable, "-m", "audit.cli", "crawl", str(config), "--out", str(out), "-q"]
    if workers is not None:
        cmd += ["--workers", str(workers)]
    peaks: dict[int, float] = {}
    names: dict[int, str] = {}
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            for pid in [proc.pid, *_children(proc.pid)]:
                rss = _rss_mb(pid)
                if rss is not None:
                    peaks[pid] = max(peaks.get(pid, 0.0), rss)
                    names.setdefault(pid, _name(pid))
            stop.wait(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)  # Linux: the command and every process it waited for
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    stop.set()
    sampler.join()
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stderr.decode()[-3000:]}")
    summary = json.loads((out / "crawl.json").read_text())
    worker_rss = [mb for pid, mb in peaks.items() if "crawler.distributed" in names.get(pid, "")]
    redis_rss = [mb for pid, mb in peaks.items() if "redis-server" in names.get(pid, "")]
    return {"workers": workers, "pages": summary["records_total"], "wall": wall,
            "pages_per_s": summary["records_total"] / wall, "crawl_pages_per_s": summary["pages_per_s"],
            "complete": summary["complete"], "coordinator_mb": peaks.get(proc.pid, 0.0),
            "cpu_ms_per_page": 1000 * (usage.ru_utime + usage.ru_stime) / summary["records_total"],
            "worker_mb": worker_rss, "redis_mb": max(redis_rss, default=0.0)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=10000, help="pages of the synthetic site (default 10000)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4], help="worker counts to run")
    parser.add_argument("--concurrency", type=int, default=16, help="site.concurrency of each worker")
    parser.add_argument("--no-single", action="store_true", help="skip the one-process reference row")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="longneck-workers-"))
    workdir.chmod(0o755)
    site_root = workdir / "site"
    starts = synthetic_site(site_root, args.pages)
    nginx, base = start_nginx(site_root, workdir)
    try:
        config = workdir / "bench.toml"
        config.write_text(
            "[site]\nname = 'benchmark'\nstart_urls = [" + ", ".join(json.dumps(f"{base}/{s}") for s in starts) + "]\n"
            f"concurrency = {args.concurrency}\nautothrottle = false\nmax_pages = 1000000\nmax_depth = 1000\n"
            "max_query_variants = 1000000\nmax_urls_per_pattern = 1000000\n")
        print(f"synthetic site: {args.pages} pages served by nginx on {base}; concurrency {args.concurrency} per "
              f"worker; {os.cpu_count()} CPUs; load average before: {os.getloadavg()[0]:.2f}")
        rows = []
        if not args.no_single:
            rows.append(run(config, workdir / "single", None))
        for n in args.workers:
            rows.append(run(config, workdir / f"workers-{n}", n))
        one = next((r for r in rows if r["workers"] == 1), None)
        print(f"\n| crawl | pages | wall s | pages/s | crawl pages/s | ratio to 1 worker | goal 0.8 x N | "
              f"CPU ms a page | RSS per worker MB | coordinator MB | redis-server MB |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            label = "one process" if r["workers"] is None else f"{r['workers']} worker{'s' * (r['workers'] > 1)}"
            ratio = f"{r['pages_per_s'] / one['pages_per_s']:.2f}" if one and r["workers"] else "-"
            goal = f"{0.8 * r['workers']:.1f}" if r["workers"] else "-"
            workers = (f"{statistics.median(r['worker_mb']):.0f} (max {max(r['worker_mb']):.0f})"
                       if r["worker_mb"] else "-")
            print(f"| {label} | {r['pages']} | {r['wall']:.1f} | {r['pages_per_s']:.1f} | {r['crawl_pages_per_s']:.1f} | "
                  f"{ratio} | {goal} | {r['cpu_ms_per_page']:.2f} | {workers} | {r['coordinator_mb']:.0f} | "
                  f"{r['redis_mb']:.0f} |" if r["workers"] else
                  f"| {label} | {r['pages']} | {r['wall']:.1f} | {r['pages_per_s']:.1f} | {r['crawl_pages_per_s']:.1f} | "
                  f"- | - | {r['cpu_ms_per_page']:.2f} | - | {r['coordinator_mb']:.0f} | - |")
        cores = os.cpu_count() or 1
        for r in rows:
            if r["workers"]:
                print(f"{r['workers']} worker(s): CPU {r['cpu_ms_per_page']:.2f} ms a page (workers, coordinator, "
                      f"redis-server): at most {1000 * min(cores, r['workers']) / r['cpu_ms_per_page']:.0f} pages/s "
                      f"on {cores} idle cores")
        pages = {r["pages"] for r in rows}
        print(f"\nevery crawl recorded the same number of URLs: {len(pages) == 1} ({', '.join(map(str, sorted(pages)))}); "
              f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        nginx.terminate()
        nginx.wait()


if __name__ == "__main__":
    main()
