"""How far to trust each view of a site: a combiner learned across a corpus of sites, never tuned by hand.

The classifier (``audit/classify.py``) reads a site through several views, each giving, per page and per
task, a piece of evidence (:class:`Evidence`): the text model's probability, the nearest example page,
the task's own words, the link graph, the URL folder, the lists of hub pages, and for ``none`` the
positive evidence of a page that rarely serves a task (news, legal, contact ...) and of text unlike every
task. The combiner turns these into one probability per class with a conditional logit: every task is
scored by the same weights over its own features, ``none`` by weights over the page's ``none``
features, and a softmax over the classes gives the probabilities.

The weights are fitted by maximum likelihood over the pages of the corpus in ``benchmarks/corpus``
(``benchmarks/classify_accuracy.py --fit`` writes ``audit/combiner.json``); each site counts equally and
each class within a site counts equally, so that small tasks and ``none`` matter as macro-F1 says they
do. The benchmark scores every site with weights fitted without its family (a site's opaque twin, its
translations, its generator siblings: leave one site out, strictly).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

WEIGHTS_FILE = Path(__file__).with_name("combiner.json")

TASK_FEATURES = ["text_log", "text", "text_top", "nearest", "nearest_margin", "nearest_top", "words",
                 "graph", "graph_share", "graph_top", "folder", "hub"]
NONE_FEATURES = ["bias", "page_type", "nearest_rank", "nearest", "nearest_none", "words_rank", "graph",
                 "folder", "hub", "hub_none", "folder_none", "text_none", "text_spread", "folder_gap", "hub_gap",
                 "graph_gap"]


@dataclass
class Evidence:
    """Per page (n) and task (t) what each view says; arrays n x t unless noted (n: one per page)."""

    text: np.ndarray            # text model's probability of each task (tasks only, rows sum to 1)
    text_none: np.ndarray       # n: the text model's probability of none (0 when it has no none seeds)
    nearest: np.ndarray         # mean cosine to the task's two closest seed pages (examples or labels)
    nearest_none: np.ndarray    # n: cosine to the closest none seed (0 without)
    words: np.ndarray           # cosine to the task's own words (name, description, keywords)
    graph: np.ndarray           # label spreading: evidence for the task relative to its seeds' level, 0-1
    graph_trust: float          # share of pages the graph does not call certain (a dense site: low)
    folder: np.ndarray          # the URL folder's vote, weighted by the folder's purity (0: no seeds there)
    folder_none: np.ndarray     # n
    hub: np.ndarray             # the hub votes (lists and headings that list the page beside seeds)
    hub_none: np.ndarray        # n
    page_type: np.ndarray       # n: 0-1, a page type that rarely serves a task (news, legal, contact ...)
    seeds: np.ndarray = None    # n: the class index of each seed page (none = t), -1 for the others
    siblings: dict = field(default_factory=dict)  # audit.classify.siblings: list matrix, folder and trail groups


def _rank(values: np.ndarray) -> np.ndarray:
    """Each value's rank within the site, 0-1 (a site's typical similarity sets the scale)."""
    n = len(values)
    if n < 2:
        return np.full(n, 0.5)
    order = np.argsort(values, kind="stable")
    ranks = np.empty(n)
    ranks[order] = np.arange(n) / (n - 1)
    return ranks


def _top(a: np.ndarray) -> np.ndarray:
    """1 where a column is its row's largest (rows of zeros have none)."""
    out = np.zeros_like(a)
    if a.size:
        rows = np.flatnonzero(a.max(axis=1) > 0)
        out[rows, a[rows].argmax(axis=1)] = 1.0
    return out


def _margin(a: np.ndarray) -> np.ndarray:
    """Each column minus the best of the other columns."""
    if a.shape[1] < 2:
        return a.copy()
    order = np.sort(a, axis=1)
    best, second = order[:, -1:], order[:, -2:-1]
    return a - np.where(a >= best, second, best)


def features(ev: Evidence) -> tuple[np.ndarray, np.ndarray]:
    """(task features n x t x len(TASK_FEATURES), none features n x len(NONE_FEATURES))."""
    return task_features(ev), none_features(ev)


