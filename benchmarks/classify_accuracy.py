"""Classifier accuracy on a corpus of sites it is never tuned on: leave one site out, always.

    apt-get install apache2-doc debian-handbook git-doc postgresql-doc-15 python3-doc gimp-help-ro \\
        gimp-help-ru gimp-help-el gimp-help-ja debian-faq-zh-cn libreoffice-help-zh-cn   # once, as root
    .venv/bin/python benchmarks/classify_accuracy.py [SITE ...] [--keep DIR] [--fit] [--show SITE]
        [--quick | --fast] [--only SITE,SITE] [--threshold X] [--one-stage] [--stop-words english|site]

The corpus (``benchmarks/corpus``) holds documentation sets from Debian's packages, the same sites
served with opaque URLs, and generated service sites (a municipality with a mega-menu, a flat agency
site, a CMS with ``/node/N`` URLs, one in another language, the bundled demo). Each site's ground
truth comes from its own organisation: its table of contents, its sections, the generator's services.

For every site: crawl it with ``longneck crawl`` (kept in ``--keep DIR`` to re-use), then

1. fit the combiner (``audit/combine.py``) on the sites of every *other* family (a site's opaque twin,
   its translations and its generator siblings are held out with it), and its calibration on
   predictions for families that fit did not see either (nested);
2. classify the site with the tasks' example pages as the only seeds and score every other page of
   the truth: macro-F1 over the tasks and ``none``, ``none`` precision and recall, the lowest recall
   of any class, the calibration error (ECE) of the confidence, and the task pages at risk: truly a
   task's, called none with a confidence the audit would act on ([audit] low_confidence);
3. take 25 labels from the top of the label queue (answered from the truth), classify again and
   score the pages not labelled.

It ends with the worst site and the median. ``--fit`` then fits the combiner on all sites and writes
``audit/combiner.json`` (what ``longneck`` ships). ``--show SITE`` prints the site's per-class figures
and confusion table. ``SITE ...`` limits the corpus (the fit too); ``--only`` scores only the sites
named but fits on all; ``--quick`` skips the calibration (the answers do not change);
``--fast`` (for trying a change to the views or the combiner: about a minute for the whole corpus
once it is crawled, against 10 to 20) scores the combiner's answers on the views alone, without a
classification run or the label queue: with the examples, then with the random labels the combiner is
fitted with, and no calibration (so no ECE or pages at risk); the no-labels column is ``--quick``'s;
``--threshold`` overrides ``[classifier] threshold``; ``--one-stage`` drops the second stage;
``--stop-words site`` removes the stop words of each site's languages too (default ``english``: English only,
as longneck does; ``pip install stop-words stopwordsiso`` for ``site``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audit.classify import NONE, TaskClassifier, build_pages, label_queue  # noqa: E402
from audit.combine import NONE_FEATURES, TASK_FEATURES, Combiner  # noqa: E402
from audit.config import AUDIT, CLASSIFIER  # noqa: E402
from audit.runs import iter_pages, run_config  # noqa: E402
from audit.demo.server import SiteServer  # noqa: E402
from benchmarks.corpus import load_all  # noqa: E402
from benchmarks.corpus.opaque import OpaqueServer  # noqa: E402

LABELS = 25        # labels answered from the label queue
SECOND = "--one-stage" not in sys.argv
BLANK = Combiner(np.zeros(len(TASK_FEATURES)), np.zeros(len(NONE_FEATURES)))
# [classifier] threshold: the shipped default, whatever the crawl's config said when it was made
THRESHOLD = float(sys.argv[sys.argv.index("--threshold") + 1]) if "--threshold" in sys.argv else \
    CLASSIFIER["threshold"].default
# --stop-words site: the stop words of the site's languages too (TaskClassifier(stop_words=...)); default: English
STOP_WORDS = sys.argv[sys.argv.index("--stop-words") + 1] if "--stop-words" in sys.argv else "english"
MIN_SCORED = 50    # a site with fewer pages to score is shown but not counted in the worst and the median
TARGETS = {"worst": 0.85, "worst_labels": 0.92, "median": 0.92, "recall": 0.6, "ece": 0.05}


def crawl(base: str, start: str, include: str, out: Path, tasks: list) -> Path:
    cfg = out / "bench.toml"
    lines = ["[site]", "name = 'bench'", f"start_urls = [{json.dumps(start)}]", f"include = [{json.dumps(include)}]",
             "autothrottle = false", "concurrency = 8", "max_urls_per_pattern = 100000"]
    for t in tasks:
        lines += ["[[tasks]]", f"id = {json.dumps(t['id'])}", f"name = {json.dumps(t['name'], ensure_ascii=False)}",
                  f"description = {json.dumps(t['description'], ensure_ascii=False)}",
                  f"keywords = {json.dumps(t['keywords'], ensure_ascii=False)}",
                  f"examples = {json.dumps(t['examples'])}"]
    cfg.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = out / "run"
    subprocess.run([sys.executable, "-m", "audit.cli", "crawl", str(cfg), "--out", str(run), "-q"], check=True,
                   cwd=ROOT, stdout=subprocess.DEVNULL)
    return run


def prepare(site, folder: Path) -> tuple[Path, dict]:
    """The site's crawl and truth, crawled once into ``folder``."""
    run, truth_file = folder / "run", folder / "truth.json"
    if (run / "crawl.json").exists() and truth_file.exists():
        return run, json.loads(truth_file.read_text(encoding="utf-8"))
    folder.mkdir(parents=True, exist_ok=True)
    root = site.root(folder / "site")
    server = OpaqueServer(root, within=site.numbered) if site.opaque else SiteServer(root)
    with server:
        base = server.url
        truth, tasks = site.truth_and_tasks(base, root)
        start = f"{base}{site.start}"
        if site.opaque:  # the same site behind /node/N.html: truth and examples follow their pages
            truth = {server.translate(u): t for u, t in truth.items() if server.translate(u)}
            tasks = [{**t, "examples": [server.translate(u) for u in t["examples"]]} for t in tasks]
            start = server.translate(start)
            server.start_node = start[len(base):]
        if run.exists():
            import shutil

            shutil.rmtree(run)
        crawl(base, start, site.include, folder, tasks)
    truth_file.write_text(json.dumps(truth, ensure_ascii=False, indent=0), encoding="utf-8")
    return run, truth


