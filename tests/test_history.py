"""Quarterly re-audits: the history (SQLite and a real PostgreSQL), the review round trip (a workbook
edited as a reviewer would, also through LibreOffice), decisions carried forward, follow-through checks
against a local site whose pages change between runs, and `longneck compare`."""

from __future__ import annotations

import json
import shutil

import openpyxl
import pytest

from audit.demo.server import SiteServer
from audit.history import History, database_url

from . import rules_site
from .conftest import longneck
from .test_audit import by_path, codes, rows_of
from .test_workbook import convert, soffice

REVIEW = {  # path: (Decision, Notes, Corrected task)
    "/news/old-story": ("remove", "old news", None),
    "/parking/pay-copy": ("merge", None, None),
    "/news/linked-from-task": ("noindex", None, None),
    "/news/": ("demote", "out of the main menu", None),
    "/parking/old-rates": ("keep", "short on purpose: it is a rate card", None),
    "/parking/fines-2015": ("improve", "update the 2015 rates", None),
    "/parking/more": (None, None, "bins"),
}


def review(workbook, origin, edits=REVIEW, out=None):
    """Fill in Decision, Notes and Corrected task as a reviewer would, and save (openpyxl, as Excel)."""
    book = openpyxl.load_workbook(workbook)
    ws = book["Pages"]
    header = [c.value for c in ws[1]]
    col = {name: header.index(name) + 1 for name in ("URL", "Decision", "Notes", "Corrected task")}
    for row in range(2, ws.max_row + 1):
        url = ws.cell(row=row, column=col["URL"]).value
        edit = edits.get(url[len(origin):]) if url else None
        if edit:
            for name, value in zip(("Decision", "Notes", "Corrected task"), edit):
                if value is not None:
                    ws.cell(row=row, column=col[name]).value = value
    book.save(out or workbook)
    return out or workbook


@pytest.fixture(scope="module")
def quarters(tmp_path_factory):
    """Two audits of one site, three months apart: reviewed in between, and the site changed."""
    root = tmp_path_factory.mktemp("quarters")
    www = root / "www"
    rules_site.build(www)
    with SiteServer(www) as server:
        origin = server.url
        config = rules_site.write_config(root, origin)
        first = longneck("run", config, "--out", root / "audits" / "q1", "-q")
        reviewed = review(root / "audits" / "q1" / "audit.xlsx", origin, out=root / "reviewed.xlsx")
        imported = longneck("review", "import", reviewed)
        # the web team acts on some decisions: the old story is gone, the copy redirects, the linked
        # story carries noindex, the 2015 page is rewritten; /news/ stays in the menu; and a page is added
        server.httpd.rules = {"redirects": [*rules_site.SERVER["redirects"], ["/parking/pay-copy", "/parking/pay", 301]],
                              "gone": ["/news/old-story"]}
        page = www / "news" / "linked-from-task" / "index.html"
        page.write_text(page.read_text().replace("<head>", '<head><meta name="robots" content="noindex">'))
        page = www / "parking" / "fines-2015" / "index.html"
        page.write_text(page.read_text().replace("Parking fines 2015</h1><p>", "Parking fines 2015</h1><p>Rates updated. "))
        new = www / "bins" / "garden-waste"
        new.mkdir()
        (new / "index.html").write_text(rules_site.page_html("/bins/garden-waste", "Garden waste", rules_site.bins(9), [], ""))
        hub = www / "bins" / "index.html"
        hub.write_text(hub.read_text().replace('<li><a href="/bins/days">', '<li><a href="/bins/garden-waste">garden</a></li><li><a href="/bins/days">'))
        second = longneck("run", config, "--out", root / "audits" / "q2", "-q")
        yield {"root": root, "origin": origin, "config": config, "first": first, "second": second,
               "imported": imported, "book": openpyxl.load_workbook(root / "audits" / "q2" / "audit.xlsx")}


