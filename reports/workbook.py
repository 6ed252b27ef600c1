"""The audit workbook (openpyxl, write-only: rows stream to disk, so memory stays flat on big sites).

Sheets: Summary, Pages (split into "Pages 2", "Pages 3" ... past Excel's row limit), Sections, Tasks,
Duplicates, Redirects, Broken links, Label queue, Changes, Follow-through, Settings. :data:`PAGES_COLUMNS` is the documented column list of the Pages
sheet (the README's table and a test are checked against it).

Safety: every string goes through :func:`safe_text`: characters XML 1.0 forbids are removed, text
that a spreadsheet would read as a formula (starting with = + - @, tab or CR; OWASP CSV injection) is
stored as a text cell with Excel's quote prefix (the hidden apostrophe: shown as written, never
evaluated, still text when edited), and cells are capped at Excel's 32,767 characters.
Hyperlinks are added only for http(s) URLs, and at most 65,000 per sheet (Excel's limit is 65,530).

This module takes tables (pandas DataFrames) and plain values; it imports neither crawler nor audit.
"""

from __future__ import annotations

import math
import re
import unicodedata
from copy import copy
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.dimensions import RowDimension

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_CELL = 32_767
MAX_HYPERLINKS = 65_000
RECOMMENDATIONS = ("keep", "improve", "merge", "demote", "noindex", "remove", "fix")
FILLS = {"keep": "C6EFCE", "improve": "FFEB9C", "merge": "BDD7EE", "demote": "E4DFEC",
         "noindex": "FCE4D6", "remove": "FFC7CE", "fix": "F8CBAD"}

# header: (field of the audit table, column width, meaning)
PAGES_COLUMNS: dict[str, tuple[str | None, int, str]] = {
    "URL": ("url", 60, "The crawled URL (normalised), clickable. Frozen with the header: it stays in view."),
    "Decision": ("decision", 12, "For the reviewer: one of the seven recommendations (dropdown); pre-filled with the "
                                 "decision carried forward from an earlier review, if any."),
    "Corrected task": ("corrected_task", 18, "For the reviewer: the right task when Task is wrong (dropdown; becomes a "
                                             "training label); pre-filled from an earlier review."),
    "Redirect target": ("decision_target", 30, "For the reviewer: where this URL should redirect, when that is not "
                                               "Redirect to (for remove or merge); pre-filled from an earlier review."),
    "Notes": ("notes", 30, "For the reviewer; pre-filled from an earlier review."),
    "Review": ("review_status", 24, "Where the row's review stands, to filter on: e.g. 'keep on 2026-08-30, carried "
                                    "forward' or 'ask again: task changed'; empty when never reviewed."),
    "Recommendation": ("recommendation", 18, "keep, improve, merge, demote, noindex, remove or fix: the first deciding rule that fired."),
    "Why": ("reason_summary", 45, "The deciding reason in plain words (all reasons: Reasons)."),
    "Task": ("task", 20, "The top task the page serves, or none; empty for URLs without content (errors, redirects)."),
    "Task name": ("task_name", 28, "Task's name as the config gives it (in the site's language), beside its id."),
    "Confidence": ("confidence", 11, "The classifier's confidence in Task (0-1)."),
    "Status": ("status", 8, "HTTP status; empty when no response came (see Reasons)."),
    "Title": ("title", 40, "The page title."),
    "Section": ("section", 20, "Who owns the page: an [audit] sections match, else the breadcrumb's first step, else "
                               "the URL's first folder (rolled up in the Sections sheet)."),
    "Reasons": ("reasons", 60, "Every rule that fired, '; '-separated, each 'code: detail'."),
    "Runner-up": ("runner_up", 20, "The next most likely task (none in the Task name's words)."),
    "Duplicate of": ("duplicate_of", 45, "The best page of this page's duplicate cluster."),
    "Redirect to": ("redirect_to", 45, "Where to redirect this URL (merge, remove with a close top-task page, chain fix)."),
    "Redirect status": ("redirect_status", 10, "301 (redirect to Redirect to) or 410 (gone) for the server."),
    "Why task": ("why", 50, "Why the classifier chose Task (breadcrumb, the listing page and heading, links, folder, words)."),
    "Words": ("word_count", 8, "Words of main text."),
    "Depth": ("depth", 7, "Clicks from a start page; empty when no link reaches it."),
    "Inlinks body": ("inlinks_body", 9, "Crawled pages linking here from their main content."),
    "Inlinks nav": ("inlinks_nav", 9, "Crawled pages linking here only from navigation, header or footer."),
    "Broken links": ("broken_links", 9, "Internal links on this page to URLs that fail (each listed in the Broken links sheet)."),
    "Newest date": ("newest_date", 12, "The newest content date found on or for the page."),
    "Age (days)": ("age_days", 9, "Days from Newest date to the crawl."),
    "In sitemap": ("in_sitemap", 9, "Listed in a sitemap."),
    "Orphan": ("orphan", 8, "In a sitemap, linked from no crawled page."),
    "Noindex": ("noindex", 8, "noindex in meta robots or X-Robots-Tag."),
    "Meta robots": ("meta_robots", 16, "The meta robots value."),
    "X-Robots-Tag": ("x_robots_tag", 16, "The X-Robots-Tag header."),
    "Canonical": ("canonical", 40, "The canonical URL the page declares."),
    "Robots blocked": ("robots_blocked", 9, "robots.txt disallows the URL (not fetched)."),
    "Final URL": ("final_url", 40, "Where the URL's redirects end."),
    "Redirect hops": ("redirect_hops", 8, "Redirects from URL to Final URL."),
    "Content type": ("content_type", 16, "Media type of the response."),
    "Language": ("language", 8, "Language of the page."),
    "Similarity": ("similarity", 10, "Similarity of the main text to Duplicate of (1 = identical)."),
    "Page views": ("views", 10, "Page views from the analytics exports (empty without analytics)."),
    "Clicks": ("clicks", 9, "Search Console clicks (empty without an export)."),
    "Impressions": ("impressions", 11, "Search Console impressions (empty without an export)."),
    "Protected": ("protected", 9, "Matches an [audit] protect pattern, or is of a kind in [audit] protect_kinds (the reason protected)."),
    "Found via": ("found_via", 9, "start, link, redirect, sitemap or example."),
    "Content hash": ("content_hash", 14, "Hash of the main text: equal hashes, equal text."),
    "Newest date source": ("newest_date_source", 30, "Where Newest date was read: a meta tag, JSON-LD, the page's "
                                                     "text («Actualizat: 14 septembrie 2012»), document "
                                                     "properties, the sitemap, or the HTTP Last-Modified as the "
                                                     "last resort (no date on the page; a static server's copy time; "
                                                     "not used when most such pages share one date)."),
}
PAGES_WRAP = ("Why", "Reasons", "Why task", "Review")  # wrapped, so they read without scrolling sideways
PAGES_FORMATS = {"Confidence": "0.00", "Similarity": "0.00", "Page views": "#,##0", "Clicks": "#,##0",
                 "Impressions": "#,##0", "Inlinks body": "#,##0", "Inlinks nav": "#,##0", "Words": "#,##0",
                 "Age (days)": "#,##0"}