class Loaded:
    """One site's pages, truth and tasks, and its evidence per set of labels (computed once)."""

    def __init__(self, name, run, truth, family=None):
        self.name, self.run, self.truth, self.family = name, run, truth, family or name
        self.config = run_config(run)
        self.tasks = self.config.tasks
        self.pages = build_pages(iter_pages(run))
        self.classes = [t["id"] for t in self.tasks] + [NONE]
        self.examples = {u for t in self.tasks for u in t["examples"]}
        self._evidence = {}

    def classifier(self, combiner):
        return TaskClassifier(self.tasks, threshold=THRESHOLD, combiner=combiner, stop_words=STOP_WORDS)

    def evidence(self, labels: dict):
        """(evidence, true class per page, scored mask) with ``labels`` as seeds."""
        key = tuple(sorted(labels.items()))
        if key not in self._evidence:
            classifier = self.classifier(BLANK)  # the views do not depend on the combiner
            seeds, _ = classifier._seeds(self.pages, labels, self.classes)
            ev, _ = classifier.views(self.pages, seeds)
            y = np.array([self.classes.index(self.truth[u]) if u in self.truth else -1 for u in self.pages.urls])
            scored = (y >= 0) & ~np.isin(np.arange(len(y)), list(seeds))
            self._evidence[key] = (ev, y, scored)
        return self._evidence[key]

    def random_labels(self, count: int = LABELS) -> dict:
        """A fixed sample of the truth, as labels, for the combiner's training rows with labels."""
        rng = np.random.default_rng(len(self.name) * 7919 + sum(map(ord, self.name)))
        pool = sorted(set(self.truth) & set(self.pages.urls) - self.examples)
        return {u: self.truth[u] for u in rng.choice(pool, size=min(count, len(pool) // 3), replace=False)}

    def rows(self):
        """Training rows for the combiner: with the examples only, and with a sample of labels."""
        return [(self.family, *self.evidence(labels)) for labels in ({}, self.random_labels())]


def fit_without(sites: list, held_out: set, second: bool = True, l2: float = 1.0) -> Combiner:
    """The combiner fitted on the sites whose family is not in ``held_out``."""
    rows = [r for s in sites if s.family not in held_out for r in s.rows()]
    return Combiner.fit(rows, second=second and SECOND, l2=l2)


def platt(pairs) -> tuple:
    from sklearn.linear_model import LogisticRegression

    raw = np.clip(np.array([p for p, _ in pairs]), 1e-4, 1 - 1e-4)
    right = np.array([ok for _, ok in pairs])
    if right.all() or not right.any():
        return (1.0, 0.0)
    model = LogisticRegression(C=1e4).fit(np.log(raw / (1 - raw)).reshape(-1, 1), right)
    return float(model.coef_[0][0]), float(model.intercept_[0])


def answers(combiner: Combiner, site: Loaded, labels: dict) -> list:
    """(probability of the answer, right) for the scored pages of ``site``."""
    ev, y, scored = site.evidence(labels)
    p = combiner.predict(ev)[scored]
    best = p.argmax(axis=1)
    return list(zip(p[np.arange(len(best)), best], best == y[scored]))


def unseen_answers(sites: list, held_out: set) -> list:
    """(probability, right) for every site outside ``held_out``, each from weights fitted without its
    family (and without ``held_out``): what the calibration is fitted on."""
    pairs = []
    for family in sorted({s.family for s in sites} - held_out):
        inner = fit_without(sites, held_out | {family})
        for other in sites:
            if other.family == family:
                pairs += answers(inner, other, {}) + answers(inner, other, other.random_labels())
    return pairs


def fit_fold(sites: list, held_out: str, calibrate: bool = True) -> Combiner:
    """The combiner for a site of family ``held_out``: weights fitted on the other families' sites,
    calibration on predictions for each other family by weights fitted without it as well."""
    combiner = fit_without(sites, {held_out})
    if calibrate:
        combiner.calibration = platt(unseen_answers(sites, {held_out}))
    return combiner


def ece(conf, right) -> float:
    conf, right = np.asarray(conf, dtype=float), np.asarray(right, dtype=float)
    bands = np.digitize(conf, [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
    return float(sum((bands == b).mean() * abs(right[bands == b].mean() - conf[bands == b].mean())
                     for b in np.unique(bands)))


def score(site: Loaded, result, skip: set) -> dict:
    from sklearn.metrics import f1_score, precision_recall_fscore_support

    rows = [(site.truth[u], t, c) for u, t, c in zip(result.table["url"], result.table["task"],
                                                     result.table["confidence"])
            if u in site.truth and u not in skip]
    y_true, y_pred = [a for a, _, _ in rows], [b for _, b, _ in rows]
    present = sorted(set(y_true), key=lambda c: (c == NONE, c))
    labels = sorted(set(y_true) | set(y_pred), key=lambda c: (c == NONE, c))
    p, r, _, support = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    per = {c: (p[k], r[k], support[k]) for k, c in enumerate(labels)}
    sure = AUDIT["low_confidence"].default  # a none page at least this sure may be removed by the audit
    at_risk = sum(1 for a, b, c in rows if a != NONE and b == NONE and c >= sure)
    return {"f1": f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0), "at_risk": at_risk,
            "accuracy": float(np.mean([a == b for a, b in zip(y_true, y_pred)])), "pages": len(rows),
            "none_p": per.get(NONE, (np.nan,))[0], "none_r": per.get(NONE, (0, np.nan))[1],
            "min_recall": min(per[c][1] for c in present), "weakest": min(present, key=lambda c: per[c][1]),
            "ece": ece([c for _, _, c in rows], [a == b for a, b, _ in rows]), "per": per,
            "pairs": list(zip(y_true, y_pred))}


def evaluate(site: Loaded, combiner: Combiner) -> tuple[dict, dict]:
    classifier = site.classifier(combiner)
    zero = classifier.fit_predict(site.pages, {})
    queue = label_queue(zero, site.pages, 200)
    # 25 labels, or a third of the pages left to score on a small site
    count = min(LABELS, len(set(site.truth) & set(site.pages.urls) - site.examples) // 3)
    chosen = dict(list({u: site.truth[u] for u in queue["url"] if u in site.truth}.items())[:count])
    one = classifier.fit_predict(site.pages, chosen)
    return score(site, zero, site.examples), score(site, one, site.examples | set(chosen))


def evaluate_fast(site: Loaded, combiner: Combiner) -> tuple[dict, dict]:
    """``--fast``: the views and the combiner alone, no classification run: with the examples, then with
    the random labels the combiner is fitted with (not the label queue's), scored as :func:`evaluate` does."""
    from types import SimpleNamespace

    import pandas as pd

    figures = []
    for labels in ({}, site.random_labels()):
        ev, _, _ = site.evidence(labels)
        p = combiner.predict(ev)
        table = pd.DataFrame({"url": site.pages.urls, "task": [site.classes[k] for k in p.argmax(axis=1)],
                              "confidence": p.max(axis=1)})
        figures.append(score(site, SimpleNamespace(table=table), site.examples | set(labels)))
    return figures[0], figures[1]


def show(name: str, figures: dict) -> None:
    from sklearn.metrics import confusion_matrix
    import pandas as pd

    print(f"\n== {name}: per class (no labels)")
    for c, (p, r, s) in figures["per"].items():
        print(f"  {c:<24} precision {p:.2f}  recall {r:.2f}  pages {s}")
    labels = list(figures["per"])
    y_true, y_pred = zip(*figures["pairs"])
    print(pd.DataFrame(confusion_matrix(y_true, y_pred, labels=labels), index=labels, columns=labels).to_string())


def main():
    args = sys.argv[1:]
    keep = Path(args[args.index("--keep") + 1]) if "--keep" in args else None
    shown = args[args.index("--show") + 1] if "--show" in args else None
    scored = [a for a in args[args.index("--only") + 1].split(",")] if "--only" in args else None
    corpus = load_all()
    values = {k + 1 for k, a in enumerate(args[:-1]) if a in ("--keep", "--show", "--only", "--threshold", "--stop-words")}
    chosen = [a for k, a in enumerate(args) if a in corpus and k not in values] or list(corpus)
    with tempfile.TemporaryDirectory() as tmp:
        sites = []
        for name in chosen:
            site = corpus[name]
            if not site.available():
                print(f"{name}: {site.package} is not installed (apt-get install {site.package}); skipped")
                continue
            started = time.perf_counter()
            run, truth = prepare(site, (keep or Path(tmp)) / name)
            loaded = Loaded(name, run, truth, site.family)
            sites.append(loaded)
            print(f"{name}: {len(loaded.pages.urls)} pages, {len(truth)} in the truth, "
                  f"{len(loaded.tasks)} tasks ({time.perf_counter() - started:.0f} s)", flush=True)
        families = len({s.family for s in sites})
        fast = "--fast" in args
        print(f"\nleave one site out: each site scored with a combiner fitted on the other {families - 1} families "
              f"of sites (a site's opaque twin, translations and generator siblings are held out with it)"
              + ("; --fast: +25 labels are random ones, not the queue's; no calibration, so no ECE or pages at risk"
                 if fast else "") + "\n")
        head = (f"{'site':<18} {'pages':>5}  {'macro-F1':>8} {'+25 labels':>10}  {'none P':>6} {'none R':>6}  "
                f"{'min recall (class)':<30} {'ECE':>5} {'at risk':>7}")
        print(head)
        results, combiners = {}, {}
        for site in sites:
            if scored and site.name not in scored:
                continue
            if site.family not in combiners:
                combiners[site.family] = fit_fold(sites, site.family, calibrate=not ({"--quick", "--fast"} & set(args)))
            combiner = combiners[site.family]
            zero, one = evaluate_fast(site, combiner) if fast else evaluate(site, combiner)
            results[site.name] = (zero, one)
            print(f"{site.name:<18} {zero['pages']:>5}  {zero['f1']:>8.3f} {one['f1']:>10.3f}  {zero['none_p']:>6.2f} "
                  f"{zero['none_r']:>6.2f}  {zero['min_recall']:.2f} ({zero['weakest']})".ljust(96)
                  + (f" {'-':>5} {'-':>7}" if fast else f" {zero['ece']:>5.3f} {zero['at_risk']:>7}")
                  + ("  labels lowered it" if one["f1"] < zero["f1"] - 1e-9 else ""),
                  flush=True)
        small = [n for n, (z, _) in results.items() if z["pages"] < MIN_SCORED]
        if small:
            print(f"\nnot counted below (fewer than {MIN_SCORED} pages to score; one page moves macro-F1 by "
                  f"more than 0.02): {', '.join(small)}")
        results_all, results = results, {n: r for n, r in results.items() if n not in small}
        if results:
            zeros = [z["f1"] for z, _ in results.values()]
            ones = [o["f1"] for _, o in results.values()]
            worst = min(results, key=lambda n: results[n][0]["f1"])
            worst_one = min(results, key=lambda n: results[n][1]["f1"])
            low = [(n, z["weakest"], z["min_recall"]) for n, (z, _) in results.items() if z["min_recall"] < TARGETS["recall"]]
            print(f"\nworst site, no labels: {worst} {min(zeros):.3f} (target {TARGETS['worst']}); "
                  f"after {LABELS} labels: {worst_one} {min(ones):.3f} (target {TARGETS['worst_labels']})")
            print(f"median: {np.median(zeros):.3f} no labels, {np.median(ones):.3f} after labels (target {TARGETS['median']})")
            print(f"a class with recall under {TARGETS['recall']}: " + (", ".join(f"{n} {c} {r:.2f}" for n, c, r in low) or "none"))
            print(f"mean: {np.mean(zeros):.3f} no labels, {np.mean(ones):.3f} after labels")
        if results and not fast:
            print(f"task pages at risk (none at confidence >= the audit's low_confidence, so removable): "
                  f"{sum(z['at_risk'] for z, _ in results.values())} of "
                  f"{sum(sum(1 for a, _ in z['pairs'] if a != NONE) for z, _ in results.values())} task pages")
            lowered = [n for n, (z, o) in results.items() if o["f1"] < z["f1"] - 1e-9]
            print("labels lowered the score of: " + (", ".join(lowered) or "no site"))
            print(f"ECE over {TARGETS['ece']}: " + (", ".join(f"{n} {z['ece']:.3f}" for n, (z, _) in results.items()
                                                         if z["ece"] > TARGETS["ece"]) or "no site"))
        if shown in results_all:
            show(shown, results_all[shown][0])
        if "--fit" in args and sites:
            combiner = fit_without(sites, set())
            combiner.calibration = platt(unseen_answers(sites, set()))
            combiner.save(sites=[s.name for s in sites],
                          note="fitted by benchmarks/classify_accuracy.py --fit on the sites listed; "
                               "calibration from leave-one-site-out predictions")
            print(f"\nwrote audit/combiner.json (fitted on {len(sites)} sites)")


if __name__ == "__main__":
    if {"-h", "--help"} & set(sys.argv[1:]):  # the docstring is the usage
        print(__doc__)
        sys.exit(0)
    main()
