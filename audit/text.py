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

# Han and kana: written without spaces between words (Korean separates its words with spaces)
from crawler.words import CJK as _CJK

_TOKEN = re.compile(rf"zdir_\w+|[{_CJK}]+|[^\W_]*\d[^\W_]*|[^\W\d_]{{2,}}")
_IS_CJK = re.compile(rf"[{_CJK}]")
# the same tokens in ASCII text (then [^\W_] is [A-Za-z0-9]): a run of letters and digits is one token
# when it holds a digit, and when it is two letters or more (tests/test_scale.py checks they agree)
_ASCII_TOKEN = re.compile(r"zdir_\w+|[A-Za-z0-9]+")
_FOLD = str.maketrans({"ş": "ș", "ţ": "ț", "Ş": "Ș", "Ţ": "Ț"})
# combining marks (accents) dropped after decomposition: a translate table, not a loop in Python
_MARKS = dict.fromkeys(c for c in range(0x30000) if unicodedata.combining(chr(c)))


def fold(text: str) -> str:
    """Case-, width- and accent-folded text for matching (never for display): 'Ştiri' and 'știri',
    'ΝΈΑ', 'ΝΕΑ' and 'νέα', 'ΝΌΜΟΣ' and 'νόμος', 'Ｔａｘ' and 'tax', 'Straße' and 'strasse' become the same."""
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKC", text).translate(_FOLD).casefold()
    return unicodedata.normalize("NFKD", text).translate(_MARKS)


def tokens(text: str) -> list:
    """The words of a (folded) text; runs of CJK characters become overlapping character pairs."""
    if text.isascii():  # no CJK: the same words from a regex without backtracking, no test of each one
        return [word for word in _ASCII_TOKEN.findall(text) if len(word) > 1 and not word.isdigit()]
    return _tokens(text)


def _tokens(text: str) -> list:
    """:func:`tokens` for any text (the ASCII fast path gives the same words)."""
    out = []
    for word in _TOKEN.findall(text):
        if _IS_CJK.match(word):
            out.extend([word[i:i + 2] for i in range(len(word) - 1)] or [word])
        elif len(word) > 1 and not word.isdigit():
            out.append(word)
    return out


# Stop words for the languages a site is written in, folded as the text is: what
# TaskClassifier(stop_words="site") leaves out of the text model. Not the default: measured on Debian's
# translated manuals it did not improve the classifier (docs/languages.md, Stop words), whose TF-IDF
# already drops words on more than 60% of a site's pages (max_df). English: scikit-learn's list, as the
# default uses. Others: the `stop-words` package (snowball-derived lists, conservative), except Greek,
# whose list there is Ancient Greek: stopwordsiso's modern Greek instead (and stopwordsiso for any
# language `stop-words` lacks); both optional (extra `stopwords`): without them, English only. Chinese
# and Japanese get none: their tokens are character pairs, and a pair is rarely a stop word on its own.
STOP_WORDS_SHARE = 0.1  # a language of at least this share of the site's pages brings its stop words
_NO_STOP_WORDS = frozenset({"zh", "ja", "ko"})
_STOPWORDSISO_FIRST = frozenset({"el"})


@lru_cache(maxsize=None)
def stop_words(language: str) -> frozenset:
    """The folded stop words of one language (an ISO 639-1 code), as the classifier's tokens; empty when
    no list is known."""
    language = (language or "").split("-")[0].split("_")[0].lower()
    if language == "en":
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        return frozenset(ENGLISH_STOP_WORDS)
    if not language or language in _NO_STOP_WORDS:
        return frozenset()
    words: list = []
    if language not in _STOPWORDSISO_FIRST:
        try:
            from stop_words import StopWordError, get_stop_words

            words = get_stop_words(language)
        except (ImportError, StopWordError, KeyError):
            words = []
    if not words:
        try:
            import stopwordsiso

            words = sorted(stopwordsiso.stopwords(language)) if stopwordsiso.has_lang(language) else []
        except ImportError:
            words = []
    out = set()
    for word in words:
        found = tokens(fold(word))
        if len(found) == 1:  # "dintr-o", "все еще": their words are on the list on their own
            out.add(found[0])
    return frozenset(out)


