"""Reviewers' decisions: importing a reviewed workbook, carrying decisions forward, and checking that
they were carried out (follow-through).

A reviewed workbook is read as Excel or LibreOffice saved it: every "Pages" sheet (Pages, Pages 2 ...),
found by its header row, with the columns URL, Decision, Notes and Corrected task. Every row is
checked before anything is stored; problems are reported with their sheet and row numbers.
"""

from __future__ import annotations

from pathlib import Path

from .config import ConfigError
from .rules import RECOMMENDATIONS

NONE = "none"


class WorkbookError(ConfigError):
    """A workbook that cannot be read or imported (not a config problem; a ConfigError for callers that
    treat every bad input alike)."""


def read_workbook_reviews(path) -> tuple[dict, list[dict]]:
    """({setting: value} from the Settings sheet, [{url, decision, notes, corrected_task}]) from a
    reviewed workbook. Rows without a decision, notes or corrected task are left out."""
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    path = Path(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise WorkbookError(f"workbook not found: {path}") from None
    except (InvalidFileException, OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:  # zip and XML trouble
        raise WorkbookError(f"{path}: not a readable .xlsx workbook ({exc.__class__.__name__}: {exc})") from None
    try:
        if "Settings" not in book.sheetnames:
            raise WorkbookError(f"{path}: no Settings sheet: is this a longneck audit workbook?")
        settings = {}
        for row in book["Settings"].iter_rows(min_row=2, values_only=True):
            if row and row[0] is not None:
                settings[str(row[0])] = row[1] if len(row) > 1 else None
        sheets = [name for name in book.sheetnames if name == "Pages" or name.startswith("Pages ")]
        if not sheets:
            raise WorkbookError(f"{path}: no Pages sheet")
        rows = []
        for name in sheets:
            it = book[name].iter_rows(values_only=True)
            header = [str(h).strip() if h is not None else "" for h in next(it, ())]
            missing = [c for c in ("URL", "Decision", "Notes", "Corrected task") if c not in header]
            if missing:
                raise WorkbookError(f"{path}: sheet {name!r} lacks the column(s) {', '.join(missing)}")
            where = {c: header.index(c) for c in ("URL", "Decision", "Notes", "Corrected task")}
            for number, row in enumerate(it, 2):
                cells = list(row) + [None] * (len(header) - len(row))
                url = cells[where["URL"]]
                decision, notes, corrected = (cells[where[c]] for c in ("Decision", "Notes", "Corrected task"))
                if not any(_text(v) for v in (decision, notes, corrected)):
                    continue
                rows.append({"sheet": name, "row": number, "url": _text(url), "decision": _text(decision).lower(),
                             "notes": _text(notes), "corrected_task": _text(corrected)})
    finally:
        book.close()
    return settings, rows


def _text(value) -> str:
    if value is None:
        return ""
    text = str(value).strip()
    return text[1:] if text.startswith("'") else text  # the apostrophe that keeps text from being a formula


def validate_reviews(rows: list[dict], task_ids, urls) -> list[dict]:
    """Check every row; raise one ConfigError listing every problem (nothing is half-imported)."""
    allowed_tasks = set(task_ids) | {NONE}
    problems, clean, seen = [], [], {}
    for row in rows:
        where = f"sheet {row['sheet']!r} row {row['row']}"
        if not row["url"]:
            problems.append(f"{where}: the URL is empty")
            continue
        if row["url"] not in urls:
            problems.append(f"{where}: {row['url']!r} is not a URL of this audit")
            continue
        if row["decision"] and row["decision"] not in RECOMMENDATIONS:
            problems.append(f"{where}: Decision must be one of {', '.join(RECOMMENDATIONS)}, found {row['decision']!r}")
        if row["corrected_task"] and row["corrected_task"] not in allowed_tasks:
            problems.append(f"{where}: Corrected task must be a task id or none ({', '.join(sorted(allowed_tasks))}), "
                            f"found {row['corrected_task']!r}")
        if row["url"] in seen:
            problems.append(f"{where}: {row['url']} is reviewed twice (also {seen[row['url']]})")
        seen[row["url"]] = where
        clean.append({k: (row[k] or None) for k in ("url", "decision", "notes", "corrected_task")})
    if problems:
        raise WorkbookError(f"{len(problems)} invalid row(s), nothing imported:\n  " + "\n  ".join(problems[:50])
                          + ("\n  ..." if len(problems) > 50 else ""))
    return clean


def import_review(workbook, database: str | None = None) -> dict:
    """Import the Decision, Notes and Corrected task columns of a reviewed workbook into the history
    of the run it was written for; returns {run_id, reviews, database}."""
    import json

    from .history import History, _safe

    settings, rows = read_workbook_reviews(workbook)
    run_id = settings.get("history run id")
    url = database or settings.get("history database")
    if run_id in (None, "") or not url:
        raise WorkbookError(f"{workbook}: the Settings sheet names no history run (written before the history "
                          "existed, or by `longneck audit --no-history`)")
    try:
        run_id = int(run_id)
    except (TypeError, ValueError):
        raise WorkbookError(f"{workbook}: Settings 'history run id' must be a number, found {run_id!r}") from None
    history = History(url)
    try:
        run = history.run(run_id)
        if run is None:
            raise WorkbookError(f"{workbook}: run {run_id} is not in the history {_safe(url)}")
        if settings.get("config fingerprint") and settings["config fingerprint"] != run["config_fingerprint"]:
            raise WorkbookError(f"{workbook}: written for config {settings['config fingerprint']}, but run {run_id} in "
                              f"{_safe(url)} has {run['config_fingerprint']}: a different history?")
        task_ids = [json.loads(v)["id"] for k, v in settings.items() if k.startswith("task ") and v]
        clean = validate_reviews(rows, task_ids, set(history.pages(run_id)))
        count = history.store_reviews(run_id, clean, str(Path(workbook).resolve()))
    finally:
        history.close()
    decisions = sum(1 for r in clean if r["decision"])
    corrected = sum(1 for r in clean if r["corrected_task"])
    return {"run_id": run_id, "reviews": count, "decisions": decisions, "corrected": corrected, "database": _safe(url)}


def follow_through(decision: dict, page: dict | None) -> tuple[bool | None, str]:
    """Was a past decision carried out? (done, what the crawl shows now). ``page``: the URL's row in this
    audit (None when this crawl did not meet the URL)."""
    kind = decision["decision"]
    target = decision.get("redirect_to")
    if page is None:
        if kind in ("remove", "merge", "demote"):
            return True, "no longer linked from the site"
        return None, "not met by this crawl"
    status, final = page.get("status"), page.get("final_url")
    if kind == "keep":
        return True, "kept"
    if kind == "remove":
        if status in (404, 410):
            return True, f"answers {status}"
        if page.get("redirect_hops"):
            ok = not target or final == target
            return ok, f"redirects to {final}" + ("" if ok else f", not to the agreed {target}")
        return False, f"still answers {status}"
    if kind == "merge":
        if page.get("redirect_hops"):
            ok = not target or final == target
            return ok, f"redirects to {final}" + ("" if ok else f", not to the agreed {target}")
        return False, f"still answers {status}, no redirect"
    if kind == "noindex":
        if page.get("robots_blocked"):
            return False, "blocked by robots.txt, so search engines never see a noindex"
        return (True, "carries noindex") if page.get("noindex") else (False, "no noindex yet")
    if kind == "demote":
        nav = page.get("inlinks_nav") or 0
        return (True, "gone from the navigation") if nav == 0 else (False, f"still in the navigation of {nav} pages")
    if kind == "improve":
        changed = page.get("content_hash") != decision.get("content_hash")
        return (True, "content changed") if changed else (False, "content unchanged")
    if kind == "fix":
        ok = (status == 200 and (page.get("redirect_hops") or 0) < 2 and not page.get("broken_links")
              and not (page.get("noindex") and page.get("robots_blocked")))
        return (True, "nothing left to fix") if ok else (False, "still needs fixing")
    return None, ""
