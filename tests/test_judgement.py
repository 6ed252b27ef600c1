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
            assert by_url[row["Duplicate of"]]["Recommendation"] != "remove", path


def test_the_protected_kinds_are_in_the_settings_sheet(judged):
    values = {r[next(iter(r))]: r for r in judged["settings"]}
    assert "audit.protect_kinds" in values
    assert "councillors" in str(values["audit.protect_kinds"])


def test_the_protected_column_says_what_the_rules_kept(judged):
    """A page kept as a kind a public body keeps (the minutes, the councillors) shows Protected too."""
    for path in ("/council/councillors", "/gemeente/notulen-raadsvergadering", "/about/cookies/"):
        assert judged["pages"][path]["Protected"] is True, path
    assert judged["pages"]["/news/2018/"]["Protected"] is False
