"""Audit and workbook speed and memory at scale, on a synthetic site (the targets: 1,000,000 pages audited
in under 15 minutes and 8 GB on one machine, time and memory growing linearly).

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/audit_scale.py 100000 300000 1000000

For each size: the synthetic crawl (the classify_scale site, plus the fields the audit reads: statuses,
dates, a duplicate every 20 pages, a near-duplicate every 50, a 404 every 100) is written once to
``--cache`` (default /tmp/longneck-audit-scale/N; the time to write it is printed when it is made, not
counted). Then, in a fresh process, the whole audit runs (classify, signals, MinHash/LSH, rules, redirect
targets, history) and the workbook is written. Printed per size: CPU seconds per stage, the audit's total
CPU (with the classifier's process, when it has one) and wall time, and its peak RSS: the most this
process and the classifier's held at once (sampled every 20 ms, the child's RSS every second), with each
process's own peak beside it (their sum is an upper bound); the workbook's CPU time, wall time, size and
the RSS it adds. At the end,
the growth exponent between sizes (the slope of log time, log memory against log pages: 1.0 is linear).

The site's none pages come out with a calibrated confidence of 0.33-0.61, under the shipped
``low_confidence`` of 0.7, so with the defaults no page is removed and the redirect-target search (the
audit's quadratic step before issue 14) never runs. The benchmark sets ``low_confidence = 0.3`` so that
they are removed, as on a site where the classifier is sure, and every removed page that something links
to gets a redirect target (``--defaults`` keeps the shipped value).

``--one N`` runs one size in this process (what the driver calls); ``--no-workbook`` skips writing it;
each size's figures are saved beside its crawl, and ``--report`` prints them again with the growth
exponents (for sizes measured in separate runs).
"""

