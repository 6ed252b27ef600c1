"""Analytics exports joined to the crawl: page views (GA4, Matomo, Plausible) and Search Console clicks
and impressions. The format is recognised from the header row; rows are joined on the URL's
normalised path and query (exports give paths, or URLs of the one property), values of the same page
summed. Sample exports of every supported format are in ``config/``.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from reports.i18n import Message as M

from .config import ConfigError

# format: (columns that identify it, URL column, {our metric: its column})
FORMATS = {
    "ga4": (("page path and screen class", "views"), "page path and screen class", {"views": "views"}),
    "ga4-page-path": (("page path", "views"), "page path", {"views": "views"}),
    "ga4-landing-page": (("landing page", "views"), "landing page", {"views": "views"}),
    "matomo": (("label", "nb_hits"), "url", {"views": "nb_hits"}),
    "plausible": (("name", "pageviews"), "name", {"views": "pageviews"}),
    "search-console": (("top pages", "clicks", "impressions"), "top pages",
                       {"clicks": "clicks", "impressions": "impressions"}),
    "search-console-page": (("page", "clicks", "impressions"), "page",
                            {"clicks": "clicks", "impressions": "impressions"}),
}
METRICS = ("views", "clicks", "impressions")


def _number(text: str, decimal_comma: bool = False) -> float | None:
    from .csvfile import number

    return number(text, decimal_comma)


def page_key(url_or_path: str) -> str | None:
    """The join key: path and query, lower-cased host dropped, trailing slash kept as given."""
    text = (url_or_path or "").strip()
    if not text:
        return None
    if text.startswith("/"):
        text = "http://analytics.invalid" + text
    normal = _normalizer(text) or None
    if normal is None:
        return None
    parts = urlsplit(normal)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@cache
def _url_normalizer():
    from crawler.urls import UrlNormalizer

    return UrlNormalizer()


def _normalizer(url: str):
    return _url_normalizer()(url)


def read_export(path) -> tuple[str, dict]:
    """(format name, {join key: {metric: value}}) from one export. GA4's '#' comment lines and a UTF-8
    byte-order mark are skipped; a semicolon CSV (European Excel) is read with decimal commas. Every row is checked; problems are reported with their row numbers."""
    from . import csvfile

    path = Path(path)
    text = csvfile.read_text(path, "analytics file")
    lines = text.splitlines()
    skip = 0
    while skip < len(lines) and (lines[skip].startswith("#") or not lines[skip].strip()):
        skip += 1
    header_line = lines[skip] if skip < len(lines) else ""
    decimal_comma = csvfile.delimiter(header_line) == ";"
    reader = csvfile.reader("\n".join(lines[skip:]), header_line, path, first_line=skip + 1)
    header = [h.strip().lower() for h in next(reader, [])]
    for name, (needed, url_column, metrics) in FORMATS.items():
        if all(col in header for col in needed) and url_column in header:
            break
    else:
        raise ConfigError(f"{path}: not a recognised analytics export (header: {', '.join(header) or 'none'}); "
                          "expected a GA4 'Pages and screens', Matomo page URLs, Plausible pages or Search "
                          "Console pages export (see the samples in config/)")
    where = {col: header.index(col) for col in [url_column, *metrics.values()]}
    data: dict[str, dict] = {}
    problems = []
    for number, row in enumerate(reader, skip + 2):
        if not row or not any(cell.strip() for cell in row):
            continue
        cells = row + [""] * (len(header) - len(row))
        key = page_key(cells[where[url_column]])
        if key is None:
            if cells[where[url_column]].strip().lower() in ("", "(not set)", "total", "grand total"):
                continue
            problems.append(f"row {number}: not a URL or path: {cells[where[url_column]]!r}")
            continue
        entry = data.setdefault(key, dict.fromkeys(metrics, 0.0))
        for metric, column in metrics.items():
            value = _number(cells[where[column]], decimal_comma)
            if value is None:
                problems.append(f"row {number}: {column} must be a number, found {cells[where[column]]!r}")
            else:
                entry[metric] += value
    if problems:
        raise ConfigError(f"{path}: {len(problems)} invalid row(s), file not used:\n  " + "\n  ".join(problems[:30]))
    return name, data


_PERIOD = re.compile(r"^#\s*(start|end) date:\s*(\d{4})-?(\d{2})-?(\d{2})", re.IGNORECASE)


def period(path) -> tuple[str, str] | None:
    """(first day, last day) as ISO dates when the export states its period (GA4 writes '# Start date:
    20260801' and '# End date: 20261031' above the header), else None. Matomo, Plausible and Search
    Console exports do not state it."""
    from .csvfile import read_text

    found = {}
    for line in read_text(path, "analytics file").splitlines()[:40]:
        if not line.startswith("#") and line.strip():
            break
        match = _PERIOD.match(line.strip())
        if match:
            found[match.group(1).lower()] = "-".join(match.groups()[1:])
    return (found["start"], found["end"]) if "start" in found and "end" in found else None


def join(table, files) -> list[str]:
    """Add views, clicks and impressions columns to the signals table: summed over the exports, 0 for a
    crawled page an export does not list, None (unknown) when no export gives that metric. Returns one
    note per file ('ga4: 120 of 130 exported pages matched a crawled URL')."""
    import numpy as np

    notes = []
    keys = [page_key(u) for u in table["url"]]
    totals: dict[str, np.ndarray] = {}
    for path in files:
        name, data = read_export(path)
        for metric in FORMATS[name][2]:
            column = totals.setdefault(metric, np.zeros(len(keys)))
            column += [data[k][metric] if k in data else 0.0 for k in keys]
        matched = len(set(keys) & set(data))
        notes.append(M("{file} ({name}): {matched} of {total} exported pages matched a crawled URL",
                       file=Path(path).name, name=name, matched=matched, total=len(data)))
    for metric in METRICS:
        table[metric] = totals[metric] if metric in totals else None
    return notes
