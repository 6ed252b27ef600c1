"""Dates as people write them: ``05.06.2012``, ``14 septembrie 2012``, ``2 ноября 2012 г.``, ``2012年9月14日``.

Two sources, both read after the page's language is known (declared or detected):

- **meta values** that :func:`crawler.extract.normalise_date` could not read (ISO 8601 and HTTP dates are
  read there, without this module);
- **the visible text near the top of the main content**: a line saying "published", "updated", "last
  modified" or the same in Romanian, Greek, Russian, Chinese, Dutch, German or French, followed by a date
  (``text_published`` / ``text_modified``).

dateparser (which knows month names and date orders of some 200 languages) is slow: a first call in a
language loads its locale (10-100 ms), later calls cost about a millisecond. So it only sees candidate
strings that a cheap scan found: the first :data:`SCAN_CHARS` characters of main text are searched with one
keyword regex (accents and case folded, lengths kept) in the stretches just before a year, and only the few
characters after a keyword that look like a date (digits and at most a month name) are parsed, once per distinct string and language
(:func:`parse_local_date` is cached). A page without a year near the top costs one regex search.

The functions here know nothing of Scrapy and are tested on plain strings.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

SCAN_CHARS = 2_000  # the top of the main text, where a page says when it was published or updated
AFTER_KEYWORD = 60  # characters after a keyword in which its date must start
# the languages whose keywords are known; also dateparser's languages when the page's language is unknown
KNOWN_LANGUAGES = ("en", "ro", "el", "ru", "zh", "nl", "de", "fr")

# "published" / "updated" and their equivalents, written folded (lower case, accents dropped: see _FOLD).
# Longest first within a kind does not matter: the regex takes the leftmost match, and a date is looked
# for after the keyword's end, so "last updated" and "updated" find the same date.
KEYWORDS = {
    "modified": [
        # en
        "last updated", "updated", "last modified", "modified", "last reviewed", "reviewed", "last changed",
        "revised",
        # ro
        "actualizat", "actualizata", "actualizare", "ultima actualizare", "modificat", "modificata",
        "ultima modificare", "data actualizarii", "data modificarii", "revizuit",
        # el
        "ενημερωθηκε", "ενημερωση", "τελευταια ενημερωση", "τροποποιηθηκε", "τελευταια τροποποιηση",
        "αναθεωρηθηκε", "ημερομηνια ενημερωσης",
        # ru
        "обновлено", "обновлен", "обновлена", "дата обновления", "последнее обновление", "изменено",
        "изменен", "дата изменения", "последнее изменение", "редакция от",
        # zh
        "更新", "更新时间", "更新日期", "最后更新", "修改", "修改时间", "修改日期", "最后修改", "更新於", "修改於",
        # ja
        "更新日", "最終更新", "最終更新日", "更新日時", "改訂", "改訂日",
        # nl
        "bijgewerkt", "laatst bijgewerkt", "gewijzigd", "laatst gewijzigd", "herzien",
        # de
        "aktualisiert", "zuletzt aktualisiert", "geandert", "zuletzt geandert", "stand", "letzte anderung",
        "aktualisierung",
        # fr
        "mis a jour", "mise a jour", "modifie", "derniere modification", "actualise", "revise",
    ],
    "published": [
        # en
        "published", "posted", "date published", "publication date", "issued", "created",
        # ro
        "publicat", "publicata", "data publicarii", "postat", "creat",
        # el
        "δημοσιευθηκε", "δημοσιευτηκε", "δημοσιευση", "ημερομηνια δημοσιευσης", "αναρτηθηκε", "αναρτηση",
        # ru
        "опубликовано", "опубликован", "опубликована", "дата публикации", "размещено", "создано",
        # zh
        "发布", "发布时间", "发布日期", "发表", "发表于", "發布", "發佈", "发布于", "公布",
        # ja
        "公開日", "公開", "掲載日", "投稿日", "発行日", "作成日",
        # nl
        "gepubliceerd", "publicatiedatum", "geplaatst",
        # de
        "veroffentlicht", "veroffentlichung", "erstellt", "datum",
        # fr
        "publie", "publie le", "date de publication", "cree", "mis en ligne",
    ],
}
KIND_KEYS = {"modified": "text_modified", "published": "text_published"}

# a date as written after its keyword: ISO or numeric (d.m.y, y-m-d, m/d/y), Chinese/Japanese, or day,
# month name and year either way round ("14 septembrie 2012", "2 ноября 2012 г.", "September 14, 2012")
_MONTH = r"[^\W\d_]{3,}\.?"
_DATE = re.compile(
    r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日?"
    r"|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?)?"
    r"|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})(?!\d)"
    rf"|\d{{1,2}}(?:er|st|nd|rd|th|-?го|-?е)?\.?\s+(?:de\s+)?{_MONTH}\s+(?:de\s+)?\d{{4}}(?:\s*г\.?)?"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
)


def _fold_table() -> dict:
    """Lower case without accents for Latin, Greek and Cyrillic letters, one character for one (offsets into
    folded text are offsets into the text; ``str.lower`` would turn İ into two characters)."""
    table = {}
    for cp in list(range(0x41, 0x5B)) + list(range(0xC0, 0x250)) + list(range(0x370, 0x530)):
        ch = chr(cp)
        lower = ch.lower()
        if len(lower) != 1:
            continue
        base = unicodedata.normalize("NFD", lower)
        if len(base) > 1 and all(unicodedata.combining(c) for c in base[1:]):
            lower = base[0]
        if ch in "йЙёЁ":  # letters of their own in Russian: keywords are written with them
            lower = ch.lower()
        if lower != ch:
            table[cp] = lower
    # Romanian s and t with comma below and with cedilla are the same letters
    table.update({ord(c): f for c, f in zip("șşțţȘŞȚŢ", "ssttsstt")})
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """``text`` in lower case with accents dropped, same length: offsets into it are offsets into ``text``."""
    return text.translate(_FOLD)


def _keyword_regex():
    """One regex for every keyword, matched on folded text (so case-sensitive: several times faster than
    IGNORECASE over a hundred alternatives). A keyword is a whole word ("updated", not "outdated"),
    except in Chinese, which has no spaces between words."""
    words = sorted({fold(w) for ws in KEYWORDS.values() for w in ws}, key=len, reverse=True)
    kind = {fold(w): k for k in ("published", "modified") for w in KEYWORDS[k]}
    cjk = [w for w in words if "\u3000" <= w[0] <= "\u9fff"]
    spaced = [w for w in words if w not in cjk]
    return re.compile(rf"(?<!\w)(?:{'|'.join(map(re.escape, spaced))})(?!\w)|{'|'.join(map(re.escape, cjk))}"), kind


_KEYWORD, _KIND = _keyword_regex()
# every date has a year (or a two-digit year after a day and month): keywords are only looked for before one
_YEAR = re.compile(r"(?<!\d)(?:1[89]|2[01])\d\d(?!\d)|(?<!\d)\d{1,2}[./-]\d{1,2}[./-]\d\d(?!\d)")
_LONGEST_KEYWORD = max(len(w) for w in _KIND)


def languages_for(language: str | None) -> tuple[str, ...]:
    """dateparser's languages for a page: its own (and English, often used for dates on any site), else the
    languages longneck knows keywords for."""
    from dateparser.data.languages_info import language_order

    code = (language or "").split("-")[0].split("_")[0].lower()
    if code and code in language_order:
        return (code,) if code == "en" else (code, "en")
    return KNOWN_LANGUAGES


_NUMERIC = re.compile(r"\d{1,4}([-/.])\d{1,2}[-/.]\d{1,4}")


def date_order(text: str, languages: tuple[str, ...]) -> str | None:
    """The order of an all-digit date: year first when it starts with four digits; day first with dots or
    dashes (05.06.2012 is 5 June wherever it is written); with slashes, month first on an English page
    (6/14/2012) and day first elsewhere. None for dates with a month name (the language decides)."""
    match = _NUMERIC.match(text)
    if match is None:
        return None
    if re.match(r"\d{4}", text):
        return "YMD"
    return "MDY" if match.group(1) == "/" and languages[0] == "en" else "DMY"


@lru_cache(maxsize=8192)
def parse_local_date(text: str, languages: tuple[str, ...] = KNOWN_LANGUAGES) -> str | None:
    """``YYYY-MM-DD`` for a date written in one of ``languages`` (day, month and year all required), else
    None. Cached: the same string on a thousand pages is parsed once."""
    import dateparser

    settings = {"REQUIRE_PARTS": ["day", "month", "year"], "PREFER_DAY_OF_MONTH": "first",
                "RETURN_AS_TIMEZONE_AWARE": False}
    order = date_order(text, languages)
    if order:
        settings["DATE_ORDER"] = order
    try:
        parsed = dateparser.parse(text, languages=list(languages), settings=settings)
    except (ValueError, TypeError, OverflowError, RecursionError):
        return None
    if parsed is None or not 1900 <= parsed.year <= 2200:
        return None
    return parsed.date().isoformat()


_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


def is_iso(value) -> bool:
    return isinstance(value, str) and bool(_ISO.match(value))


def text_dates(main_text: str, language: str | None) -> list[tuple[str, str, str]]:
    """[(key, ISO date, the words it was read from)] for "published"/"updated" lines near the top of the main
    text, first of each kind only; empty when there are none."""
    window = main_text[:SCAN_CHARS]
    # the stretches that can hold a keyword and its date: up to AFTER_KEYWORD characters and a keyword
    # before each year, merged. Most pages have no year near the top and cost one regex search.
    reach = AFTER_KEYWORD + _LONGEST_KEYWORD + 20
    spans = []
    for year in _YEAR.finditer(window):
        start, end = max(0, year.start() - reach), year.end()
        if spans and start <= spans[-1][1]:
            spans[-1][1] = end
        else:
            spans.append([start, end])
    if not spans:
        return []
    folded = fold(window)
    found, languages = {}, None
    for match in (m for start, end in spans for m in _KEYWORD.finditer(folded, start, end)):
        key = KIND_KEYS[_KIND[match.group(0)]]
        if key in found:
            continue
        after = window[match.end():match.end() + AFTER_KEYWORD + 40]
        date_match = _DATE.search(after)
        if date_match is None or date_match.start() > AFTER_KEYWORD:
            continue
        languages = languages or languages_for(language)
        value = parse_local_date(date_match.group(0).strip(), languages)
        if value is None:
            continue
        said = " ".join(window[match.start():match.end() + date_match.end()].split())
        found[key] = (value, said[:120])
        if len(found) == len(KIND_KEYS):
            break
    return [(key, value, said) for key, (value, said) in found.items()]


def read_local_dates(dates: dict, sources: dict, main_text: str, language: str | None) -> None:
    """Complete a record's ``dates`` and ``date_sources`` in place: meta values in local formats become ISO
    dates (their source notes the words read), and dates said in the text are added as ``text_modified`` /
    ``text_published``."""
    languages = None
    for key, value in list(dates.items()):
        if value and not is_iso(value):
            languages = languages or languages_for(language)
            parsed = parse_local_date(value.strip()[:64], languages)
            if parsed:
                dates[key] = parsed
                sources[key] = f"{sources.get(key) or key}: «{value.strip()[:64]}»"
    if main_text:
        for key, value, said in text_dates(main_text, language):
            dates[key] = value
            sources[key] = f"text: «{said}»"