def task_features(ev: Evidence, rows: slice = slice(None)) -> np.ndarray:
    """The task features of the pages ``rows`` (each row's depend on that row only)."""
    text, nearest, words = ev.text[rows], ev.nearest[rows], ev.words[rows]
    t = text.shape[1]
    graph = ev.graph[rows] * ev.graph_trust
    share = graph / np.maximum(graph.sum(axis=1, keepdims=True), 1e-9)
    return np.stack([
        np.log(text + 1e-4) / 9.2 + 1, text, _top(text),
        nearest, _margin(nearest), _top(nearest),
        words - words.max(axis=1, keepdims=True) if t else words,
        graph, share, _top(graph) * (graph.max(axis=1, keepdims=True) > 0),
        ev.folder[rows], ev.hub[rows],
    ], axis=2)


def none_features(ev: Evidence) -> np.ndarray:
    """The none features (n x len(NONE_FEATURES)); some are ranks and shares over the whole site."""
    n, t = ev.text.shape
    graph = ev.graph * ev.graph_trust
    zeros = np.zeros(n)
    best_nearest = ev.nearest.max(axis=1) if t else zeros
    spread = -(ev.text * np.log(ev.text + 1e-12)).sum(axis=1) / np.log(max(t, 2))

    def gap(strength):
        """Structure that places most pages but not this one: (1 - its evidence) x the share of pages the
        view places. On a site whose folders (or lists, or links) are its sections, a page in a section
        no example lives in is evidence for none; on a flat site the same absence says nothing."""
        placed = float(np.mean(strength > 0.3)) if len(strength) else 0.0
        return (1 - np.clip(strength, 0, 1)) * placed

    folder_best = ev.folder.max(axis=1) if t else zeros
    hub_best = ev.hub.max(axis=1) if t else zeros
    graph_best = graph.max(axis=1) if t else zeros
    none = np.stack([
        np.ones(n), ev.page_type, _rank(best_nearest), best_nearest, ev.nearest_none,
        _rank(ev.words.max(axis=1) if t else zeros), graph_best, folder_best, hub_best,
        ev.hub_none, ev.folder_none, ev.text_none, spread,
        gap(folder_best + ev.folder_none), gap(hub_best + ev.hub_none), gap(graph_best),
    ], axis=1)
    return none


MATE_TASK_FEATURES = ["first", "list", "folder", "trail", "parent", "children"]
MATE_NONE_FEATURES = ["bias", "first", "list", "folder", "trail", "listed", "list_spread", "parent", "children"]


def _group_mean(groups: np.ndarray, P: np.ndarray) -> np.ndarray:
    """Per page, the mean of P over the other pages of its group (0 without a group or alone in it)."""
    out = np.zeros_like(P)
    ok = groups >= 0
    if not ok.any():
        return out
    g = groups[ok]
    count = np.bincount(g)
    sums = np.zeros((len(count), P.shape[1]))
    np.add.at(sums, g, P[ok])
    others = count[g] - 1
    has = others > 0
    rows = np.flatnonzero(ok)[has]
    out[rows] = (sums[g[has]] - P[rows]) / others[has, None]
    return out


def mates(ev: Evidence, P: np.ndarray) -> dict:
    """The classes of the pages the site puts beside each page: in the same list, folder, trail."""
    M = ev.siblings.get("list")
    n = len(P)
    listed = np.zeros(n) if M is None else (np.asarray(M.sum(axis=1)).ravel() > 0).astype(float)
    product = lambda key: np.asarray(ev.siblings[key] @ P) if key in ev.siblings else np.zeros_like(P)  # noqa: E731
    return {"list": product("list"), "parent": product("parent"), "children": product("children"),
            "folder": _group_mean(ev.siblings.get("folder", np.full(n, -1)), P),
            "trail": _group_mean(ev.siblings.get("trail", np.full(n, -1)), P), "listed": listed}