PAGES_DATES = ("Newest date",)
WRAP_MAX_LINES = 3  # a wrapped row grows to at most this many lines (the cell holds the rest)
PAGES_PRINT_LAST = "Confidence"  # printing the Pages sheet prints URL to this column, two pages wide

TASKS_COLUMNS = {"Task": "task", "Name": "name", "Pages": "pages", "In doubt": "in_doubt", "Share": "share", "Best page": "best_page",
                 "Best page depth": "best_depth", "Competing duplicates": "competing_duplicates",
                 "Thin share": "thin_share", "Stale share": "stale_share", "Visits": "views",
                 "At stake (estimate, EUR)": "at_stake", "Pages then": "pages_then", "Best page then": "best_page_then",
                 "Best page depth then": "best_depth_then", "Stale share then": "stale_share_then",
                 "Competing then": "competing_then", "Slipped": "slipped"}
CHANGES_COLUMNS = {"URL": "url", "Change": "change", "Cause": "cause", "Task then": "task_then", "Task now": "task_now",
                   "Recommendation then": "recommendation_then", "Recommendation now": "recommendation_now",
                   "Status then": "status_then", "Status now": "status_now"}
FOLLOW_COLUMNS = {"URL": "url", "Decision": "decision", "Decided on": "decided_on", "Agreed target": "agreed_target",
                  "Done": "done", "Now": "now", "Notes": "notes"}
DUPLICATES_COLUMNS = {"Cluster": "cluster", "Kind": "kind", "URL": "url", "Best page": "best_page",
                      "Is best": "is_best", "Similarity": "similarity", "Task": "task", "Words": "words",
                      "Recommendation": "recommendation"}
DUPLICATE_KINDS = ("exact", "near", "similar")  # the Duplicates sheet's Kind, said in the workbook's language
# short values said in the workbook's language when the cell is written (the tables keep them in English:
# the history, the CSV files, `longneck compare` and the follow-through checks read them)
CHANGE_KINDS = ("new", "gone", "task", "recommendation", "content", "status")  # Changes: Change (", "-joined)
FOLLOW_STATES = ("done", "not done", "not checked")  # Follow-through: Done
FOUND_VIA = ("start", "link", "redirect", "sitemap", "example")  # Pages: Found via (as the crawl offered it)
LAST_RESORT = "HTTP Last-Modified (last resort: no date on the page)"  # audit.signals.LAST_RESORT
STAMPED = "HTTP Last-Modified, the same on most pages (the server's copy or clock time): not used"  # audit.signals.STAMPED
# Pages: Newest date source, the parts said (with "{kind} properties": PDF, DOCX ... properties)
DATE_SOURCES = ("meta tag", "text", "document properties", "sitemap lastmod", LAST_RESORT, STAMPED)
REDIRECTS_COLUMNS = {"From": "from", "To": "to", "Status": "status", "Recommendation": "recommendation",
                     "Reasons": "reasons"}
BROKEN_COLUMNS = {"Source page": "source", "Target URL": "target", "Anchor text": "anchor",
                  "Target status": "target_status", "Note": "note"}
SECTIONS_COLUMNS = ["Section", "URLs", "Pages", *[r.capitalize() for r in RECOMMENDATIONS], "Classified",
                    "No-task pages", "No-task share", "Page views"]
QUEUE_COLUMNS = {"URL": "url", "Task now": "task", "Runner-up": "runner_up", "Uncertainty": "uncertainty",
                 "Folder pages": "folder_pages", "Label": None}

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FONT = "Calibri"  # the workbook's one font (openpyxl's default font), named in every styled cell
_BOLD = Font(name=FONT, size=11, bold=True)
_TITLE = Font(name=FONT, size=14, bold=True)
_LINK = Font(name=FONT, size=11, color="0563C1", underline="single")
_WRAP = Alignment(wrap_text=True)  # bottom, as every other cell: a row reads level
_TOP = Alignment(vertical="top")


def _same(text: str) -> str:
    return text


def _translated(frame, fields, values: dict):
    """``frame`` with the recommendation words of ``fields`` in the workbook's language (the frame itself
    in English: nothing is copied)."""
    return _worded(frame, {f: values for f in fields})


