"""Reviewers' decisions: importing a reviewed workbook, carrying decisions forward, and checking that
they were carried out (follow-through).

A reviewed workbook is read as Excel or LibreOffice saved it: every "Pages" sheet (Pages, Pages 2 ...),
found by its header row, with the columns URL, Decision, Notes and Corrected task. Every row is
checked before anything is stored; problems are reported with their sheet and row numbers.

The workbook may be in any shipped language (:mod:`reports.i18n`): sheets and columns are found by
their name in any of them, and Decision values are read back as the English recommendations. The
Settings sheet's own keys are always English.
"""

from __future__ import annotations

from pathlib import Path

from reports.i18n import Message as M

from .runs import RunError
from .rules import RECOMMENDATIONS

NONE = "none"


REVIEW_COLUMNS = ("URL", "Decision", "Notes", "Corrected task")  # required; "Redirect target" is read when present
FIELDS = ("decision", "notes", "corrected_task", "target")
ASK_AGAIN = "ask again"  # how the Review column starts on a row whose earlier decision must be made again


class ReviewError(RunError):
    """A reviewed workbook that cannot be read or imported (a workbook error, not a config error); the
    message names the sheet, row and what is wrong."""


WorkbookError = ReviewError


def read_workbook_reviews(path) -> tuple[dict, list[dict]]:
    """({setting: value} from the Settings sheet, [{sheet, row, url, decision, notes, corrected_task,
    target, source}]) from a reviewed workbook: every Pages sheet (Pages, Pages 2 ...) found by its
    header row, and the Label column of the Label queue sheet (a label is a corrected task). Rows
    without a decision, notes, corrected task or target are left out."""
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    from reports.i18n import variants

    # a Decision in any shipped language, as the English recommendation
    decisions = {word.casefold(): rec for rec in RECOMMENDATIONS for word in variants(rec)}
    from reports.workbook import uri

    path = Path(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise ReviewError(f"workbook not found: {path}") from None
    except (InvalidFileException, OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:  # zip and XML trouble
        raise ReviewError(f"{path}: not a readable .xlsx workbook ({exc.__class__.__name__}: {exc})") from None
    try:
        settings_sheet = _sheet(book.sheetnames, "Settings")
        if settings_sheet is None:
            raise ReviewError(f"{path}: no Settings sheet: is this a longneck audit workbook?")
        settings = {}
        for row in book[settings_sheet].iter_rows(min_row=2, values_only=True):
            if row and row[0] is not None:
                settings[str(row[0])] = row[1] if len(row) > 1 else None
        pages = variants("Pages")
        sheets = [name for name in book.sheetnames
                  if name in pages or any(name.startswith(p + " ") and name[len(p) + 1:].isdigit() for p in pages)]
        if not sheets:
            raise ReviewError(f"{path}: no Pages sheet")
        rows = []
        asking = tuple(variants(ASK_AGAIN))  # the Review column in any shipped language
        for name in sheets:
            it = book[name].iter_rows(values_only=True)
            header = [str(h).strip() if h is not None else "" for h in next(it, ())]
            where = {c: _column(header, c) for c in REVIEW_COLUMNS + ("Redirect target", "Review")}
            missing = [c for c in REVIEW_COLUMNS if where[c] is None]
            if missing:
                raise ReviewError(f"{path}: sheet {name!r} lacks the column(s) {', '.join(missing)}")
            where = {c: i for c, i in where.items() if i is not None}
            for number, row in enumerate(it, 2):
                cells = list(row) + [None] * (len(header) - len(row))
                values = {field: _text(cells[where[column]]) if column in where else ""
                          for field, column in zip(FIELDS, ("Decision", "Notes", "Corrected task", "Redirect target"))}
                review = _text(cells[where["Review"]]) if "Review" in where else ""
                # a row the audit pre-filled with a decision that the reviewer has emptied: a withdrawal
                cleared = bool(review) and not review.startswith(asking) and not values["decision"]
                if not any(values.values()) and not cleared:
                    continue
                values["decision"] = decisions.get(values["decision"].casefold(), values["decision"].lower())
                values["target"] = uri(values["target"])  # shown (and typed) decoded: the URL itself
                rows.append({"sheet": name, "row": number, "url": uri(_text(cells[where["URL"]])), **values,
                             "source": "pages", "cleared": cleared, "asked": review.startswith(asking)})
        queue = _sheet(book.sheetnames, "Label queue")
        if queue is not None:
            it = book[queue].iter_rows(values_only=True)
            header = [str(h).strip() if h is not None else "" for h in next(it, ())]
            u, lab = _column(header, "URL"), _column(header, "Label")
            if u is not None and lab is not None:
                for number, row in enumerate(it, 2):
                    cells = list(row) + [None] * (len(header) - len(row))
                    if _text(cells[lab]):
                        rows.append({"sheet": queue, "row": number, "url": uri(_text(cells[u])), "decision": "",
                                     "notes": "", "corrected_task": _text(cells[lab]), "target": "",
                                     "source": "label queue", "cleared": False, "asked": False})
    finally:
        book.close()
    return settings, rows


def _sheet(names, english: str) -> str | None:
    """The workbook's sheet that is ``english`` in any shipped language, else None."""
    from reports.i18n import variants

    wanted = variants(english)
    return next((name for name in names if name in wanted), None)


def _column(header: list, english: str) -> int | None:
    """Where the column ``english`` (in any shipped language) is in ``header``, else None."""
    from reports.i18n import variants

    wanted = variants(english)
    return next((i for i, name in enumerate(header) if name in wanted), None)


def _text(value) -> str:
    if value is None:
        return ""
    text = str(value).strip()
    return text[1:] if text.startswith("'") else text  # the apostrophe that keeps text from being a formula


def validate_reviews(rows: list[dict], task_ids, urls) -> list[dict]:
    """Check every row; raise one ReviewError listing every problem (nothing is half-imported). A label
    from the Label queue joins the same URL's Pages row (they must agree)."""
    allowed_tasks = set(task_ids) | {NONE}
    problems, clean, seen = [], {}, {}
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
        what = "Label" if row["source"] == "label queue" else "Corrected task"
        if row["corrected_task"] and row["corrected_task"] not in allowed_tasks:
            problems.append(f"{where}: {what} must be a task id or none ({', '.join(sorted(allowed_tasks))}), "
                            f"found {row['corrected_task']!r}")
        if row["target"] and not row["target"].startswith(("http://", "https://")):
            problems.append(f"{where}: Redirect target must be an absolute http(s) URL, found {row['target']!r}")
        elif row["target"] and row["target"] == row["url"]:
            problems.append(f"{where}: Redirect target is the URL itself")
        if row["target"] and row["decision"] not in ("merge", "remove", "fix"):
            problems.append(f"{where}: a Redirect target needs the Decision merge, remove or fix, "
                            f"found {row['decision'] or 'no decision'!r}")
        key = (row["url"], row["source"])
        if key in seen:
            problems.append(f"{where}: {row['url']} is reviewed twice (also {seen[key]})")
        seen[key] = where
        entry = {k: (row[k] or None) for k in ("url",) + FIELDS}
        entry["source"], entry["cleared"], entry["asked"] = row["source"], row.get("cleared", False), row.get("asked", False)
        earlier = clean.get(row["url"])
        if earlier is not None:  # a Pages row and a Label queue label for one URL
            if earlier["corrected_task"] and entry["corrected_task"] and earlier["corrected_task"] != entry["corrected_task"]:
                problems.append(f"{where}: label {entry['corrected_task']!r} disagrees with the Corrected task "
                                f"{earlier['corrected_task']!r} given for the same URL on the Pages sheet")
            earlier["corrected_task"] = earlier["corrected_task"] or entry["corrected_task"]
            continue
        clean[row["url"]] = entry
    if problems:
        raise ReviewError(f"{len(problems)} invalid row(s), nothing imported:\n  " + "\n  ".join(problems[:50])
                          + ("\n  ..." if len(problems) > 50 else ""))
    return list(clean.values())


def import_review(workbook, database: str | None = None, replace: bool = False) -> dict:
    """Merge the reviewer columns of a reviewed workbook (Decision, Notes, Corrected task, Redirect
    target, and the Label queue's labels) into the history of the run it was written for, URL by URL.
    Rows already imported from another workbook with a different decision, corrected task or target are
    conflicts: listed, and nothing is stored unless ``replace``. Returns {run_id, database, reviews,
    decisions, corrected, labels, carried, withdrawals, added, updated, unchanged, withdrawn, kept, conflicts,
    warnings}. Rows left as the audit pre-filled them (earlier decisions carried forward) are counted, not
    stored again; a pre-filled decision the reviewer emptied is stored as a withdrawal."""
    import json

    from .history import History, _safe

    settings, rows = read_workbook_reviews(workbook)
    run_id = settings.get("history run id")
    url = database or settings.get("history database")
    if run_id in (None, "") or not url:
        raise ReviewError(f"{workbook}: the Settings sheet names no history run (written before the history "
                          "existed, or by `longneck audit --no-history`)")
    try:
        run_id = int(run_id)
    except (TypeError, ValueError):
        raise ReviewError(f"{workbook}: Settings 'history run id' must be a number, found {run_id!r}") from None
    history = History(url)
    try:
        run = history.run(run_id)
        if run is None:
            raise ReviewError(f"{workbook}: run {run_id} is not in the history {_safe(url)}")
        if settings.get("config fingerprint") and settings["config fingerprint"] != run["config_fingerprint"]:
            raise ReviewError(f"{workbook}: written for config {settings['config fingerprint']}, but run {run_id} in "
                              f"{_safe(url)} has {run['config_fingerprint']}: a different history?")
        task_ids = [json.loads(v)["id"] for k, v in settings.items() if k.startswith("task ") and v]
        pages = history.pages(run_id)
        clean = validate_reviews(rows, task_ids, set(pages))
        warnings, untargeted = [], set()
        for row in clean:
            if row["decision"] == "merge" and not row["target"]:
                proposed = pages[row["url"]].get("redirect_to")
                if proposed:
                    row["target"] = proposed  # the audit's proposal, agreed by deciding merge
                else:
                    untargeted.add(row["url"])
        earlier = history.decisions(run["site"], before_id=run_id, origin=history.origin(run))
        # an earlier decision the workbook came pre-filled with, left as it was, is not a new review: it
        # stays the decision of the run it was made in (what it rested on is that run's page)
        carried, fresh = 0, []
        for row in clean:
            if _same_review(row, earlier.get(row["url"])):
                carried += 1
                continue
            if row["cleared"]:
                if not (earlier.get(row["url"]) or {}).get("decision"):
                    if not any(row[k] for k in FIELDS):
                        continue  # nothing to withdraw, nothing typed
                else:
                    row["source"] = "withdrawn"  # the decision is withdrawn; notes typed beside it are kept
            fresh.append(row)
            if row["url"] in untargeted:
                warnings.append(f"{row['url']}: merge without a Redirect target, and the audit proposed none: "
                                "no redirect is listed until a target is set")
        result = history.merge_reviews(run_id, fresh, str(Path(workbook).resolve()), replace=replace)
    finally:
        history.close()
    if result["conflicts"] and not replace:
        lines = [f"{c['url']}: {c['field']} {c['then']!r} (from {c['workbook']}) vs {c['now']!r} here"
                 for c in result["conflicts"]]
        raise ReviewError(f"{len(lines)} URL(s) were already reviewed differently in another workbook for run {run_id}; "
                          "nothing imported. Settle them, or import with --replace to let this workbook win:\n  "
                          + "\n  ".join(lines[:50]) + ("\n  ..." if len(lines) > 50 else ""))
    return {"run_id": run_id, "database": _safe(url), "reviews": len(fresh) + carried,
            "decisions": sum(1 for r in fresh if r["decision"]),
            "corrected": sum(1 for r in fresh if r["corrected_task"]),
            "withdrawals": sum(1 for r in fresh if r["source"] == "withdrawn"),
            "labels": sum(1 for r in rows if r["source"] == "label queue"), "carried": carried,
            "warnings": warnings, **result}


def _same_review(row: dict, earlier: dict | None) -> bool:
    """Is ``row`` the earlier decision carried forward as the audit pre-filled it, left as it was? (On a
    row asked again, the audit leaves Decision and Redirect target empty.)"""
    if earlier is None:
        return False
    if row.get("asked"):  # a decision typed on a row asked again is an answer, even the same one as before
        return not row.get("decision") and not row.get("target") and all(
            (row.get(k) or None) == (earlier.get(k) or None) for k in ("notes", "corrected_task"))
    return all((row.get(k) or None) == (earlier.get(k) or None) for k in ("decision", "notes", "corrected_task", "target"))


def review_fingerprint(rows) -> str:
    """A short hash of reviewer rows (url, decision, notes, corrected task, target), as the workbook
    reader returns them (empty cells as "", decisions lower-case), in any order."""
    import hashlib

    def norm(v):
        return "" if v is None or v != v else str(v).strip()

    keys = sorted("\x1f".join([norm(r[0]), norm(r[1]).lower(), *map(norm, r[2:])]) for r in rows)
    return hashlib.sha256("\x1e".join(keys).encode()).hexdigest()[:16]


def traffic_band(views, settings: dict) -> str | None:
    """Traffic as a band a decision can rest on: None without analytics; 'low' under [audit] low_traffic,
    'high' from [audit] high_traffic (default 1,000), else 'normal'."""
    if views is None or views != views:
        return None
    if views < settings.get("low_traffic", 10):
        return "low"
    high = settings.get("high_traffic")
    if views >= (high if isinstance(high, (int, float)) else 1000):
        return "high"
    return "normal"


def _status(code) -> str:
    return M("no response") if code is None or code != code else str(int(code))


def basis_change(decision: dict, page: dict, settings: dict) -> str | None:
    """What a decision rested on that has changed since it was made (task, status, indexability,
    traffic band), in words; None when it still holds. Content edits alone do not reopen a decision,
    and neither does the change the decision itself asked for (a removed page answering 410)."""
    changed = []
    then_task = decision.get("corrected_task") or decision.get("task")
    now_task = page.get("task")
    if isinstance(then_task, str) and isinstance(now_task, str) and then_task != now_task:
        changed.append(M("task {then} -> {now}", then=then_task, now=now_task))
    kind = decision.get("decision")
    if decision.get("status") != page.get("status") and kind not in ("remove", "merge", "fix"):
        changed.append(M("status {then} -> {now}", then=_status(decision.get("status")), now=_status(page.get("status"))))
    if bool(decision.get("noindex")) != bool(page.get("noindex")) and kind != "noindex":
        changed.append(M("now noindex") if page.get("noindex") else M("noindex lifted"))
    if bool(decision.get("robots_blocked")) != bool(page.get("robots_blocked")):
        changed.append(M("now blocked by robots.txt") if page.get("robots_blocked") else
                       M("no longer blocked by robots.txt"))
    then_band, now_band = traffic_band(decision.get("views"), settings), traffic_band(page.get("views"), settings)
    if then_band and now_band and then_band != now_band:
        changed.append(M("traffic {then} -> {now} ({views_then:,.0f} -> {views_now:,.0f} page views)",
                         then=M(then_band), now=M(now_band), views_then=decision["views"], views_now=page["views"]))
    return M.join(", ", changed) if changed else None


def follow_through(decision: dict, page: dict | None, complete: bool = True) -> tuple[bool | None, str]:
    """Was a past decision carried out? (done, what the crawl shows now). ``page``: the URL's row in this
    audit (None when this crawl did not meet the URL); ``complete``: whether the crawl saw the whole site
    (one cut short by max_pages cannot tell an unlinked URL from one it never reached)."""
    kind = decision["decision"]
    target = decision.get("target") or decision.get("redirect_to")
    if page is None:
        if not complete:
            return None, M("not checked: the crawl stopped at site.max_pages before reaching it")
        if kind in ("remove", "merge", "demote"):
            return True, M("no longer linked from the site")
        return None, M("not met by this crawl")
    status, final = page.get("status"), page.get("final_url")
    if kind == "keep":
        return True, M("kept")
    if kind == "remove":
        if status in (404, 410):
            return True, M("answers {status}", status=str(status))
        if page.get("redirect_hops"):
            return _redirected(final, target)
        return False, M("still answers {status}", status=_status(status))
    if kind == "merge":
        if page.get("redirect_hops"):
            return _redirected(final, target)
        return False, M("still answers {status}, no redirect", status=_status(status))
    if kind == "noindex":
        if page.get("robots_blocked"):
            return False, M("blocked by robots.txt, so search engines never see a noindex")
        return (True, M("carries noindex")) if page.get("noindex") else (False, M("no noindex yet"))
    if kind == "demote":
        nav = page.get("inlinks_nav") or 0
        if nav == 0 and decision.get("inlinks_nav") == 0:  # nothing to take out: it never was in the menu
            return None, M("not in the navigation when decided, nor now: nothing to check")
        return (True, M("gone from the navigation")) if nav == 0 else \
            (False, M("still in the navigation of {n} pages", n=nav))
    if kind == "improve":
        if status != 200:
            return False, M("answers {status}, not improved", status=_status(status))
        now, then = page.get("content_hash"), decision.get("content_hash")
        changed = isinstance(now, str) and now != then
        return (True, M("content changed")) if changed else (False, M("content unchanged"))
    if kind == "fix":
        hops = page.get("redirect_hops") or 0
        problems = []
        if status is not None and status >= 400 and not hops:
            linked = (page.get("inlinks_body") or 0) + (page.get("inlinks_nav") or 0)
            if linked:
                problems.append(M("answers {status} and {n} page still link to it" if linked == 1 else
                                  "answers {status} and {n} pages still link to it", status=str(status), n=linked))
        elif status is None and not page.get("robots_blocked"):
            problems.append(M("no response"))
        if hops >= 2 or page.get("redirect_loop"):
            problems.append(M("still {n} redirect hops (a loop)" if page.get("redirect_loop") else
                              "still {n} redirect hops", n=hops))
        if page.get("broken_links"):
            problems.append(M("{n} broken link" if page["broken_links"] == 1 else "{n} broken links",
                              n=page["broken_links"]))
        if page.get("noindex") and page.get("robots_blocked"):
            problems.append(M("noindex on a page robots.txt blocks"))
        if problems:
            return False, M("still needs fixing: {problems}", problems=M.join(", ", problems))
        if hops == 1:
            return True, M("redirects in one hop to {url}", url=page.get("final_url"))
        return True, M("nothing left to fix") if status == 200 else \
            M("answers {status}, no longer linked", status=_status(status))
    return None, ""


def _redirected(final, target) -> tuple[bool, str]:
    """A removed or merged page that redirects: done when it leads to the agreed target (or none was set)."""
    if not target or final == target:
        return True, M("redirects to {url}", url=final)
    return False, M("redirects to {url}, not to the agreed {target}", url=final, target=target)