def features2(ev: Evidence, first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The second stage's features: the first stage's probabilities, and those of the page's neighbours."""
    m = mates(ev, first)
    return task_features2(first, m), none_features2(first, m)


def task_features2(first: np.ndarray, m: dict, rows: slice = slice(None)) -> np.ndarray:
    t = first.shape[1] - 1
    return np.stack([np.log(first[rows, :t] + 1e-4) / 9.2 + 1] + [m[key][rows, :t] for key in MATE_TASK_FEATURES[1:]],
                    axis=2)


def none_features2(first: np.ndarray, m: dict) -> np.ndarray:
    t = first.shape[1] - 1
    logp = np.log(first + 1e-4) / 9.2 + 1
    return np.stack([np.ones(len(first)), logp[:, t], m["list"][:, t], m["folder"][:, t], m["trail"][:, t],
                     m["listed"], m["listed"] * (1 - m["list"].max(axis=1)), m["parent"][:, t],
                     m["children"][:, t]], axis=1)


def _scores(task: np.ndarray, none: np.ndarray, w: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The conditional logit's scores: every task by the same weights ``w`` over its own features, none by
    ``v`` over the page's none features (n x (t + 1), none last)."""
    return np.concatenate([task @ w, (none @ v)[:, None]], axis=1)


def _with_seeds(ev: Evidence, P: np.ndarray) -> np.ndarray:
    """P with the seed pages set to their known class."""
    if ev.seeds is None:
        return P
    P = P.copy()
    rows = np.flatnonzero(ev.seeds >= 0)
    P[rows] = 0.0
    P[rows, ev.seeds[rows]] = 1.0
    return P


class Combiner:
    """``Combiner.load().predict(evidence)`` -> probabilities n x (t + 1), none last.

    Two stages: the first weighs each view's evidence; the second adds what the first stage says of the
    page's neighbours (the pages listed beside it, its folder, its breadcrumb trail), so a section whose
    pages agree pulls a doubtful page in, and a page whose neighbours scatter over the tasks leans to
    none only as far as the corpus showed that it should."""

    def __init__(self, task_weights, none_weights, calibration=(1.0, 0.0), meta=None, second=None):
        self.w = np.asarray(task_weights, dtype=float)
        self.v = np.asarray(none_weights, dtype=float)
        self.second = None if second is None else (np.asarray(second[0], dtype=float),
                                                     np.asarray(second[1], dtype=float))
        self.calibration = tuple(calibration)
        self.meta = dict(meta or {})

    @classmethod
    def load(cls, path=None) -> "Combiner":
        path = Path(path or WEIGHTS_FILE)
        data = json.loads(path.read_text(encoding="utf-8"))
        if (data.get("task_features") != TASK_FEATURES or data.get("none_features") != NONE_FEATURES
                or data.get("second_stage", {}).get("task_features", MATE_TASK_FEATURES) != MATE_TASK_FEATURES
                or data.get("second_stage", {}).get("none_features", MATE_NONE_FEATURES) != MATE_NONE_FEATURES):
            raise ValueError(f"{path}: written for other features; refit it (benchmarks/classify_accuracy.py --fit)")
        second = data.get("second_stage")
        second = (second["task_weights"], second["none_weights"]) if second else None
        return cls(data["task_weights"], data["none_weights"], data.get("calibration", (1.0, 0.0)), data, second)

    def save(self, path=None, **meta) -> None:
        path = Path(path or WEIGHTS_FILE)
        r = lambda a: [round(float(x), 6) for x in a]  # noqa: E731
        data = {"task_features": TASK_FEATURES, "none_features": NONE_FEATURES,
                "task_weights": r(self.w), "none_weights": r(self.v), "calibration": r(self.calibration)}
        if self.second is not None:
            data["second_stage"] = {"task_features": MATE_TASK_FEATURES, "none_features": MATE_NONE_FEATURES,
                                    "task_weights": r(self.second[0]), "none_weights": r(self.second[1])}
        data.update(meta)
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    BLOCK = 50_000  # pages whose task features are stacked at a time (at a million, 1.5 GB at once)

    def predict(self, ev: Evidence) -> np.ndarray:
        first = _with_seeds(ev, softmax(self._blocks(lambda rows: task_features(ev, rows), none_features(ev),
                                                     self.w, self.v)))
        if self.second is None:
            return first
        m = mates(ev, first)
        return softmax(self._blocks(lambda rows: task_features2(first, m, rows), none_features2(first, m),
                                    *self.second))

    def _blocks(self, task_of, none, w, v) -> np.ndarray:
        """_scores, with the task features stacked a block of pages at a time."""
        n = len(none)
        blocks = [task_of(slice(a, a + self.BLOCK)) @ w for a in range(0, n, self.BLOCK)]
        task = np.concatenate(blocks) if blocks else task_of(slice(0, 0)) @ w
        return np.concatenate([task, (none @ v)[:, None]], axis=1)

    def calibrate(self, p) -> np.ndarray:
        """The probability that the answer is right, from the combiner's probability of it (Platt scaling
        fitted on answers for sites the combiner had not seen)."""
        a, b = self.calibration
        p = np.clip(np.asarray(p, dtype=float), 1e-4, 1 - 1e-4)
        return 1 / (1 + np.exp(-(a * np.log(p / (1 - p)) + b)))

    @classmethod
    def fit(cls, sites, second: bool = True, l2: float = 1.0) -> "Combiner":
        """Maximum likelihood over ``sites``: a list of (group, evidence, true class index per page (t =
        none), scored mask). Entries of one group (one site with different labels) weigh as one site; each
        class within a site weighs the same. The second stage is fitted on first-stage probabilities
        cross-fitted by group (each site's from weights fitted without it), as stacking requires."""
        blocks = [(g, *features(ev), y, mask) for g, ev, y, mask in sites]
        w, v = _fit_logit([(t[m], n[m], y[m], g) for g, t, n, y, m in blocks], len(TASK_FEATURES), len(NONE_FEATURES), l2)
        combiner = cls(w, v)
        if not second:
            return combiner
        groups = sorted({g for g, *_ in blocks})
        rows = []
        for group in groups:
            inside = [(t[m], n[m], y[m], g) for g, t, n, y, m in blocks if g != group]
            w1, v1 = _fit_logit(inside, len(TASK_FEATURES), len(NONE_FEATURES), l2) if inside else (w, v)
            for (g, t, n, y, m), (_, ev, _, _) in zip(blocks, sites):
                if g != group:
                    continue
                first = _with_seeds(ev, softmax(_scores(t, n, w1, v1)))
                t2, n2 = features2(ev, first)
                rows.append((t2[m], n2[m], y[m], g))
        combiner.second = _fit_logit(rows, len(MATE_TASK_FEATURES), len(MATE_NONE_FEATURES), l2)
        return combiner


def _fit_logit(blocks, dt: int, dn: int, l2: float) -> tuple[np.ndarray, np.ndarray]:
    """Weights of a conditional logit over blocks of (task features, none features, y, group)."""
    from scipy.optimize import minimize

    per_group: dict = {}
    for task, none, y, group in blocks:
        if len(y):
            per_group[group] = per_group.get(group, 0) + 1
    data = []
    for task, none, y, group in blocks:
        y = np.asarray(y)
        if not len(y):
            continue
        weight = 1.0 / np.bincount(y)[y]  # classes equal within the site, the site as a whole weighs 1
        data.append((task, none, y, weight / weight.sum() / per_group[group]))

    def loss(theta):
        w, v = theta[:dt], theta[dt:]
        total = 0.5 * l2 * 1e-2 * float(theta @ theta)
        grad_w, grad_v = np.zeros(dt), np.zeros(dn)
        for task, none, y, weight in data:
            p = softmax(_scores(task, none, w, v))
            rows = np.arange(len(y))
            total -= float(weight @ np.log(p[rows, y] + 1e-12))
            g = p
            g[rows, y] -= 1  # d(-log p_y)/d s
            g *= weight[:, None]
            grad_w += np.einsum("ik,ikd->d", g[:, :-1], task)
            grad_v += g[:, -1] @ none
        return total, np.concatenate([grad_w, grad_v]) + l2 * 1e-2 * theta

    fitted = minimize(loss, np.zeros(dt + dn), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return fitted.x[:dt], fitted.x[dt:]


def softmax(s: np.ndarray) -> np.ndarray:
    s = s - s.max(axis=1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=1, keepdims=True)
