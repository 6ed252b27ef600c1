"""A quarter walked end to end, as a municipal web team works: audit, split the workbook between two
teams who review it in their spreadsheet program (saved through LibreOffice), import both, act on
some decisions, move the site to another address, audit again, read the new workbook back; then a
crawl cut short by max_pages."""

from __future__ import annotations

import json
import shutil

import openpyxl
import pytest

from audit.demo.server import SiteServer
from audit.history import History, database_url

from . import rules_site
from .conftest import longneck
from .test_audit import by_path, rows_of
from .test_workbook import convert, soffice

# path: {column: value}, as each team types it
PARKING_TEAM = {
    "/parking/old-rates": {"Decision": "keep", "Notes": "a rate card: short on purpose"},
    "/parking/pay-copy": {"Decision": "merge"},  # no target typed: the audit's proposal is agreed
    "/news/old-story": {"Decision": "remove", "Redirect target": "/news/"},
    "/parking/permits": {"Decision": "merge", "Notes": "into what? ask the parking team"},  # no target anywhere
    "/older": {"Decision": "fix"},  # a redirect chain (2 hops)
}
BINS_TEAM = {
    "/bins/days": {"Decision": "keep", "Notes": "checked by the bins team"},
    "/news/linked-from-task": {"Decision": "noindex"},
    "/news/parking-story": {"Decision": "remove"},
    "/parking/fines-2015": {"Decision": "improve", "Notes": "new rates"},  # rewritten before the next run
    "/bins/missed": {"Decision": "keep"},  # made noindex before the next run: asked again
}


def fill(workbook, origin, edits, out, label=None):
    """Type into the reviewer columns (found by header, wherever they are), and one label into the
    Label queue; save as ``out``."""
    book = openpyxl.load_workbook(workbook)
    ws = book["Pages"]
    header = [c.value for c in ws[1]]
    for row in range(2, ws.max_row + 1):
        url = ws.cell(row=row, column=header.index("URL") + 1).value or ""
        for column, value in edits.get(url[len(origin):], {}).items():
            if column == "Redirect target":
                value = origin + value
            ws.cell(row=row, column=header.index(column) + 1).value = value
    labelled = None
    if label:
        queue = book["Label queue"]
        qheader = [c.value for c in queue[1]]
        labelled = queue.cell(row=2, column=qheader.index("URL") + 1).value
        now = queue.cell(row=2, column=qheader.index("Task now") + 1).value
        label = next(t for t in label if t != now)  # a label that corrects the classifier
        queue.cell(row=2, column=qheader.index("Label") + 1).value = label
        labelled = (labelled, label)
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)
    return out, labelled


def through_libreoffice(path, folder):
    return convert(path, folder) if soffice() else path


@pytest.fixture(scope="module")
def quarter(tmp_path_factory):
    root = tmp_path_factory.mktemp("quarter")
    www = root / "www"
    rules_site.build(www)
    with SiteServer(www) as server:
        first_origin = server.url
        config = rules_site.write_config(root, first_origin)
        longneck("run", config, "--out", root / "audits" / "q1", "-q")
    q1 = root / "audits" / "q1" / "audit.xlsx"
    parking, labelled = fill(q1, first_origin, PARKING_TEAM, root / "parking" / "audit.xlsx", label=("bins", "parking"))
    bins, _ = fill(q1, first_origin, BINS_TEAM, root / "bins" / "audit.xlsx")
    parking = through_libreoffice(parking, root / "parking")
    bins = through_libreoffice(bins, root / "bins")
    imports = [longneck("review", "import", parking), longneck("review", "import", bins)]
    # a third workbook disagrees with the parking team on one URL (checked against a copy of the history)
    other, _ = fill(q1, first_origin, {"/parking/old-rates": {"Decision": "remove"}}, root / "other" / "audit.xlsx")
    shutil.copy(root / "audits" / "history.sqlite", root / "copy.sqlite")
    conflict = longneck("review", "import", other, "--database", f"sqlite:///{root / 'copy.sqlite'}", check=False)
    replaced = longneck("review", "import", other, "--database", f"sqlite:///{root / 'copy.sqlite'}", "--replace")
    # the team acts on some decisions; one page gains a sentence, one kept page gets noindex;
    # and the site moves to another address (a new port)
    server_rules = {"redirects": [["/old-page", "/parking/pay", 301], ["/older", "/parking/pay", 301],
                                  ["/parking/pay-copy", "/parking/pay", 301]],
                    "gone": ["/news/parking-story"]}
    page = www / "privacy" / "index.html"  # a protected page gains a broken link
    page.write_text(page.read_text().replace("</main>", '<p><a href="/privacy/old-form">the old form</a></p></main>'))
    page = www / "parking" / "old-rates" / "index.html"
    page.write_text(page.read_text().replace("Parking fine rates.", "Parking fine rates. Updated in May."))
    for path in ("days", "missed"):
        page = www / "bins" / path / "index.html"
        page.write_text(page.read_text().replace("<head>", '<head><meta name="robots" content="noindex">'))
    page = www / "parking" / "fines-2015" / "index.html"
    page.write_text(page.read_text().replace("Parking fines 2015</h1><p>", "Parking fines 2015</h1><p>New rates. "))
    with SiteServer(www) as server:
        server.httpd.rules = server_rules
        origin = server.url
        assert origin != first_origin
        config = rules_site.write_config(root, origin)
        second = longneck("run", config, "--out", root / "audits" / "q2", "-q")
        q2 = root / "audits" / "q2" / "audit.xlsx"
        rerun = longneck("audit", root / "audits" / "q2")
        # the second round: the parking team withdraws its keep on /parking/old-rates; the bins team
        # confirms its keep on /bins/days (asked again); everything else is left as pre-filled
        q2_parking, _ = fill(q2, origin, {"/parking/old-rates": {"Decision": None}}, root / "q2-parking" / "audit.xlsx")
        q2_bins, _ = fill(q2, origin, {"/bins/days": {"Decision": "keep"}}, root / "q2-bins" / "audit.xlsx")
        second_round = [longneck("review", "import", through_libreoffice(q2_parking, root / "q2-parking")),
                        longneck("review", "import", through_libreoffice(q2_bins, root / "q2-bins"))]
        third = longneck("run", config, "--out", root / "audits" / "q2b", "-q")
        cut = longneck("run", config, "--out", root / "audits" / "q3", "-q", "--set", "site.max_pages=4")
    yield {"root": root, "origin": origin, "first_origin": first_origin, "imports": imports, "conflict": conflict,
           "replaced": replaced, "second": second, "rerun": rerun, "cut": cut, "labelled": labelled,
           "second_round": second_round, "third": third,
           "book": openpyxl.load_workbook(q2), "next_book": openpyxl.load_workbook(root / "audits" / "q2b" / "audit.xlsx"),
           "cut_book": openpyxl.load_workbook(root / "audits" / "q3" / "audit.xlsx")}