def site_stop_words(languages) -> list:
    """The stop words for a site whose pages are in ``languages`` (one code, or None, per page): English's
    always (as before), and those of every language of at least STOP_WORDS_SHARE of the pages."""
    from collections import Counter

    counts = Counter((code or "").split("-")[0].split("_")[0].lower() for code in languages if code)
    total = max(1, len(languages))
    words = set(stop_words("en"))
    for language, count in counts.items():
        if count / total >= STOP_WORDS_SHARE:
            words |= stop_words(language)
    return sorted(words)


# Page types that rarely serve a customer task (GOV.UK left about sixty such document types out of its
# topic tagging): news, press, events, speeches, legal, jobs, release notes, glossaries. In the languages
# the tool's users write in; matched, folded, against a page's URL, title and breadcrumb. A hint, not a
# verdict: the classifier learns how far to trust it. Words that also name services ("licence",
# "calendar", "statement") are left out; words that do so inside a title ("About council tax bands",
# "Contact us to report a pothole") count only as a whole URL segment, title or breadcrumb (SECTIONS).
PAGE_TYPES = {
    "en": "news newsroom press release releases announcement announcements event events speech speeches blog "
          "privacy cookie cookies disclaimer copyright accessibility vacancies careers sitemap newsletter "
          "glossary bibliography changelog whatsnew",
    "nl": "nieuws persbericht persberichten evenementen evenement vacatures privacy toegankelijkheid woordenlijst "
          "colofon proclaimer cookies",
    "de": "aktuelles nachrichten presse pressemitteilung pressemitteilungen veranstaltungen stellenangebote "
          "karriere datenschutz impressum barrierefreiheit glossar",
    "fr": "actualites actualite presse communique communiques evenements emplois carrieres confidentialite "
          "accessibilite glossaire",
    "ro": "stiri noutati comunicat comunicate evenimente eveniment cariere confidentialitate accesibilitate "
          "glosar anunturi",
    "ru": "новости пресс-релиз события мероприятия вакансии карьера конфиденциальность глоссарий доступность "
          "объявления",
    "el": "νεα ανακοινωσεις εκδηλωσεις καριερα απορρητο γλωσσαριο προσβασιμοτητα",
    "zh": "新闻 公告 活动 招聘 隐私 版权 术语 动态",
}
SECTIONS = ("about about-us contact contact-us archive archives legal terms license licence release-notes "
            "whats-new what's-new media consultations over contact agenda archief kontakt archiv uber-uns "
            "a-propos contact archives despre contact arhiva о-нас контакты архив σχετικα επικοινωνια αρχειο "
            "关于 联系 归档")
_TYPE_WORDS = frozenset(fold(w) for words in PAGE_TYPES.values() for w in words.split())
_SECTION_WORDS = frozenset(fold(w) for w in SECTIONS.split()) | _TYPE_WORDS
_DATE_PATH = re.compile(r"/(19|20)\d\d(/|-\d\d|\d{4})")


def page_type_score(url_path: str, title: str, crumbs: tuple) -> float:
    """0-1: how much the URL, title and breadcrumb say "a page type that rarely serves a task" (news, an
    event, a legal notice, release notes ...), or a date in the URL path."""
    score = 0.0
    segments = [s for s in fold(url_path).split("/") if s]
    if any(s in _SECTION_WORDS or set(re.split(r"[\-_.]+", s)) & _TYPE_WORDS for s in segments):
        score += 0.5
    if _DATE_PATH.search(url_path):
        score += 0.5
    folded = fold(title).strip()
    if folded in _SECTION_WORDS or set(tokens(folded)) & _TYPE_WORDS:
        score += 0.35
    if any(fold(c).strip() in _SECTION_WORDS or set(tokens(fold(c))) & _TYPE_WORDS for c in crumbs[1:]):
        score += 0.35
    return min(score, 1.0)


# News, press releases and events, per language (folded): what a site publishes as it happens. While
# current ([audit] news_days) such a page is the site's news service, not clutter (rules.current_news).
NEWS = ("press-releases release releases announcements whats-on persbericht agenda "  # en, nl
        "nachrichten pressemitteilungen "  # de
        "actualite communiques agenda "  # fr
        "stiri noutati comunicate anunturi evenimente "  # ro
        "новости пресс-релизы события мероприятия объявления "  # ru
        "νεα ανακοινωσεις εκδηλωσεις "  # el
        "新闻 公告 活动 动态 通知")  # zh; with the section words of _NOT_THE_PAGE (news, press, events ...)