def _worded(frame, words: dict):
    """``frame`` with the values of each field of ``words`` ({field: {English value: said}}) said in the
    workbook's language, copied once (the frame itself when there is nothing to say: English). Only the
    cells change: the audit's tables, the history and the CSV files keep the English values."""
    words = {f: values for f, values in words.items() if values and frame is not None and f in frame}
    if not words:
        return frame
    frame = frame.copy()
    for f, values in words.items():
        frame[f] = frame[f].map(lambda v: values.get(v, v) if isinstance(v, str) else v)
    return frame


def _vocabulary(tr, values) -> dict:
    """{English value: said} of a closed list of short values (English: {}, nothing to say)."""
    return {v: tr(v) for v in values if tr(v) != v}


def _column_words(frame, field, vocabulary, tr, say) -> dict:
    """{value: say(value, tr)} of the distinct values of ``frame[field]`` ({} when the language says none
    of ``vocabulary`` otherwise: English)."""
    if frame is None or field not in frame or not _vocabulary(tr, vocabulary):
        return {}
    return {v: say(v, tr) for v in set(frame[field].dropna().tolist()) if isinstance(v, str)}


def _change(value: str, tr) -> str:
    """The Changes sheet's Change ("task, recommendation") said in the workbook's language, word by word."""
    return ", ".join(tr(w) if w in CHANGE_KINDS else w for w in value.split(", "))


def _date_source(value: str, tr) -> str:
    """The Pages sheet's Newest date source said in the workbook's language: 'sitemap lastmod', 'text',
    'PDF properties' and the last resort are said; what names markup or a header (``<meta
    dcterms.modified>``, ``JSON-LD dateModified``) stays as it is, as do the words quoted from the page
    (``text: «Publicat: 05.06.2012»`` keeps «Publicat: 05.06.2012»)."""
    head, sep, quoted = value.partition(": «")
    kind = re.fullmatch(r"([A-Z0-9]+) properties", head)
    if head in DATE_SOURCES:
        head = tr(head)
    elif kind:
        head = tr("{kind} properties").format(kind=kind.group(1))
    return head + sep + quoted


def _said(frame, fields, language):
    """``frame`` with the texts of ``fields`` (Why, Reasons, Review, Why task ...: :class:`reports.i18n.Message`
    values) said in the workbook's language (the frame itself in English: nothing is copied)."""
    from .i18n import SOURCE, renderer, resolve

    if frame is None or (resolve(language) or SOURCE) == SOURCE or not any(f in frame for f in fields):
        return frame
    frame = frame.copy()
    say = renderer(language)
    for f in fields:
        if f in frame:
            frame[f] = [say(v) for v in frame[f].tolist()]
    return frame


# the columns whose texts the audit writes as Messages (said in the workbook's language)
SAID = ("reason_summary", "reasons", "review_status", "why", "slipped", "now", "follow_detail", "cause", "task_name",
        "name")


def _sheet_ref(name: str) -> str:
    """A sheet name as a formula names it: quoted (a ' doubled) unless plain ASCII letters and digits."""
    return name if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name) else "'" + name.replace("'", "''") + "'"


_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_HIDDEN = ("Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp", "Zs")  # controls, bidi marks, spaces: stay encoded


def _decode_escapes(match) -> str:
    run = match.group()
    raw = bytes.fromhex(run.replace("%", ""))
    out, i = [], 0
    while i < len(raw):
        lead = raw[i]
        size = 2 if 0xC2 <= lead <= 0xDF else 3 if 0xE0 <= lead <= 0xEF else 4 if 0xF0 <= lead <= 0xF4 else 0
        try:
            char = raw[i:i + size].decode("utf-8") if size else ""
        except UnicodeDecodeError:
            char = ""
        if len(char) == 1 and unicodedata.category(char) not in _HIDDEN:
            out.append(char)
            i += size
        else:  # ASCII escapes (%20, %2F), bytes that are not UTF-8, hidden characters: kept as written
            out.append(run[3 * i:3 * i + 3])
            i += 1
    return "".join(out)


def iri(url):
    """A URL as people read it (an IRI, RFC 3987 3.2): percent-encoded UTF-8 letters shown decoded,
    '/%CE%BD%CE%AD%CE%B1' as '/νέα'. Escapes of ASCII characters, bytes that are not UTF-8 and invisible
    characters stay encoded, so ``uri`` gives the URL back. For display only: links point at the URL."""
    if not isinstance(url, str) or "%" not in url:
        return url
    return _ESCAPES.sub(_decode_escapes, url)


def uri(text: str) -> str:
    """The URL of an IRI shown in (or typed into) the workbook: non-ASCII characters percent-encoded as
    UTF-8 (upper-case hex, as the crawl writes them), a non-ASCII host in IDNA."""
    if not text or text.isascii():
        return text
    scheme, sep, rest = text.partition("://")
    if sep:
        host_end = min((rest.find(c) for c in "/?#" if c in rest), default=len(rest))
        host = rest[:host_end]
        if not host.isascii():
            try:
                host = host.encode("idna").decode("ascii")
            except UnicodeError:
                pass
        text = scheme + sep + host + rest[host_end:]
    return re.sub(r"[^\x00-\x7f]+", lambda m: "".join(f"%{b:02X}" for b in m.group().encode("utf-8")), text)


def safe_text(value: str) -> str:
    """Text as a spreadsheet stores it, never as a formula: forbidden characters removed, a leading
    = + - @ tab or CR kept as text (written with Excel's quote prefix: :func:`_guard`), capped at 32,767
    characters."""
    text = _ILLEGAL.sub("", value)
    if len(text) > EXCEL_MAX_CELL:
        text = text[:EXCEL_MAX_CELL - 1] + "…"
    # unchanged: the value itself, not a copy (a reason text is a str subclass, reports.i18n.Message, and a
    # column of copies made before writing would cost some 50 MB at 100,000 pages)
    return value if text == value else text


