"""Words for matching, in any script: the classifier's tokens and the page types that rarely serve a task.

Matching folds what a reader would not tell apart (NFKC, case, accents, Romanian cedilla and comma
letters); the text shown to people is never folded. Scripts written without spaces (Chinese, Japanese)
are split into overlapping pairs of characters, the usual unit for their search indexes, so a clause is
not one word.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Han, kana, Hangul: written without spaces between words
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_TOKEN = re.compile(rf"zdir_\w+|[{_CJK}]+|[^\W_]*\d[^\W_]*|[^\W\d_]{{2,}}")
_IS_CJK = re.compile(rf"[{_CJK}]")
_FOLD = str.maketrans({"ş": "ș", "ţ": "ț", "Ş": "Ș", "Ţ": "Ț"})


def fold(text: str) -> str:
    """Case-, width- and accent-folded text for matching (never for display): 'Ştiri' and 'știri',
    'ΝΈΑ' and 'νέα', 'Ｔａｘ' and 'tax' become the same."""
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKC", text).translate(_FOLD).lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(text: str) -> list:
    """The words of a (folded) text; runs of CJK characters become overlapping character pairs."""
    out = []
    for word in _TOKEN.findall(text):
        if _IS_CJK.match(word):
            out.extend([word[i:i + 2] for i in range(len(word) - 1)] or [word])
        elif len(word) > 1 and not word.isdigit():
            out.append(word)
    return out


# Page types that rarely serve a customer task (GOV.UK left about sixty such document types out of its
# topic tagging): news, press, events, speeches, about, legal, contact, jobs, archives, release notes,
# glossaries. In the languages the tool's users write in; matched, folded, against a page's URL words,
# title and breadcrumb. A hint, not a verdict: the classifier learns how far to trust it.
PAGE_TYPES = {
    "en": "news press release releases announcement announcements event events calendar speech speeches blog "
          "about legal privacy cookie cookies terms disclaimer copyright license licence accessibility contact "
          "jobs careers vacancies sitemap archive newsletter glossary bibliography changelog whatsnew "
          "release-notes what's-new about-us contact-us media statement statements consultation consultations",
    "nl": "nieuws persbericht persberichten evenementen evenement agenda over contact vacatures privacy "
          "toegankelijkheid archief woordenlijst colofon proclaimer cookies",
    "de": "aktuelles nachrichten presse pressemitteilung pressemitteilungen veranstaltungen termine kontakt "
          "stellenangebote karriere datenschutz impressum barrierefreiheit archiv glossar lizenz",
    "fr": "actualites actualite presse communique communiques evenements agenda propos contact emplois "
          "carrieres confidentialite mentions accessibilite archives glossaire licence",
    "ro": "stiri știri noutati comunicat comunicate evenimente eveniment despre contact cariere confidentialitate "
          "termeni accesibilitate arhiva glosar licenta anunturi",
    "ru": "новости пресс-релиз события мероприятия контакты вакансии карьера конфиденциальность условия лицензия "
          "глоссарий архив доступность объявления",
    "el": "νεα ανακοινωσεις εκδηλωσεις επικοινωνια καριερα απορρητο οροι αδεια γλωσσαριο αρχειο προσβασιμοτητα",
    "zh": "新闻 公告 通知 活动 关于 联系 招聘 隐私 版权 许可 术语 归档 动态",
}
_TYPE_WORDS = frozenset(fold(w) for words in PAGE_TYPES.values() for w in words.split())
_DATE_PATH = re.compile(r"/(19|20)\d\d(/|-\d\d|\d{4})")


@lru_cache(maxsize=1 << 16)
def page_type_score(url_path: str, title: str, crumbs: tuple) -> float:
    """0-1: how much the URL, title and breadcrumb say "a page type that rarely serves a task" (news, an
    event, a legal notice, contact, release notes ...), or a date in the URL path."""
    score = 0.0
    path_words = set(re.split(r"[/\-_.]+", fold(url_path)))
    if path_words & _TYPE_WORDS:
        score += 0.5
    if _DATE_PATH.search(url_path):
        score += 0.5
    title_words = set(tokens(fold(title))) | {fold(title).strip()}
    if title_words & _TYPE_WORDS:
        score += 0.35
    if any(set(tokens(fold(c))) & _TYPE_WORDS for c in crumbs[1:]):
        score += 0.35
    return min(score, 1.0)
