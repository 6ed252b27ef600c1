"""The audit's judgement end to end: `longneck run` on the judgement site (tests/judgement_site.py), each
page's recommendation, reasons and redirect read back from the workbook."""

from __future__ import annotations

import openpyxl
import pytest

from audit.demo.server import SiteServer

from . import judgement_site
from .conftest import longneck
from .test_audit import by_path, codes, rows_of


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    root = tmp_path_factory.mktemp("judgement-site")
    judgement_site.build(root / "www")
    with SiteServer(root / "www") as server:
        config = judgement_site.write_config(root, server.url)
        longneck("run", config, "--out", root / "run", "-q")
        book = openpyxl.load_workbook(root / "run" / "audit.xlsx")
        yield {"origin": server.url, "pages": by_path(rows_of(book["Pages"]), server.url),
               "redirects": rows_of(book["Redirects"]), "settings": rows_of(book["Settings"])}


@pytest.mark.parametrize("path", sorted(judgement_site.EXPECTED))
def test_each_case_gets_the_judgement_a_strategist_would_sign(judged, path):
    recommendation, required, redirect = judgement_site.EXPECTED[path]
    row = judged["pages"][path]
    assert row["Recommendation"] == recommendation, row["Reasons"]
    assert required <= codes(row["Reasons"]), row["Reasons"]
    if redirect is None:
        assert row["Redirect status"] is None and row["Redirect to"] is None
    elif redirect == 410:
        assert row["Redirect status"] == 410 and row["Redirect to"] is None, row["Redirect to"]
    else:
        assert row["Redirect status"] == 301 and row["Redirect to"] == judged["origin"] + redirect


def test_reasons_name_the_kind_the_traffic_and_the_menu(judged):
    pages = judged["pages"]
    assert "page kind cookies" in pages["/about/cookies/"]["Reasons"]
    assert "page kind meetings" in pages["/gemeente/notulen-raadsvergadering"]["Reasons"]
    assert "3,412 page views" in pages["/sections/leisure"]["Reasons"]
    assert "in the navigation of" in pages["/news/"]["Reasons"]
    # the audience copy is found by the main texts' words, not by shingles (below the near-duplicate threshold)
    business = pages["/businesses/parking/pay-a-parking-fine"]
    assert business["Similarity"] < 0.9 and "the same words" in business["Reasons"]
    assert "which is removed" in pages["/about/old-logo-copy"]["Reasons"]
    assert "already noindex, yet 5,000 page views" in pages["/about/parking-tariffs-archive"]["Reasons"]
    gone, missing = pages["/council-tax/paper-form"], pages["/council-tax/old-leaflet"]
    assert gone["Why"].startswith("Fix: already gone (HTTP 410): remove the links to it from 1 page"), gone["Why"]
    assert missing["Why"].startswith("Fix: the URL fails (HTTP 404)"), missing["Why"]


def test_a_page_gone_on_purpose_names_what_is_left_to_do():
    """410: already gone; what is left is the links to it and its sitemap listing, else nothing (kept as it
    is). A 404 stays an error: nobody can tell whether it was meant."""
    from types import SimpleNamespace

    from audit.rules import decide, load_rules

    rules = load_rules()
    settings = {"analytics": False, "low_confidence": 0.7, "hub_links": 3, "low_traffic": 10, "thin_words": 200,
                "stale_days": 730, "deep_clicks": 3, "news_days": 90, "protect_kinds": []}
    fields = ("url", "status", "error", "robots_blocked", "redirect_hops", "redirect_loop", "final_url", "noindex",
              "canonicalised", "canonical", "protected", "found_via", "task", "confidence", "seed", "runner_up",
              "duplicate_of", "duplicate_kind", "similarity", "views", "inlinks_valued", "links_to_tasks",
              "decision_before", "unchanged", "age_days", "newest_date", "url_month_ahead", "newest_date_source",
              "content_type", "word_count", "depth", "orphan", "broken_links", "kind")

    def judged(status, body=0, nav=0, sitemap=False):
        page = SimpleNamespace(**dict.fromkeys(fields), inlinks_body=body, inlinks_nav=nav, inlinks_crumb=0,
                               in_sitemap=sitemap)
        page.url, page.status, page.redirect_hops, page.broken_links = "https://x.org/form", status, 0, 0
        rec, reasons, decided = decide(page, rules, settings)
        return rec, str(reasons[decided])

    assert judged(410, body=2, nav=1) == ("fix", "gone: already gone (HTTP 410): remove the links to it from 3 pages")
    assert judged(410, body=1, sitemap=True) == (
        "fix", "gone: already gone (HTTP 410): remove the links to it from 1 page and take it out of the sitemap")
    assert judged(410, sitemap=True) == ("fix", "gone: already gone (HTTP 410): take it out of the sitemap")
    assert judged(410) == ("keep", "gone: already gone (HTTP 410), nothing links to it: nothing left to do")
    assert judged(404, body=2) == ("fix", "error: HTTP 404")