def _guard(ws, values) -> list:
    """A row made safe to append: every text that starts like a formula (= + - @, tab, CR) becomes a text
    cell with Excel's quote prefix (the hidden apostrophe Excel adds itself when someone types '=x), whether
    it came as a value or inside a styled cell: it shows as written, is never evaluated, and stays text
    when a reviewer edits it."""
    values = list(values)
    for i, v in enumerate(values):
        if isinstance(v, str) and v.startswith(_FORMULA_START):
            values[i] = v = WriteOnlyCell(ws, value=str(v))
        if isinstance(v, Cell) and isinstance(v.value, str) and v.value.startswith(_FORMULA_START):
            v.data_type = "s"
            v.quotePrefix = True
    return values


def _plain(value):
    """A Python value openpyxl can store: numpy and pandas scalars unwrapped, NaN/None empty, lists joined."""
    if value is None or isinstance(value, Cell):
        return value
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str):
        return safe_text(value) if value else None
    if isinstance(value, (bool, int, float)):
        return value
    return safe_text(str(value))


class _Sheet:
    """A write-only sheet with a bold, frozen, filterable header row and column widths; ``wrap``: columns
    whose text wraps; ``dates``: columns of ISO dates stored as real dates; ``freeze``: the top-left
    cell that stays scrollable ("A2": the header row frozen; "B2": the first column too)."""

    def __init__(self, wb, title, headers, widths=None, links=(), filter=True, formats=None, wrap=(), dates=(),
                 freeze="A2", print_area=None, tr=None, urls=(), max_lines=None, key_columns=1):
        tr = tr or _same  # the workbook's language: titles and header cells translated, logic in English
        self.ws = wb.create_sheet(tr(title))
        self.print_area = print_area  # the last column printed; the rows are known at close()
        if print_area:  # before the first row: write-only sheets write their properties with it
            # two pages wide, the URL repeated on each: the reviewer's columns, then the advice (one page
            # wide shrinks the text below reading size)
            _print_setup(self.ws, title_rows="1:1", wide=2, title_cols="A:A")
        self.headers = list(headers)
        for i, header in enumerate(self.headers, 1):
            self.ws.column_dimensions[get_column_letter(i)].width = (widths or {}).get(header, max(10, len(header) + 2))
        if not print_area:  # every sheet prints landscape with its header row on each page; one page wide,
            # or two with the first column repeated when one would shrink the text below reading size
            total = sum(self.ws.column_dimensions[get_column_letter(i)].width for i in range(1, len(self.headers) + 1))
            _print_setup(self.ws, title_rows="1:1", wide=1 if total <= PRINT_WIDTH else 2,
                         title_cols=None if total <= PRINT_WIDTH else f"A:{get_column_letter(key_columns)}")
        self.max_lines = max_lines or WRAP_MAX_LINES
        self.ws.freeze_panes = freeze
        self.links = {self.headers.index(h) for h in links}
        self.urls = {self.headers.index(h) for h in urls if h in self.headers} - self.links  # shown decoded
        self.formats = {self.headers.index(h): f for h, f in (formats or {}).items()}
        self.wrap = {self.headers.index(h) for h in wrap if h in self.headers}
        # about a character per unit of width, less what word wrap leaves at the ends of lines
        self.wrap_chars = {i: max(8, int((widths or {}).get(self.headers[i]) or 10)) for i in self.wrap}
        self.dates = {self.headers.index(h) for h in dates if h in self.headers}
        self.link_count = 0
        self.rows = 0
        self.filter = filter
        self._styles: dict = {}
        self.append([self._bold(tr(h)) for h in self.headers], header=True)

    def _bold(self, text):
        cell = WriteOnlyCell(self.ws, value=text)
        cell.font = _BOLD
        cell.alignment = _TOP
        return cell

    def append(self, values, header=False, fill=None, fill_column=None):
        """Append a row; values from _records are already storable (see _column)."""
        if not header and (self.links or fill is not None or self.formats or self.wrap or self.dates or self.urls):
            values = list(values)
            for col in self.urls:
                if col < len(values):
                    values[col] = iri(values[col])
            for col in self.links:
                value = values[col] if col < len(values) else None
                if (isinstance(value, str) and value.startswith(("http://", "https://"))
                        and self.link_count < MAX_HYPERLINKS):
                    cell = self._styled(iri(value), "link", font=_LINK)  # shown decoded, links to the URL
                    cell.hyperlink = value
                    self.link_count += 1
                    values[col] = cell
                elif isinstance(value, str):
                    values[col] = iri(value)
            for col, number_format in self.formats.items():
                if col < len(values) and isinstance(values[col], (int, float)) and not isinstance(values[col], bool):
                    values[col] = self._styled(values[col], number_format, number_format=number_format)
            for col in self.dates:
                day = _date(values[col]) if col < len(values) else None
                if day is not None:
                    values[col] = self._styled(day, "date", number_format="yyyy-mm-dd")
            lines = 1
            for col in self.wrap:
                if col < len(values) and isinstance(values[col], str):
                    lines = max(lines, _lines(values[col], self.wrap_chars[col]))
                    values[col] = self._styled(values[col], "wrap", alignment=_WRAP)
            _grow(self.ws, self.rows + 1, lines, self.max_lines)
            if fill is not None and fill_column < len(values) and values[fill_column] is not None:
                values[fill_column] = self._styled(values[fill_column], fill.fgColor.rgb, fill=fill)
        self.ws.append(_guard(self.ws, values))
        self.rows += 1
        self.ws.row_dimensions.pop(self.rows, None)  # written: memory stays flat

    def _styled(self, value, key, **style):
        """A cell with a style registered once per sheet (copying its style ids: no re-hashing per cell)."""
        cell = WriteOnlyCell(self.ws, value=value)
        template = self._styles.get(key)
        if template is None:
            for name, attr in style.items():
                setattr(cell, name, attr)
            self._styles[key] = cell
        else:
            cell._style = copy(template._style)
        return cell

    def close(self):
        if self.print_area:
            self.ws.print_area = f"A1:{self.print_area}{max(1, self.rows)}"
        if self.filter and self.rows:
            self.ws.auto_filter.ref = f"A1:{get_column_letter(len(self.headers))}{self.rows}"


