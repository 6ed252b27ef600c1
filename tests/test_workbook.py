"""The workbook writer: crawled text never becomes a formula, cells stay within Excel's limits, big sites
split the Pages sheet, a half-written file never replaces a good one, and a real spreadsheet program
(LibreOffice, headless) opens what we write."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from reports.workbook import EXCEL_MAX_CELL, PAGES_COLUMNS, safe_text, write_workbook

from .test_audit import rows_of, site  # noqa: F401  (the module-scoped audited site)

TITLE = openpyxl.utils.get_column_letter(list(PAGES_COLUMNS).index("Title") + 1)


@dataclass
class Tables:
    pages: pd.DataFrame
    tasks: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        {"task": ["a", "none"], "name": ["Task A", "serves no top task"], "pages": [2, 1], "views": [None, None]}))
    duplicates: pd.DataFrame = field(default_factory=pd.DataFrame)
    redirects: pd.DataFrame = field(default_factory=pd.DataFrame)
    label_queue: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: dict = field(default_factory=dict)
    settings: list = field(default_factory=lambda: [("audit.thin_words", "200")])
    notes: list = field(default_factory=list)
    costs: str = ""


def tables(n: int, title=lambda i: f"Page {i}") -> Tables:
    pages = pd.DataFrame({"url": [f"https://example.org/p{i}" for i in range(n)], "status": [200] * n,
                          "title": [title(i) for i in range(n)], "task": ["a"] * n,
                          "recommendation": ["keep"] * n, "reasons": [""] * n})
    summary = {"site": "example", "urls": n, "pages": n, "classified": n, "no_task": 0, "no_task_share": 0.0,
               "recommendations": {"keep": n}, "tasks": [{"task": "a", "name": "Task A", "pages": n}]}
    return Tables(pages=pages, summary=summary)


@pytest.mark.parametrize("text", ["=1+2", "+1", "-1+2", "@SUM(A1)", "\tx", "\r=x", '=HYPERLINK("http://e.x","y")'])
def test_text_that_looks_like_a_formula_is_stored_as_text(tmp_path, text):
    path = write_workbook(tmp_path / "a.xlsx", tables(2, title=lambda i: text))
    cell = openpyxl.load_workbook(path)["Pages"][f"{TITLE}2"]
    # text, shown as written (Excel's quote prefix, not a visible apostrophe), still text when edited
    assert cell.data_type == "s" and cell.value == text and cell.quotePrefix


def test_forbidden_characters_are_removed_and_long_text_capped(tmp_path):
    huge = "word " * 10_000
    path = write_workbook(tmp_path / "a.xlsx", tables(2, title=lambda i: ["bell\x07 and\x00 nul\x1f", huge][i]))
    ws = openpyxl.load_workbook(path)["Pages"]
    assert ws[f"{TITLE}2"].value == "bell and nul"
    assert len(ws[f"{TITLE}3"].value) == EXCEL_MAX_CELL
    assert safe_text("plain text") == "plain text"


def test_past_the_row_limit_the_pages_sheet_splits_and_says_so(tmp_path):
    path = write_workbook(tmp_path / "a.xlsx", tables(25), max_rows=11)  # 10 pages per sheet
    book = openpyxl.load_workbook(path)
    assert [s for s in book.sheetnames if s.startswith("Pages")] == ["Pages", "Pages 2", "Pages 3"]
    urls = [r["URL"] for name in ("Pages", "Pages 2", "Pages 3") for r in rows_of(book[name])]
    assert urls == [f"https://example.org/p{i}" for i in range(25)]
    summary_text = " ".join(str(c.value) for row in book["Summary"].iter_rows() for c in row if c.value)
    assert "split into 3 sheets" in summary_text
    assert list(PAGES_COLUMNS) == [c.value for c in book["Pages 3"][1]]


def test_a_failed_write_leaves_the_previous_workbook(tmp_path):
    path = write_workbook(tmp_path / "audit.xlsx", tables(3))
    good = path.read_bytes()
    broken = tables(3)
    broken.settings = [("bad", object())]  # cannot be written: the write fails part-way
    broken.summary = None
    with pytest.raises(Exception):
        write_workbook(path, broken)
    assert path.read_bytes() == good


def test_the_crawled_hostile_page_is_harmless_in_the_workbook(site):  # noqa: F811
    pages = {r["URL"][len(site["origin"]):]: r for r in rows_of(site["book"]["Pages"])}
    title = pages["/bins/hostile"]["Title"]
    assert title.startswith("=HYPERLINK(") and "\x01" not in title


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(soffice() is None, reason="LibreOffice is not installed (Debian: apt-get install "
                                              "libreoffice-calc-nogui; tests/system-packages.sh does it)")
def test_libreoffice_opens_the_workbook_and_keeps_what_matters(site, tmp_path):  # noqa: F811
    source = site["out"] / "audit.xlsx"
    converted = convert(source, tmp_path)
    book = openpyxl.load_workbook(converted)
    assert book.sheetnames == openpyxl.load_workbook(source).sheetnames
    original = rows_of(openpyxl.load_workbook(source)["Pages"])
    reread = rows_of(book["Pages"])
    assert [r["URL"] for r in reread] == [r["URL"] for r in original]
    assert [r["Recommendation"] for r in reread] == [r["Recommendation"] for r in original]
    hostile = next(r for r in reread if r["URL"].endswith("/bins/hostile"))
    assert str(hostile["Title"]).startswith("=HYPERLINK(")  # still text: no formula was created
    formulas = {cell.value for row in book["Pages"].iter_rows() for cell in row if cell.data_type == "f"}
    assert formulas <= {"=TRUE()", "=FALSE()"}  # LibreOffice writes booleans so; nothing else is a formula
    header = [c.value for c in book["Pages"][1]]
    letter = openpyxl.utils.get_column_letter(header.index("Decision") + 1)
    assert any(letter in str(dv.sqref) for dv in book["Pages"].data_validations.dataValidation)


def convert(source: Path, folder: Path) -> Path:
    """Open and save ``source`` with LibreOffice headless, as a reviewer's spreadsheet program would."""
    out = folder / "converted"
    out.mkdir()
    profile = folder / "profile"
    proc = subprocess.run([soffice(), f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                           "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(source)],
                          capture_output=True, text=True, timeout=180)
    result = out / source.name
    assert result.exists(), f"LibreOffice could not open the workbook:\n{proc.stdout}\n{proc.stderr}"
    return result


# --- the workbook as a place to work (issue 11) ---

REVIEWER = ["URL", "Decision", "Corrected task", "Redirect target", "Notes", "Review"]


def header_of(ws) -> list:
    return [c.value for c in ws[1]]


def test_reviewer_columns_follow_the_url_and_are_prefilled_from_the_audit_table(tmp_path):
    t = tables(3)
    t.pages["decision"] = ["keep", None, "remove"]
    t.pages["corrected_task"] = [None, "a", None]
    t.pages["decision_target"] = [None, None, "https://example.org/p0"]
    t.pages["notes"] = ["checked", None, None]
    t.pages["review_status"] = ["keep on 2026-08-30, carried forward", "ask again: task changed", None]
    book = openpyxl.load_workbook(write_workbook(tmp_path / "a.xlsx", t))
    ws = book["Pages"]
    assert header_of(ws)[:6] == REVIEWER
    assert ws.freeze_panes == "B2"  # the header row and the URL column stay in view
    rows = rows_of(ws)
    assert [r["Decision"] for r in rows] == ["keep", None, "remove"]
    assert rows[1]["Corrected task"] == "a" and rows[2]["Redirect target"] == "https://example.org/p0"
    assert rows[0]["Notes"] == "checked" and rows[1]["Review"] == "ask again: task changed"
    sqref = {dv.formula1: str(dv.sqref) for dv in ws.data_validations.dataValidation}
    assert any(f.startswith('"keep,') and s.startswith("B2:") for f, s in sqref.items())  # Decision dropdown on B
    assert any(f.startswith("=Tasks!") and s.startswith("C2:") for f, s in sqref.items())  # Corrected task on C
    # without those fields (no earlier review) the columns are there and empty
    plain = rows_of(openpyxl.load_workbook(write_workbook(tmp_path / "b.xlsx", tables(2)))["Pages"])
    assert all(r[c] is None for r in plain for c in REVIEWER[1:])


def test_reasons_wrap_and_why_says_the_deciding_reason_in_plain_words(site):  # noqa: F811
    ws = site["book"]["Pages"]
    header = header_of(ws)
    reasons_col = header.index("Reasons")
    wrapped = [row[reasons_col].alignment.wrap_text for row in ws.iter_rows(min_row=2) if row[reasons_col].value]
    assert wrapped and all(wrapped)
    pages = {r["URL"][len(site["origin"]):]: r for r in rows_of(ws)}
    assert pages["/parking/broken"]["Why"].startswith("Fix: broken links")
    assert pages["/parking/missing"]["Why"].startswith("Fix: the URL fails")
    assert pages["/news/old-story"]["Why"].startswith("Remove: serves no top task")
    for row in pages.values():
        why = row["Why task"] or ""
        assert "zdir_" not in why
        if isinstance(row["Confidence"], float) and row["Confidence"] >= 0.9:
            assert "weak evidence" not in why, why
        if isinstance(row["Confidence"], float) and row["Confidence"] < 0.7 and why and "given as" not in why:
            assert why.startswith("weak evidence"), why


def test_broken_links_sheet_lists_each_broken_link_with_its_anchor_text(site):  # noqa: F811
    ws = site["book"]["Broken links"]
    assert header_of(ws)[:4] == ["Source page", "Target URL", "Anchor text", "Target status"]
    rows = rows_of(ws)
    origin = site["origin"]
    assert any(r["Source page"] == f"{origin}/parking/broken" and r["Target URL"] == f"{origin}/parking/missing"
               and r["Anchor text"] == "missing" and r["Target status"] == 404 for r in rows), rows
    # every broken link counted on the Pages sheet is listed, and only those
    pages = rows_of(site["book"]["Pages"])
    assert sum(r["Broken links"] or 0 for r in pages) == len({(r["Source page"], r["Target URL"]) for r in rows})
    assert ws.auto_filter.ref.startswith("A1:")  # the target column filters: inlinks one filter away


def test_sections_sheet_rolls_the_pages_up_by_section(site):  # noqa: F811
    pages = rows_of(site["book"]["Pages"])
    by_url = {r["URL"][len(site["origin"]):]: r for r in pages}
    assert by_url["/parking/pay"]["Section"] == "/parking/" and by_url["/bins/days"]["Section"] == "/bins/"
    sections = {r["Section"]: r for r in rows_of(site["book"]["Sections"])}
    parking = sections["/parking/"]
    assert parking["URLs"] == sum(1 for r in pages if r["Section"] == "/parking/")
    assert sum(parking[rec.capitalize()] for rec in ("keep", "improve", "merge", "demote", "noindex", "remove",
                                                     "fix")) == parking["URLs"]
    assert sum(r["URLs"] for r in sections.values()) == len(pages)


def test_sections_come_from_config_then_breadcrumb_then_folder():
    from audit.pipeline import _sections

    table = pd.DataFrame({"url": ["https://x.org/a/1", "https://x.org/a/2", "https://x.org/b/1", "https://x.org/c"],
                          "folder": ["/a/", "/a/", "/b/", "/"], "crumb": ["Residents", None, None, None]})
    assert _sections(table, {}) == ["Residents", "Residents", "/b/", "/"]
    assert _sections(table, {r"/b/": "Waste team"}) == ["Residents", "Residents", "Waste team", "/"]
    from audit.signals import breadcrumb_section

    home, residents = {"text": "Home", "url": "https://x.org/"}, {"text": "Residents", "url": "https://x.org/a/"}
    assert breadcrumb_section([home, residents, {"text": "Parking"}], "https://x.org/a/p") == "Residents"
    assert breadcrumb_section([home, {"text": "Allotments"}], "https://x.org/allotments") is None  # a page, not a section
    # a page in a folder whose trail names only itself is its folder's, not a section of one page
    assert breadcrumb_section([home, {"text": "Housing"}], "https://x.org/a/housing/") is None
    assert breadcrumb_section([home, {"text": "Housing", "url": "https://x.org/a/housing"}], "https://x.org/a/housing/") is None
    assert breadcrumb_section([home, residents], "https://x.org/a/housing/") == "Residents"  # a step up is a section


def test_summary_states_dates_period_and_stake_in_one_font_and_prints_one_page_wide(tmp_path):
    t = tables(1200)
    t.summary.update(crawl_started="2026-11-02T06:00:00Z", crawl_finished="2026-11-02T07:30:00Z",
                     analytics_periods=[("ga4.csv", ("2026-08-01", "2026-10-31")), ("gsc.csv", None)],
                     at_stake=1148406.0, visits=191401.0, no_task=300, no_task_share=0.25,
                     tasks=[{"task": "a", "name": "Task A", "pages": 900},
                            {"task": "none", "name": "serves no top task", "pages": 300}])
    book = openpyxl.load_workbook(write_workbook(tmp_path / "a.xlsx", t))
    ws = book["Summary"]
    cells = {row[0].value: row for row in ws.iter_rows() if row[0].value}
    started = cells["Crawl started (UTC)"][1]
    assert started.is_date and started.value.year == 2026
    assert cells["URLs crawled"][1].value == 1200 and cells["URLs crawled"][1].number_format == "#,##0"
    assert cells["Pages serving no top task"][2].number_format == "0.0%"
    text = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert "2026-08-01 to 2026-10-31" in text and "not stated in the export" in text
    stake = cells["At stake (estimate, EUR)"]
    assert stake[1].value == 1148406 and stake[2].value == "in 2026-08-01 to 2026-10-31"  # no leading space
    assert cells["Visits to top-task pages"][2].value == stake[2].value
    assert "none (serves no top task)" in text  # the long neck's chart includes none, by name
    none_row = next(row[0].row for row in ws.iter_rows() if row[0].value == "none (serves no top task)")
    categories = ws._charts[0].series[0].cat
    ref = (categories.numRef or categories.strRef).f
    assert ref.endswith(f"$A${none_row}")  # the chart's bars run to none
    fonts = {c.font.name for row in ws.iter_rows() for c in row if c.value is not None}
    assert fonts == {"Calibri"}
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage


def test_numbers_and_dates_on_the_pages_sheet_are_real_numbers_and_dates(site):  # noqa: F811
    ws = site["book"]["Pages"]
    header = header_of(ws)
    dated = [row[header.index("Newest date")] for row in ws.iter_rows(min_row=2) if row[header.index("Newest date")].value]
    assert dated and all(c.is_date for c in dated)
    confidence = [row[header.index("Confidence")] for row in ws.iter_rows(min_row=2)
                  if isinstance(row[header.index("Confidence")].value, float)]
    assert confidence and all(c.number_format == "0.00" for c in confidence)


def test_label_queue_leaves_an_audited_runs_files_alone(site):  # noqa: F811
    from .conftest import longneck

    out = site["out"]
    before = {name: (out / name).read_bytes() for name in ("classification.csv", "label_queue.csv")}
    proc = longneck("label-queue", out, "--size", "5")
    assert "left as they were" in proc.stderr
    assert {name: (out / name).read_bytes() for name in before} == before
    written = sorted(out.glob("label_queue-*.csv"))
    assert len(written) == 1 and written[0].read_text().startswith("url,")
    written[0].unlink()


def test_every_sheet_prints_landscape_with_its_header_row_on_each_page(site):  # noqa: F811
    book = site["book"]
    for ws in book.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0, ws.title
        if ws.title in ("Summary", "Changes"):
            continue  # blocks of rows, no one header row to repeat (Changes: two pages wide, column A repeated)
        assert ws.print_title_rows == "$1:$1", ws.title
        if int(ws.page_setup.fitToWidth) > 1:  # wider than a page: the key column(s) (the URL) on every page
            assert ws.print_title_cols == ("$A:$C" if ws.title == "Duplicates" else "$A:$A"), ws.title
    assert book["Redirects"].print_title_cols == "$A:$A"  # From on every page, beside its To, then its Reasons
    assert int(book["Tasks"].page_setup.fitToWidth) == 2 and book["Tasks"].print_title_cols == "$A:$A"
    assert book["Tasks"].column_dimensions["A"].width >= 24  # task ids are not cut in print
