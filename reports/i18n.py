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

import re
import string
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



class Message(str):
    """A text the workbook can say in its language: an English ``str`` (what the history, the CSV files,
    ``--json`` and logs keep, exactly as before) that also remembers its template, a msgid of the
    catalogs, and the parameters that fill it. ``render(language)`` says it in a shipped language:
    the template translated, each parameter that is a Message rendered the same way, numbers formatted
    for the language with Babel (``{n:,}``, ``{share:.0%}``, ``{confidence:.2f}``). Plain ``str``
    parameters (URLs, task ids, reason codes, dates) are put in as they are.

    ``Message("kept on {on}, carried forward", on="2026-08-30")``; ``Message("keep")`` (a word of the
    catalog); ``Message.join("; ", parts)`` (joined parts, each rendered on its own);
    ``Message.plain("{code}: {detail}", ...)`` (a template that is not translated, only its parameters).
    Anything that treats it as a str (``split``, ``+``, f-strings) gets the English text back.
    """

    template: str | None
    params: dict
    sep: str | None
    parts: tuple
    translate: bool

    def __new__(cls, template: str, /, **params):
        self = super().__new__(cls, template.format(**params) if params else template)
        self.template, self.params, self.sep, self.parts, self.translate = template, params, None, (), True
        return self

    @classmethod
    def plain(cls, template: str, /, **params) -> "Message":
        """A template said the same in every language (``"{code}: {detail}"``): only its parameters change."""
        self = cls(template, **params)
        self.translate = False
        return self

    @classmethod
    def join(cls, sep: str, parts) -> "Message":
        """``sep.join(parts)``, each part rendered on its own (parts may be Messages or plain str)."""
        parts = tuple(parts)
        self = str.__new__(cls, sep.join(parts))
        self.template, self.params, self.sep, self.parts, self.translate = None, {}, sep, parts, False
        return self

    def __reduce__(self):
        return _restore, (str(self), self.template, self.params, self.sep, self.parts, self.translate)

    def render(self, language: str | None) -> str:
        """This text in ``language`` (a shipped language, a code :func:`resolve` knows; English otherwise)."""
        language = resolve(language) or SOURCE
        if language == SOURCE:
            return str(self)
        return _render(self, translator(language), _babel_locale(language))


def _restore(text, template, params, sep, parts, translate):
    self = str.__new__(Message, text)
    self.template, self.params, self.sep, self.parts, self.translate = template, params, sep, parts, translate
    return self


def render(value, language: str | None):
    """``value`` said in ``language`` when it is a :class:`Message`; anything else as it is."""
    return value.render(language) if isinstance(value, Message) else value


def _render(message, tr, locale) -> str:
    if not isinstance(message, Message):
        return message
    if message.template is None:
        return message.sep.join(_render(part, tr, locale) for part in message.parts)
    template = tr(message.template) if message.translate else message.template
    return _Formatter(tr, locale).vformat(template, (), message.params)


@lru_cache(maxsize=None)
def _babel_locale(language: str):
    from babel import Locale

    return Locale.parse(language)


class _Formatter(string.Formatter):
    """str.format with nested Messages rendered and numbers in the locale's way (Babel)."""

    def __init__(self, tr, locale):
        super().__init__()
        self.tr, self.locale = tr, locale

    def format_field(self, value, spec):
        if isinstance(value, Message):
            return _render(value, self.tr, self.locale)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and spec:
            from babel.numbers import format_decimal, format_percent

            digits = re.search(r"\.(\d+)", spec)
            decimals = int(digits.group(1)) if digits else 0
            fraction = ("." + "0" * decimals) if decimals else ""
            if spec.endswith("%"):
                if not decimals:  # the locale's own way: '97 %' in Romanian and Russian, '97%' in Chinese
                    return format_percent(value, locale=self.locale)
                return format_percent(value, format=f"#,##0{fraction}%", locale=self.locale)
            if spec.endswith("f") or "," in spec:
                return format_decimal(value, format=f"#,##0{fraction}" if "," in spec or not spec.endswith("f")
                                      else f"0{fraction}", locale=self.locale)
        return super().format_field(value, spec)