def _date(value):
    """An ISO date or date-time text as a date (datetime for a time of day), else None."""
    from datetime import date, datetime

    if isinstance(value, (date, datetime)):
        return value
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None


def _lines(text: str, chars: int) -> int:
    """How many lines ``text`` wraps to in a column of ``chars`` characters (a unit of width is about one)."""
    return -(-len(text) // chars)


def _grow(ws, row_number: int, lines: int, most: int) -> None:
    """Spreadsheets do not grow a row for wrapped text they load: give row ``row_number`` (not yet written)
    the height of ``lines`` lines, at most ``most``."""
    if lines > 1:
        ws.row_dimensions[row_number] = RowDimension(ws, index=row_number, ht=15 * min(lines, most))


def _column(values: list) -> list:
    """One column made storable in one pass (faster than cell by cell)."""
    return [v if v is None or type(v) in (int, bool) else _plain(v) for v in values]


def _records(frame, columns: dict, words: dict | None = None):
    """Rows of ``frame`` as tuples in the order of ``columns`` (header -> field; None = empty column).
    ``words``: {field: {value: said}}, values said otherwise in those columns' cells only (the frame is
    not copied: the Pages table of a million pages would be)."""
    n = len(frame)
    empty = [None] * n
    words = words or {}

    def values(f):
        column = frame[f].tolist()
        said = words.get(f)
        return [said.get(v, v) if isinstance(v, str) else v for v in column] if said else column
    data = [_column(values(f)) if f and f in frame else empty for f in columns.values()]
    return zip(*data) if data else iter(())


def write_workbook(path, audit, max_rows: int = EXCEL_MAX_ROWS) -> Path:
    """Write the audit workbook to ``path`` (atomically: a half-written file never replaces a good one).
    ``audit`` has the tables pages, tasks, duplicates, redirects, label_queue, the dict summary, the
    (name, value) list settings and the list of notes, and optionally ``language`` (a shipped language of
    :mod:`reports.i18n`: sheet names, headers, Decision values and the Summary in it; default English).
    ``max_rows``: rows per sheet (header included)."""
    from .i18n import Message as M
    from .i18n import renderer, translator

    path = Path(path)
    wb = Workbook(write_only=True)
    tr = translator(getattr(audit, "language", None))
    words = {r: tr(r) for r in RECOMMENDATIONS if tr(r) != r}  # {} in English: the tables are written as they are
    language = getattr(audit, "language", None)
    pages = _said(_worded(audit.pages, {"recommendation": words, "decision": words,
                                        "found_via": _vocabulary(tr, FOUND_VIA),
                                        "newest_date_source": _column_words(audit.pages, "newest_date_source",
                                                                          DATE_SOURCES, tr, _date_source)}), SAID, language)
    tasks = _said(audit.tasks, SAID, language)
    per_sheet = max_rows - 1
    parts = max(1, math.ceil(len(pages) / per_sheet))
    notes = list(audit.notes)
    if parts > 1:
        sheets = M.join(", ", [M("Pages"), *[M.plain("{pages} {k}", pages=M("Pages"), k=k)
                                             for k in range(2, parts + 1)]])
        notes.insert(0, M("{n:,} URLs: more than Excel's {rows:,} rows per sheet, so the Pages sheet is split into "
                          "{parts} sheets ({sheets})", n=len(pages), rows=per_sheet, parts=parts, sheets=sheets))
    if min(len(pages), per_sheet) > MAX_HYPERLINKS:
        notes.append(M("URLs are clickable in the first {n:,} rows of each Pages sheet (Excel allows 65,530 links "
                       "per sheet)", n=MAX_HYPERLINKS))
    say = renderer(language)  # the notes are Messages where the audit wrote them so: said in the language
    _summary_sheet(wb, audit, [say(note) for note in notes], tr)

    task_ids = tasks["task"].tolist()
    widths = {h: w for h, (_, w, _) in PAGES_COLUMNS.items()}
    headers = list(PAGES_COLUMNS)
    columns = {h: f for h, (f, _, _) in PAGES_COLUMNS.items()}
    rec_col = headers.index("Recommendation")
    fills = {tr(r): PatternFill("solid", start_color=c, end_color=c) for r, c in FILLS.items()}
    task_list = f"={_sheet_ref(tr('Tasks'))}!$A$2:$A${len(task_ids) + 1}"
    decision_title = tr("Decision")
    # a Runner-up of none is said as the Task name says none (the tables, the CSV files keep the id)
    runner_up = {"runner_up": {"none": tr("serves no top task")}}
    rows = _records(pages, columns, runner_up)
    for part in range(parts):
        sheet = _Sheet(wb, "Pages" if part == 0 else f"{tr('Pages')} {part + 1}", headers, widths, links=["URL"],
                       urls=["Canonical", "Final URL", "Redirect target"], formats=PAGES_FORMATS, wrap=PAGES_WRAP,
                       dates=PAGES_DATES, freeze="B2",
                       print_area=get_column_letter(headers.index(PAGES_PRINT_LAST) + 1), tr=tr)
        count = min(per_sheet, len(pages) - part * per_sheet)
        for _ in range(count):
            row = next(rows)
            sheet.append(row, fill=fills.get(row[rec_col]), fill_column=rec_col)
        last = max(2, sheet.rows)
        decision = DataValidation(type="list", formula1='"' + ",".join(tr(r) for r in RECOMMENDATIONS) + '"',
                                  allow_blank=True, showErrorMessage=True, errorTitle=decision_title,
                                  error=tr("Choose keep, improve, merge, demote, noindex, remove or fix."))
        decision.add(f"{get_column_letter(headers.index('Decision') + 1)}2:{get_column_letter(headers.index('Decision') + 1)}{last}")
        corrected = DataValidation(type="list", formula1=task_list, allow_blank=True,
                                   showErrorMessage=True, errorTitle=tr("Corrected task"),
                                   error=tr("Choose a task id from the Tasks sheet, or none."))
        col = get_column_letter(headers.index("Corrected task") + 1)
        corrected.add(f"{col}2:{col}{last}")
        sheet.ws.data_validations.append(decision)
        sheet.ws.data_validations.append(corrected)
        sheet.close()

    _sections_sheet(wb, audit.pages, tr)

    sheet = _Sheet(wb, "Tasks", list(TASKS_COLUMNS), {"Task": 24, "Name": 32, "Best page": 70, "At stake (estimate, EUR)": 24,
                                                      "Best page then": 70, "Slipped": 50},
                   links=["Best page"], filter=False,
                   formats={"Share": "0.0%", "Thin share": "0.0%", "Stale share": "0.0%", "Visits": "#,##0",
                            "At stake (estimate, EUR)": "#,##0", "Stale share then": "0.0%"}, tr=tr)
    for row in _records(tasks, TASKS_COLUMNS):
        sheet.append(row)
    sheet.append([])
    sheet.append([tr("Shares are of the classified pages; thin and stale shares of each task's live pages.")])
    sheet.append([tr("Thin share, Stale share and Visits count only the pages the "
                     "classifier is sure serve the task (In doubt: the others), and never the home page.")])
    if tasks["views"].notna().any():
        sheet.append([tr("At stake is an estimate: the task's visits x (phone cost - web cost), the cost if those "
                         "visitors had to call instead ({costs}).").format(costs=say(audit.costs))])
    else:
        sheet.append([tr("Visits and At stake need analytics: list your exports in [audit] analytics.")])
    sheet.close()

    broken = getattr(audit, "broken_links", None)
    if broken is None:
        broken = pd.DataFrame(columns=list(BROKEN_COLUMNS.values()))
    for title, frame, columns, links, wide in (
            ("Duplicates", _translated(_translated(audit.duplicates, ("recommendation",), words), ("kind",),
                                       {k: tr(k) for k in DUPLICATE_KINDS if tr(k) != k}), DUPLICATES_COLUMNS, ["URL", "Best page"], {"URL": 60, "Best page": 60}),
            ("Redirects", _said(_translated(audit.redirects, ("recommendation",), words), SAID, language),
             REDIRECTS_COLUMNS, [], {"From": 60, "To": 60, "Reasons": 70}),
            ("Broken links", _said(broken, ("target_status", "note"), language), BROKEN_COLUMNS,
             ["Source page", "Target URL"],
             {"Source page": 60, "Target URL": 60, "Anchor text": 40, "Target status": 14, "Note": 40}),
            ("Label queue", audit.label_queue, QUEUE_COLUMNS, ["URL"], {"URL": 70, "Task now": 20, "Runner-up": 20})):
        # the Redirects sheet's Reasons grow to all their lines (they overran the row above in print); the
        # Duplicates sheet repeats Cluster, Kind and URL on its second printed page
        sheet = _Sheet(wb, title, list(columns), wide, links=links, wrap=["Reasons"] if title == "Redirects" else (),
                       tr=tr, urls=["From", "To"] if title == "Redirects" else (),
                       max_lines=8 if title == "Redirects" else None, key_columns=3 if title == "Duplicates" else 1)
        for row in _records(frame, columns, runner_up if title == "Label queue" else None):
            sheet.append(row)
        if title == "Label queue":
            label = DataValidation(type="list", formula1=task_list, allow_blank=True)
            label.add(f"F2:F{max(2, sheet.rows)}")
            sheet.ws.data_validations.append(label)
        sheet.close()

    _changes_sheet(wb, audit, tasks, tr, words, language)
    follow = _said(_worded(getattr(audit, "follow_through", None),
                           {"decision": words, "done": _vocabulary(tr, FOLLOW_STATES)}), SAID, language)
    sheet = _Sheet(wb, "Follow-through", list(FOLLOW_COLUMNS), {"URL": 60, "Agreed target": 70, "Now": 50, "Notes": 40},
                   links=["URL"], tr=tr, urls=["Agreed target"])
    if follow is not None:
        for row in _records(follow, FOLLOW_COLUMNS):
            sheet.append(row)
    sheet.close()

    # the settings' own names stay in English: `longneck review import` reads them
    sheet = _Sheet(wb, "Settings", ["Setting", "Value"], {"Setting": 34, "Value": 100}, filter=False, tr=tr)
    for name, value in audit.settings:
        sheet.append([_plain(name), _plain(value)])
    sheet.close()

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    wb.save(partial)
    partial.replace(path)
    return path


PRINT_WIDTH = 190  # characters of column width that print legibly across one landscape A4 page


def _print_setup(ws, landscape=True, title_rows=None, area=None, wide=1, title_cols=None) -> None:
    """Landscape, ``wide`` pages wide (as many pages tall as it takes), header rows (and ``title_cols``)
    repeated on each page. Call it before the sheet's first row is written (a write-only sheet writes
    its properties then)."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth = wide
    if wide > 1:  # a block of rows left, then the same rows right: each row's halves print together
        ws.page_setup.pageOrder = "overThenDown"
    if title_cols:
        ws.print_title_cols = title_cols
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if title_rows:
        ws.print_title_rows = title_rows
    if area:
        ws.print_area = area


def _period_text(periods) -> str:
    """The analytics period(s) in words: '2026-08-01 to 2026-10-31 (ga4.csv); gsc.csv: not stated in the export'."""
    parts = []
    for name, span in periods:
        parts.append(f"{span[0]} to {span[1]} ({name})" if span else f"{name}: not stated in the export")
    return "; ".join(parts)


def _summary_sheet(wb, audit, notes, tr=_same):
    s = audit.summary
    ws = wb.create_sheet(tr("Summary"))
    _print_setup(ws, landscape=True)
    for column, width in zip("ABC", (44, 22, 14)):
        ws.column_dimensions[column].width = width
    row = 0

    def cell(value, font=None, number_format=None, fill=None, wrap=False, right=False):
        c = WriteOnlyCell(ws, value=_plain(value) if not hasattr(value, "year") else value)
        if font is not None:
            c.font = font
        if number_format:
            c.number_format = number_format
        if fill:
            c.fill = PatternFill("solid", start_color=fill, end_color=fill)
        if wrap:
            c.alignment = _WRAP
        if right:  # a header over numbers
            c.alignment = Alignment(horizontal="right")
        return c

    def put(*values):
        nonlocal row
        ws.append(_guard(ws, [_plain(v) for v in values]))
        row += 1

    whole, share = "#,##0", "0.0%"
    put(cell(tr("Content audit: {site}").format(site=s["site"]), _TITLE))
    put()
    put(tr("Site"), s["site"])
    started, finished = _date(s.get("crawl_started")), _date(s.get("crawl_finished"))
    if started is not None:
        put(tr("Crawl started (UTC)"), cell(started, number_format="yyyy-mm-dd hh:mm"))
    if finished is not None:
        put(tr("Crawl finished (UTC)"), cell(finished, number_format="yyyy-mm-dd hh:mm"),
            None if s.get("crawl_complete", True) else tr("stopped early"))
    periods = s.get("analytics_periods") or []
    for k, (name, span) in enumerate(periods):
        put(tr("Analytics period") if k == 0 else None,
            tr("{start} to {end}").format(start=span[0], end=span[1]) if span else tr("not stated in the export"), name)
    if not periods:
        put(tr("Analytics period"), tr("no analytics ([audit] analytics)"))
    put(tr("URLs crawled"), cell(s["urls"], number_format=whole))
    put(tr("Pages (HTTP 200)"), cell(s["pages"], number_format=whole))
    put(tr("Pages classified"), cell(s["classified"], number_format=whole))
    put(tr("Pages serving no top task"), cell(s["no_task"], number_format=whole),
        cell(s["no_task_share"], number_format=share))
    if s.get("at_stake") is not None:
        spans = {span for _, span in periods if span}
        when = (tr("{start} to {end}").format(start=min(spans)[0], end=max(spans)[1]) if spans
                else tr("the analytics period (not stated)"))
        during = tr("in {period}").format(period=when)  # a cell of its own: no leading space
        put(tr("Visits to top-task pages"), cell(s.get("visits"), number_format=whole), during)
        put(tr("At stake (estimate, EUR)"), cell(s["at_stake"], number_format=whole), during)
        put(cell(tr("  = those visits x (phone cost - web cost): their cost as phone calls; per task: Tasks sheet"),
                 Font(name=FONT, size=9, italic=True)))
    put()
    put(cell(tr("Recommendation"), _BOLD), cell(tr("URLs"), _BOLD, right=True), cell(tr("Share"), _BOLD, right=True))
    total = max(1, s["urls"])
    for rec in RECOMMENDATIONS:
        count = s["recommendations"].get(rec, 0)
        put(cell(tr(rec), fill=FILLS[rec]), cell(count, number_format=whole), cell(round(count / total, 4), number_format=share))
    put()
    put(cell(tr("Pages per task (the long neck)"), _BOLD), cell(tr("Task id"), _BOLD), cell(tr("Pages"), _BOLD, right=True))
    first = row + 1
    for task in s["tasks"]:
        name = task["name"] if task["task"] != "none" else tr("none (serves no top task)")
        put(name, task["task"], cell(task["pages"], number_format=whole))
    last = row
    put()
    if last >= first:
        chart = BarChart()
        chart.type = "bar"  # horizontal: task names stay readable
        chart.title = tr("Pages per task (the long neck)")
        chart.y_axis.title = tr("Pages")
        chart.y_axis.majorGridlines = None
        chart.legend = None
        chart.x_axis.scaling.orientation = "maxMin"  # largest first, at the top
        chart.y_axis.crosses = "max"  # and the page axis below the bars
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        data = Reference(ws, min_col=3, min_row=first - 1, max_row=last)
        cats = Reference(ws, min_col=1, min_row=first, max_row=last)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(cats)
        height_rows = max(10, 2 * (last - first + 1) + 3)
        chart.width, chart.height = 20, height_rows * 0.5
        ws.add_chart(chart, f"A{row + 1}")
        for _ in range(height_rows + 1):  # room for the chart, so notes and printing go below it
            put()
    if notes:
        put(cell(tr("Notes"), _BOLD))
        for note in notes:
            put(note)


def _sections_sheet(wb, pages, tr=_same) -> None:
    """Per section (the Pages sheet's Section column): URLs, pages, URLs per recommendation, no-task share
    and page views, largest first, so the workbook can be split between the teams that own the pages."""
    # the recommendations' columns say the Recommendation column's words, with a capital (Dutch "Niet
    # indexeren", not the msgid "Noindex", which is the Pages sheet's noindex column)
    said = {r.capitalize(): tr(r)[:1].upper() + tr(r)[1:] for r in RECOMMENDATIONS}
    sheet = _Sheet(wb, "Sections", SECTIONS_COLUMNS, {"Section": 32},
                   formats={"No-task share": "0.0%", "Page views": "#,##0", "URLs": "#,##0", "Pages": "#,##0"},
                   tr=lambda text: said.get(text) or tr(text))
    if len(pages) and "section" in pages:
        frame = pd.DataFrame({"section": pages["section"].fillna("/").astype(str),
                              "status": pages["status"], "task": pages["task"] if "task" in pages else None,
                              "recommendation": pages["recommendation"] if "recommendation" in pages else None,
                              "views": pd.to_numeric(pages["views"], errors="coerce") if "views" in pages else float("nan")})
        has_views = frame["views"].notna().any()
        rows = []
        for name, group in frame.groupby("section", sort=False):
            counts = group["recommendation"].value_counts()
            classified = int(group["task"].notna().sum())
            none = int((group["task"] == "none").sum())
            rows.append([name, len(group), int((group["status"] == 200).sum()),
                         *[int(counts.get(r, 0)) for r in RECOMMENDATIONS], classified, none,
                         round(none / classified, 4) if classified else None,
                         float(group["views"].sum()) if has_views else None])
        rows.sort(key=lambda r: (-r[1], r[0]))
        for values in rows:
            sheet.append([_plain(v) for v in values])
    sheet.close()


def _path_of(url):
    """A URL's path and query ('/residents/parking/pay'), for a narrow column; other values as they are."""
    if not isinstance(url, str) or "://" not in url:
        return url
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _changes_sheet(wb, audit, tasks, tr=_same, words=None, language=None) -> None:
    """The site across all runs (a chart of its size and no-task share), pages per task then and now,
    and every page that is new, gone or changed since the previous run (with its own filter). ``tasks``:
    the Tasks table, its texts already said in ``language`` (Slipped); Change and Cause are said here."""
    ws = wb.create_sheet(tr("Changes"))
    for column, width in zip("ABCDEFGHI", (60, 26, 18, 18, 20, 22, 22, 12, 12)):  # F, G: Recommendation then, now
        ws.column_dimensions[column].width = width
    _print_setup(ws, landscape=True, wide=2, title_cols="A:A")  # blocks of rows: two pages wide, column A repeated
    row = 0

    def put(*values, bold=False, wrap=()):
        """One row; ``wrap``: the columns (0-based) whose text wraps, the row as tall as the longest."""
        nonlocal row
        cells, lines = [], 1
        for k, v in enumerate(values):
            v = _plain(v)
            if bold and v is not None:
                cell = WriteOnlyCell(ws, value=v)
                cell.font = _BOLD
                v = cell
            elif k in wrap and isinstance(v, str):
                lines = max(lines, _lines(v, int(ws.column_dimensions[get_column_letter(k + 1)].width or 10)))
                cell = WriteOnlyCell(ws, value=v)
                cell.alignment = _WRAP
                v = cell
            cells.append(v)
        _grow(ws, row + 1, lines, 4)
        ws.append(_guard(ws, cells))
        row += 1

    trend = list(getattr(audit, "trend", []) or [])
    put(tr("The site across runs"), bold=True)
    put(*map(tr, ("Run", "Audited", "URLs", "Pages", "Classified", "No-task pages", "No-task share")), bold=True)
    first = row + 1
    for r in trend:
        share = round(r["no_task"] / r["classified"], 4) if r.get("classified") else None
        put(r["id"], r["audited_at"], r["urls"], r["pages"], r["classified"], r["no_task"], share)
    last = row
    if last >= first:
        from openpyxl.chart import LineChart

        chart = LineChart()
        chart.title = tr("Site size and pages serving no top task")
        chart.y_axis.title = tr("URLs")
        chart.add_data(Reference(ws, min_col=3, min_row=first - 1, max_row=last), titles_from_data=True)
        chart.add_data(Reference(ws, min_col=6, min_row=first - 1, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=2, min_row=first, max_row=last))
        chart.width, chart.height = 18, 8
        ws.add_chart(chart, "J2")
    put()
    put(tr("Pages per task, then and now"), bold=True)
    put(*map(tr, ("Task", "Pages then", "Pages now", "Best page then", "Best page now", "Slipped")), bold=True)
    for t in tasks.to_dict("records"):  # best pages as paths, wrapped: the site's origin says nothing here
        put(t["task"], t.get("pages_then"), t["pages"], _path_of(t.get("best_page_then")), _path_of(t.get("best_page")),
            t.get("slipped"), wrap=(3, 4, 5))
    put()
    changes = getattr(audit, "changes", None)
    if changes is None:
        put(tr("First audit of this site in the history: nothing to compare yet.") if getattr(audit, "run_id", None)
            is not None else tr("This audit is not recorded in the history (--no-history, or too few pages to "
                                "classify): nothing to compare with."))
        return
    changes = _said(_worded(changes, {"recommendation_then": words, "recommendation_now": words,
                                      "change": _column_words(changes, "change", CHANGE_KINDS, tr, _change)}), SAID, language)
    put(tr("Pages new, gone or changed since the previous run: {count}").format(count=len(changes)), bold=True)
    header_row = row + 1
    put(*map(tr, CHANGES_COLUMNS), bold=True)
    for values in _records(changes, CHANGES_COLUMNS):
        put(*values)
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(CHANGES_COLUMNS))}{max(header_row, row)}"
