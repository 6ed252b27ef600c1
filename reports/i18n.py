"""The workbook's language: gettext catalogs read with Babel.

English is the source language: the msgids are the English sheet names, headers, Decision values and
Summary labels, exactly as an English workbook shows them. Every other language is one file,
``reports/locale/<lang>/LC_MESSAGES/longneck.po`` (its template: ``reports/locale/longneck.pot``),
read directly with :func:`babel.messages.pofile.read_po`: no compiled ``.mo`` file is needed. Adding
a language is adding a ``.po`` file.

This module imports neither crawler nor audit (the review importer uses it to read a workbook in any
shipped language back).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Callable

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "longneck"
SOURCE = "en"
# names a page or a config may use for a catalog: "zh", "zh-CN", "zh-Hans" are simplified Chinese
ALIASES = {"zh": "zh_Hans", "zh_cn": "zh_Hans", "zh_sg": "zh_Hans", "zh_hans": "zh_Hans"}


def languages() -> list[str]:
    """The shipped languages: English and every catalog under reports/locale, sorted."""
    found = sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return [SOURCE] + [name for name in found if name != SOURCE]


def resolve(code: str | None) -> str | None:
    """The shipped language a code names ("ro", "el-GR", "zh-CN", "zh_Hans", "EN"), else None."""
    if not code or not isinstance(code, str):
        return None
    key = code.strip().replace("-", "_").lower()
    shipped = {name.lower(): name for name in languages()}
    if key in shipped:
        return shipped[key]
    if key in ALIASES:
        return ALIASES[key]
    primary = key.split("_")[0]
    if primary == "zh":  # Traditional Chinese (zh-TW, zh-Hant): no catalog yet
        return None
    return shipped.get(primary)


@lru_cache(maxsize=None)
def catalog(language: str) -> dict[str, str]:
    """{English msgid: translation} of one shipped language ({} for English). Untranslated and fuzzy
    entries are left out, so they show in English."""
    if language == SOURCE:
        return {}
    from babel.messages.pofile import read_po

    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as handle:
        messages = read_po(handle, locale=language.replace("_Hans", ""), domain=DOMAIN)
    return {m.id: m.string for m in messages if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


def translator(language: str | None) -> Callable[[str], str]:
    """gettext for one language: English text in, the language's text out (English when untranslated)."""
    language = resolve(language) or SOURCE
    if language == SOURCE:
        return _identity
    table = catalog(language)
    return lambda text: table.get(text, text)


def _identity(text: str) -> str:
    return text


def template() -> list[str]:
    """Every msgid of the template ``reports/locale/longneck.pot``, in its order."""
    from babel.messages.pofile import read_po

    with (LOCALE_DIR / f"{DOMAIN}.pot").open("rb") as handle:
        return [m.id for m in read_po(handle) if m.id and isinstance(m.id, str)]


def variants(text: str) -> set[str]:
    """``text`` and its translation in every shipped language: how a workbook written in any of them may
    show it (the review importer finds sheets, columns and Decision values this way)."""
    return {text} | {catalog(name).get(text, text) for name in languages()}

