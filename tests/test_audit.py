"""The audit end to end: `longneck run` on a local site built so that every rule fires on a known page,
then the workbook read back; `longneck audit` re-run with changed thresholds, rules and analytics."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from audit.demo.server import SiteServer
from audit.rules import DEFAULT_ORDER, REASONS, RULE_FUNCTIONS, rules_toml

from . import rules_site
from .conftest import ROOT, longneck

SHEETS = ["Summary", "Pages", "Sections", "Tasks", "Duplicates", "Redirects", "Broken links", "Label queue", "Changes",
          "Follow-through", "Settings"]


def rows_of(ws) -> list[dict]:
    header = [c.value for c in ws[1]]
    return [dict(zip(header, (c.value for c in row))) for row in ws.iter_rows(min_row=2) if any(c.value is not None for c in row)]


def by_path(rows, origin) -> dict:
    return {r["URL"][len(origin):]: r for r in rows}


def codes(reasons: str | None) -> set:
    return {entry.split(":", 1)[0] for entry in (reasons or "").split("; ") if entry}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("rules-site")
    rules_site.build(root / "www")
    with SiteServer(root / "www") as server:
        config = rules_site.write_config(root, server.url)
        out = root / "run"
        proc = longneck("run", config, "--out", out, "-q")
        yield {"root": root, "origin": server.url, "out": out, "config": config, "proc": proc,
               "book": openpyxl.load_workbook(out / "audit.xlsx")}


def test_run_writes_the_workbook_beside_the_crawl(site):
    assert (site["out"] / "pages.jsonl").exists() and (site["out"] / "audit.xlsx").exists()
    assert f"workbook: {site['out'] / 'audit.xlsx'}" in site["proc"].stdout
    assert site["book"].sheetnames == SHEETS


@pytest.mark.parametrize("path", sorted(rules_site.EXPECTED))
def test_each_rule_gives_its_recommendation_and_reason(site, path):
    pages = by_path(rows_of(site["book"]["Pages"]), site["origin"])
    recommendation, required = rules_site.EXPECTED[path]
    row = pages[path]
    assert row["Recommendation"] == recommendation, row["Reasons"]
    assert required <= codes(row["Reasons"]), row["Reasons"]


def test_every_reason_code_fired_somewhere_and_is_known(site):
    seen = set()
    for row in rows_of(site["book"]["Pages"]):
        seen |= codes(row["Reasons"])
    assert seen <= set(REASONS)
    # low-confidence and low-traffic need thresholds or analytics (test_audit_rerun covers them), reviewed
    # an earlier review (test_history); high-traffic, upcoming, current and superseded analytics and dates, gone a 410
    # (test_judgement)
    assert set(REASONS) - seen <= {"low-confidence", "low-traffic", "hub", "reviewed", "high-traffic", "upcoming",
                                   "current", "gone", "superseded"}


def test_noindex_on_a_page_robots_txt_blocks_is_a_conflict_to_fix(site, tmp_path):
    """Search engines never see a noindex robots.txt hides. A site owner crawling their own site with
    obey_robots_txt = false sees it: the page is fetched, still marked robots_blocked, and fixed."""
    config = rules_site.write_config(tmp_path, site["origin"])
    config.write_text(config.read_text().replace("autothrottle = false", "autothrottle = false\nobey_robots_txt = false"))
    longneck("run", config, "--out", tmp_path / "run", "-q")
    pages = by_path(rows_of(openpyxl.load_workbook(tmp_path / "run" / "audit.xlsx")["Pages"]), site["origin"])
    row = pages["/private/noindexed"]
    assert row["Status"] == 200 and row["Robots blocked"] is True
    assert row["Recommendation"] == "fix" and "noindex" in codes(row["Reasons"])
    assert "robots.txt" in row["Reasons"]
    # the same page in the polite crawl: not fetched, nothing known, nothing to fix
    polite = by_path(rows_of(site["book"]["Pages"]), site["origin"])["/private/noindexed"]
    assert polite["Status"] is None and polite["Recommendation"] == "keep" and codes(polite["Reasons"]) == {"blocked"}


def test_merges_and_removals_name_their_target_and_status(site):
    origin = site["origin"]
    pages = by_path(rows_of(site["book"]["Pages"]), origin)
    copy = pages["/parking/pay-copy"]
    assert copy["Duplicate of"] == copy["Redirect to"] == f"{origin}/parking/pay"
    assert copy["Redirect status"] == 301
    assert pages["/parking/pay-business"]["Duplicate of"] == f"{origin}/parking/pay"
    assert pages["/parking/pay-business"]["Similarity"] >= 0.6
    # a removed page something links to, close to a kept top-task page: 301 there; an unrelated one: 410
    story = pages["/news/parking-story"]
    assert story["Redirect status"] == 301 and story["Redirect to"].startswith(f"{origin}/parking/")
    assert pages["/news/old-story"]["Redirect status"] == 410 and pages["/news/old-story"]["Redirect to"] is None
    # a redirect chain is fixed by pointing its first URL at the end
    assert pages["/older"]["Redirect to"] == f"{origin}/parking/pay" and pages["/older"]["Redirect status"] == 301
    redirects = rows_of(site["book"]["Redirects"])
    assert {(r["From"], r["To"], r["Status"]) for r in redirects} >= {
        (f"{origin}/parking/pay-copy", f"{origin}/parking/pay", 301), (f"{origin}/news/old-story", None, 410)}
    assert all(r["Status"] in (301, 410) for r in redirects)
    targets = {r["To"] for r in redirects if r["To"]}
    assert not targets & {r["From"] for r in redirects}, "a redirect target is itself redirected (a chain)"


def test_pages_sheet_is_ready_for_review(site):
    ws = site["book"]["Pages"]
    header = [c.value for c in ws[1]]
    for column in ("URL", "Status", "Title", "Task", "Confidence", "Recommendation", "Reasons", "Duplicate of",
                   "Redirect to", "Decision", "Notes"):
        assert column in header
    assert ws.freeze_panes == "B2"  # header row and URL column
    assert ws.auto_filter.ref.startswith("A1:")
    url = ws.cell(row=2, column=1)
    assert url.hyperlink is not None and url.hyperlink.target == url.value
    decision = header.index("Decision") + 1
    letter = openpyxl.utils.get_column_letter(decision)
    lists = [dv for dv in ws.data_validations.dataValidation if letter + "2" in str(dv.sqref)]
    assert lists and lists[0].type == "list"
    assert lists[0].formula1.strip('"').split(",") == ["keep", "improve", "merge", "demote", "noindex", "remove", "fix"]
    rec = header.index("Recommendation")
    fills = {}
    for row in ws.iter_rows(min_row=2):
        fills.setdefault(row[rec].value, set()).add(row[rec].fill.fgColor.rgb)
    assert all(len(colours) == 1 for colours in fills.values())
    assert len({next(iter(c)) for c in fills.values()}) == len(fills), "two recommendations share a colour"


def test_summary_tasks_duplicates_label_queue_and_settings(site):
    book, origin = site["book"], site["origin"]
    summary = {row[0].value: row[1].value for row in book["Summary"].iter_rows() if row and row[0].value}
    pages = rows_of(book["Pages"])
    assert summary["URLs crawled"] == len(pages)
    assert summary["Pages serving no top task"] == sum(1 for p in pages if p["Task"] == "none")
    for rec in ("keep", "merge", "remove", "fix"):
        assert summary[rec] == sum(1 for p in pages if p["Recommendation"] == rec)
    chart = book["Summary"]._charts[0]
    assert chart.type == "bar"  # horizontal bars: the task names stay readable
    tasks = rows_of(book["Tasks"])
    counted = [t for t in tasks if t["Task"] in ("parking", "bins")]
    assert [t["Pages"] for t in counted] == sorted((t["Pages"] for t in counted), reverse=True)
    parking = next(t for t in tasks if t["Task"] == "parking")
    assert parking["Pages"] == sum(1 for p in pages if p["Task"] == "parking")
    assert parking["Best page"].startswith(f"{origin}/parking/") and parking["Competing duplicates"] == 2
    duplicates = rows_of(book["Duplicates"])
    cluster = [d for d in duplicates if d["Best page"] == f"{origin}/parking/pay"]
    assert {d["URL"][len(origin):] for d in cluster} == {"/parking/pay", "/parking/pay-copy", "/parking/pay-business"}
    assert sum(1 for d in cluster if d["Is best"]) == 1
    kinds = {d["URL"][len(origin):]: d["Kind"] for d in cluster}  # each copy its own kind
    assert kinds["/parking/pay-copy"] == "exact" and kinds["/parking/pay-business"] in ("near", "similar")
    queue = rows_of(book["Label queue"])
    assert queue and all(q["URL"].startswith(origin) for q in queue)
    settings = {r["Setting"]: r["Value"] for r in rows_of(book["Settings"])}
    assert settings["audit.thin_words"] == "30" and settings["version longneck"]
    assert settings["config fingerprint"]


def test_audit_rerun_changes_thresholds_rules_and_analytics_without_recrawling(site, tmp_path):
    origin, out = site["origin"], site["out"]
    before = (out / "pages.jsonl").stat().st_mtime_ns
    ga4 = tmp_path / "ga4.csv"
    ga4.write_text("# GA4 export\nPage path and screen class,Views\n/news/,500\n/news/old-story,2\n"
                   "/parking/pay,900\n/parking/permits,3\n", encoding="utf-8")
    rules = tmp_path / "rules.toml"
    rules.write_text(rules_toml([(n, r) for n, r in DEFAULT_ORDER if n != "thin"]), encoding="utf-8")
    output = tmp_path / "rerun.xlsx"
    longneck("audit", out, "--output", output, "--set", f"audit.analytics={[str(ga4)]!r}".replace("'", '"'),
             "--set", "audit.low_confidence=1.0", "--set", f'audit.rules="{rules}"')
    assert (out / "pages.jsonl").stat().st_mtime_ns == before
    pages = by_path(rows_of(openpyxl.load_workbook(output)["Pages"]), origin)
    assert pages["/parking/pay"]["Page views"] == 900 and pages["/parking/more"]["Page views"] == 0
    assert "low-traffic" in codes(pages["/parking/permits"]["Reasons"])
    assert "low-traffic" not in codes(pages["/parking/pay"]["Reasons"])
    assert "low-confidence" in codes(pages["/parking/more/details/exceptions"]["Reasons"]) or \
        pages["/parking/more/details/exceptions"]["Confidence"] == 1.0
    assert "thin" not in codes(pages["/parking/old-rates"]["Reasons"])  # the rule was taken out of the list
    # with analytics, the nav page people use is demoted; its two page views would not save it otherwise
    assert pages["/news/"]["Recommendation"] == "demote"
    tasks = rows_of(openpyxl.load_workbook(output)["Tasks"])
    parking = next(t for t in tasks if t["Task"] == "parking")
    assert parking["Visits"] == 903 and parking["At stake (estimate, EUR)"] == 903 * (7 - 1)


def test_doubt_is_not_turned_into_deletion(site, tmp_path):
    """A page is removed, noindexed or demoted for serving no task only when the classifier is sure of it
    (confidence at least [audit] low_confidence) or a label says so; otherwise it is kept, low-confidence."""
    origin, out = site["origin"], site["out"]
    labels = tmp_path / "labels.csv"  # the news items' none labels taken away: only the classifier decides
    unlabelled = {"/news/parking-story", "/news/old-story"}
    labels.write_text("url,task\n" + "".join(f"{origin}{p},{t}\n" for p, t in rules_site.LABELS.items()
                                             if p not in unlabelled), encoding="utf-8")
    output = tmp_path / "doubt.xlsx"
    longneck("audit", out, "--output", output, "--set", f'classifier.labels="{labels}"',
             "--set", "audit.low_confidence=1.0")  # nothing but a label is sure enough
    pages = by_path(rows_of(openpyxl.load_workbook(output)["Pages"]), origin)
    for path in unlabelled:
        row = pages[path]
        assert row["Recommendation"] not in ("remove", "noindex", "demote"), row
        if row["Task"] == "none":
            assert row["Recommendation"] == "keep" and "low-confidence" in codes(row["Reasons"]), row
            assert "check the task" in row["Reasons"]
    assert pages["/news/"]["Recommendation"] == "demote"  # labelled none: sure, demoted as before


def test_a_bad_rule_list_or_analytics_file_is_refused_with_its_name(site, tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rule]]\nname = "thinn"\nrecommend = "improve"\n', encoding="utf-8")
    proc = longneck("audit", site["out"], "--set", f'audit.rules="{rules}"', check=False)
    assert proc.returncode == 2 and "unknown rule 'thinn'" in proc.stderr and "Did you mean 'thin'" in proc.stderr
    bad = tmp_path / "views.csv"
    bad.write_text("Page path and screen class,Views\n/news/,many\n", encoding="utf-8")
    proc = longneck("audit", site["out"], "--set", f'audit.analytics=["{bad}"]', check=False)
    assert proc.returncode == 2 and "row 2" in proc.stderr and "'many'" in proc.stderr


def test_shipped_rule_list_matches_the_code():
    assert (ROOT / "config" / "rules.toml").read_text(encoding="utf-8") == rules_toml()
    assert {code for code, _ in RULE_FUNCTIONS.values()} == set(REASONS)
    for name, (_, check) in RULE_FUNCTIONS.items():
        assert check.__doc__, f"rule {name} has no docstring"


@pytest.mark.parametrize("name, fmt, metrics", [
    ("analytics-ga4.csv", "ga4", {"views": 8400}),
    ("analytics-matomo.csv", "matomo", {"views": 8400}),
    ("analytics-plausible.csv", "plausible", {"views": 8400}),
    ("search-console.csv", "search-console", {"clicks": 1800, "impressions": 14200}),
])
def test_sample_analytics_exports_are_read_and_joined_on_the_path(name, fmt, metrics):
    from audit.analytics import page_key, read_export

    found, data = read_export(ROOT / "config" / name)
    assert found == fmt
    assert data[page_key("/parking/pay-a-fine")] == metrics
    assert page_key("https://www.example.org/parking/pay-a-fine?utm_source=x") == "/parking/pay-a-fine"


def test_the_task_name_stands_beside_its_id(site):
    pages = by_path(rows_of(site["book"]["Pages"]), site["origin"])
    assert pages["/parking/pay"]["Task"] == "parking" and pages["/parking/pay"]["Task name"] == "Pay a parking fine"
    assert pages["/news/old-story"]["Task name"] == "serves no top task"
    assert pages["/parking/missing"]["Task name"] is None  # no content, no task


def test_a_tasks_best_page_is_one_the_classifier_is_sure_of():
    """An audience hub in the menu has the most inlinks, but is the task's only in doubt: the task's own
    page is its best page. With no page it is sure of, the best of the others."""
    from types import SimpleNamespace

    import pandas as pd

    from audit.pipeline import _task_table

    def table(hub_confidence, page_confidence):
        rows = [("/residents", hub_confidence, 200, 5), ("/residents/planning/apply", page_confidence, 3, 0)]
        return pd.DataFrame([{"url": url, "task": "permit", "confidence": confidence, "depth": 1, "inlinks_body": body,
                              "inlinks_nav": nav, "views": 100, "status": 200, "content_type": "text/html",
                              "word_count": 300, "age_days": 10, "recommendation": "keep", "found_via": "link",
                              "duplicate_of": None}
                             for url, confidence, nav, body in rows])

    config = SimpleNamespace(audit={"low_confidence": 0.7, "thin_words": 100, "stale_days": 730, "cost_phone": 7,
                                    "cost_web": 1}, tasks=[{"id": "permit", "name": "Apply for a permit"}])
    best = lambda t: _task_table(t, config, False).set_index("task").loc["permit", "best_page"]  # noqa: E731
    assert best(table(0.48, 0.97)) == "/residents/planning/apply"
    assert best(table(0.48, 0.55)) == "/residents"  # nothing sure: the most linked-to, as before
    assert best(table(0.9, 0.97)) == "/residents"  # both sure: the most linked-to
    merged = table(0.9, 0.97)
    merged.loc[0, "recommendation"] = "merge"  # the audit merges it away (superseded, a copy): not the best page
    assert best(merged) == "/residents/planning/apply"


def test_a_tasks_weight_is_read_from_its_own_pages_not_the_home_page_or_pages_in_doubt():
    """The home page (the way in to every task) and an audience hub the classifier doubts do not make a
    task's visits, nor its thin and stale shares; they are counted In doubt. A page merged by a reviewer's
    decision is not a competing duplicate; a copy is."""
    from types import SimpleNamespace

    import pandas as pd

    from audit.pipeline import _task_table

    rows = [  # url, found_via, confidence, views, words, age, recommendation, duplicate_of
        ("/", "start", 0.9, 21000, 50, 10, "keep", None),
        ("/residents/", "link", 0.48, 3000, 20, 10, "keep", None),
        ("/permits/apply", "link", 0.95, 900, 400, 10, "keep", None),
        ("/permits/apply-2016", "link", 0.9, 100, 400, 4000, "merge", None),  # a reviewer's merge
        ("/business/permits/apply", "link", 0.9, 50, 400, 10, "merge", "/permits/apply"),  # a copy
    ]
    table = pd.DataFrame([{"url": u, "task": "permit", "confidence": c, "depth": 1, "inlinks_body": 1, "inlinks_nav": 0,
                           "views": v, "status": 200, "content_type": "text/html", "word_count": w, "age_days": a,
                           "recommendation": r, "found_via": f, "duplicate_of": d}
                          for u, f, c, v, w, a, r, d in rows])
    config = SimpleNamespace(audit={"low_confidence": 0.7, "thin_words": 100, "stale_days": 730, "cost_phone": 7,
                                    "cost_web": 1}, tasks=[{"id": "permit", "name": "Apply for a permit"}])
    permit = _task_table(table, config, True).set_index("task").loc["permit"]
    assert permit["pages"] == 5 and permit["in_doubt"] == 1
    assert permit["views"] == 1050 and permit["at_stake"] == 1050 * 6
    assert permit["thin_share"] == 0 and permit["stale_share"] == round(1 / 3, 4)
    assert permit["competing_duplicates"] == 1


def test_pages_a_reviewers_decisions_took_out_of_a_task_are_not_a_slip():
    """The museum page's task corrected from passport to none, a fees page removed as decided, a page the
    classifier reads otherwise: passport has three pages fewer, none of them the site's doing; a page gone
    from the site (cause site) still is a slip."""
    import pandas as pd

    from audit.pipeline import _decided, _slipped

    changes = pd.DataFrame([
        {"url": "/visitors/museum", "change": "task", "cause": "decision", "task_then": "passport", "task_now": "none"},
        {"url": "/passport-fees-2016", "change": "gone", "cause": "decision", "task_then": "passport", "task_now": None},
        {"url": "/passport/old-form", "change": "gone", "cause": "site", "task_then": "passport", "task_now": None},
        {"url": "/bins/x", "change": "task", "cause": "decision", "task_then": "none", "task_now": "bins"},
        {"url": "/visitors/things-to-do", "change": "task, recommendation", "cause": "classifier",
         "task_then": "passport", "task_now": "none"},  # read otherwise after the labels: not the site's doing
    ])
    assert _decided(changes, "passport") == 3 and _decided(changes, "bins") == -1 and _decided(None, "bins") == 0
    row = {"task": "passport", "pages_then": 19, "decided": _decided(changes, "passport")}
    assert _slipped({**row, "pages": 16}) is None
    assert _slipped({**row, "pages": 15}) == "fewer pages (19 -> 15)"  # the page the site lost
    assert _slipped({"task": "bins", "pages_then": 5, "pages": 5, "decided": -1})  # one in by review, one lost
    # pages moved in or out by the labels: the stale share is of other pages than last time, not a slip
    assert _decided(changes, "passport", gross=True) == 3 and _decided(changes, "bins", gross=True) == 1
    stale = {"task": "passport", "stale_share_then": 0.17, "stale_share": 0.25}
    assert _slipped({**stale, "reshuffled": 3}) is None and _slipped(stale) == "more stale (17% -> 25%)"


def _redirect_table(rows):
    import pandas as pd

    base = {"status": 200, "duplicate_of": None, "inlinks_body": 1, "inlinks_nav": 0, "views": 5, "clicks": 0,
            "impressions": 0, "redirect_hops": 0, "redirect_loop": False, "found_via": "link", "age_days": 30,
            "noindex": False, "canonicalised": False, "content_type": "text/html", "runner_up": "permit",
            "reasons": [], "decided_by": None, "current_page": None, "depth": 2}
    table = pd.DataFrame([{**base, "url": u, "final_url": u, "recommendation": r, "task": t, "word_count": w}
                          for u, r, t, w in rows])
    return table


def test_a_removed_page_is_not_sent_to_a_stub_and_a_stub_is_not_matched_by_its_few_words():
    """A 'coming soon' stub removed is like any other few words: 410, not a 301 to another stub; a removed
    page with text goes to the related page with content, never to a stub however alike."""
    import numpy as np
    from scipy import sparse

    from audit.pipeline import _redirect_targets

    rows = [("/allotments", "remove", "none", 6), ("/funding", "keep", "permit", 6),  # two stubs, alike
            ("/old-permit-guide", "remove", "none", 200), ("/permit/apply", "keep", "permit", 300),
            ("/permit/stub", "improve", "permit", 12)]
    table = _redirect_table(rows)
    texts = sparse.csr_matrix(np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0.2], [0, 0.9, 0.3], [0, 1, 0.2]], dtype=float))
    texts = sparse.csr_matrix(texts.multiply(1 / np.sqrt(texts.multiply(texts).sum(axis=1))))
    _redirect_targets(table, texts, {"stale_days": 730, "redirect_similarity": 0.3, "thin_words": 50})
    out = table.set_index("url")
    assert out.loc["/allotments", "redirect_status"] == 410 and not isinstance(out.loc["/allotments", "redirect_to"], str)
    assert out.loc["/old-permit-guide", "redirect_to"] == "/permit/apply"  # not the stub, which is more alike


def test_a_removed_page_most_like_a_landing_page_goes_to_its_tasks_best_page():
    """The removed news 'new bin calendar published' reads most like the waste section's landing page; a
    visitor following an old link wants the answer, the task's best page, not a way in to the section."""
    import numpy as np
    from scipy import sparse

    from audit.pipeline import _redirect_targets

    rows = [("/news/2019/new-bin-calendar", "remove", "none", 200), ("/residents/waste/", "keep", "bins", 200),
            ("/residents/waste/bin-collection-days", "keep", "bins", 300)]
    table = _redirect_table(rows)
    table.loc[2, "inlinks_body"] = 4
    texts = sparse.csr_matrix(np.array([[1, 0.1], [1, 0.15], [0.7, 0.7]], dtype=float))
    texts = sparse.csr_matrix(texts.multiply(1 / np.sqrt(texts.multiply(texts).sum(axis=1))))
    _redirect_targets(table, texts, {"stale_days": 730, "redirect_similarity": 0.3, "thin_words": 50})
    assert table.set_index("url").loc["/news/2019/new-bin-calendar", "redirect_to"] == "/residents/waste/bin-collection-days"


def test_a_tasks_best_page_is_an_answer_not_a_landing_page():
    """Where a task's visitors should land: not a section's landing page every menu links to, though it is
    the most linked to; then the most linked to, the shallowest, the most visited."""
    from audit.pipeline import _best_of

    cols = {"url": ["/", "/businesses/", "/permit/apply", "/permit/appeal", "/permit/guide"],
            "depth": [0, 1, 2, 2, 3], "inlinks_body": [0, 12, 5, 6, 9], "inlinks_nav": [0, 200, 0, 0, 0],
            "views": [9000, 8000, 3000, 400, 100], "found_via": ["start", "link", "link", "link", "link"]}
    assert cols["url"][_best_of(cols, [0, 1, 2, 3, 4], True, answer=True)] == "/permit/guide"  # the most linked-to answer
    assert cols["url"][_best_of(cols, [0, 1, 2, 3], True, answer=True)] == "/permit/appeal"
    assert cols["url"][_best_of(cols, [0, 1], True, answer=True)] == "/businesses/"  # a landing page when nothing else