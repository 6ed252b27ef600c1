"""Variants of the label queue measured and not shipped (docs/classifier.md, History), runnable again.

    .venv/bin/python benchmarks/queue_variants.py --keep /tmp/corpus VARIANT [VARIANT ...] [--only SITE,SITE]

Each site is scored as ``classify_accuracy.py --quick`` scores it: leave one family out, classified
with the examples only, then again after 25 labels taken from the top of the variant's label queue
(answered from the truth), scoring the pages not labelled. The no-labels column is the same for every
variant; the after-labels columns differ only by the queue. It prints each site, then per variant the
median, the mean, the worst and how many sites the labels lowered. Variants:

    base     the shipped queue (``audit.classify.label_queue``): doubtful pages, classes in turns
    cover    every second place goes to the most central page of a text cluster that holds no seed
             (k-means on the TF-IDF rows, k = twice the classes; the largest clusters first): asks
             about groups of pages the classifier may be wrong about with confidence
    cover3   the same, every third place
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from audit.classify import label_queue  # noqa: E402
from benchmarks.classify_accuracy import LABELS, MIN_SCORED, Loaded, fit_without, prepare, score  # noqa: E402
from benchmarks.corpus import load_all  # noqa: E402


def _cover(result, pages, size: int, every: int) -> list:
    """The shipped queue's URLs with every ``every``-th place given to an unseeded text cluster's centre."""
    from sklearn.cluster import KMeans

    queue = list(label_queue(result, pages, size)["url"])
    X = result.features
    k = min(2 * len(result.classes), X.shape[0])
    model = KMeans(n_clusters=k, n_init=1, random_state=0).fit(X)
    cluster = model.labels_
    centrality = np.asarray(X @ model.cluster_centers_.T)[np.arange(X.shape[0]), cluster]
    seeded = set(cluster[result.table["seed"].to_numpy()])
    sizes = np.bincount(cluster, minlength=k)
    centres = [pages.urls[members[np.argmax(centrality[members])]]
               for c in np.argsort(-sizes, kind="stable") if c not in seeded and sizes[c] >= 3
               for members in [np.flatnonzero(cluster == c)]]
    centres = [u for u in centres if u not in queue[:size]]
    out: list = []
    while (queue or centres) and len(out) < size:
        take_centre = centres and (len(out) % every == every - 1 or not queue)
        url = centres.pop(0) if take_centre else queue.pop(0)
        if url not in out:
            out.append(url)
    return out


VARIANTS = {
    "base": lambda result, pages, size: list(label_queue(result, pages, size)["url"]),
    "cover": lambda result, pages, size: _cover(result, pages, size, 2),
    "cover3": lambda result, pages, size: _cover(result, pages, size, 3),
}


def main() -> None:
    parser = argparse.ArgumentParser(add_help=False)  # --help prints the docstring (below)
    parser.add_argument("variants", nargs="*", default=["base"])
    parser.add_argument("--keep", type=Path)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    unknown = [v for v in args.variants if v not in VARIANTS]
    if unknown:
        sys.exit(f"unknown variant(s): {', '.join(unknown)}; known: {', '.join(VARIANTS)}")
    only = set(filter(None, args.only.split(",")))
    corpus = load_all()
    with tempfile.TemporaryDirectory() as tmp:
        sites = []
        for name, site in corpus.items():
            if site.available():
                run, truth = prepare(site, (args.keep or Path(tmp)) / name)
                sites.append(Loaded(name, run, truth, site.family))
        results: dict = {v: {} for v in args.variants}
        for family in sorted({s.family for s in sites}):
            scored = [s for s in sites if s.family == family and (not only or s.name in only)]
            if not scored:
                continue
            combiner = fit_without(sites, {family})
            for site in scored:
                classifier = site.classifier(combiner)
                zero = classifier.fit_predict(site.pages, {})
                before = score(site, zero, site.examples)
                count = min(LABELS, len(set(site.truth) & set(site.pages.urls) - site.examples) // 3)
                line = f"{site.name:<18} {before['pages']:>5}  no labels {before['f1']:.3f} |"
                for variant in args.variants:
                    urls = VARIANTS[variant](zero, site.pages, 200)
                    chosen = dict(list({u: site.truth[u] for u in urls if u in site.truth}.items())[:count])
                    after = score(site, classifier.fit_predict(site.pages, chosen), site.examples | set(chosen))
                    results[variant][site.name] = (before, after)
                    line += f"  {variant} {after['f1']:.3f}"
                print(line, flush=True)
    for variant in args.variants:
        counted = {n: (z["f1"], o["f1"]) for n, (z, o) in results[variant].items() if z["pages"] >= MIN_SCORED}
        if not counted:
            continue
        ones = np.array([o for _, o in counted.values()])
        lowered = sum(1 for z, o in counted.values() if o < z - 1e-9)
        print(f"{variant}: after {LABELS} labels median {np.median(ones):.3f}  mean {ones.mean():.3f}  worst "
              f"{ones.min():.3f} ({min(counted, key=lambda n: counted[n][1])})  labels lowered {lowered} site(s)")


if __name__ == "__main__":
    if {"-h", "--help"} & set(sys.argv[1:]):
        print(__doc__)
        sys.exit(0)
    main()