def is_news(url_path: str) -> bool:
    """A URL in a news, press or events section: one of its folders (or the page's own segment, or a
    hyphen-separated part of either) is a news word in one of the tool's languages (``/news/2026/x``,
    ``/press-releases/x``, ``/actualites/x``, ``/新闻/x``)."""
    return _names_section(url_path, _news_words())


def dated_path(url_path: str) -> bool:
    """A date folder in the URL path (``/2019/06/``, ``/2019-06-03-x``): how blogs and news are filed."""
    return bool(_DATE_PATH.search(url_path or ""))


# A year the title, h1 or URL slug names: 2016, or a season or span by the year it ends (2018/19, 2018-19,
# 2018-2019). A year after "since" or "from" says since when something holds, not that it is over.
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?:\s*[-/\u2013\u2014]\s*(\d{4}|\d\d))?(?!\d)")
_SINCE = re.compile(r"(?:^|[^\w])(?:since|from|sinds|vanaf|sedert|seit|ab|depuis|din|desde)[\s\-_(]*$")


def named_year(url_path: str, title: str = "", h1: str = "") -> tuple[str, int] | None:
    """The latest year the title, h1 or URL slug (the path's last segment) names: (as written, the year), or
    None. A season or span counts by the year it ends ("2018/19", "2018-19", "2018-2019": 2019); a month
    after a year ("2019-06") is a date, not a span; "since 2015" and "from 2019" do not count (the page says
    since when something holds). ``rules.superseded`` compares it with the year of the crawl."""
    slug = (url_path or "").rstrip("/").rsplit("/", 1)[-1]
    best = None
    for text in (title, h1, slug):
        if not text or not any(c.isdigit() for c in text):
            continue
        folded = fold(text)
        for m in _YEAR.finditer(folded):
            if _SINCE.search(folded[:m.start()]):
                continue
            start, tail, end = int(m.group(1)), m.group(2), None
            if tail and len(tail) == 2 and int(tail) == (start + 1) % 100:
                end = start + 1
            elif tail and len(tail) == 4 and start < int(tail) <= start + 10:
                end = int(tail)
            said = m.group(0) if end else m.group(1)
            end = end or start
            if best is None or end > best[1]:
                best = (said, end)
    return best


# An archive of the page's subject ("Parking tariffs archive", /parking-fines-archive): kept for the record,
# out of date by its own account (folded, as a URL segment or a part of one, or a word of the title or h1).
ARCHIVE = frozenset(fold(w) for w in "archive archives archived archief gearchiveerd archiv archiviert "
                                     "arhiva arhivă архив αρχειο 归档".split())


def is_archive(url_path: str, title: str = "", h1: str = "") -> bool:
    """Does the page call itself an archive (its URL's last segment, title or h1)?"""
    slug = (url_path or "").rstrip("/").rsplit("/", 1)[-1]
    if _names_section(slug, ARCHIVE):
        return True
    return any(not ARCHIVE.isdisjoint(tokens(fold(text))) for text in (title, h1) if text)


@lru_cache(maxsize=None)
def _news_words() -> frozenset:
    return _NOT_THE_PAGE | frozenset(fold(w) for w in NEWS.split())


def _names_section(url_path: str, words: frozenset) -> bool:
    """Does a segment of the URL path (folded), or a hyphen-separated part of one, belong to ``words``?"""
    for segment in fold(url_path or "").split("/"):
        if segment and (segment in words or not words.isdisjoint(re.split(r"[\-_.]+", segment))):
            return True
    return False


