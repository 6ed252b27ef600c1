"""The audit: classification + signals + rules -> one recommendation per URL, and the workbook.

``audit_run(run_dir, config)`` works on an existing crawl (``longneck audit``); ``run(config, out)``
crawls first (``longneck run``). Both write ``RUN_DIR/audit.xlsx`` through :mod:`reports.workbook`,
which takes the tables built here and knows nothing of crawling or classifying.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from . import __version__
from .classify import NONE
from .rules import decide, load_rules
from reports.i18n import Message as M

MERGE, REMOVE, FIX = "merge", "remove", "fix"


@dataclass
class Audit:
    pages: "object"        # pandas DataFrame, one row per crawled URL (see reports.workbook.PAGES_COLUMNS)
    tasks: "object"        # per task (and none)
    duplicates: "object"   # one row per page in a duplicate cluster
    redirects: "object"    # from, to, status: ready for the server
    label_queue: "object"
    summary: dict
    settings: list         # (name, value) rows
    notes: list = field(default_factory=list)
    costs: str = ""        # the channel costs behind the Tasks sheet's estimate, as text (a Message)
    changes: "object" = None        # pages new, gone or changed since the previous run (None: no previous run)
    follow_through: "object" = None  # past decisions and whether they were carried out
    trend: list = field(default_factory=list)  # per run of the site: date, URLs, pages, no-task pages
    run_id: int | None = None
    broken_links: "object" = None    # one row per broken internal link: source, target, anchor, target_status
    history_url: str | None = None   # where run_id is recorded (pending until write_audit has the workbook in place)
    language: str = "en"             # the workbook's language (reports.i18n): [report] language, else the site's
    timings: dict = field(default_factory=dict)  # CPU seconds per stage of the audit (benchmarks/audit_scale.py)


def _best_of(cols: dict, rows, with_traffic: bool, answer: bool = False):
    """The cluster's (or task's) best page: top task first, then most inlinks, then shallowest, then most
    traffic; ties go to the shorter, then alphabetically first URL (deterministic); the home page only when
    nothing else is. ``answer``: a task's best page, where its visitors should land: not a section's
    landing page (a URL that ends in /, a way in, linked from every page's menu) when there is another.
    (Page views first picked pages read for other reasons: the demo's register-a-death for register-birth.)
    ``cols``: the audit table's columns as lists (fast to index in a loop)."""
    depth, url = cols["depth"], cols["url"]
    task = cols.get("task") or [None] * len(url)
    body, nav, views = cols["inlinks_body"], cols["inlinks_nav"], cols["views"]
    start = cols.get("found_via") or [None] * len(url)

    def key(i):
        return (start[i] == "start", 0 if (isinstance(task[i], str) and task[i] != NONE) else 1,
                answer and urlsplit(url[i]).path.endswith("/"), -(body[i] + nav[i]),
                depth[i] if depth[i] is not None else 10 ** 6,
                -(views[i] or 0) if with_traffic else 0, len(url[i]), url[i])
    return min(rows, key=key)


def _cosine(texts, a: int, b: int) -> float | None:
    """Cosine of two rows of the main-text TF-IDF matrix (rows are L2-normalised)."""
    if texts is None:
        return None
    return round(float(texts[a].multiply(texts[b]).sum()), 3)


SIMILAR_TOP_TERMS = 5    # candidates for main-text similarity share one of their heaviest words
SIMILAR_BUCKET = 400     # a word heavy on more pages than this says nothing about two of them
SIMILAR_SHINGLES = 0.2   # and they share sentences, not only words: this much shingle overlap (MinHash)


def _similar_pairs(table, texts, threshold: float, hashes=None) -> list:
    """Pairs of rows whose main texts have a TF-IDF cosine of at least ``threshold`` and share at least
    SIMILAR_SHINGLES of their word shingles (the same sentences, reworded in places, not just the same
    vocabulary): indexable 200 pages of the same top task (not none), as duplicate_clusters admits them.
    Near-linear: candidates share one of
    their SIMILAR_TOP_TERMS heaviest words (two texts that alike share their heavy words), and each such
    bucket is compared within itself and within one task."""
    if texts is None or threshold > 1 or not len(table):
        return []
    from .signals import MIN_DUPLICATE_WORDS, competing

    task = table["task"].tolist()
    eligible = (competing(table) & (table["word_count"] >= MIN_DUPLICATE_WORDS)).to_numpy()
    rows = [i for i in np.flatnonzero(eligible).tolist() if isinstance(task[i], str) and task[i] != NONE]
    buckets: dict = {}
    for i in rows:
        start, stop = texts.indptr[i], texts.indptr[i + 1]
        if stop == start:
            continue
        heavy = texts.indices[start:stop][np.argsort(-texts.data[start:stop], kind="stable")[:SIMILAR_TOP_TERMS]]
        for term in heavy.tolist():
            buckets.setdefault((task[i], term), []).append(i)
    pairs = set()
    for members in buckets.values():
        if len(members) < 2 or len(members) > SIMILAR_BUCKET:
            continue
        S = (texts[members] @ texts[members].T).toarray()
        for a, b in zip(*np.nonzero(np.triu(S >= threshold, 1))):
            i, j = members[a], members[b]
            if hashes is None or (hashes[i] is not None and hashes[j] is not None
                                  and hashes[i].jaccard(hashes[j]) >= SIMILAR_SHINGLES):
                pairs.add((min(i, j), max(i, j)))
    return sorted(pairs)


def _join_clusters(clusters: dict, pairs: list) -> dict:
    """The duplicate clusters ({row: cluster}) with the similar pairs joined in, renumbered 1.. in order."""
    if not pairs:
        return clusters
    from .signals import Groups

    groups = Groups()
    first: dict = {}
    for i, c in clusters.items():
        groups.add(i)
        if c in first:
            groups.union(first[c], i)
        else:
            first[c] = i
    for a, b in pairs:
        groups.union(a, b)
    return groups.numbered()


NEAREST_EXACT_PAIRS = 20_000_000  # up to this many (query, candidate) pairs the nearest text is searched exhaustively
NEAREST_TERMS = 32      # beyond: candidates that share one of a query's heaviest words (each text cut to its 32 heaviest)
NEAREST_SHORTLIST = 8   # the best of them by that cut cosine (plus the bonus) are scored with the whole texts
NEAREST_BLOCK = 2000    # queries per block


def _text_nearest(texts, queries: list, candidates: list, bonus_rows=None, threshold: float = 0.0,
                  groups=None, exact_pairs: int = NEAREST_EXACT_PAIRS, block: int = NEAREST_BLOCK) -> dict:
    """{query row: (candidate row, cosine)}: the candidate whose main text is most like the query's, among
    those with a cosine of at least ``threshold``, ranked by the cosine plus a bonus for ranking only
    (``bonus_rows(q_rows)``: a (queries x candidates) array; or ``groups``: (query task, query folder,
    candidate task, candidate folder) as int arrays, 0.1 for the same task and 0.05 for the same folder).

    Up to ``exact_pairs`` query-candidate pairs, every candidate is scored (chunked: memory stays bounded).
    Beyond, a search that grows linearly, not with queries x candidates (a million pages would be
    ~10^11 pairs): each text is cut to its NEAREST_TERMS heaviest words, the cut texts' cosines (a sparse
    product, in blocks of ``block`` queries) shortlist the NEAREST_SHORTLIST best candidates per query (with
    the bonus), and those are scored on the whole texts. Two texts at least ``threshold`` alike share their
    heavy words, so the shortlist holds the exhaustive answer unless another candidate is within the bonus
    of it (then either is a fair target); benchmarks/audit_scale.py --check-nearest measures the agreement."""
    if texts is None or not queries or not candidates:
        return {}
    if len(queries) * len(candidates) > exact_pairs and groups is not None:
        return _text_nearest_shortlist(texts, queries, candidates, groups, threshold, block)
    if bonus_rows is None and groups is not None:
        q_task, q_folder, c_task, c_folder = groups
        position = {q: k for k, q in enumerate(queries)}

        def bonus_rows(chunk):
            at = np.array([position[q] for q in chunk])
            return (0.1 * (c_task[None, :] == q_task[at][:, None])
                    + 0.05 * (c_folder[None, :] == q_folder[at][:, None]))
    C = texts[candidates].T.tocsr()
    out = {}
    step = max(1, 4_000_000 // len(candidates))
    for start in range(0, len(queries), step):
        chunk = queries[start:start + step]
        S = (texts[chunk] @ C).toarray()
        rank = np.where(S >= threshold, S + (bonus_rows(chunk) if bonus_rows else 0), -np.inf)
        best = rank.argmax(axis=1)
        for row, q in enumerate(chunk):
            if np.isfinite(rank[row, best[row]]):
                out[q] = (candidates[best[row]], float(S[row, best[row]]))
    return out


def _heaviest(X, k: int, block: int = 50_000):
    """The rows of the CSR matrix ``X``, each cut to its ``k`` largest entries (ties: the lower column)."""
    from scipy import sparse

    parts = []
    for start in range(0, X.shape[0], block):
        sub = X[start:start + block]
        rows = np.repeat(np.arange(sub.shape[0]), np.diff(sub.indptr))
        order = np.lexsort((sub.indices, -sub.data, rows))
        rank = np.arange(len(order)) - sub.indptr[rows[order]]
        keep = order[rank < k]
        parts.append(sparse.csr_matrix((sub.data[keep], (rows[keep], sub.indices[keep])), shape=sub.shape))
    return sparse.vstack(parts, format="csr") if parts else X[:0]


def _text_nearest_shortlist(texts, queries, candidates, groups, threshold, block) -> dict:
    q_task, q_folder, c_task, c_folder = (np.asarray(g) for g in groups)
    C = texts[candidates].tocsr()
    cut = _heaviest(C, NEAREST_TERMS).T.tocsr()
    out = {}
    for start in range(0, len(queries), block):
        chunk = queries[start:start + block]
        Q = texts[chunk].tocsr()
        A = (_heaviest(Q, NEAREST_TERMS) @ cut).tocoo()
        if not A.nnz:
            continue
        r, c = A.row.astype(np.int64), A.col.astype(np.int64)
        at = r + start
        bonus = 0.1 * (c_task[c] == q_task[at]) + 0.05 * (c_folder[c] == q_folder[at])
        order = np.lexsort((c, -(A.data + bonus), r))
        r, c, bonus = r[order], c[order], bonus[order]
        first = np.searchsorted(r, r, side="left")
        keep = (np.arange(len(r)) - first) < NEAREST_SHORTLIST
        r, c, bonus = r[keep], c[keep], bonus[keep]
        S = np.asarray(Q[r].multiply(C[c]).sum(axis=1)).ravel()
        rank = np.where(S >= threshold, S + bonus, -np.inf)
        order = np.lexsort((c, -rank, r))  # per query: best first; equal ranks: the first candidate
        r, c, S, rank = r[order], c[order], S[order], rank[order]
        top = np.flatnonzero(np.concatenate(([True], r[1:] != r[:-1])))
        for k in top[np.isfinite(rank[top])].tolist():
            out[chunk[r[k]]] = (candidates[c[k]], float(S[k]))
    return out


PARALLEL_BYTES = 400_000_000  # a pages.jsonl this large (some 100,000 pages) is classified in a second process


def _parallel(run_dir, parallel) -> bool:
    from .runs import pages_file

    if parallel is not None:
        return bool(parallel)
    try:
        return pages_file(run_dir).stat().st_size >= PARALLEL_BYTES and (os.cpu_count() or 1) > 1
    except OSError:
        return False


HANDOVER = "classification.pickle.partial"  # the classifier process's result, in the run directory


def _classify_apart(run_dir, config, corrected) -> str:
    """classify_run in a process of its own, reading pages.jsonl itself: the Result without its matrices
    and the label queue, pickled to HANDOVER in the run directory, whose path it returns (read back as a
    stream: through the pool's pipe the whole pickle is one bytes object on each side, 0.6 GB at a million
    pages; in the run directory rather than the temp directory, which may be memory, and where the next
    audit removes it if this one is killed before reading it)."""
    import pickle

    from .classify import classify_run

    result, queue, _ = classify_run(run_dir, config, extra_labels=corrected, release=True)
    result.features = result.views = None
    path = Path(run_dir) / HANDOVER  # removed by the audit, read or not (audit_run)
    with open(path, "wb") as fh:
        pickle.dump((result, queue), fh, protocol=pickle.HIGHEST_PROTOCOL)
    return str(path)


def _received(path: str):
    """(Result, queue) from the file _classify_apart wrote."""
    import pickle

    with open(path, "rb") as fh:
        return pickle.load(fh)


def audit_run(run_dir, config, history: bool = True, parallel: bool | None = None) -> Audit:
    """Audit the crawl in ``run_dir`` with ``config``'s tasks and thresholds. With ``history``, the run
    is recorded in the history database, earlier decisions are carried forward and checked, corrected
    tasks become training labels, and the changes since the site's previous run are listed.
    ``parallel``: classify in a second process while this one reads the signals (both read pages.jsonl;
    the same results, on two cores in about half the time); None: when pages.jsonl holds at least
    PARALLEL_BYTES and the machine has two cores or more."""
    from . import signals
    from .classify import classify_run, write_classification
    from .runs import iter_pages, pages_file

    started = time.time()
    timings: dict = {}
    stage = _Stages(timings)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    children_before = children.ru_utime + children.ru_stime
    settings = dict(config.audit)
    rules = load_rules(settings["rules"] or None)  # a bad rule list fails before any work
    store = None
    if history:
        from .history import History, database_url

        store = History(database_url(config.history["database"], run_dir))
    crawl = _crawl_summary(run_dir)
    complete = crawl.get("complete", True)
    origin = _origin_of(config)
    try:
        decisions, moved = _decisions(store, config.site["name"], origin) if store else ({}, [])
        corrected = {u: d["corrected_task"] for u, d in decisions.items() if d.get("corrected_task")}
        # 1. classify; 2. signals per URL; 3. duplicate clusters; 4. the rules; 5. targets and tables
        # one pass over pages.jsonl: each record goes to the signals as the classifier reads it
        # near-duplicate candidates' main texts are read again from pages.jsonl to confirm them
        collector = signals.Collector(settings["protect"], pages=pages_file(run_dir))
        timings["read pages.jsonl"] = timings["signals pass"] = 0.0

        def records():
            clock, pages = time.process_time, iter_pages(run_dir)
            while True:
                before = clock()
                record = next(pages, None)
                read = clock()
                timings["read pages.jsonl"] += read - before
                if record is None:
                    return
                collector.add(record)
                timings["signals pass"] += clock() - read
                yield record

        # left by an audit killed while writing them
        for name in ("classification.csv.partial", "label_queue.csv.partial", HANDOVER):
            (Path(run_dir) / name).unlink(missing_ok=True)
        if _parallel(run_dir, parallel):  # a large crawl: the classifier reads it in a process of its own
            from concurrent.futures import ProcessPoolExecutor
            from multiprocessing import get_context

            try:
                with ProcessPoolExecutor(1, mp_context=get_context("fork")) as pool:
                    future = pool.submit(_classify_apart, run_dir, config, corrected)
                    for _ in records():
                        pass
                    stage("_pass")  # read + signals, counted there
                    del timings["_pass"]
                    result, queue = _received(future.result())
            finally:  # read, or not wanted any more (interrupted, or the classifier failed while writing it)
                (Path(run_dir) / HANDOVER).unlink(missing_ok=True)
            stage("classify: the result received from its process")
            child = resource.getrusage(resource.RUSAGE_CHILDREN)
            timings["classify, in its own process (CPU of that process)"] = (child.ru_utime + child.ru_stime
                                                                             - children_before)
            timings["classify process peak RSS, MB"] = child.ru_maxrss / 1024
        else:
            result, queue, pages = classify_run(run_dir, config, extra_labels=corrected, records=records(),
                                                 release=True)
            stage("classify (with the pass over pages.jsonl)")
            del pages
        write_classification(run_dir, result, queue)
        result.features = result.views = None  # the classifier's matrices are not needed any more
        stage("classification.csv")
        table, hashes, notes = _signals(run_dir, result, settings, collector)
        result.table = result.table.iloc[:0]  # joined into the signals table (at a million pages, 150 MB)
        stage("signals table")
        names = {t["id"]: t["name"] for t in config.tasks}
        names[NONE] = M("serves no top task")  # said in the workbook's language (a task's name is the owner's)
        table["task_name"] = pd.Series([names.get(t) if isinstance(t, str) else None for t in table["task"]],
                                       dtype=object)
        has_traffic = settings["analytics"]
        best_of_cluster = _duplicates(table, hashes, settings, has_traffic)
        texts = hashes.texts
        collector.hashes = hashes = None  # the MinHash signatures are done with (at a million pages, 0.5 GB)
        stage("duplicates (MinHash/LSH, similar texts)")
        _current_pages(table, settings, has_traffic)
        _carry_forward(table, decisions, settings, complete)
        _apply_rules(table, rules, settings)
        stage("rules")
        _redirect_targets(table, texts, settings)
        texts = None  # and the main texts' TF-IDF (at a million pages, 2 GB)
        _reviewer_targets(table)
        stage("redirect targets")
        tasks = _task_table(table, config, has_traffic)
        duplicates = _duplicate_table(table, best_of_cluster)
        redirects = table.loc[table["redirect_status"].notna(), ["url", "redirect_to", "redirect_status",
                                                                  "recommendation", "reasons"]]
        redirects = redirects.rename(columns={"url": "from", "redirect_to": "to", "redirect_status": "status"})
        summary = _summary(table, tasks, config, run_dir)
        summary.update(origin=origin, complete=complete, labels=len(corrected))
        settings_rows = _settings_rows(run_dir, config, rules)
        settings_rows.append(("carried reviews", carried_fingerprint(table)))
        too_few = getattr(result, "too_few", None)
        if too_few is not None:  # the why first on the Summary sheet; the crawl is kept out of the history
            notes[:0] = result.warnings
            summary["too_few_pages"] = too_few
        else:
            notes += result.warnings
        if not complete:
            cut = (crawl.get("skipped") or {}).get("max_pages", 0)
            notes.insert(0, M("the crawl is incomplete: it stopped at site.max_pages = {max_pages:,} and {cut:,} URLs "
                              "were not fetched; pages it did not reach are not in this audit, and follow-through "
                              "says 'not checked' for them", max_pages=config.site["max_pages"], cut=cut))
        notes += moved
        if corrected:
            notes.append(M("{n} corrected task(s) from earlier reviews used as training labels", n=len(corrected)))
        parts = {"changes": None, "follow_through": _follow_through_table(table, decisions, complete), "trend": [],
                 "run_id": None}
        follow = parts["follow_through"]
        if len(follow):
            done = int((follow["done"] == "done").sum())
            unchecked = int((follow["done"] == "not checked").sum())
            notes.insert(0, M("earlier decisions carried out: {done} of {total} (see Follow-through); {unchecked} not "
                              "checked (the crawl did not reach them)" if unchecked else
                              "earlier decisions carried out: {done} of {total} (see Follow-through)",
                              done=done, total=len(follow), unchecked=unchecked))
        asked = int(table["basis_change"].notna().sum())
        if asked:
            notes.append(M("{n} earlier decision(s) to look at again: what they rested on changed (see the Review "
                           "column)", n=asked))
        if store is not None and too_few is not None:
            notes.insert(1, M("this audit is not recorded in the history: the next audit compares with the last one "
                              "that had pages to classify"))
        elif store is not None:
            from .history import without_password

            stage("tables and summary")
            parts.update(_record(store, run_dir, config, table, tasks, summary, crawl.get("traps") or []))
            stage("history")
            settings_rows[1:1] = [("history run id", parts["run_id"]),
                                  ("history database", without_password(store.url))]
    finally:
        if store is not None:
            store.close()
    notes.append(M("audit took {seconds:.1f} s", seconds=time.time() - started))
    costs = channel_costs(config.audit)
    audit = Audit(table, tasks, duplicates, redirects.reset_index(drop=True), queue, summary, settings_rows, notes,
                  costs, **parts, broken_links=collector.broken_links,
                  history_url=store.url if store is not None else None,
                  language=workbook_language(config.report["language"], table))
    stage("tables and summary")
    if "classify (with the pass over pages.jsonl)" in timings:
        timings["classify (with the pass over pages.jsonl)"] -= timings["read pages.jsonl"] + timings["signals pass"]
    audit.timings = timings
    return audit


class _Stages:
    """``stage(name)``: adds the CPU time since the last call to ``timings[name]``."""

    def __init__(self, timings: dict):
        self.timings, self.last = timings, time.process_time()

    def __call__(self, name: str) -> None:
        now = time.process_time()
        self.timings[name] = self.timings.get(name, 0.0) + now - self.last
        self.last = now


def _crawl_summary(run_dir) -> dict:
    path = Path(run_dir) / "crawl.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _origin_of(config) -> str:
    from .history import origin_of

    return origin_of(config.site["start_urls"][0])


def _decisions(store, site: str, origin: str) -> tuple[dict, list]:
    """The site's earlier decisions keyed by their URL on today's origin: a site that moved (http ->
    https, a new host or port) keeps its decisions, matched by path. Returns (decisions, notes)."""
    decisions, moved = store.decisions(site, origin=origin), {}
    for d in decisions.values():
        if d.get("origin") and d["origin"] != origin:
            moved[d["origin"]] = moved.get(d["origin"], 0) + 1
    notes = [M("{n} earlier decision(s) were made when the site was at {then}; matched to {origin} by path",
               n=count, then=then, origin=origin) for then, count in moved.items()]
    return decisions, notes


def carried_fingerprint(table) -> str:
    """A fingerprint of the reviewer columns as this audit pre-fills them: a workbook whose reviewer
    columns still match it holds no new review (see ``_reviewed``)."""
    from .review import review_fingerprint

    rows = []
    for values in zip(table["url"], table["decision"], table["notes"], table["corrected_task"], table["decision_target"]):
        if any(isinstance(v, str) and v for v in values[1:]):
            rows.append(values)
    return review_fingerprint(rows)


def _signals(run_dir, result, settings, collector):
    """The signals table (one row per URL, from ``collector``, which has seen every crawl record) with
    the classification and analytics joined; the pages' MinHash signatures; notes.
    ``settings["analytics"]`` becomes True/False (is there traffic data)."""
    from . import analytics
    from .runs import RunError

    valued = set(result.table.loc[result.table["task"] != NONE, "url"]) if len(result.table) else set()
    table, hashes = collector.finish(valued)
    if table.empty:
        raise RunError(f"{Path(run_dir) / 'pages.jsonl'} holds no pages: nothing to audit")
    from .signals import distrust_stamps

    distrust_stamps(table)  # a static server's copy time on most pages is not their age
    cls = result.table.set_index("url")
    for column in ("task", "confidence", "runner_up", "why", "seed"):
        values = table["url"].map(cls[column]) if len(cls) else pd.Series([None] * len(table))
        table[column] = pd.Series([None if v is None or v != v else v for v in values], dtype=object)
    table["seed"] = table["seed"].map(bool)
    for column in ("views", "clicks", "impressions"):
        table[column] = None
    notes = analytics.join(table, settings["analytics"]) if settings["analytics"] else []
    settings["analytics"] = bool(settings["analytics"])
    table["section"] = _sections(table, settings.get("sections") or {})
    return table, hashes, notes


def _sections(table, patterns: dict) -> list:
    """Each URL's owner or section: the first ``[audit] sections`` pattern that matches the URL; else its
    breadcrumb's first step below home; else the section most pages of its first folder have by their
    breadcrumbs (so a folder's pages without a breadcrumb join their neighbours); else the folder."""
    import re
    from collections import Counter

    from crawler.urls import user_pattern

    compiled = [(user_pattern(p), name) for p, name in patterns.items()]
    folders = table["folder"].tolist()
    crumbs = [c if isinstance(c, str) and c else None for c in table["crumb"].tolist()]
    votes: dict = {}
    for folder, crumb in zip(folders, crumbs):
        if crumb and folder != "/":
            votes.setdefault(folder, Counter())[crumb] += 1
    by_folder = {f: c.most_common(1)[0][0] for f, c in votes.items()}
    out = []
    for url, folder, crumb in zip(table["url"].tolist(), folders, crumbs):
        name = next((n for p, n in compiled if p.search(url)), None)
        out.append(name or crumb or by_folder.get(folder) or folder)
    return out


def _duplicates(table, hashes, settings, has_traffic: bool) -> dict:
    """Duplicate clusters: adds duplicate_of, duplicate_kind, similarity and cluster; returns
    {cluster: row of its best page}."""
    from . import signals

    clusters = signals.duplicate_clusters(table, hashes, settings["near_duplicate_threshold"])
    texts = getattr(hashes, "texts", None)
    pairs = _similar_pairs(table, texts, settings.get("similar_threshold", 2.0), hashes)
    clusters = _join_clusters(clusters, pairs)
    n = len(table)
    cols = {c: table[c].tolist() for c in ("url", "task", "depth", "inlinks_body", "inlinks_nav", "views",
                                            "content_hash", "found_via")}
    duplicate_of, kind, similarity, cluster_id = [None] * n, [None] * n, [None] * n, [None] * n
    text_similarity = [None] * n
    by_cluster: dict[int, list] = {}
    for i, c in clusters.items():
        by_cluster.setdefault(c, []).append(i)
    best_of_cluster = {}
    for c, rows in by_cluster.items():
        best = _best_of(cols, rows, has_traffic)
        best_of_cluster[c] = best
        for i in rows:
            cluster_id[i] = c
            similarity[i] = signals.similarity(hashes, table, i, best) if i != best else 1.0
            if i != best:
                duplicate_of[i] = cols["url"][best]
                kind[i] = "exact" if cols["content_hash"][i] == cols["content_hash"][best] else "near"
                if kind[i] == "near" and similarity[i] < settings["near_duplicate_threshold"]:
                    kind[i] = "similar"  # found by the main texts' TF-IDF cosine, not by shingles
                    text_similarity[i] = _cosine(texts, i, best)
    table["duplicate_of"], table["duplicate_kind"] = duplicate_of, kind
    table["text_similarity"] = text_similarity
    table["similarity"] = similarity
    table["cluster"] = pd.Series(cluster_id, dtype=object)
    if getattr(hashes, "shingles", None) is not None:
        hashes.shingles = None  # the candidates' shingle sets are not needed any more
    return best_of_cluster


def _current_pages(table, settings, has_traffic: bool) -> None:
    """Adds current_page: for each top-task page that names only past years, or is noindex and out of date
    (stale, an archive; rules.superseded, rules.noindex), its task's best current page, where its visitors are
    sent: chosen as the Tasks sheet's Best page is (_best_of, an answer: not a landing page ...), among the
    task's HTML 200 pages the classifier is sure of that are indexable, not a start page, not a copy merged
    elsewhere, not an archive, and name no past year themselves. Column masks first: at a million pages
    only the few rows concerned become Python lists."""
    n = len(table)
    current: list = [None] * n
    years = settings.get("superseded_years", 1)
    task = table["task"]
    page = (task.notna() & (task != NONE) & (table["status"] == 200) & (table["content_type"] == "text/html")).to_numpy()
    ago = pd.to_numeric(table["years_ago"], errors="coerce").to_numpy()
    past = (ago >= years) if years else np.zeros(n, dtype=bool)
    archived = table["archived"].to_numpy(dtype=bool)
    noindex = table["noindex"].to_numpy(dtype=bool)
    stale = pd.to_numeric(table["age_days"], errors="coerce").to_numpy() > settings["stale_days"]
    query = page & (past | (noindex & (archived | stale)))
    if query.any():
        tasks = set(task[query])
        sure = table["seed"].to_numpy(dtype=bool) | (pd.to_numeric(table["confidence"], errors="coerce").to_numpy()
                                                     >= settings["low_confidence"])
        candidate = (page & task.isin(tasks).to_numpy() & ~past & ~archived & ~noindex & sure
                     & ~table["canonicalised"].to_numpy(dtype=bool) & (table["found_via"] != "start").to_numpy()
                     & ~table["duplicate_of"].map(lambda u: isinstance(u, str)).to_numpy(dtype=bool))
        rows = np.flatnonzero(candidate)
        sub = table.iloc[rows]
        cols = {c: sub[c].tolist() for c in ("url", "task", "depth", "inlinks_body", "inlinks_nav", "views",
                                             "found_via")}
        by_task: dict = {}
        for k, t in enumerate(cols["task"]):
            by_task.setdefault(t, []).append(k)
        best = {t: cols["url"][_best_of(cols, ks, has_traffic, answer=True)] for t, ks in by_task.items()}
        for i in np.flatnonzero(query).tolist():
            current[i] = best.get(task.iat[i])
    table["current_page"] = pd.Series(current, dtype=object)


def _apply_rules(table, rules, settings) -> None:
    recommendations, reasons, summaries, deciding = [], [], [], []
    merged = {}  # the pages merged into another: only they are judged again (never a tuple for every URL)
    for i, page in enumerate(table.itertuples(index=False, name="Page")):
        rec, why, decided = decide(page, rules, settings)
        recommendations.append(rec)
        reasons.append(M.join("; ", why))
        deciding.append(why[decided] if decided is not None else None)
        if rec == MERGE:
            merged[i] = page
    before = list(reasons)
    decided_by = [_code_detail(entry)[0] if entry is not None else None for entry in deciding]
    _copies_of_removed(merged, {u: i for i, u in enumerate(table["url"])}, rules, settings, recommendations, reasons,
                       decided_by)
    kept_protected = []  # a protected code fired: by an [audit] protect pattern or as a kind (protect_kinds)
    for rec, why, entry, was in zip(recommendations, reasons, deciding, before):
        parts = list(why.parts) if isinstance(why, M) and why.template is None else why.split("; ") if why else []
        if why != was:  # judged again as a copy of a removed page: the first reason says so
            entry = parts[0] if parts else None
        summaries.append(_reason_summary(rec, parts, entry))
        kept_protected.append(any(_code_detail(part)[0] == "protected" for part in parts))
    table["recommendation"], table["reasons"] = recommendations, reasons
    table["decided_by"] = pd.Series(decided_by, dtype=object)  # the deciding reason's code (a merge's target)
    table["reason_summary"] = summaries
    table["protected"] = table["protected"].astype(bool) | np.array(kept_protected, dtype=bool)


PLAIN_REASONS = {"error": "the URL fails", "gone": "already gone", "redirect": "redirects", "noindex": "noindex",
                 "canonicalised": "its canonical is another URL", "reviewed": "a reviewer's decision",
                 "protected": "a protected page", "home": "the home page", "hub": "a route to top tasks",
                 "blocked": "blocked by robots.txt", "duplicate": "a duplicate", "near-duplicate": "a near-duplicate",
                 "no-task": "serves no top task", "low-confidence": "its task is uncertain",
                 "low-traffic": "little traffic", "broken-links": "broken links", "thin": "thin content",
                 "stale": "out of date", "deep": "hard to reach", "orphan": "no page links to it",
                 "current": "current news", "upcoming": "still to come", "high-traffic": "much visited",
                 "superseded": "superseded by a current page"}


def _code_detail(entry) -> tuple:
    """(reason code, its detail) of a Reasons entry "code: detail" (the detail a Message when it is one)."""
    fields = entry.fields("{code}: {detail}", "code", "detail") if isinstance(entry, M) else None
    if fields:
        return fields
    code, _, detail = str(entry).partition(": ")
    return code, detail


def _plain_reason(code: str):
    return M(PLAIN_REASONS[code]) if code in PLAIN_REASONS else code


def _reason_summary(rec: str, reasons: list, entry) -> M:
    """The deciding reason ``entry`` in plain words ("Remove: serves no top task (2 page views ...)"),
    for the Why column; Reasons keeps every rule that fired. A Message: said in the workbook's language."""
    word = M.capitalized(rec)  # "Remove": the Recommendation column's word, with a capital, in every language
    if not reasons:
        return M("{rec}: no rule found a problem", rec=word)
    if entry is None:  # only explaining rules fired: nothing asks for a change
        code, detail = _code_detail(reasons[0])
        text = M("{rec}: no rule asks for a change (note: {detail})", rec=word, detail=detail or _plain_reason(code))
        return M("{text}; {n} more in Reasons", text=text, n=len(reasons) - 1) if len(reasons) > 1 else text
    code, detail = _code_detail(entry)
    plain = _plain_reason(code)
    if not detail or str(detail).lower().startswith(str(plain).lower()):
        text = M("{rec}: {detail}", rec=word, detail=detail or plain)
    else:
        text = M("{rec}: {plain} ({detail})", rec=word, plain=plain, detail=detail)
    others = len(reasons) - 1
    return M("{text}; {n} more in Reasons", text=text, n=others) if others else text


def _copies_of_removed(merged: dict, row_of: dict, rules, settings, recommendations, reasons,
                       decided_by=None) -> None:
    """A page is not merged into a best page the audit removes (it would be merged into a 410): when a
    cluster's best page is removed, its copies are judged on their own (the rules again, as if they had no
    copy), and the Reasons say so. ``merged``: {row: page} of the pages the rules merge; ``row_of``: {url: row};
    ``decided_by``: each row's deciding reason code, updated for the pages judged again."""
    for i, page in merged.items():
        best = row_of.get(page.duplicate_of) if recommendations[i] == MERGE else None
        if best is None or recommendations[best] != REMOVE:
            continue
        rec, why, decided = decide(page._replace(duplicate_of=None), rules, settings)
        code = "duplicate" if page.duplicate_kind == "exact" else "near-duplicate"
        recommendations[i] = rec
        if decided_by is not None:
            decided_by[i] = _code_detail(why[decided])[0] if decided is not None else None
        reasons[i] = M.join("; ", [M.plain("{code}: {detail}", code=code, detail=M(
            "copy of {url}, which is removed: judged on its own", url=page.duplicate_of)), *why])


def workbook_language(setting: str, table) -> str:
    """The workbook's language: [report] language when set, else the language most pages (HTTP 200)
    are in, when a translation of the workbook exists (reports/locale), else English."""
    from reports.i18n import SOURCE, resolve

    if setting:
        return resolve(setting) or SOURCE
    if "language" not in table or not len(table):
        return SOURCE
    languages = table.loc[table["status"] == 200, "language"] if "status" in table else table["language"]
    counts = languages.dropna().astype(str).map(lambda code: code.split("-")[0].split("_")[0].lower()).value_counts()
    if counts.empty:
        return SOURCE
    return resolve(str(counts.index[0])) or SOURCE


def _settings_rows(run_dir, config, rules) -> list:
    crawl_file = Path(run_dir) / "crawl.json"
    crawl = json.loads(crawl_file.read_text(encoding="utf-8")) if crawl_file.exists() else {}
    rows = [("run folder", str(Path(run_dir).resolve())),
            ("audited at (UTC)", time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())),
            ("crawl started", crawl.get("started") or ""),
            ("config file", config.source or ""), ("config fingerprint", config.fingerprint()),
            *[(f"version {name}", value) for name, value in _versions().items()],
            ("rules", settings_rows_rules(rules))]
    for section, values in (("site", config.site), ("classifier", config.classifier), ("audit", config.audit),
                            ("history", {"database": _hide_password(config.history["database"])}),
                            ("report", config.report)):
        for key, value in values.items():
            rows.append((f"{section}.{key}", value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)))
    for task in config.tasks:
        rows.append((f"task {task['id']}", json.dumps(task, ensure_ascii=False)))
    return rows


def _hide_password(url: str) -> str:
    from .history import without_password

    return without_password(url)


def _carry_forward(table, decisions: dict, settings: dict, complete: bool = True) -> None:
    """The latest earlier decision on each URL, carried into this audit: the reviewer columns come
    pre-filled (decision, notes, corrected_task, decision_target), and the rule ``reviewed`` upholds the
    decision unless something it rested on changed (task, status, indexability, traffic band:
    ``basis_change`` says which; content edits alone never reopen it). Also: was it carried out
    (followed, follow_detail), what the rule then recommends, and a review_status to filter on."""
    from .review import ASK_AGAIN, basis_change, follow_through

    n = len(table)
    columns = {name: [None] * n for name in ("decision_before", "decided_on", "followed", "follow_detail",
                                             "review_recommends", "basis_change", "review_status", "decision",
                                             "notes", "corrected_task", "decision_target")}
    unchanged = [False] * n
    if decisions:
        for i, row in enumerate(table.to_dict("records")):
            d = decisions.get(row["url"])
            if not d:
                continue
            columns["notes"][i] = d.get("notes")
            columns["corrected_task"][i] = d.get("corrected_task")
            kind = d.get("decision")
            if not isinstance(kind, str) or not kind:
                continue  # notes or a corrected task only: nothing to uphold
            on = (d.get("audited_at") or "")[:10]
            followed, detail = follow_through(d, row, complete)
            change = None if (followed and kind != "keep") else basis_change(d, row, settings)
            columns["decision_before"][i], columns["decided_on"][i] = kind, on
            columns["followed"][i], columns["follow_detail"][i] = followed, detail
            columns["review_recommends"][i] = "keep" if (followed or kind == "keep") else kind
            columns["basis_change"][i] = change
            unchanged[i] = change is None
            if change:  # the reviewer decides again: Decision is left empty for them (the Review column
                # says what it was and what changed)
                columns["review_status"][i] = M("{ask_again}: {change} (was {decision} on {on})",
                                                ask_again=M(ASK_AGAIN), change=change, decision=M(kind), on=on)
                continue
            columns["decision"][i] = kind
            columns["decision_target"][i] = d.get("target")
            if kind == "keep":
                columns["review_status"][i] = M("keep on {on}, carried forward", on=on)
            elif followed:
                columns["review_status"][i] = M("{decision} on {on}, done", decision=M(kind), on=on)
            else:
                columns["review_status"][i] = M("{decision} on {on}, not done yet ({detail})", decision=M(kind),
                                                on=on, detail=detail)
    for name, values in columns.items():
        table[name] = pd.Series(values, dtype=object)
    table["unchanged"] = unchanged


def _reviewer_targets(table) -> None:
    """A Redirect target the reviewer set, on a page whose recommendation is their decision, is the
    redirect (301), checked like the audit's own: a target that is itself redirected is followed to its
    end (never a chain), and one that will answer 410, or answers an error now, gives no redirect and a
    Review note asking for another target. A merge the reviewer decided with no target anywhere gets no
    redirect (never a 301 with an empty To): its Review column says so."""
    urls = table["url"].tolist()
    target, status = table["redirect_to"].tolist(), table["redirect_status"].tolist()
    review = table["review_status"].tolist()
    where = {u: i for i, u in enumerate(urls)}
    http = table["status"].tolist()
    for i in np.flatnonzero(table["decision_before"].notna().to_numpy()):
        row = table.iloc[i]
        if not row["unchanged"] or row["recommendation"] != row["decision_before"]:
            continue
        if isinstance(row["decision_target"], str) and row["recommendation"] in (MERGE, REMOVE, FIX):
            to, seen = row["decision_target"], {i}
            while to in where and where[to] not in seen and status[where[to]] == 301 and isinstance(target[where[to]], str):
                seen.add(where[to])
                to = target[where[to]]  # the target is redirected itself: go straight to its end
            j = where.get(to)
            gone = j is not None and (status[j] == 410 or (http[j] is not None and http[j] >= 400))
            if gone:
                target[i], status[i] = None, None
                review[i] = M.join("; ", [str(review[i]) if review[i] is None else review[i], M(
                    "the Redirect target {url} is removed or fails: choose another", url=to)])
            else:
                target[i], status[i] = to, 301
        elif row["recommendation"] == MERGE and not isinstance(target[i], str):
            review[i] = M.join("; ", [str(review[i]) if review[i] is None else review[i],
                                      M("merge into what? set Redirect target")])
    for i, (to, code) in enumerate(zip(target, status)):  # never a 301 with an empty To
        if code == 301 and not isinstance(to, str):
            target[i], status[i] = None, None
    table["redirect_to"] = pd.Series(target, dtype=object)
    table["redirect_status"] = pd.Series(status, dtype=object)
    table["review_status"] = pd.Series(review, dtype=object)


def _follow_through_table(table, decisions: dict, complete: bool = True):
    """One row per earlier decision (other than keep): was it carried out? (the check _carry_forward
    made for the crawled URLs; the others were not met by this crawl, or not checked when the crawl
    was cut short)"""
    from .review import follow_through

    rows = []
    checked = {u: (f, d) for u, f, d in zip(table["url"], table["followed"], table["follow_detail"]) if d is not None}
    for url, d in sorted(decisions.items()):
        if not d.get("decision") or d["decision"] == "keep":
            continue
        done, detail = checked[url] if url in checked else follow_through(d, None, complete)
        if done is None and detail.startswith("not checked"):
            state = "not checked"
        else:
            state = None if done is None else ("done" if done else "not done")
        rows.append({"url": url, "decision": d["decision"], "decided_on": (d.get("audited_at") or "")[:10],
                     "agreed_target": (d.get("target") or d.get("redirect_to")) if d["decision"] in ("remove", "merge") else None,
                     "done": state, "now": detail, "notes": d.get("notes")})
    return pd.DataFrame(rows, columns=["url", "decision", "decided_on", "agreed_target", "done", "now", "notes"])


def channel_costs(settings: dict) -> M:
    """The channel costs behind the Tasks sheet's At stake estimate, 'web EUR 1, phone EUR 7, email EUR 20,
    counter EUR 50' ([audit] cost_*): a Message, said in the workbook's language."""
    return M.join(", ", [M("web EUR {cost:g}", cost=settings["cost_web"]),
                         M("phone EUR {cost:g}", cost=settings["cost_phone"]),
                         M("email EUR {cost:g}", cost=settings["cost_email"]),
                         M("counter EUR {cost:g}", cost=settings["cost_counter"])])


def _record(store, run_dir, config, table, tasks, summary, trap_rows=()) -> dict:
    """Record this run in the history (with the crawl's trap report); compare it with the site's previous
    run."""
    from .changes import compare_runs

    site = config.site["name"]
    previous = store.previous_run(site, other_than=run_dir)
    columns = ["url", "status", "task", "confidence", "recommendation", "reasons", "content_hash", "redirect_to",
               "redirect_status", "depth", "inlinks_nav", "noindex", "robots_blocked", "final_url", "title", "views",
               "canonical"]
    page_rows = _PageRows(table, columns)
    task_rows = [{k: _scalar(row[k]) for k in ("task", "pages", "best_page", "best_depth", "competing_duplicates",
                                               "stale_share", "thin_share", "views")}
                 for row in tasks.to_dict("records")]
    # pending: no reader sees the run until write_audit has its workbook in place (a kill or an error in
    # between leaves a run the next audit ignores, not one it compares with)
    run_id = store.record_run(site, run_dir, config.fingerprint(), __version__, summary, page_rows, task_rows,
                              pending=True, trap_rows=list(trap_rows))
    changes = compare_runs(store, previous["id"], run_id) if previous else None
    if previous:
        from .history import rebase

        then_origin, now_origin = store.origin(previous), summary.get("origin")
        before = store.tasks(previous["id"])
        for row in before.values():
            row["best_page"] = rebase(row.get("best_page"), then_origin, now_origin)
        for column, field_name in (("pages_then", "pages"), ("best_page_then", "best_page"),
                                   ("best_depth_then", "best_depth"), ("stale_share_then", "stale_share"),
                                   ("competing_then", "competing_duplicates")):
            tasks[column] = [before.get(t, {}).get(field_name) for t in tasks["task"]]
        moves = _moves(changes)
        tasks["decided"] = [moves.get(t, [0, 0])[0] for t in tasks["task"]]
        tasks["reshuffled"] = [moves.get(t, [0, 0])[1] for t in tasks["task"]]
        tasks["slipped"] = [_slipped(row) for row in tasks.to_dict("records")]
        del tasks["decided"], tasks["reshuffled"]
    return {"changes": changes, "trend": store.series(site, also=run_id), "run_id": run_id}


class _PageRows:
    """The history's page rows, made 5,000 at a time as the history writes them (never a dict for every URL
    at once); iterable again (a retried write starts over)."""

    def __init__(self, table, columns: list, block: int = 5000):
        self.table, self.columns, self.block = table, columns, block

    def __iter__(self):
        for start in range(0, len(self.table), self.block):
            for row in self.table.iloc[start:start + self.block][self.columns].to_dict("records"):
                yield {k: _scalar(v) for k, v in row.items()}


def _moves(changes) -> dict:
    """{task: [net, gross]}: the pages that left each task since the previous run for another cause than the
    site, less those that came in so (net), and how many moved in or out at all (gross: the task's pages
    are then not the same pages as last time). Another cause: a reviewer's corrected task or a page removed
    or merged as decided (Changes: Cause decision), a page the classifier now reads otherwise (classifier:
    new labels, another model), a page outside the crawl's sample (crawl). What the site itself lost is a
    slip; these are not. One pass over the changes."""
    moves: dict = {}
    if changes is None or not len(changes):
        return moves
    for change, cause, then, now in zip(changes["change"], changes["cause"], changes["task_then"], changes["task_now"]):
        if "site" in str(cause).split(", ") or not ("task" in str(change) or "gone" in str(change)):
            continue
        moves.setdefault(then, [0, 0])
        moves[then][0] += 1
        moves[then][1] += 1
        if now != then:
            moves.setdefault(now, [0, 0])
            moves[now][0] -= 1
            moves[now][1] += 1
    return moves


def _decided(changes, task: str, gross: bool = False) -> int:
    """One task's figure of :func:`_moves`: net, or with ``gross`` how many moved in or out at all."""
    return _moves(changes).get(task, [0, 0])[1 if gross else 0]


def _slipped(row) -> M | None:
    """Why a task looks worse than last time, or None. A Message: said in the workbook's language. Pages
    that left the task for another cause than the site (``decided``: a decision, the classifier) are not a slip."""
    why = []
    if row.get("best_depth_then") is not None and row.get("best_depth") is not None and row["best_depth"] > row["best_depth_then"]:
        why.append(M("best page deeper ({then} -> {now} clicks)", then=row["best_depth_then"], now=row["best_depth"]))
    if row.get("pages_then") and row.get("pages") is not None and row["task"] != NONE and \
            row["pages"] + (row.get("decided") or 0) < row["pages_then"]:
        why.append(M("fewer pages ({then} -> {now})", then=row["pages_then"], now=row["pages"]))
    if row.get("stale_share_then") is not None and row.get("stale_share") is not None and \
            row["stale_share"] > row["stale_share_then"] + 0.05 and not row.get("reshuffled"):  # the same pages
        why.append(M("more stale ({then:.0%} -> {now:.0%})", then=row["stale_share_then"], now=row["stale_share"]))
    if isinstance(row.get("best_page_then"), str) and isinstance(row.get("best_page"), str) and \
            row["best_page"] != row["best_page_then"]:
        why.append(M("another best page"))
    if row.get("competing_then") is not None and (row.get("competing_duplicates") or 0) > row["competing_then"]:
        why.append(M("more competing duplicates ({then} -> {now})", then=row["competing_then"],
                     now=row["competing_duplicates"]))
    return M.join("; ", why) if why else None


def _scalar(value):
    if value is None:
        return None
    if isinstance(value, M):
        return str(value)  # the history keeps the English text
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def settings_rows_rules(rules) -> str:
    return ", ".join(f"{r.name}->{r.recommend or '(explains)'}" for r in rules)


def _folder(url: str) -> str:
    path = urlsplit(url).path
    return path.rsplit("/", 1)[0] if not path.endswith("/") else path.rstrip("/").rsplit("/", 1)[0]


def _redirect_targets(table, texts, settings) -> None:
    """Redirect to / Redirect status per row: merges 301 to the cluster's best page (a superseded page's: to
    its task's current page); removals 301 to a related page when something still points at them, else 410;
    redirect chains 301 to their end. Related: a kept (keep or improve), current (not stale), indexable
    top-task page other than a start page, not thin (at least [audit] thin_words words), whose main text is
    at least [audit] redirect_similarity alike (TF-IDF cosine), the removed page's most likely task
    (runner-up) and folder preferred; a section's landing page gives way to its task's best page. Targets
    that are themselves redirected are followed, so the list never makes a chain; a kept redirect to a
    page that will answer 410 (or redirect) is turned into a fix."""
    cols = {c: table[c].tolist() for c in ("url", "recommendation", "task", "status", "duplicate_of", "inlinks_body",
                                            "inlinks_nav", "views", "clicks", "impressions", "redirect_hops",
                                            "redirect_loop", "final_url", "found_via", "age_days", "noindex",
                                            "canonicalised", "content_type", "runner_up", "reasons", "decided_by",
                                            "current_page", "word_count", "depth")}
    n = len(table)
    target, code = [None] * n, [None] * n
    rec = cols["recommendation"]
    stale_days = settings["stale_days"]
    candidates = [i for i in range(n) if rec[i] in ("keep", "improve") and cols["status"][i] == 200
                  and isinstance(cols["task"][i], str) and cols["task"][i] != NONE
                  and cols["found_via"][i] != "start" and not cols["noindex"][i] and not cols["canonicalised"][i]
                  and cols["content_type"][i] == "text/html"
                  and (cols["word_count"][i] or 0) >= settings["thin_words"]  # a stub is no one's answer
                  and (cols["age_days"][i] is None or cols["age_days"][i] <= stale_days)]
    def used(i):
        return (cols["inlinks_body"][i] + cols["inlinks_nav"][i] > 0 or (cols["views"][i] or 0) > 0
                or (cols["clicks"][i] or 0) > 0 or (cols["impressions"][i] or 0) > 0)

    from .signals import MIN_DUPLICATE_WORDS

    # only a used page needs a 301; a page of a few words ("coming soon") reads like any other few words: 410
    removing = [i for i in range(n) if rec[i] == REMOVE and used(i) and (cols["word_count"][i] or 0) >= MIN_DUPLICATE_WORDS]
    folder = [_folder(u) for u in cols["url"]]
    # for ranking only: the task the removed page leans to, then its own folder (as numbers: one per value)
    number: dict = {}
    c_task = np.array([number.setdefault(("task", cols["task"][i]), len(number)) for i in candidates], dtype=np.int64)
    c_folder = np.array([number.setdefault(("folder", folder[i]), len(number)) for i in candidates], dtype=np.int64)
    q_task = np.array([number.get(("task", cols["runner_up"][q]), -1) for q in removing], dtype=np.int64)
    q_folder = np.array([number.get(("folder", folder[q]), -1) for q in removing], dtype=np.int64)
    by_task: dict = {}
    for i in candidates:
        if not urlsplit(cols["url"][i]).path.endswith("/"):
            by_task.setdefault(cols["task"][i], []).append(i)
    answers = {t: _best_of(cols, rows, bool(settings.get("analytics")), answer=True) for t, rows in by_task.items()}
    nearest = _text_nearest(texts, removing, candidates, threshold=settings["redirect_similarity"],
                            groups=(q_task, q_folder, c_task, c_folder))
    for i in range(n):
        if rec[i] == MERGE and cols["decided_by"][i] == "superseded" and isinstance(cols["current_page"][i], str):
            target[i], code[i] = cols["current_page"][i], 301  # into the task's current page
        elif rec[i] == MERGE and cols["duplicate_of"][i]:
            target[i], code[i] = cols["duplicate_of"][i], 301
        elif rec[i] == REMOVE:
            close = nearest.get(i)
            if close:
                j = close[0]
                # a section's landing page is a way in, not an answer: its task's best page when it has one
                if urlsplit(cols["url"][j]).path.endswith("/") and answers.get(cols["task"][j]) is not None:
                    j = answers[cols["task"][j]]
                target[i], code[i] = cols["url"][j], 301
            else:
                code[i] = 410
        elif rec[i] == FIX and cols["redirect_hops"][i] >= 2 and not cols["redirect_loop"][i]:
            target[i], code[i] = cols["final_url"][i], 301
    where = {cols["url"][i]: i for i in range(n) if code[i]}
    for i in range(n):  # follow targets that are themselves redirected or removed
        seen = {i}
        while target[i] in where and where[target[i]] not in seen:
            j = where[target[i]]
            seen.add(j)
            target[i], code[i] = target[j], code[j]
            if code[i] == 410:
                break
    _redirects_into_removed(cols, target, code, where)
    table["redirect_to"] = target
    table["redirect_status"] = pd.Series(code, dtype=object)
    table["recommendation"], table["reasons"] = rec, cols["reasons"]


def _redirects_into_removed(cols, target, code, where) -> None:
    """A URL the site already redirects, kept as it is, to a page this audit removes or redirects: it would
    answer with a redirect to a 410 (or a chain). Fix it: the same 410, or a 301 straight to the new target."""
    rec, reasons = cols["recommendation"], cols["reasons"]
    for i in range(len(rec)):
        if code[i] or cols["redirect_hops"][i] < 1 or cols["redirect_loop"][i] or rec[i] != "keep":
            continue
        j = where.get(cols["final_url"][i])
        if j is None:
            continue
        if code[j] == 410:
            detail = M("leads to {url}, which will answer 410: let this URL answer 410 too", url=cols["final_url"][i])
        else:
            detail = M("leads to {url}, which will redirect to {target}: point this URL there",
                       url=cols["final_url"][i], target=target[j])
        target[i], code[i], rec[i] = target[j], code[j], FIX
        reasons[i] = M.join("; ", filter(None, [reasons[i], M.plain("{code}: {detail}", code="redirect", detail=detail)]))


def _task_table(table, config, has_traffic: bool):
    import pandas as pd

    audit = config.audit
    cols = {c: table[c].tolist() for c in ("url", "task", "depth", "inlinks_body", "inlinks_nav", "views", "status",
                                            "content_type", "word_count", "age_days", "recommendation", "found_via",
                                            "confidence", "duplicate_of")}
    members_of: dict = {}
    for i, task in enumerate(cols["task"]):
        if isinstance(task, str):
            members_of.setdefault(task, []).append(i)
    classified = sum(len(m) for m in members_of.values())
    names = {t["id"]: t["name"] for t in config.tasks}
    rows = []
    for task_id in [t["id"] for t in config.tasks] + [NONE]:
        members = members_of.get(task_id, [])
        live = [i for i in members if cols["status"][i] == 200]
        # the best page is one the audit keeps (not one it merges, removes, noindexes or demotes) and the
        # classifier is sure serves the task, when there is one: an audience hub in the menu (/residents/)
        # has the most inlinks but is the task's only in doubt
        kept = [i for i in live if cols["recommendation"][i] in ("keep", "improve", "fix")] or live
        sure = [i for i in kept if (cols["confidence"][i] or 0) >= audit["low_confidence"]]
        best = _best_of(cols, sure or kept, has_traffic, answer=True) if live and task_id != NONE else None
        # what the task's pages weigh is read from the pages that serve it: not the home page (the way in to
        # every task) nor, when the classifier is sure of some, the pages in doubt (an audience hub, a stub)
        own = [i for i in members if cols["found_via"][i] != "start"]
        sure_members = [i for i in own if (cols["confidence"][i] or 0) >= audit["low_confidence"]]
        weighed = (sure_members or own) if task_id != NONE else own
        views = float(sum(cols["views"][i] or 0 for i in weighed)) if has_traffic else None
        weighed_set = set(weighed)
        live_weighed = [i for i in live if i in weighed_set]
        html = [i for i in live_weighed if cols["content_type"][i] == "text/html"]
        rows.append({
            "task": task_id, "name": names.get(task_id, M("serves no top task")), "pages": len(members),
            "share": round(len(members) / max(1, classified), 4),
            "best_page": cols["url"][best] if best is not None else None,
            "best_depth": cols["depth"][best] if best is not None else None,
            # copies to merge into the cluster's best page; a page a reviewer decided to merge is not a copy
            "competing_duplicates": sum(1 for i in members if cols["recommendation"][i] == MERGE and isinstance(cols["duplicate_of"][i], str)),
            "in_doubt": sum(1 for i in members if (cols["confidence"][i] or 0) < audit["low_confidence"]) if task_id != NONE else None,
            "thin_share": round(sum(cols["word_count"][i] < audit["thin_words"] for i in html) / len(html), 4) if html else None,
            "stale_share": round(sum((cols["age_days"][i] or 0) > audit["stale_days"] for i in live_weighed) / len(live_weighed), 4) if live_weighed else None,
            "views": views,
            "at_stake": round(views * (audit["cost_phone"] - audit["cost_web"]), 2) if has_traffic and task_id != NONE else None,
        })
    frame = pd.DataFrame(rows)
    top = frame[frame["task"] != NONE].sort_values(["pages", "task"], ascending=[False, True], kind="stable")
    return pd.concat([top, frame[frame["task"] == NONE]], ignore_index=True)


def _duplicate_table(table, best_of_cluster):
    import pandas as pd

    cols = {c: table[c].tolist() for c in ("url", "cluster", "content_hash", "similarity", "task", "word_count",
                                            "recommendation", "duplicate_kind")}
    members_of: dict = {}
    for i, c in enumerate(cols["cluster"]):
        if c is not None and c == c:
            members_of.setdefault(int(c), []).append(i)
    rows = []
    for c in sorted(best_of_cluster):
        members, best = members_of[c], best_of_cluster[c]
        kinds = {cols["duplicate_kind"][i] for i in members if i != best}
        cluster_kind = next((k for k in ("exact", "near", "similar") if k in kinds), "near")
        for i in sorted(members, key=lambda i: (i != best, -(cols["similarity"][i] or 0), cols["url"][i])):
            # each copy's own kind (a cluster can hold an exact copy and a near one); the best page the cluster's:
            # its closest copy's (exact, then near, then similar)
            kind = (cols["duplicate_kind"][i] if i != best else None) or cluster_kind
            rows.append({"cluster": c, "kind": kind, "url": cols["url"][i],
                         "best_page": cols["url"][best], "is_best": i == best, "similarity": cols["similarity"][i],
                         "task": cols["task"][i], "words": int(cols["word_count"][i]),
                         "recommendation": cols["recommendation"][i]})
    return pd.DataFrame(rows, columns=["cluster", "kind", "url", "best_page", "is_best", "similarity", "task",
                                       "words", "recommendation"])


def _summary(table, tasks, config, run_dir) -> dict:
    classified = int(table["task"].notna().sum())
    none = int((table["task"] == NONE).sum())
    crawl_file = Path(run_dir) / "crawl.json"
    try:
        crawl = json.loads(crawl_file.read_text(encoding="utf-8")) if crawl_file.exists() else {}
    except ValueError:
        crawl = {}
    finished = None
    if crawl.get("started") and crawl.get("elapsed_s") is not None:
        from datetime import datetime, timedelta

        try:
            start = datetime.fromisoformat(crawl["started"].replace("Z", "+00:00"))
            finished = (start + timedelta(seconds=float(crawl["elapsed_s"]))).strftime("%Y-%m-%dT%H:%M:%SZ")
        except (TypeError, ValueError):
            finished = None
    periods = []
    if config.audit["analytics"]:
        from . import analytics

        for name in config.audit["analytics"]:
            try:
                periods.append((Path(name).name, analytics.period(name)))
            except Exception:  # the export was read for the join already; a period is a nicety
                periods.append((Path(name).name, None))
    has_traffic = bool(config.audit["analytics"])
    return {
        "crawl_started": crawl.get("started"),
        "crawl_finished": finished,
        "crawl_complete": crawl.get("complete"),
        "analytics_periods": periods,
        "at_stake": float(tasks["at_stake"].fillna(0).sum()) if has_traffic else None,
        "visits": float(tasks.loc[tasks["task"] != NONE, "views"].fillna(0).sum()) if has_traffic else None,
        "site": config.site["name"],
        "run": str(run_dir),
        "urls": len(table),
        "pages": int((table["status"] == 200).sum()),
        "classified": classified,
        "no_task": none,
        "no_task_share": round(none / classified, 4) if classified else 0.0,
        "recommendations": table["recommendation"].value_counts().to_dict(),
        "tasks": tasks[["task", "name", "pages"]].to_dict("records"),
    }


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"longneck": __version__, "python": platform.python_version()}
    for name in ("scrapy", "scikit-learn", "pandas", "openpyxl", "datasketch", "resiliparse"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def write_audit(run_dir, audit: Audit, path=None) -> Path:
    """Write the workbook (atomically: a ``.partial`` file renamed into place), then mark the audit's run
    in the history as done: only a run whose workbook is in place is ever compared with. A workbook a
    reviewer has filled in is never overwritten (the new one gets a time-stamped name beside it); one that
    cannot be read (truncated, not a workbook) is moved aside to ``audit-unreadable-DATE-TIME.xlsx`` and
    replaced. Notes say so. A workbook that cannot be written is a RunError naming the file."""
    from reports.workbook import write_workbook

    from .runs import RunError

    path = Path(path or Path(run_dir) / "audit.xlsx")
    stamp = time.strftime('%Y%m%d-%H%M%S')
    partial = path.with_name(path.name + ".partial")
    _remove(partial)  # left by an earlier audit that was killed while saving
    if path.exists():
        state = _reviewed(path)
        if state is None:
            aside = path.with_name(f"{path.stem}-unreadable-{stamp}{path.suffix}")
            path.replace(aside)
            audit.notes.append(M("{name} could not be read as a workbook (damaged?); it was kept as {aside} and "
                                 "replaced by this audit", name=path.name, aside=aside.name))
        elif state:
            kept = path
            path = path.with_name(f"{path.stem}-{stamp}{path.suffix}")
            partial = path.with_name(path.name + ".partial")
            audit.notes.append(M("{kept} holds a review, so it was left alone; this audit is {name}", kept=str(kept),
                                 name=path.name))
    try:
        with open(partial, "wb"):  # can it be written at all? (before openpyxl starts its sheet writers)
            pass
        write_workbook(path, audit)
    except OSError as exc:
        _remove(partial)
        recorded = (" (the audit's run stays out of the history; audit again once it can be written)"
                    if audit.run_id is not None else "")
        raise RunError(f"cannot write the workbook {path}: {exc.strerror or exc}{recorded}") from None
    except BaseException:
        _remove(partial)
        raise
    if audit.run_id is not None and audit.history_url:
        from .history import History

        store = History(audit.history_url)
        try:
            store.finish_run(audit.run_id)
        finally:
            store.close()
    return path


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def _reviewed(path: Path) -> bool | None:
    """Does the workbook hold a review: anything in the reviewer columns beyond what the audit pre-filled?
    None when it cannot be read as an audit workbook at all."""
    from .review import ReviewError, read_workbook_reviews, review_fingerprint

    try:
        settings, rows = read_workbook_reviews(path)
    except ReviewError:  # damaged, or not an audit workbook: kept aside, not overwritten
        return None
    except Exception:  # noqa: BLE001 - a damaged zip or XML fails in many ways inside openpyxl
        return None
    if any(r["source"] != "pages" for r in rows):
        return True
    prefilled = settings.get("carried reviews")
    mine = review_fingerprint([(r["url"], r["decision"], r["notes"], r["corrected_task"], r["target"]) for r in rows])
    return not (prefilled and prefilled == mine) and bool(rows)


def run(config, out, progress=None, announce=print, resume: bool = False, history: bool = True) -> tuple[Path, dict, Audit]:
    """Crawl, classify, audit and write the workbook: ``longneck run``. ``resume``: continue an
    interrupted crawl in ``out`` first."""
    from crawler.run import crawl, refuse_crawled

    from .runs import save_config, site_for_crawl

    out = Path(out)
    refuse_crawled(out, resume)  # before anything is written: a refused run changes nothing
    out.mkdir(parents=True, exist_ok=True)
    if history:  # an unreachable or locked history fails now, not after the whole site is crawled
        from .history import History, database_url

        History(database_url(config.history["database"], out)).close()
    if not resume or not (out / "config.json").exists():
        save_config(out, config)
    summary = crawl(site_for_crawl(config), out, resume=resume, progress=progress)
    audit = audit_run(out, config, history=history)
    path = write_audit(out, audit)
    announce(f"workbook: {path}")
    return path, summary, audit