def test_every_run_is_recorded_beside_the_audits(quarters):
    store = History(database_url("", quarters["root"] / "audits" / "q1"))
    runs = store.runs("Testville")
    assert [r["run_dir"] for r in runs] == [str(quarters["root"] / "audits" / q) for q in ("q1", "q2")]
    assert all(r["config_fingerprint"] and r["tool_version"] for r in runs)
    pages = store.pages(runs[0]["id"])
    page = pages[quarters["origin"] + "/parking/pay"]
    assert page["task"] == "parking" and page["recommendation"] and page["content_hash"]
    assert store.review_count(runs[0]["id"]) == len(REVIEW)
    assert "imported 7 reviewed row(s)" in quarters["imported"].stdout


def test_decisions_carry_forward_and_keep_is_not_asked_again(quarters):
    pages = by_path(rows_of(quarters["book"]["Pages"]), quarters["origin"])
    kept = pages["/parking/old-rates"]  # improve (thin) before; the team said keep; unchanged
    assert kept["Recommendation"] == "keep" and "reviewed" in codes(kept["Reasons"])
    demoted = pages["/news/"]  # demote decided but not done: recommended again, saying so
    assert demoted["Recommendation"] == "demote" and "not done yet" in demoted["Reasons"]
    rewritten = pages["/parking/fines-2015"]  # improve decided, and the page was rewritten: done, not reopened
    assert rewritten["Recommendation"] == "keep" and "improve on" in rewritten["Reasons"]
    assert "done (content changed)" in rewritten["Reasons"]
    assert pages["/parking/more"]["Task"] == "bins", "a corrected task is a training label on the next run"


def test_follow_through_reports_done_and_not_done(quarters):
    follow = {r["URL"][len(quarters["origin"]):]: r for r in rows_of(quarters["book"]["Follow-through"])}
    assert follow["/news/old-story"]["Done"] == "done" and "410" in follow["/news/old-story"]["Now"]
    assert follow["/parking/pay-copy"]["Done"] == "done" and "redirects" in follow["/parking/pay-copy"]["Now"]
    assert follow["/news/linked-from-task"]["Done"] == "done"
    assert follow["/news/"]["Done"] == "not done" and "navigation" in follow["/news/"]["Now"]
    assert follow["/parking/fines-2015"]["Done"] == "done"
    assert "/parking/old-rates" not in follow  # keep is not a to-do


def test_changes_sheet_and_compare_command(quarters):
    origin = quarters["origin"]
    ws = quarters["book"]["Changes"]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    header = next(i for i, row in enumerate(values) if row[:2] == ["URL", "Change"])
    changes = {row[0][len(origin):]: row[1] for row in values[header + 1:] if row[0]}
    assert changes["/bins/garden-waste"] == "new"
    assert "content" in changes["/parking/fines-2015"]
    assert "status" in changes["/news/old-story"]
    assert "/bins/days" not in changes
    trend = values[2:4]
    assert [row[0] for row in trend] == [1, 2] and trend[1][2] == trend[0][2] + 1  # one more URL
    assert ws._charts, "the trend chart"
    root = quarters["root"] / "audits"
    proc = longneck("compare", root / "q1", root / "q2")
    assert "new 1" in proc.stdout and f"{origin}/bins/garden-waste" in proc.stdout
    tasks = {r["Task"]: r for r in rows_of(quarters["book"]["Tasks"])}
    assert tasks["bins"]["Pages then"] is not None and tasks["bins"]["Pages"] > tasks["bins"]["Pages then"]


def test_invalid_review_rows_are_listed_and_nothing_is_imported(quarters, tmp_path):
    origin = quarters["origin"]
    bad = review(quarters["root"] / "audits" / "q2" / "audit.xlsx", origin,
                 {"/bins/days": ("delete", None, None), "/parking/pay": (None, None, "parkingg"),
                  "/privacy": ("keep", None, None)}, out=tmp_path / "bad.xlsx")
    store = History(database_url("", quarters["root"] / "audits" / "q2"))
    run_id = store.runs("Testville")[-1]["id"]
    proc = longneck("review", "import", bad, check=False)
    assert proc.returncode == 2
    assert "2 invalid row(s), nothing imported" in proc.stderr
    assert "'delete'" in proc.stderr and "'parkingg'" in proc.stderr and "row " in proc.stderr
    assert store.review_count(run_id) == 0


