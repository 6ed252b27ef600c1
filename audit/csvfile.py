"""CSV files as people save them: a comma CSV, or the semicolon CSV that Excel writes in locales whose
decimal separator is a comma (most of Europe), with or without a UTF-8 byte-order mark, or in the
Windows code page when Excel saved "CSV (semicolon)" rather than "CSV UTF-8".
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from .config import ConfigError


def read_text(path, what: str = "CSV file") -> str:
    """The file's text: UTF-8 (a byte-order mark dropped), else Windows-1252 (what Excel saves as
    plain "CSV" on Windows). A missing file is a ConfigError naming it."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{what} not found: {path}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what} ({exc})") from None
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise ConfigError(f"{path}: this is an Excel workbook, not a CSV file; save it as CSV (comma or "
                          "semicolon separated) first")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def delimiter(header_line: str) -> str:
    """';' when the header line is semicolon-separated (European Excel), else ','."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def reader(text: str, header_line: str, path=None, first_line: int = 1):
    """The rows of ``text`` (a csv.reader, delimiter of ``header_line``), strictly: a quote opened and
    never closed, or a cell longer than the csv module's field limit (131,072 characters), is a
    ConfigError naming ``path`` and the line the row starts on (``first_line``: the line ``text``
    starts on in the file), not a garbage row or a traceback."""
    rows = csv.reader(io.StringIO(text), delimiter=delimiter(header_line), strict=True)
    where = f"{path}: " if path is not None else ""
    while True:
        start = rows.line_num + first_line
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                why = f"a cell is longer than {csv.field_size_limit():,} characters"
            elif "unexpected end of data" in str(exc):
                why = "a quote (\") opened here is never closed"
            else:
                why = str(exc)
            raise ConfigError(f"{where}line {start}: not a readable CSV row: {why}; file not used") from None
        yield row


def number(text: str, decimal_comma: bool = False) -> float | None:
    """A number as exports write it: '1,234' (comma: thousands), or with ``decimal_comma`` '1.234,5' and
    '12,5' (European); spaces and no-break spaces as thousands separators; '' is 0; None if not a number."""
    text = (text or "").strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if not text:
        return 0.0
    if decimal_comma:  # '1.234,5', '12,5'; a lone '.' is a decimal point unless it groups thousands
        if "," in text or re.fullmatch(r"-?\d{1,3}(\.\d{3})+", text):
            text = text.replace(".", "").replace(",", ".")
    else:
        text = text.replace(",", "")
    try:
        return float(text)
    except ValueError:
        return None
