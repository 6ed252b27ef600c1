"""What changed between two audits of a site, from the history: pages new and gone, task changed,
recommendation changed, content changed; pages per task then and now."""

from __future__ import annotations

import pandas as pd

CHANGE_COLUMNS = ["url", "change", "task_then", "task_now", "recommendation_then", "recommendation_now",
                  "status_then", "status_now"]


def compare_runs(store, run_a: int, run_b: int):
    """One row per URL that is new, gone or changed from run ``run_a`` to run ``run_b``."""
    then, now = store.pages(run_a), store.pages(run_b)
    rows = []
    for url in sorted(set(then) | set(now)):
        a, b = then.get(url), now.get(url)
        if a is None:
            change = ["new"]
        elif b is None:
            change = ["gone"]
        else:
            change = []
            if (a["task"] or "") != (b["task"] or ""):
                change.append("task")
            if a["recommendation"] != b["recommendation"]:
                change.append("recommendation")
            if a["content_hash"] != b["content_hash"] and a["status"] == b["status"] == 200:
                change.append("content")
            if a["status"] != b["status"]:
                change.append("status")
        if change:
            rows.append({"url": url, "change": ", ".join(change),
                         "task_then": a and a["task"], "task_now": b and b["task"],
                         "recommendation_then": a and a["recommendation"], "recommendation_now": b and b["recommendation"],
                         "status_then": a and a["status"], "status_now": b and b["status"]})
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


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
