"""Audit and workbook speed and memory at scale, on a synthetic site (the target: 100,000 pages written
in under 60 s with flat memory).

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/audit_scale.py 10000 100000

For each size, in a fresh process: writes a synthetic crawl (the classify_scale site, plus the fields the
audit reads: statuses, dates, a duplicate every 20 pages, a near-duplicate every 50), runs the whole
audit (classify, signals, MinHash/LSH, rules) and writes the workbook. Prints CPU seconds per stage and
the memory the workbook writer adds on top of the audit's tables (sampled every 20 ms), so sizes compare
within one run: a flat writer adds about the same at 10,000 and at 100,000 pages.
"""

import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from classify_scale import records as base_records  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class Peak:
    """Highest RSS seen while the block runs."""

    def __enter__(self):
        self.peak, self.running = rss_mb(), True
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()
        return self

    def _watch(self):
        while self.running:
            self.peak = max(self.peak, rss_mb())
            time.sleep(0.02)

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()


def write_crawl(folder: Path, n: int) -> None:
    rng = random.Random(7)
    with open(folder / "pages.jsonl", "w", encoding="utf-8") as fh:
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
    tasks = [{"id": f"t{k}", "name": f"task {k}", "description": f"do thing {k}", "keywords": [f"w{k * 10}"],
              "examples": [f"http://h/s{k}/p{k}.html", f"http://h/s{k}/p{k + 50}.html"]} for k in range(8)]
    config = {"site": {"name": "synthetic", "start_urls": ["http://h/s0/p0.html"]}, "tasks": tasks,
              "history": {"database": str(folder / "history.sqlite")}}  # recorded, as a real audit is
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")


def measure(n: int) -> dict:
    from audit.pipeline import audit_run, write_audit
    from audit.runs import run_config

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_crawl(folder, n)
        config = run_config(folder)
        cpu = time.process_time()
        audit = audit_run(folder, config)
        audit_cpu = time.process_time() - cpu
        before = rss_mb()
        cpu, wall = time.process_time(), time.time()
        with Peak() as peak:
            path = write_audit(folder, audit)
        return {"pages": n, "audit_cpu_s": round(audit_cpu, 1), "write_cpu_s": round(time.process_time() - cpu, 1),
                "write_wall_s": round(time.time() - wall, 1), "rss_before_write_mb": round(before),
                "write_adds_mb": round(peak.peak - before), "workbook_mb": round(path.stat().st_size / 2**20, 1),
                "recommendations": audit.summary["recommendations"]}


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        print(json.dumps(measure(int(sys.argv[2]))))
        return
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000]
    for n in sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['pages']:>7} pages: audit {r['audit_cpu_s']:>5} s CPU; workbook {r['write_cpu_s']:>5} s CPU "
              f"({r['write_wall_s']} s wall, {r['workbook_mb']} MB); RSS before writing {r['rss_before_write_mb']} MB, "
              f"writer adds {r['write_adds_mb']} MB")
    print("target: 100,000 pages written in under 60 s, the writer's memory flat (about the same at every size)")


if __name__ == "__main__":
    main()
