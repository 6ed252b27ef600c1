"""What changed between two audits of a site, from the history: pages new and gone, task changed,
recommendation changed, content changed; pages per task then and now."""

from __future__ import annotations

import pandas as pd

from reports.i18n import Message as M

CHANGE_COLUMNS = ["url", "change", "cause", "task_then", "task_now", "recommendation_then", "recommendation_now",
                  "status_then", "status_now"]
# what caused a change (the Cause column, ", "-separated): words the workbook says in its language
CAUSES = ("site", "decision", "classifier", "traffic", "settings", "crawl")


def compare_runs(store, run_a: int, run_b: int):
    """One row per URL that is new, gone or changed from run ``run_a`` to run ``run_b``, with what
    caused it: ``site`` (the site changed: content, status, noindex, navigation, pages added or gone),
    ``decision`` (a reviewer's decision or corrected task), ``classifier`` (the task moved while the
    page did not: new labels or retraining), ``traffic``, ``settings`` (another config), or ``crawl``
    (a crawl cut short by max_pages did not reach the page, or a trap bound kept only some URLs of the
    page's kind: a page new since a crawl whose bound capped its pattern, or gone in a crawl whose bound
    capped it, may be there all along, outside the sample). A site that moved to another origin (http ->
    https, host, port) is matched by path."""
    from .history import rebase

    run_then, run_now = store.run(run_a), store.run(run_b)
    origin_then, origin_now = store.origin(run_then), store.origin(run_now)
    capped_then, capped_now = capped(store, run_then), capped(store, run_now)
    then = {rebase(u, origin_then, origin_now): p for u, p in store.pages(run_a).items()}
    now = store.pages(run_b)
    reviewed = store.decisions(run_now["site"], before_id=run_b, origin=origin_now) if run_now else {}
    settings_changed = run_then["config_fingerprint"] != run_now["config_fingerprint"]
    rows = []
    for url in sorted(set(then) | set(now)):
        a, b = then.get(url), now.get(url)
        decision = reviewed.get(url) or {}
        if a is None:
            sampled = sampled_by(rebase(url, origin_now, origin_then), capped_then)
            change, cause = ["new"], ["crawl" if run_then.get("complete") is False or sampled else "site"]
        elif b is None:
            if run_now.get("complete") is False or sampled_by(url, capped_now):
                cause = ["crawl"]
            elif decision.get("decision") in ("remove", "merge"):
                cause = ["decision"]
            else:
                cause = ["site"]
            change = ["gone"]
        else:
            change, cause = [], []
            site = (a["status"] != b["status"] or bool(a["noindex"]) != bool(b["noindex"])
                    or (a["content_hash"] != b["content_hash"] and a["status"] == b["status"] == 200))
            nav = (a["inlinks_nav"] or 0) != (b["inlinks_nav"] or 0)
            task = (a["task"] or "") != (b["task"] or "")
            if task:
                change.append("task")
            if a["recommendation"] != b["recommendation"]:
                change.append("recommendation")
            if a["content_hash"] != b["content_hash"] and a["status"] == b["status"] == 200:
                change.append("content")
            if a["status"] != b["status"]:
                change.append("status")
            if change:
                # a reviewer's corrected task, now the page's (not a page that lost its task: a 410 has none)
                corrected = task and bool(decision.get("corrected_task")) and decision["corrected_task"] == b["task"]
                by_decision = corrected or ("recommendation" in change and (_upheld(b) or _upheld(a)))
                if by_decision:
                    cause.append("decision")
                if site or (nav and "recommendation" in change):
                    cause.append("site")
                confident = abs((a.get("confidence") or 0) - (b.get("confidence") or 0)) >= 0.01
                if not site and ((task and not corrected) or (confident and "recommendation" in change
                                                              and not by_decision)):
                    cause.append("classifier")  # the task or its confidence moved while the page did not
                if not cause and "recommendation" in change:
                    if (a.get("views") or 0) != (b.get("views") or 0):
                        cause.append("traffic")
                    elif settings_changed:
                        cause.append("settings")
                    else:
                        cause.append("classifier")
                if "classifier" in cause and (run_then.get("complete") is False or run_now.get("complete") is False):
                    cause.append("crawl")  # a crawl cut short gives the classifier less of the site to go on
        if change:
            rows.append({"url": url, "change": ", ".join(change), "cause": M.join(", ", map(M, cause)),
                         "task_then": a and a["task"], "task_now": b and b["task"],
                         "recommendation_then": a and a["recommendation"], "recommendation_now": b and b["recommendation"],
                         "status_then": a and a["status"], "status_now": b and b["status"]})
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


def capped(store, run: dict) -> tuple[frozenset, frozenset]:
    """What the run's crawl kept only a sample of: the URL patterns a trap bound capped (as
    ``url_pattern`` writes them), and the paths' shapes (the pattern before its ``?``) whose query
    variants ``max_query_variants`` capped (it counts a path's variants whatever their parameters). From
    the history; for a run recorded before it kept them (schema 4), from its run folder's ``crawl.json``
    when that is still there."""
    rows = store.traps(run["id"])
    if not rows and (run.get("schema_version") or 0) < 4:
        rows = _crawl_json_traps(run.get("run_dir"))
    patterns, shapes = set(), set()
    for row in rows:
        if row.get("reason") == "max-query-variants":
            shapes.add(str(row.get("pattern")).split("?", 1)[0])
        else:
            patterns.add(str(row.get("pattern")))
    return frozenset(patterns), frozenset(shapes)


def sampled_by(url: str, capped: tuple) -> bool:
    """Is ``url`` of a kind the crawl kept only a sample of (see :func:`capped`)?"""
    patterns, shapes = capped
    if not patterns and not shapes:
        return False
    from crawler.urls import url_pattern

    pattern = url_pattern(url)
    return pattern in patterns or ("?" in pattern and pattern.split("?", 1)[0] in shapes)


def _crawl_json_traps(run_dir) -> list:
    import json
    from pathlib import Path

    if not run_dir:
        return []
    try:
        found = json.loads((Path(run_dir) / "crawl.json").read_text(encoding="utf-8")).get("traps")
    except (OSError, ValueError, AttributeError):
        return []
    return [t for t in found if isinstance(t, dict)] if isinstance(found, list) else []


def _upheld(page: dict) -> bool:
    """Did a reviewer's earlier decision decide this page's recommendation (rather than being asked again)?"""
    first = (page.get("reasons") or "").split("; ", 1)[0]
    return first.startswith("reviewed:") and ", ask again:" not in first


def tasks_then_and_now(store, run_a: int, run_b: int):
    then, now = store.tasks(run_a), store.tasks(run_b)
    rows = []
    for task in list(now) + [t for t in then if t not in now]:
        a, b = then.get(task, {}), now.get(task, {})
        rows.append({"task": task, "pages_then": a.get("pages"), "pages_now": b.get("pages"),
                     "best_page_then": a.get("best_page"), "best_page_now": b.get("best_page"),
                     "best_depth_then": a.get("best_depth"), "best_depth_now": b.get("best_depth")})
    return pd.DataFrame(rows, dtype=object)


def summary_counts(changes) -> dict:
    counts: dict = {}
    for value in changes["change"]:
        for kind in value.split(", "):
            counts[kind] = counts.get(kind, 0) + 1
    return counts
