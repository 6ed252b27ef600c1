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

import marshal
import re
from functools import lru_cache
from numbers import Real
from pathlib import Path
from typing import Callable

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "longneck"
SOURCE = "en"
# names a page or a config may use for a catalog: "zh", "zh-CN", "zh-Hans" are simplified Chinese
ALIASES = {"zh": "zh_Hans", "zh_cn": "zh_Hans", "zh_sg": "zh_Hans", "zh_hans": "zh_Hans"}


def languages() -> list[str]:
    """The shipped languages: English and every catalog under reports/locale, sorted."""
    return list(_languages())


@lru_cache(maxsize=1)
def _languages() -> tuple:
    found = sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return (SOURCE, *[name for name in found if name != SOURCE])


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
    ``Message.plain("{code}: {detail}", ...)`` (a template that is not translated, only its parameters);
    ``Message.capitalized("remove")`` (a word of the catalog, its translation with a capital: "Remove").
    Anything that treats it as a str (``split``, ``+``, f-strings) gets the English text back.

    Compact, since an audit holds a few per page: one slot, ``_t``, a tree of tuples, ``("t",
    template, translate, (name, value, name, value ...))`` (translate: True, False or CAPITALIZED) or ``("j", separator, (part, ...))``; a
    Message given as a parameter or part is kept as its tree, not as an object. A tree with parameters
    is kept packed: its shape (templates, names, nesting) once per process in ``_SHAPES``, and per
    Message only the shape's number and the values, marshalled (a page's Why held 1.3 KB as tuples, 1.3 GB
    at a million pages; packed, about 100 bytes beside its text); ``_m`` reads the tree back. A template
    without parameters keeps one shared tuple. Pickled, a Message carries its whole tree (the shape
    numbers are this process's).
    """

    __slots__ = ("_t",)  # no __dict__: a Message costs some 60 bytes more than its str

    def __new__(cls, template: str, /, **params):
        text = template.format(**params) if params else template
        return cls._of(text, ("t", template, True, _flat(params)) if params else _bare(template, True))

    @classmethod
    def _of(cls, text: str, tree) -> "Message":
        self = str.__new__(cls, text)
        if isinstance(tree, bytes):  # a tree marshalled whole (pickled by an earlier version)
            tree = marshal.loads(tree)
        if tree[0] == "j" or tree[3]:
            tree = _pack(tree)
        self._t = tree
        return self

    @property
    def _m(self) -> tuple:
        """The tree."""
        return _unpack(self._t) if isinstance(self._t, bytes) else self._t

    @classmethod
    def plain(cls, template: str, /, **params) -> "Message":
        """A template said the same in every language (``"{code}: {detail}"``): only its parameters change."""
        return cls._of(template.format(**params), ("t", template, False, _flat(params)))

    @classmethod
    def capitalized(cls, word: str) -> "Message":
        """``word`` (a msgid) said with its first letter upper-cased, in every language: the translation of
        the word itself, so "Remove" is always the capitalised "remove", never a msgid of its own that could
        say something else (Dutch "Noindex" is a column header, the recommendation "niet indexeren")."""
        return cls._of(_upper_first(word), _bare(word, CAPITALIZED))

    @classmethod
    def join(cls, sep: str, parts) -> "Message":
        """``sep.join(parts)``, each part rendered on its own (parts may be Messages or plain str)."""
        parts = tuple(parts)
        return cls._of(sep.join(parts), ("j", sep, tuple(p._m if isinstance(p, Message) else p for p in parts)))

    @property
    def template(self) -> str | None:
        """The template (None for joined parts)."""
        return self._m[1] if self._m[0] == "t" else None

    @property
    def params(self) -> dict:
        """The parameters, a Message where one was given."""
        if self._m[0] != "t":
            return {}
        flat = self._m[3]
        return {flat[i]: _message(flat[i + 1]) for i in range(0, len(flat), 2)}

    def fields(self, template: str, *names):
        """The parameters ``names`` when this Message is ``template`` (one read of its tree), else None."""
        tree = self._m
        if tree[0] != "t" or tree[1] != template:
            return None
        flat = dict(zip(tree[3][::2], tree[3][1::2]))
        return tuple(_message(flat.get(name)) for name in names)

    @property
    def parts(self) -> tuple:
        """The joined parts (() for a template)."""
        return tuple(_message(p) for p in self._m[2]) if self._m[0] == "j" else ()

    def __reduce__(self):
        return _message, (self._m, str(self))

    def render(self, language: str | None) -> str:
        """This text in ``language`` (a shipped language, a code :func:`resolve` knows; English otherwise)."""
        language = resolve(language) or SOURCE
        if language == SOURCE:
            return str(self)
        return _render(self._m, translator(language), language)


_SHAPES: dict = {}   # a tree's shape (its values left out) -> its number in _SHAPE_LIST
_SHAPE_LIST: list = []
_PLAIN = frozenset({str, int, float, bool, type(None)})


_PACKED: dict = {}  # the trees packed last, by their whole marshalled form (which tells 1 from 1.0 and True)


def _pack(tree: tuple):
    """The tree as bytes: its shape's number and its values, marshalled (the tree itself when a value is
    not a plain str, int, float, bool or None: marshal would write a numpy number as its bytes). The
    trees packed last are remembered: a reason is packed, read back and packed again inside a larger one
    as the rules run (a third of their time), and equal reasons then share their bytes."""
    try:
        key = marshal.dumps(tree)
    except ValueError:  # an object marshal cannot write: not plain
        return tree
    packed = _PACKED.get(key)
    if packed is None:
        if len(_PACKED) >= 8192:
            _PACKED.clear()
        packed = _PACKED[key] = _pack_new(tree)
    return packed


def _pack_new(tree: tuple):
    values: list = []
    shape = _shape(tree, values)
    if not all(type(v) in _PLAIN for v in values):
        return tree
    number = _SHAPES.get(shape)
    if number is None:
        number = _SHAPES.setdefault(shape, len(_SHAPE_LIST))
        if number == len(_SHAPE_LIST):
            _SHAPE_LIST.append(shape)
    return marshal.dumps((number, tuple(values)))


def _shape(tree: tuple, values: list) -> tuple:
    """The tree with each value (a non-tuple leaf) taken out into ``values`` and left as None."""
    if tree[0] == "j":
        return ("j", tree[1], tuple(_shape(p, values) if isinstance(p, tuple) else values.append(p)
                                    for p in tree[2]))
    flat, out = tree[3], []
    for k in range(0, len(flat), 2):
        value = flat[k + 1]
        out += (flat[k], _shape(value, values) if isinstance(value, tuple) else values.append(value))
    return ("t", tree[1], tree[2], tuple(out))


@lru_cache(maxsize=8192)  # the rules read a reason's tree several times in a row
def _unpack(data: bytes) -> tuple:
    number, values = marshal.loads(data)
    return _fill(_SHAPE_LIST[number], iter(values))


def _fill(shape: tuple, values) -> tuple:
    if shape[0] == "j":
        return ("j", shape[1], tuple(next(values) if p is None else _fill(p, values) for p in shape[2]))
    flat, out = shape[3], []
    for k in range(0, len(flat), 2):
        part = flat[k + 1]
        out += (flat[k], next(values) if part is None else _fill(part, values))
    return ("t", shape[1], shape[2], tuple(out))


CAPITALIZED = "capitalized"  # a tree's translate: translated, then its first letter upper-cased


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


@lru_cache(maxsize=4096)
def _bare(template: str, translate) -> tuple:
    return ("t", template, translate, ())  # one tree for every use of a template without parameters


def _flat(params: dict) -> tuple:
    out = []
    for name, value in params.items():
        out += (name, value._m if isinstance(value, Message) else value)
    return tuple(out)


def _message(value, text: str | None = None):
    """A tree back as a Message (its English text rendered again when not given); other values as they are."""
    if not isinstance(value, tuple):
        return value
    return Message._of(_render(value, _identity, None) if text is None else text, value)


def render(value, language: str | None):
    """``value`` said in ``language`` when it is a :class:`Message`; anything else as it is."""
    return value.render(language) if isinstance(value, Message) else value


def renderer(language: str | None):
    """``render`` for one language, its catalog and locale looked up once: for a column of texts."""
    language = resolve(language) or SOURCE
    if language == SOURCE:
        return lambda value: str(value) if isinstance(value, Message) else value
    tr = translator(language)
    return lambda value: _render(value._m, tr, language) if isinstance(value, Message) else value


def _render(tree, tr, locale) -> str:
    """A tree said with ``tr`` (the catalog), numbers in ``locale`` (a language code; None: English, exactly
    as str.format writes them)."""
    if not isinstance(tree, tuple):
        return tree
    if tree[0] == "j":
        return tree[1].join(_render(part, tr, locale) for part in tree[2])
    _, template, translate, flat = tree
    if translate:
        template = tr(template)
        if translate == CAPITALIZED:
            template = _upper_first(template)
    if not flat:
        return template
    values = {}
    for i in range(0, len(flat), 2):
        value = flat[i + 1]
        if isinstance(value, tuple):
            value = _render(value, tr, locale)
        elif locale is not None and isinstance(value, Real) and not isinstance(value, bool):  # numpy's too
            value = _Number(value, locale)
        values[flat[i]] = value
    return template.format_map(values)  # str.format's own (C) parsing: a number formats itself


class _Number:
    """A number in a template, formatted in its language's way by Babel when the template gives a format
    (``{n:,}``, ``{share:.0%}``, ``{confidence:.2f}``); as Python writes it when it gives none."""

    __slots__ = ("value", "locale")

    def __init__(self, value, locale: str):
        self.value, self.locale = value, locale

    def __format__(self, spec: str) -> str:
        if not spec:
            return format(self.value)
        value = self.value.item() if hasattr(self.value, "item") else self.value  # numpy: hashable Python
        return _number(value, spec, self.locale)


@lru_cache(maxsize=65536)  # word counts, percentages, page counts: the same numbers again and again
def _number(value, spec: str, locale: str) -> str:
    from babel.numbers import format_decimal, format_percent

    digits = re.search(r"\.(\d+)", spec)
    decimals = int(digits.group(1)) if digits else 0
    fraction = ("." + "0" * decimals) if decimals else ""
    if spec.endswith("%"):
        if not decimals:  # the locale's own way: '97 %' in Romanian and Russian, '97%' in Chinese
            return format_percent(value, locale=_babel_locale(locale))
        return format_percent(value, format=f"#,##0{fraction}%", locale=_babel_locale(locale))
    if spec == "g":  # as short as the number allows: 7, 0.4 ('0,4' in Romanian)
        return format_decimal(value, locale=_babel_locale(locale))
    if spec.endswith("f") or "," in spec:
        pattern = f"#,##0{fraction}" if "," in spec else f"0{fraction}"
        return format_decimal(value, format=pattern, locale=_babel_locale(locale))
    return format(value, spec)


@lru_cache(maxsize=None)
def _babel_locale(language: str):
    from babel import Locale

    return Locale.parse(language)