import argparse
import hashlib
import json
import math
import os
import random
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from classify_scale import records as base_records  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_rss_mb() -> float:
    """RSS of this process's live child processes (the classifier's), from /proc."""
    me, total = str(os.getpid()), 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if fields[1] == me:
                total += int((stat.parent / "statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
        except (OSError, IndexError, ValueError):
            continue
    return total


class Peak:
    """Highest RSS seen while the block runs, every 20 ms; with ``children``, of this process and its
    children together (what the machine held at once), the children looked up every second."""

    def __init__(self, children: bool = False):
        self.children = children

    def __enter__(self):
        self.peak, self.running = rss_mb(), True
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()
        return self

    def _watch(self):
        beat, kids = 0, 0.0
        while self.running:
            if self.children and beat % 50 == 0:
                kids = children_rss_mb()
            beat += 1
            self.peak = max(self.peak, rss_mb() + kids)
            time.sleep(0.02)

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()


def write_crawl(folder: Path, n: int, defaults: bool = False) -> None:
    rng = random.Random(7)
    with open(folder / "pages.jsonl.partial", "w", encoding="utf-8") as fh:
        previous = None
        for i, record in enumerate(base_records(n)):
            if i % 20 == 19 and previous:
                record["main_text"] = previous  # an exact duplicate of the page before
            elif i % 50 == 49 and previous:
                record["main_text"] = previous + " and one more sentence at the end"
            previous = record["main_text"]
            year = 2012 + rng.randrange(14)
            record.update(status=200 if i % 100 else 404, content_type="text/html", depth=1 + i % 6,
                          found_via="start" if i == 0 else "link", in_sitemap=i % 3 == 0,
                          word_count=len(record["main_text"].split()), meta_robots=None, x_robots_tag=None,
                          canonical=None, redirect_chain=[], robots_blocked=False, error=None, language="en",
                          content_hash=hashlib.sha1(record["main_text"].encode()).hexdigest(),
                          dates={"meta_modified": f"{year}-0{1 + i % 9}-15"}, fetched_at="2026-11-01T10:00:00Z")
            if record["status"] != 200:
                record["main_text"], record["word_count"] = "", 0
            fh.write(json.dumps(record) + "\n")
    (folder / "pages.jsonl.partial").replace(folder / "pages.jsonl")
    write_config(folder, defaults)


def write_config(folder: Path, defaults: bool) -> None:
    tasks = [{"id": f"t{k}", "name": f"task {k}", "description": f"do thing {k}", "keywords": [f"w{k * 10}"],
              "examples": [f"http://h/s{k}/p{k}.html", f"http://h/s{k}/p{k + 50}.html"]} for k in range(8)]
    config = {"site": {"name": "synthetic", "start_urls": ["http://h/s0/p0.html"]}, "tasks": tasks,
              "history": {"database": str(folder / "history.sqlite")}}  # recorded, as a real audit is
    if not defaults:
        config["audit"] = {"low_confidence": 0.3}
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")


def crawl_folder(cache: Path, n: int, defaults: bool) -> Path:
    folder = cache / str(n)
    if not (folder / "pages.jsonl").exists():
        folder.mkdir(parents=True, exist_ok=True)
        cpu, wall = time.process_time(), time.time()
        write_crawl(folder, n, defaults)
        print(f"{n:>9,} pages: synthetic crawl written to {folder} in {time.process_time() - cpu:.1f} s CPU "
              f"({time.time() - wall:.1f} s wall; cached, not counted below)", flush=True)
    write_config(folder, defaults)
    return folder


def all_cpu() -> float:
    """CPU seconds of this process and of its finished children (the classifier's process)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(folder: Path, workbook: bool, parallel=None) -> dict:
    from audit.pipeline import audit_run, write_audit
    from audit.runs import run_config

    for name in ("history.sqlite", "audit.xlsx", "pages.csv"):
        (folder / name).unlink(missing_ok=True)
    config = run_config(folder)
    pages = sum(1 for _ in open(folder / "pages.jsonl", "rb"))
    cpu, wall = all_cpu(), time.time()
    with Peak(children=True) as at_once:
        audit = audit_run(folder, config, parallel=parallel)
    # with the classifier in a process of its own: its CPU counts, and the peak is what the two processes
    # held at once (sampled); the sum of their two peaks is an upper bound, printed beside it
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    out = {"pages": pages, "audit_cpu_s": round(all_cpu() - cpu, 1), "audit_wall_s": round(time.time() - wall, 1),
           "audit_peak_mb": round(max(at_once.peak, peak_mb())), "peaks_added_mb": round(peak_mb() + children),
           "main_process_peak_mb": round(peak_mb()), "classifier_process_peak_mb": round(children),
           "stages": {k: round(v, 1) for k, v in audit.timings.items()},
           "recommendations": audit.summary["recommendations"],
           "redirects": int((audit.pages["redirect_status"] == 301).sum())}
    (folder / "result-audit.json").write_text(json.dumps(out))  # the audit's figures, before the workbook's
    if workbook:
        before = rss_mb()
        cpu, wall = time.process_time(), time.time()
        with Peak() as peak:
            path = write_audit(folder, audit)
        out.update(write_cpu_s=round(time.process_time() - cpu, 1), write_wall_s=round(time.time() - wall, 1),
                   workbook_mb=round(path.stat().st_size / 2**20, 1), write_adds_mb=round(peak.peak - before),
                   csv_mb=round((folder / "pages.csv").stat().st_size / 2**20, 1) if (folder / "pages.csv").exists() else None)
    return out


def slope(a: float, b: float, n_a: int, n_b: int) -> float:
    return math.log(b / a) / math.log(n_b / n_a) if a > 0 and b > 0 else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--cache", default="/tmp/longneck-audit-scale", help="where the synthetic crawls are kept")
    parser.add_argument("--one", action="store_true", help="measure one size in this process")
    parser.add_argument("--no-workbook", action="store_true", help="audit only")
    parser.add_argument("--defaults", action="store_true", help="the shipped low_confidence (no page is removed)")
    parser.add_argument("--drop-cache", action="store_true", help="delete each crawl after measuring it")
    parser.add_argument("--parallel", choices=["auto", "yes", "no"], default="auto",
                        help="classify in a second process (auto: as the audit decides, from the crawl's size)")
    parser.add_argument("--report", action="store_true",
                        help="print the figures each size's last run saved (sizes measured in separate runs)")
    args = parser.parse_args()
    cache = Path(args.cache)
    if args.one:
        parallel = {"auto": None, "yes": True, "no": False}[args.parallel]
        print(json.dumps(measure(crawl_folder(cache, args.sizes[0], args.defaults), not args.no_workbook, parallel)))
        return
    results = []
    for n in args.sizes:
        if args.report:  # the figures the last run of each size saved
            r = json.loads((cache / str(n) / "result.json").read_text())
        else:
            folder = crawl_folder(cache, n, args.defaults)
            command = [sys.executable, __file__, "--one", str(n), "--cache", str(cache)]
            command += ["--no-workbook"] * args.no_workbook + ["--defaults"] * args.defaults + ["--parallel", args.parallel]
            out = subprocess.run(command, capture_output=True, text=True)
            if out.returncode:
                print(out.stderr[-3000:], file=sys.stderr)
                raise SystemExit(f"{n} pages: failed")
            r = json.loads(out.stdout.strip().splitlines()[-1])
            (folder / "result.json").write_text(json.dumps(r))
        results.append(r)
        added = (f" (the two processes' peaks: {r['main_process_peak_mb']:,} + {r['classifier_process_peak_mb']:,} MB)"
                 if r.get("classifier_process_peak_mb") else "")
        print(f"{r['pages']:>9,} pages: audit {r['audit_cpu_s']:>6} s CPU ({r['audit_wall_s']} s wall), peak RSS "
              f"{r['audit_peak_mb']:,} MB at once{added}; {r['redirects']:,} redirects; {r['recommendations']}")
        for name, seconds in r["stages"].items():
            unit = "MB" if name.endswith("MB") else "s"
            print(f"{'':>16}{name:<55} {seconds:>7.1f} {unit}")
        if "write_cpu_s" in r:
            csv = f", pages.csv {r['csv_mb']} MB" if r.get("csv_mb") else ""
            print(f"{'':>16}workbook: {r['write_cpu_s']} s CPU ({r['write_wall_s']} s wall), {r['workbook_mb']} MB{csv}; "
                  f"the writer adds {r['write_adds_mb']} MB", flush=True)
        if args.drop_cache and not args.report:
            shutil.rmtree(folder, ignore_errors=True)
    for a, b in zip(results, results[1:]):
        print(f"growth {a['pages']:,} -> {b['pages']:,} pages: audit CPU x^{slope(a['audit_cpu_s'], b['audit_cpu_s'], a['pages'], b['pages']):.2f}, "
              f"peak RSS x^{slope(a['audit_peak_mb'], b['audit_peak_mb'], a['pages'], b['pages']):.2f}"
              + (f", workbook CPU x^{slope(a['write_cpu_s'], b['write_cpu_s'], a['pages'], b['pages']):.2f}"
                 if "write_cpu_s" in a and "write_cpu_s" in b else ""))
    print("targets: 1,000,000 pages audited in under 15 min (900 s) and 8 GB; growth exponents near 1.0 (linear)")


if __name__ == "__main__":
    main()