def test_no_redirect_contradicts_the_recommendations(judged):
    origin, pages = judged["origin"], judged["pages"]
    by_url = {origin + p: r for p, r in pages.items()}
    for row in judged["redirects"]:
        if row["To"]:
            assert row["To"] != origin + "/", "a redirect to the home page"
            target = by_url[row["To"]]
            assert target["Recommendation"] in ("keep", "improve"), (row["From"], row["To"], target["Recommendation"])
            assert target["Redirect status"] is None, "a redirect to a redirected page"
    for path, row in pages.items():  # nothing is merged into a page that is removed
        if row["Recommendation"] == "merge":
            assert by_url[row["Duplicate of"] or row["Redirect to"]]["Recommendation"] != "remove", path


def test_the_protected_kinds_are_in_the_settings_sheet(judged):
    values = {r[next(iter(r))]: r for r in judged["settings"]}
    assert "audit.protect_kinds" in values
    assert "councillors" in str(values["audit.protect_kinds"])


def test_the_protected_column_says_what_the_rules_kept(judged):
    """A page kept as a kind a public body keeps (the minutes, the councillors) shows Protected too."""
    for path in ("/council/councillors", "/gemeente/notulen-raadsvergadering", "/about/cookies/"):
        assert judged["pages"][path]["Protected"] is True, path
    assert judged["pages"]["/news/2018/"]["Protected"] is False


def test_a_kept_page_carries_no_advice_for_another_recommendation(judged):
    """A page a protect or keep rule decides keeps the other rules' facts, never their advice: the council's
    minutes are not to be unlinked ("take those links out" is how a page is removed), nor the cookie page
    demoted ("demote first, remove in a later run"). Where the rule's own recommendation is given, it is."""
    pages = judged["pages"]
    for path in ("/about/cookies/", "/council/councillors", "/gemeente/notulen-raadsvergadering", "/about/budget-2019"):
        row = pages[path]
        assert row["Recommendation"] == "keep" and "serves no top task" in row["Reasons"], row["Reasons"]
        assert "take those links out" not in row["Reasons"] and "demote first" not in row["Reasons"], row["Reasons"]
    assert "in the navigation of" in pages["/about/cookies/"]["Reasons"]  # the facts stay
    assert "yet linked from 1 page" in pages["/council/councillors"]["Reasons"]
    assert "demote first, remove in a later run if still unused" in pages["/news/"]["Reasons"]
    assert pages["/about/old-logo"]["Why"].startswith("Remove: serves no top task")


def test_a_noindex_says_why_in_plain_words(judged):
    """Facts alone ("serves no top task, 150 page views") read like a case for keeping the page: the Why of a
    noindex ends with the conclusion."""
    assert judged["pages"]["/news/library-reopens"]["Why"] == (
        "Noindex: serves no top task, 150 page views, 0 links from top-task pages: still read, so keep it reachable "
        "and take it out of search")


def test_a_page_naming_a_past_year_is_merged_into_its_tasks_current_page(judged):
    """"Council tax 2018/19" is superseded by the council tax page: merged (301) into it, with the reason in
    plain words. A season ending in the crawl's year, "since 2015", a record (an annual report) and news about
    the task name years too, and are not superseded."""
    origin, pages = judged["origin"], judged["pages"]
    row = pages["/council-tax/council-tax-2018-19"]
    assert row["Why"].startswith(f"Merge: superseded by a current page (names 2018/19, a past year: the current page "
                                 f"for council-tax is {origin}/council-tax/pay)"), row["Why"]
    assert row["Duplicate of"] is None
    for path in judgement_site.NOT_SUPERSEDED:
        assert "superseded" not in codes(pages[path]["Reasons"]), (path, pages[path]["Reasons"])
        assert pages[path]["Recommendation"] != "merge", path


def test_a_noindex_page_out_of_date_is_never_to_be_shown_in_search_again(judged):
    """A noindex page many still read is worth showing in search, unless it is out of date: stale, naming only
    past years, or an archive. Then the advice is to send its visitors to the task's current page (merged,
    301), or, with no task to send them to, the facts alone."""
    origin, pages = judged["origin"], judged["pages"]
    for path in ("/residents/parking/parking-fines-2015", "/council-tax/discounts-archive", "/council-tax/payment-dates",
                 "/about/parking-tariffs-archive"):
        assert "let search engines show it" not in pages[path]["Reasons"], (path, pages[path]["Reasons"])
    assert (f"noindex: already noindex, yet 6,000 page views, out of date: keep it out of search and redirect its "
            f"visitors to {origin}/residents/parking/pay-a-parking-fine") in pages["/residents/parking/parking-fines-2015"]["Reasons"]
    assert pages["/council-tax/discounts-archive"]["Why"].startswith(
        "Merge: superseded by a current page (already noindex and out of date, yet 2,000 page views: the current page "
        f"for council-tax is {origin}/council-tax/pay)")
    archive = pages["/about/parking-tariffs-archive"]["Reasons"]  # no task, kept for its traffic: the facts only
    assert "noindex: already noindex, yet 5,000 page views, out of date" in archive and "redirect" not in archive
    assert "let search engines show it" in pages["/council-tax/moving-home"]["Reasons"]  # current: it may be sought