def test_two_team_workbooks_merge_by_url(quarter):
    first, second = quarter["imports"]
    assert "new 6" in first.stdout and "from the Label queue" in first.stdout
    assert "new 5" in second.stdout and "from other workbooks kept: 6" in second.stdout
    store = History(database_url("", quarter["root"] / "audits" / "q1"))
    run_id = store.runs("Testville")[0]["id"]
    assert store.review_count(run_id) == 11  # 5 + 5 decisions and one label, none lost to the second import
    assert "merge without a Redirect target" in first.stdout  # /parking/permits


def test_a_conflicting_decision_is_refused_or_replaced_on_request(quarter):
    conflict = quarter["conflict"]
    assert conflict.returncode == 2 and "workbook error" in conflict.stderr
    assert "/parking/old-rates: decision 'keep'" in conflict.stderr and "'remove'" in conflict.stderr
    assert "--replace" in conflict.stderr and "Traceback" not in conflict.stderr
    copy = History(f"sqlite:///{quarter['root'] / 'copy.sqlite'}")
    assert "replaced: " in quarter["replaced"].stdout and "/parking/old-rates" in quarter["replaced"].stdout
    decisions = copy.decisions("Testville")
    assert decisions[quarter["first_origin"] + "/parking/old-rates"]["decision"] == "remove"
    assert decisions[quarter["first_origin"] + "/bins/days"]["decision"] == "keep"  # the rest is kept


def test_no_row_claims_a_review_nobody_made(quarter):
    pages = rows_of(quarter["book"]["Pages"])
    decided = {p for p in {**PARKING_TEAM, **BINS_TEAM}}
    for row in pages:
        path = row["URL"][len(quarter["origin"]):]
        text = " ".join(str(row[c] or "") for c in ("Reasons", "Review", "Decision", "Notes"))
        assert "nan" not in text.split() and "None" not in text.split(), row
        if path not in decided:
            assert not row["Review"] and not row["Decision"] and "reviewed" not in (row["Reasons"] or ""), row


def test_decisions_and_notes_carry_forward_until_their_basis_changes(quarter):
    pages = by_path(rows_of(quarter["book"]["Pages"]), quarter["origin"])
    kept = pages["/parking/old-rates"]  # kept, then a sentence was added: the decision holds
    assert kept["Recommendation"] == "keep" and kept["Decision"] == "keep"
    assert kept["Notes"] == "a rate card: short on purpose" and "carried forward" in kept["Review"]
    asked = pages["/bins/days"]  # kept, then made noindex: ask again, saying what changed
    assert asked["Review"].startswith("ask again: now noindex") and asked["Decision"] is None  # decide again
    assert "ask again: now noindex" in asked["Reasons"]
    url, label = quarter["labelled"]
    assert pages[url[len(quarter["first_origin"]):]]["Task"] == label, \
        "a label typed into the Label queue is a training label on the next run"


def test_redirect_targets_come_from_the_reviewer_and_are_never_empty(quarter):
    origin = quarter["origin"]
    redirects = {r["From"][len(origin):]: r for r in rows_of(quarter["book"]["Redirects"])}
    assert redirects["/news/old-story"]["To"] == origin + "/news/"  # typed by the reviewer, on the new origin
    assert redirects["/news/old-story"]["Status"] == 301
    assert all(r["To"] for r in redirects.values() if r["Status"] == 301)
    assert "/parking/permits" not in redirects
    permits = by_path(rows_of(quarter["book"]["Pages"]), origin)["/parking/permits"]
    assert permits["Decision"] == "merge" and "set Redirect target" in permits["Review"]


