"""Variants of the combiner's features measured and not shipped (docs/classifier.md, History), runnable again.

    .venv/bin/python benchmarks/combiner_variants.py --keep /tmp/corpus VARIANT [VARIANT ...] [--l2 X] [--pick]

Each variant adds features to the first stage (``audit.combine.task_features`` / ``none_features``,
patched for this process only) and is scored as ``classify_accuracy.py --fast`` scores the shipped
ones: leave one family out, macro-F1 with the examples only and with the random labels the combiner is
fitted with; it prints each site, then the median, the worst and the mean. ``base`` is the shipped
feature set. ``--pick`` then chooses, per site, among the variants listed (the first listed wins exact ties):
the one whose answers *without* the labels got the most labels right (then the highest likelihood of
them), and prints the after-labels figures of the variants chosen. Variants:

    base       the shipped features
    words      the owner's words as such: each task's similarity and whether it is the page's closest
    words_top  only whether the task's words are the page's closest
    trusted    words_top times the words view's accuracy on the site's own seed pages
    inter      7 task and 12 none features times the site's structure (shares of pages the folders
               and the lists place; the graph's trust)
    pairs      products of pairs of six task features (text, nearest, words, graph, folder, hub)
    hub_text   the hub vote times how far the list's other pages' text agrees with it
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import audit.combine as C  # noqa: E402
from benchmarks.classify_accuracy import MIN_SCORED, Loaded, evaluate_fast, fit_without, prepare  # noqa: E402
from benchmarks.corpus import load_all  # noqa: E402

SHIPPED = (C.task_features, C.none_features, list(C.TASK_FEATURES), list(C.NONE_FEATURES))


def _structure(ev) -> list:
    """The site's shape: the share of pages its folders place, its lists place, and the graph's trust."""
    folder = ev.folder.max(axis=1) if ev.folder.size else np.zeros(len(ev.text))
    hub = ev.hub.max(axis=1) if ev.hub.size else np.zeros(len(ev.text))
    return [float(np.mean(folder > 0.3)), float(np.mean(hub > 0.3)), ev.graph_trust]


def _seed_accuracy(view: np.ndarray, seeds: np.ndarray) -> float:
    rows = np.flatnonzero((seeds >= 0) & (seeds < view.shape[1]))
    return float(np.mean(view[rows].argmax(axis=1) == seeds[rows])) if len(rows) else 0.0


def _mates_text(ev) -> np.ndarray:
    M = ev.siblings.get("list")
    return np.zeros_like(ev.text) if M is None else np.asarray(M @ ev.text) * ev.text.shape[1]


# variant -> (extra task features of (ev, rows), their names, extra none features of ev, their names)
VARIANTS = {
    "base": (None, [], None, []),
    "words": (lambda ev, r: [ev.words[r], C._top(ev.words)[r]], ["words_abs", "words_top"], None, []),
    "words_top": (lambda ev, r: [C._top(ev.words)[r]], ["words_top"], None, []),
    "trusted": (lambda ev, r: [C._top(ev.words)[r] * _seed_accuracy(ev.words, ev.seeds)], ["words_top_trusted"],
                None, []),
    "inter": (lambda ev, r: [f for x in _structure(ev) for f in np.moveaxis(SHIPPED[0](ev, r)[:, :, :7] * x, 2, 0)],
              [f"{f}*{s}" for s in ("folders", "lists", "trust") for f in SHIPPED[2][:7]],
              lambda ev: [f for x in _structure(ev) for f in (SHIPPED[1](ev)[:, 1:13] * x).T],
              [f"{f}*{s}" for s in ("folders", "lists", "trust") for f in SHIPPED[3][1:13]]),
    "pairs": (lambda ev, r: [SHIPPED[0](ev, r)[:, :, a] * SHIPPED[0](ev, r)[:, :, b]
                             for k, a in enumerate((0, 3, 6, 7, 10, 11)) for b in (0, 3, 6, 7, 10, 11)[k + 1:]],
              [f"pair{k}" for k in range(15)], None, []),
    "hub_text": (lambda ev, r: [ev.hub[r] * np.minimum(_mates_text(ev)[r], 2)], ["hub_text"], None, []),
}


def use(variant: str) -> None:
    """Patch audit.combine's features to ``variant``'s (this process only)."""
    task_extra, task_names, none_extra, none_names = VARIANTS[variant]

    def task_features(ev, rows=slice(None)):
        base = SHIPPED[0](ev, rows)
        return base if task_extra is None else np.concatenate([base] + [f[:, :, None] for f in task_extra(ev, rows)],
                                                              axis=2)

    def none_features(ev):
        base = SHIPPED[1](ev)
        return base if none_extra is None else np.column_stack([base] + none_extra(ev))

    C.task_features, C.none_features = task_features, none_features
    C.TASK_FEATURES[:] = SHIPPED[2] + task_names
    C.NONE_FEATURES[:] = SHIPPED[3] + none_names


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(add_help=False)  # --help prints the docstring (below)
    parser.add_argument("variants", nargs="*", default=["base"])
    parser.add_argument("--keep", type=Path)
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--pick", action="store_true")
    args = parser.parse_args()
    keep, l2, variants = args.keep, args.l2, args.variants
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        sys.exit(f"unknown variant(s): {', '.join(unknown)}; known: {', '.join(VARIANTS)}")
    corpus = load_all()
    with tempfile.TemporaryDirectory() as tmp:
        sites = []
        for name, site in corpus.items():
            if site.available():
                run, truth = prepare(site, (keep or Path(tmp)) / name)
                sites.append(Loaded(name, run, truth, site.family))
        picks: dict = {}  # site -> [(labels right, their mean log-likelihood, after-labels F1, variant)]
        for variant in variants:
            use(variant)
            results = {}
            for family in sorted({s.family for s in sites}):
                combiner = fit_without(sites, {family}, l2=l2)
                for site in (s for s in sites if s.family == family):
                    results[site.name] = evaluate_fast(site, combiner)
                    picks.setdefault(site.name, []).append((*_labels_foretold(site, combiner),
                                                            results[site.name][1]["f1"], variant))
            counted = {n: (z["f1"], o["f1"]) for n, (z, o) in results.items() if z["pages"] >= MIN_SCORED}
            zeros, ones = np.array(list(counted.values())).T
            print(" ".join(f"{n}={z:.3f}/{o:.3f}" for n, (z, o) in counted.items()))
            print(f"{variant} (l2 {l2}): median {np.median(zeros):.3f} / {np.median(ones):.3f}  worst "
                  f"{zeros.min():.3f} ({min(counted, key=lambda n: counted[n][0])}) / {ones.min():.3f}  "
                  f"mean {zeros.mean():.3f} / {ones.mean():.3f}  (no labels / random labels)", flush=True)

        if args.pick:
            counted = [n for n in picks if results[n][0]["pages"] >= MIN_SCORED]
            chosen = {n: max(picks[n], key=lambda p: (p[0], p[1])) for n in counted}
            for n in counted:
                print(f"{n:<18} " + "  ".join(f"{v}: {right:.2f} right, after {f1:.3f}" for right, _, f1, v in picks[n])
                      + f"  -> {chosen[n][3]}")
            first = np.array([picks[n][0][2] for n in counted])
            got = np.array([chosen[n][2] for n in counted])
            print(f"after random labels: {variants[0]} median {np.median(first):.3f} mean {first.mean():.3f} worst "
                  f"{first.min():.3f}; chosen per site median {np.median(got):.3f} mean {got.mean():.3f} worst {got.min():.3f}")


def _labels_foretold(site, combiner) -> tuple:
    """How well the combiner's answers without the labels foretold them: (share right, mean log-likelihood)."""
    ev, _, _ = site.evidence({})
    p = combiner.predict(ev)
    index = {u: i for i, u in enumerate(site.pages.urls)}
    labels = {index[u]: site.classes.index(t) for u, t in site.random_labels().items() if u in index}
    rows, y = np.array(list(labels), dtype=int), np.array(list(labels.values()), dtype=int)
    return float(np.mean(p[rows].argmax(axis=1) == y)), float(np.mean(np.log(p[rows, y] + 1e-9)))


if __name__ == "__main__":
    if {"-h", "--help"} & set(sys.argv[1:]):  # the docstring is the usage
        print(__doc__)
        sys.exit(0)
    main()