# Page kinds a public body keeps whatever their traffic or task: the democratic record and what the law
# (or good practice) requires it to publish. [audit] protect_kinds names the kinds kept; a page is of a
# kind when a word or phrase below is a whole word of its URL path, title or h1 (folded; a phrase: its words
# in a row, "freedom of information", or hyphenated in the URL, "freedom-of-information"). News and
# events about these subjects ("New councillor elected") are not the pages themselves: a page under a
# news or events section, or with a date folder in its path, is of no kind.
PAGE_KINDS = {
    "councillors": "councillor councillors councilor councilors alderman aldermen ward-councillors "
                   "raadslid raadsleden gemeenteraad wethouder wethouders "  # nl
                   "gemeinderat stadtrat ratsmitglieder "  # de
                   "conseillers conseil-municipal elus",  # fr
    "meetings": "minutes meeting meetings committee committees council-meetings agendas agenda-and-minutes "
                "notulen vergadering vergaderingen raadsvergadering raadsvergaderingen besluitenlijst "
                "sitzung sitzungen niederschrift tagesordnung ratsinformation "
                "deliberations proces-verbal seance-du-conseil",
    "budget": "budget budgets statement-of-accounts annual-accounts annual-report annual-reports "
              "begroting begrotingen jaarrekening jaarverslag "
              "haushalt haushaltsplan jahresabschluss jahresbericht geschaftsbericht "
              "budget-primitif compte-administratif rapport-annuel",
    "mayor": "mayor lord-mayor burgemeester burgermeister oberburgermeister maire",
    "jobs": "jobs job vacancies vacancy careers working-for-us "
            "vacatures vacature werken-bij "
            "stellenangebote stellenausschreibungen karriere "
            "emplois recrutement offres-d-emploi",
    "privacy": "privacy privacy-notice privacy-statement data-protection gdpr "
               "privacyverklaring privacybeleid avg "
               "datenschutz datenschutzerklarung dsgvo "
               "confidentialite donnees-personnelles rgpd",
    "cookies": "cookie cookies cookie-policy cookieverklaring cookiebeleid cookie-richtlinie",
    "accessibility": "accessibility accessibility-statement toegankelijkheid toegankelijkheidsverklaring "
                     "barrierefreiheit erklarung-zur-barrierefreiheit accessibilite",
    "complaints": "complaint complaints complaints-procedure klacht klachten klachtenregeling "
                  "beschwerde beschwerden reclamation reclamations plainte plaintes",
    "foi": "foi foia freedom-of-information information-requests open-government "
           "woo wob woo-verzoek wob-verzoek openbaarheid "
           "informationsfreiheit ifg acces-aux-documents-administratifs",
    "contact": "contact contact-us contacts kontakt contacteer contactformulier contactgegevens "
               "nous-contacter",
}
DEFAULT_PROTECT_KINDS = list(PAGE_KINDS)
_NOT_THE_PAGE = frozenset(fold(w) for w in "news newsroom press blog events event nieuws persberichten "
                                           "evenementen aktuelles presse veranstaltungen actualites "
                                           "evenements".split())


def _kind_phrases() -> dict:
    out = {}
    for kind, words in PAGE_KINDS.items():
        for word in words.split():
            out[" ".join(tokens(fold(word.replace("-", " "))))] = kind
    return out


_KIND_PHRASES = _kind_phrases()
_LONGEST = max(len(p.split()) for p in _KIND_PHRASES)


def _kind_of_words(words: list) -> str | None:
    for size in range(_LONGEST, 0, -1):  # longest phrase first: "lord mayor" before "mayor"
        for start in range(len(words) - size + 1):
            kind = _KIND_PHRASES.get(" ".join(words[start:start + size]))
            if kind:
                return kind
    return None


# The press office's own page (how journalists reach the body) as a whole URL segment: a contact page,
# although "press" elsewhere in a URL means press releases (news), which are no kind.
PRESS_OFFICE = frozenset("press-office press-office.html media-enquiries media-contacts press-contacts "
                         "persvoorlichting pressestelle service-de-presse biroul-de-presa".split())


def page_kind(url_path: str, title: str = "", h1: str = "") -> str | None:
    """The kind of page (a key of PAGE_KINDS: "councillors", "privacy" ...) that the URL path, title or h1
    names, or None. The URL path is read first (its last segment first), then the h1, then the title."""
    segments = [s for s in fold(url_path or "").split("/") if s]
    if segments and segments[-1] in PRESS_OFFICE:  # the press office is a contact point, not press news
        return "contact"
    if _names_section(url_path, _NOT_THE_PAGE) or _DATE_PATH.search(url_path or ""):
        return None
    for segment in reversed(segments):
        kind = _kind_of_words(tokens(re.sub(r"[\-_.]+", " ", segment)))
        if kind:
            return kind
    for text in (h1, title):
        kind = _kind_of_words(tokens(fold(text or "")))
        if kind:
            return kind
    return None