def test_follow_through_and_changes_across_a_move_to_another_address(quarter):
    origin = quarter["origin"]
    follow = {r["URL"][len(origin):]: r for r in rows_of(quarter["book"]["Follow-through"])}
    assert follow["/news/parking-story"]["Done"] == "done" and "410" in follow["/news/parking-story"]["Now"]
    assert follow["/parking/pay-copy"]["Done"] == "done"
    assert follow["/parking/pay-copy"]["Agreed target"] == origin + "/parking/pay"
    assert follow["/news/linked-from-task"]["Done"] == "not done"
    assert follow["/older"]["Done"] == "done" and "one hop" in follow["/older"]["Now"]  # the chain was fixed
    privacy = by_path(rows_of(quarter["book"]["Pages"]), origin)["/privacy"]
    assert privacy["Recommendation"] == "fix" and "protected" in privacy["Reasons"]  # kept, but its link is broken
    broken = rows_of(quarter["book"]["Broken links"])
    assert any(r["Target URL"].endswith("/privacy/old-form") and r["Source page"].endswith("/privacy") for r in broken)
    assert "matched to " + origin in quarter["second"].stderr
    ws = quarter["book"]["Changes"]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    header = next(i for i, row in enumerate(values) if row[:2] == ["URL", "Change"])
    columns = values[header]
    changes = {row[0][len(origin):]: dict(zip(columns, row)) for row in values[header + 1:] if row[0]}
    new_or_gone = {path for path, c in changes.items() if c["Change"] in ("new", "gone")}
    # the same pages on a new port; only the broken link added and the chain's middle URL, no longer reached
    assert new_or_gone == {"/privacy/old-form", "/old-page"}
    assert changes["/old-page"]["Cause"] == "site"
    assert "decision" in changes["/news/parking-story"]["Cause"]
    # kept by decision (the recommendation was improve), and a sentence added by the site's editors
    assert set(changes["/parking/old-rates"]["Cause"].split(", ")) == {"decision", "site"}
    labelled = changes[quarter["labelled"][0][len(quarter["first_origin"]):]]
    assert "task" in labelled["Change"] and labelled["Cause"].startswith("decision")  # a label, not retraining


def test_a_workbook_only_prefilled_is_not_a_review(quarter):
    assert "left alone" not in quarter["rerun"].stderr
    assert quarter["rerun"].stdout.split("workbook: ")[1].strip().endswith("q2/audit.xlsx")


def test_a_crawl_cut_by_max_pages_is_incomplete_and_checks_nothing_it_did_not_reach(quarter):
    crawl = json.loads((quarter["root"] / "audits" / "q3" / "crawl.json").read_text())
    assert crawl["complete"] is False and crawl["skipped"]["max_pages"] > 0
    assert "incomplete (site.max_pages reached)" in quarter["cut"].stdout
    text = " ".join(str(c.value) for row in quarter["cut_book"]["Summary"].iter_rows() for c in row if c.value)
    assert "the crawl is incomplete" in text
    follow = rows_of(quarter["cut_book"]["Follow-through"])
    assert follow and all(r["Done"] == "not checked" for r in follow if "not checked" in (r["Now"] or ""))
    assert any(r["Done"] == "not checked" for r in follow)
    assert not any(r["Now"] == "no longer linked from the site" for r in follow)


def test_the_next_round_stores_only_what_reviewers_changed(quarter):
    """The second round's workbooks came pre-filled with the first round's decisions: left as they were,
    they are not stored again (so they stay decisions of the run they rest on), and the two teams'
    copies do not conflict over rows neither touched."""
    parking, bins = quarter["second_round"]
    assert "earlier decisions carried forward unchanged" in parking.stdout
    assert "new 1," in parking.stdout and "new 1," in bins.stdout, (parking.stdout, bins.stdout)  # withdrawal; answer
    pages = by_path(rows_of(quarter["next_book"]["Pages"]), quarter["origin"])
    withdrawn = pages["/parking/old-rates"]  # the keep was withdrawn: audited afresh, nothing pre-filled
    assert not withdrawn["Decision"] and not withdrawn["Review"] and "reviewed" not in (withdrawn["Reasons"] or "")
    assert withdrawn["Notes"] == "a rate card: short on purpose"  # the note stays
    confirmed = pages["/bins/days"]  # asked again, confirmed: it rests on the page as it is now
    assert confirmed["Decision"] == "keep" and "carried forward" in confirmed["Review"]
    untouched = pages["/bins/missed"]  # asked again and left empty: asked again
    assert untouched["Review"].startswith("ask again: now noindex") and not untouched["Decision"]
    improved = pages["/parking/fines-2015"]  # improve done last quarter stays done, whatever was imported since
    assert improved["Recommendation"] == "keep" and "done" in improved["Review"]