@pytest.mark.skipif(soffice() is None, reason="LibreOffice is not installed (tests/system-packages.sh installs it)")
def test_a_review_saved_by_libreoffice_imports(quarters, tmp_path):
    origin = quarters["origin"]
    edited = review(quarters["root"] / "audits" / "q2" / "audit.xlsx", origin,
                    {"/bins/days": ("keep", "checked", None), "/news/": (None, None, "parking")},
                    out=tmp_path / "audit.xlsx")
    saved = convert(edited, tmp_path)
    proc = longneck("review", "import", saved)
    # the two edits, beside the earlier decisions the workbook came pre-filled with (re-recorded for this run)
    assert "2 are new or changed this round" in proc.stdout and "earlier decisions carried forward" in proc.stdout


def test_history_on_postgresql(quarters, postgres_url, tmp_path):
    """The same audit and review round trip with the history in a real PostgreSQL server."""
    config = tmp_path / "pg.toml"
    config.write_text(quarters["config"].read_text() + f'\n[history]\ndatabase = "{postgres_url}"\n')
    shutil.copy(quarters["config"].parent / "labels.csv", tmp_path / "labels.csv")
    out = tmp_path / "run"
    longneck("run", config, "--out", out, "-q")
    settings = {r["Setting"]: r["Value"] for r in rows_of(openpyxl.load_workbook(out / "audit.xlsx")["Settings"])}
    assert settings["history database"].startswith("postgresql+psycopg://longneck@127.0.0.1:")
    reviewed = review(out / "audit.xlsx", quarters["origin"], {"/parking/old-rates": ("keep", None, None)},
                      out=tmp_path / "reviewed.xlsx")
    longneck("review", "import", reviewed)
    longneck("audit", out)  # the next audit reads the decision from PostgreSQL
    pages = by_path(rows_of(openpyxl.load_workbook(out / "audit.xlsx")["Pages"]), quarters["origin"])
    assert pages["/parking/old-rates"]["Recommendation"] == "keep"
    assert "reviewed" in codes(pages["/parking/old-rates"]["Reasons"])
    store = History(database_url(postgres_url, out))
    assert len(store.runs("Testville")) >= 2 and not (tmp_path / "history.sqlite").exists()


