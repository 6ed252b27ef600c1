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
    cell = openpyxl.load_workbook(path)["Pages"]["C2"]
    assert cell.data_type == "s" and cell.value == "'" + text


def test_forbidden_characters_are_removed_and_long_text_capped(tmp_path):
    huge = "word " * 10_000
    path = write_workbook(tmp_path / "a.xlsx", tables(2, title=lambda i: ["bell\x07 and\x00 nul\x1f", huge][i]))
    ws = openpyxl.load_workbook(path)["Pages"]
    assert ws["C2"].value == "bell and nul"
    assert len(ws["C3"].value) == EXCEL_MAX_CELL
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
    assert title.startswith("'=HYPERLINK(") and "\x01" not in title


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
    assert str(hostile["Title"]).startswith("'=HYPERLINK(")  # still text: no formula was created
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
