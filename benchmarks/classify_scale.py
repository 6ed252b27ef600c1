"""Classifier speed and memory at scale, on a synthetic site (the target: 100,000 pages in under 60 s
on one core, under 2 GB).

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/classify_scale.py 100000

The site: 50 sections, 300 words a page (half from the section's own vocabulary), 7 body links a page
(under two headings, in two lists), 10 navigation links, a two-level breadcrumb, 8 tasks with two
examples each. Prints CPU
seconds for reading the pages and for classifying, wall time and peak RSS.
"""

import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from audit.classify import TaskClassifier, build_pages  # noqa: E402


def records(n: int, seed: int = 1):
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(20000)]
    for i in range(n):
        s = i % 50
        own = vocab[s * 300:(s + 1) * 300]
        yield {"url": f"http://h/s{s}/p{i}.html", "final_url": f"http://h/s{s}/p{i}.html", "status": 200,
               "title": f"Page {i}",
               "headings": [{"level": 1, "text": f"Page {i}"}, {"level": 2, "text": "Related"}, {"level": 2, "text": "More"}],
               "main_text": " ".join(rng.choice(own if rng.random() < .5 else vocab) for _ in range(300)),
               "breadcrumbs": [{"text": "Home"}, {"text": f"S{s}"}],
               "outlinks": [{"url": f"http://h/s{s}/p{(i + 50 * j) % n}.html", "internal": True, "region": "body",
                             "section": 1 + j % 2, "lists": [0, 1 + j % 2]} for j in range(1, 8)]
                           + [{"url": f"http://h/s{j}/index.html", "internal": True, "region": "nav"} for j in range(10)]}


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    tasks = [{"id": f"t{k}", "name": f"task {k}", "description": f"do thing {k}", "keywords": [f"w{k * 10}"],
              "examples": [f"http://h/s{k}/p{k}.html", f"http://h/s{k}/p{k + 50}.html"]} for k in range(8)]
    wall, cpu = time.time(), time.process_time()
    pages = build_pages(records(n))
    read = time.process_time() - cpu
    cpu = time.process_time()
    result = TaskClassifier(tasks).fit_predict(pages)
    classify = time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{n} pages: generate+read {read:.1f} s CPU, classify {classify:.1f} s CPU, wall {time.time() - wall:.1f} s, "
          f"peak RSS {peak:.0f} MB (target: 100,000 pages < 60 s, < 2 GB)")
    print("pages per task:", result.table["task"].value_counts().to_dict())


if __name__ == "__main__":
    if {"-h", "--help"} & set(sys.argv[1:]):  # the docstring is the usage
        print(__doc__)
        sys.exit(0)
    main()