def test_an_unreachable_history_is_a_clear_error(quarters, tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text(quarters["config"].read_text() + '\n[history]\ndatabase = "postgresql://nobody@127.0.0.1:1/none"\n')
    shutil.copy(quarters["config"].parent / "labels.csv", tmp_path / "labels.csv")
    proc = longneck("audit", quarters["root"] / "audits" / "q2", "--config", config, check=False)
    assert proc.returncode == 1 and "history database postgresql+psycopg://nobody@127.0.0.1:1/none" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert json.loads((quarters["root"] / "audits" / "q2" / "crawl.json").read_text())["complete"]


def test_schedule_prints_a_persistent_quarterly_timer_and_a_crontab_line(quarters, tmp_path):
    proc = longneck("schedule", quarters["config"], "--every", "quarter", "--out", tmp_path / "audits", "--print")
    assert "OnCalendar=quarterly" in proc.stdout and "Persistent=true" in proc.stdout
    assert f"run {quarters['config']} --dated --out {tmp_path / 'audits'} -q" in proc.stdout
    assert "0 6 1 1,4,7,10 *" in proc.stdout and "# longneck:testville" in proc.stdout
    cron = longneck("schedule", quarters["config"], "--every", "month", "--cron", "--print").stdout
    assert cron.startswith("0 6 1 * * ") and "OnCalendar" not in cron


def test_dated_runs_never_overwrite_and_never_overlap(quarters, tmp_path):
    import fcntl

    root = tmp_path / "audits"
    root.mkdir()
    with open(root / ".longneck.lock", "a+") as held:  # a run in progress
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        proc = longneck("run", quarters["config"], "--dated", "--out", root, "-q", "--no-history", check=False)
        assert proc.returncode == 1 and "another longneck run holds" in proc.stderr
        fcntl.flock(held, fcntl.LOCK_UN)
    assert [p.name for p in root.iterdir()] == [".longneck.lock"]
    for _ in range(2):
        longneck("run", quarters["config"], "--dated", "--out", root, "-q", "--no-history")
    runs = sorted(p.name for p in root.iterdir() if p.is_dir())
    assert len(runs) == 2 and runs[1] == runs[0] + "-2" and all((root / r / "audit.xlsx").exists() for r in runs)


def test_a_reviewed_workbook_is_never_overwritten(quarters, tmp_path):
    run = quarters["root"] / "audits" / "q2"
    before = (run / "audit.xlsx").read_bytes()
    review(run / "audit.xlsx", quarters["origin"], {"/bins/days": ("keep", "fine", None)})
    reviewed = (run / "audit.xlsx").read_bytes()
    proc = longneck("audit", run, "--no-history")
    assert (run / "audit.xlsx").read_bytes() == reviewed != before
    written = proc.stdout.split("workbook: ")[1].strip()
    assert written != str(run / "audit.xlsx") and written.startswith(str(run / "audit-"))
    assert "holds a review, so it was left alone" in proc.stderr


def test_summary_counts_decisions_carried_out_and_tasks_compare_with_last_run(quarters):
    text = " ".join(str(c.value) for row in quarters["book"]["Summary"].iter_rows() for c in row if c.value)
    assert "earlier decisions carried out: 4 of 5" in text
    header = [c.value for c in quarters["book"]["Tasks"][1]]
    for column in ("Pages then", "Best page then", "Best page depth then", "Stale share then", "Competing then", "Slipped"):
        assert column in header
    # the Changes sheet's per-task table names best pages by their paths (its columns are narrow), wrapped
    rows = [list(r) for r in quarters["book"]["Changes"].iter_rows()]
    at = next(i for i, r in enumerate(rows) if [c.value for c in r[:2]] == ["Task", "Pages then"])
    end = next(i for i in range(at + 1, len(rows)) if not rows[i] or rows[i][0].value is None)
    best = [r[4] for r in rows[at + 1:end] if isinstance(r[4].value, str)]
    assert best and all(c.value.startswith("/") and c.alignment.wrap_text for c in best)


def _version_1_history(url: str) -> None:
    """The tables as version 1 wrote them (no origins, targets or views), with one run, page and review."""
    from sqlalchemy import (Boolean, Column, Float, Integer, MetaData, String, Table, Text, create_engine,
                            insert)

    meta = MetaData()
    runs = Table("runs", meta, Column("id", Integer, primary_key=True), Column("site", String(200), nullable=False),
                 Column("run_dir", Text, nullable=False), Column("audited_at", String(32), nullable=False),
                 Column("config_fingerprint", String(32), nullable=False), Column("tool_version", String(40), nullable=False),
                 Column("schema_version", Integer, nullable=False), *[Column(c, Integer) for c in
                                                                     ("urls", "pages", "classified", "no_task")])
    pages = Table("pages", meta, Column("run_id", Integer, primary_key=True), Column("url", Text, primary_key=True),
                  Column("status", Integer), Column("task", String(100)), Column("confidence", Float),
                  Column("recommendation", String(20)), Column("reasons", Text), Column("content_hash", String(64)),
                  Column("redirect_to", Text), Column("redirect_status", Integer), Column("depth", Integer),
                  Column("inlinks_nav", Integer), Column("noindex", Boolean), Column("robots_blocked", Boolean),
                  Column("final_url", Text), Column("title", Text))
    Table("tasks", meta, Column("run_id", Integer, primary_key=True), Column("task", String(100), primary_key=True),
          Column("pages", Integer), Column("best_page", Text), Column("best_depth", Integer),
          Column("competing_duplicates", Integer), Column("stale_share", Float), Column("thin_share", Float),
          Column("views", Float))
    reviews = Table("reviews", meta, Column("run_id", Integer, primary_key=True), Column("url", Text, primary_key=True),
                    Column("decision", String(20)), Column("notes", Text), Column("corrected_task", String(100)),
                    Column("imported_at", String(32), nullable=False), Column("workbook", Text))
    engine = create_engine(url)
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(runs).values(site="Old", run_dir="/x/q1", audited_at="2026-08-30T06:00:00Z",
                                         config_fingerprint="abc", tool_version="0.1", schema_version=1))
        conn.execute(insert(pages).values(run_id=1, url="http://old.example/a", status=200, task="none",
                                          recommendation="remove", content_hash="h"))
        conn.execute(insert(reviews).values(run_id=1, url="http://old.example/a", decision="keep", notes="fine",
                                            imported_at="2026-09-01T00:00:00Z", workbook="w.xlsx"))
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_history_written_by_the_previous_version_gains_the_new_columns_in_place(backend, tmp_path, request):
    """Schema 1 (before origins, targets, views and the traps table): opened by this version, it keeps its
    rows and can be read and written, on SQLite and on a real PostgreSQL."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    else:
        from sqlalchemy import create_engine, text

        server = database_url(request.getfixturevalue("postgres_url"), tmp_path)
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS version_1"))
            conn.execute(text("CREATE DATABASE version_1"))
        admin.dispose()
        url = server.rsplit("/", 1)[0] + "/version_1"
    _version_1_history(url)
    store = History(url)
    decision = store.decisions("Old")["http://old.example/a"]
    assert decision["decision"] == "keep" and decision["notes"] == "fine" and decision["target"] is None
    assert decision["origin"] == "http://old.example"  # from its pages: the run recorded none
    result = store.merge_reviews(1, [{"url": "http://old.example/a", "decision": "remove", "notes": None,
                                      "corrected_task": None, "target": "http://old.example/b"}], "other.xlsx")
    assert result["conflicts"] and result["conflicts"][0]["field"] == "decision"
    assert store.decisions("Old")["http://old.example/a"]["decision"] == "keep"  # a conflict stores nothing
    store.merge_reviews(1, [{"url": "http://old.example/a", "decision": "remove", "notes": None,
                             "corrected_task": None, "target": "http://old.example/b"}], "other.xlsx", replace=True)
    assert store.decisions("Old")["http://old.example/a"]["target"] == "http://old.example/b"
    # the traps table (schema 4) is created beside the old tables: the old run has no rows, and a new run
    # with its crawl's trap report compares with it
    assert store.traps(1) == []
    new = store.record_run("Old", tmp_path / "q2", "abc", "0.2", {"origin": "http://old.example"},
                           [{"url": "http://old.example/b?page=2", "status": 200}], [],
                           trap_rows=[{"reason": "max-query-variants", "pattern": "old.example/b?page", "skipped": 4}])
    assert store.traps(new) == [{"reason": "max-query-variants", "pattern": "old.example/b?page", "skipped": 4}]
    from audit.changes import compare_runs

    rows = compare_runs(store, 1, new).set_index("url")
    assert rows.loc["http://old.example/a", "change"] == "gone"
    assert rows.loc["http://old.example/b?page=2", "change"] == "new"
    store.close()


def test_two_teams_notes_are_both_kept_and_a_withdrawal_of_the_others_decision_is_a_conflict(tmp_path):
    store = History(f"sqlite:///{tmp_path / 'h.sqlite'}")
    run = store.record_run("S", tmp_path / "q1", "fp", "0", {}, [{"url": "http://s/a", "status": 200}], [])
    row = {"url": "http://s/a", "decision": "keep", "notes": "A: checked", "corrected_task": None, "target": None}
    store.merge_reviews(run, [row], "/teams/a/audit.xlsx")
    notes_only = {**row, "decision": None, "notes": "B: also fine"}
    result = store.merge_reviews(run, [notes_only], "/teams/b/audit.xlsx")
    assert result["updated"] == ["http://s/a"] and not result["conflicts"]
    kept = store.decisions("S")["http://s/a"]
    assert kept["decision"] == "keep" and kept["notes"] == "A: checked / B: also fine"
    assert kept["workbook"] == "/teams/a/audit.xlsx"  # notes added: still team A's decision
    withdrawal = {**row, "decision": None, "notes": None, "source": "withdrawn"}
    result = store.merge_reviews(run, [withdrawal], "/teams/b/audit.xlsx")
    assert result["conflicts"] and result["conflicts"][0]["now"] == "(withdrawn)"
    assert result["conflicts"][0]["workbook"] == "a/audit.xlsx"  # which team's file, not just its name
    assert store.decisions("S")["http://s/a"]["decision"] == "keep"
    store.close()
