"""Dates as people write them (issue 13): meta values and "published"/"updated" lines in Romanian, Greek,
Russian, Chinese and Dutch, read with dateparser, each with its source; a static server's Last-Modified
only as the last resort. End to end: a municipal site in five languages, served by a static server (every
Last-Modified is today), whose 2012 pages must be found stale."""

from __future__ import annotations

import openpyxl
import pytest

from audit.demo.server import SiteServer
from audit.signals import LAST_RESORT, newest_dated
from crawler import dates as local
from crawler.extract import extract_html

from .conftest import longneck


def page(lang, title, body, meta="") -> str:
    lang_attr = f' lang="{lang}"' if lang else ""
    return (f"<!doctype html><html{lang_attr}><head><meta charset='utf-8'><title>{title}</title>{meta}</head>"
            f"<body><header><nav><a href='/'>Acasă · Αρχική · Главная · 首页 · Home</a></nav></header>"
            f"<main><h1>{title}</h1>{body}</main><footer>© 2026</footer></body></html>")


RO_TAXE = (
    "<p class='meta'>Publicat: 05.06.2012</p>"
    "<p>Impozitul pe clădiri și taxa pe teren se plătesc anual, în două rate egale, până la 31 martie și "
    "30 septembrie inclusiv. Pentru plata integrală a impozitului până la 31 martie se acordă o bonificație "
    "de 10%. Plata se poate face la ghișeele Direcției de Taxe și Impozite Locale, prin ordin de plată sau "
    "online, cu cardul, pe platforma ghișeul.ro.</p>")
RO_PROGRAM = (
    "<p>Ultima actualizare: 14 septembrie 2012</p>"
    "<p>Programul de lucru cu publicul al Serviciului de Stare Civilă este de luni până joi între orele "
    "8:30 și 16:30, iar vinerea între orele 8:30 și 13:00. Actele de identitate se eliberează în termen "
    "de 30 de zile de la depunerea cererii, la sediul din strada Mihai Eminescu nr. 12.</p>")
EL_TELI = (
    "<p>Τελευταία ενημέρωση: 3 Οκτωβρίου 2012</p>"
    "<p>Τα δημοτικά τέλη καθαριότητας και ηλεκτροφωτισμού εισπράττονται μέσω των λογαριασμών ρεύματος. "
    "Οι ιδιοκτήτες κενών ακινήτων μπορούν να ζητήσουν μείωση των τελών υποβάλλοντας αίτηση στο Δημαρχείο "
    "μαζί με βεβαίωση διακοπής ηλεκτροδότησης.</p>")
EL_ANAKOINOSI = (
    "<p>Ο Δήμος ανακοινώνει ότι η αποκομιδή των ογκωδών αντικειμένων γίνεται κάθε Τρίτη, ύστερα από "
    "τηλεφωνικό ραντεβού με την Υπηρεσία Καθαριότητας. Τα αντικείμενα τοποθετούνται στο πεζοδρόμιο το "
    "βράδυ της προηγούμενης ημέρας.</p>")
RU_SPRAVKA = (
    "<p>Опубликовано: 2 ноября 2012 г.</p>"
    "<p>Справку о составе семьи можно получить в многофункциональном центре по месту жительства. При себе "
    "необходимо иметь паспорт и документы, подтверждающие родство. Справка выдаётся в день обращения "
    "бесплатно.</p>")
RU_GRAFIK = (
    "<p>График приёма граждан главой администрации района: каждый второй вторник месяца с 14:00 до 17:00. "
    "Предварительная запись по телефону приёмной. При записи необходимо кратко изложить суть вопроса.</p>")
ZH_BANSHI = (
    "<p>发布时间：2012年9月14日　来源：区政府办公室</p>"
    "<p>居民办理居住证，应当向居住地派出所提出申请，并提交本人身份证、近期照片以及居住证明材料。"
    "材料齐全的，公安机关应当在十五个工作日内制作发放居住证。</p>")
ZH_TONGZHI = (
    "<p>因管道维修，本街道部分小区将于本周六上午八点至下午六点暂停供水，请居民提前做好储水准备。"
    "给您带来的不便，敬请谅解。</p>")
NL_AFVAL = (
    "<p>Laatst gewijzigd op 14 september 2012</p>"
    "<p>Grofvuil zoals meubels, matrassen en tapijt wordt op afspraak bij u thuis opgehaald. Maak online "
    "een afspraak of bel het klantcontactcentrum. U kunt grofvuil ook gratis wegbrengen naar het "
    "afvalbrengstation aan de Industrieweg.</p>")
NL_PARKEREN = (
    "<p>Met een bewonersvergunning parkeert u in uw eigen wijk. U vraagt de vergunning aan via het digitale "
    "loket. De vergunning is een jaar geldig en wordt automatisch verlengd, tenzij u deze opzegt.</p>")
RO_FARA_DATA = (
    "<p>Cererea pentru autorizația de construire se depune la registratura primăriei, împreună cu "
    "certificatul de urbanism, documentația tehnică și dovada plății taxei. Termenul de emitere este de "
    "30 de zile.</p>")

# path: (lang attribute, title, body, meta tags, expected newest date, expected source (substring))
PAGES = {
    "/ro/taxe-locale.html": ("ro", "Taxe și impozite locale", RO_TAXE,
                             '<meta name="dcterms.modified" content="14 septembrie 2012">',
                             "2012-09-14", "<meta dcterms.modified>: «14 septembrie 2012»"),
    "/ro/program.html": ("ro", "Program de lucru", RO_PROGRAM, "",
                         "2012-09-14", "text: «Ultima actualizare: 14 septembrie 2012»"),
    "/el/dimotika-teli.html": ("el", "Δημοτικά τέλη", EL_TELI, "",
                               "2012-10-03", "text: «Τελευταία ενημέρωση: 3 Οκτωβρίου 2012»"),
    "/el/anakoinosi.html": ("el", "Αποκομιδή ογκωδών αντικειμένων", EL_ANAKOINOSI,
                            '<meta property="article:published_time" content="14 Σεπτεμβρίου 2012">',
                            "2012-09-14", "<meta article:published_time>: «14 Σεπτεμβρίου 2012»"),
    "/ru/spravka.html": ("ru", "Справка о составе семьи", RU_SPRAVKA, "",
                         "2012-11-02", "text: «Опубликовано: 2 ноября 2012 г.»"),
    # no lang attribute: the language is detected, or dateparser tries the languages longneck knows
    "/ru/grafik.html": (None, "График приёма граждан", RU_GRAFIK, '<meta name="dc.date" content="05.06.2012">',
                        "2012-06-05", "<meta dc.date>: «05.06.2012»"),
    "/zh/banshi.html": ("zh-CN", "居住证办理指南", ZH_BANSHI, "",
                        "2012-09-14", "text: «发布时间：2012年9月14日»"),
    "/zh/tongzhi.html": ("zh-CN", "停水通知", ZH_TONGZHI, '<meta name="date" content="2012年9月14日">',
                         "2012-09-14", "<meta date>: «2012年9月14日»"),
    "/nl/afval.html": ("nl", "Grofvuil laten ophalen", NL_AFVAL, "",
                       "2012-09-14", "text: «Laatst gewijzigd op 14 september 2012»"),
    "/nl/parkeren.html": ("nl", "Bewonersvergunning", NL_PARKEREN,
                          '<meta name="dcterms.modified" content="14 september 2012">',
                          "2012-09-14", "<meta dcterms.modified>: «14 september 2012»"),
    # no date on the page: only the static server's Last-Modified (today), marked as the last resort
    "/ro/autorizatie.html": ("ro", "Autorizația de construire", RO_FARA_DATA, "", None, LAST_RESORT),
}


def record_of(path: str) -> dict:
    """A page's dates as the crawl records them: extract_html, the language, then read_local_dates."""
    lang, title, body, meta, _, _ = PAGES[path]
    fields = extract_html(page(lang, title, body, meta), "http://example.org" + path, lambda u: u, lambda u: True)
    language = (lang or "").split("-")[0] or None
    local.read_local_dates(fields["dates"], fields["date_sources"], fields["main_text"], language)
    return fields


@pytest.mark.parametrize("path", [p for p in PAGES if PAGES[p][4]])
def test_local_dates_are_read_with_their_source(path):
    fields = record_of(path)
    expected, source = PAGES[path][4], PAGES[path][5]
    newest, said = newest_dated(fields["dates"], fields["date_sources"])
    assert newest.isoformat() == expected, fields["dates"]
    assert said == source


def test_published_and_updated_in_one_page_both_kept():
    fields = record_of("/ro/taxe-locale.html")
    assert fields["dates"]["text_published"] == "2012-06-05"  # 05.06.2012: day first
    assert fields["date_sources"]["text_published"] == "text: «Publicat: 05.06.2012»"
    assert fields["dates"]["meta_modified"] == "2012-09-14"


@pytest.mark.parametrize("text, language, expected", [
    ("Τελευταία ενημέρωση: 14 Σεπτεμβρίου 2012", "el", [("text_modified", "2012-09-14")]),
    ("ΤΕΛΕΥΤΑΙΑ ΕΝΗΜΕΡΩΣΗ 3 ΙΟΥΝΙΟΥ 2012", "el", [("text_modified", "2012-06-03")]),  # capitals, no accents
    ("Actualizată la data de 5 iunie 2012", "ro", [("text_modified", "2012-06-05")]),
    ("Actualizata: 05.06.2012", "ro", [("text_modified", "2012-06-05")]),
    ("Дата обновления: 05.06.2012", "ru", [("text_modified", "2012-06-05")]),
    ("更新日期：2012-09-14", "zh", [("text_modified", "2012-09-14")]),
    ("公開日：2012年9月14日", "ja", [("text_published", "2012-09-14")]),
    ("最終更新日 2012年6月5日", "ja", [("text_modified", "2012-06-05")]),
    ("Gepubliceerd: 2 november 2012", "nl", [("text_published", "2012-11-02")]),
    ("Stand: 14.09.2012", "de", [("text_modified", "2012-09-14")]),
    ("Zuletzt geändert am 14. September 2012", "de", [("text_modified", "2012-09-14")]),
    ("Mis à jour le 1er septembre 2012", "fr", [("text_modified", "2012-09-01")]),
    ("Last updated: 6/14/2012", "en", [("text_modified", "2012-06-14")]),  # slashes on an English page: month first
    ("Publié le 14/06/2012", "fr", [("text_published", "2012-06-14")]),
    # not dates: a keyword without a date, a date without a keyword, a word that merely contains a keyword
    ("Outdated forms from 12.12.2012 are not accepted", "en", []),
    ("Formularul din 12.12.2012 nu mai este valabil", "ro", []),
    ("Updated rules apply to 3 persons in 2012", "en", []),
])
def test_text_dates(text, language, expected):
    assert [(k, v) for k, v, _ in local.text_dates("Primăria\n" + text + "\nMore text.", language)] == expected


def test_only_the_top_of_the_main_text_is_read():
    text = "Cuvânt " * (local.SCAN_CHARS // 7) + "\nActualizat: 14 septembrie 2012"
    assert local.text_dates(text, "ro") == []


def test_last_modified_is_the_last_resort():
    dates = {"http_last_modified": "2026-11-01T10:00:00Z", "text_published": "2012-06-05"}
    assert newest_dated(dates, {"text_published": "text: «Publicat: 05.06.2012»"})[0].isoformat() == "2012-06-05"
    day, source = newest_dated({"http_last_modified": "2026-11-01T10:00:00Z"}, {})
    assert day.isoformat() == "2026-11-01" and source == LAST_RESORT


def test_a_crawl_made_before_date_sources_still_reads():
    day, source = newest_dated({"meta_modified": "2012-09-14", "sitemap_lastmod": "2011-01-01"}, None)
    assert (day.isoformat(), source) == ("2012-09-14", "meta tag")


def test_each_string_is_parsed_once():
    local.parse_local_date.cache_clear()
    for _ in range(50):
        local.text_dates("Publicat: 14 septembrie 2012", "ro")
    info = local.parse_local_date.cache_info()
    assert info.misses == 1 and info.hits == 49


TASKS = '''
[[tasks]]
id = "taxes"
name = "Pay local taxes"
description = "Local taxes, fees and certificates"
keywords = ["taxe", "impozit", "τέλη", "справка", "居住证", "grofvuil"]
examples = ["{origin}/ro/taxe-locale.html", "{origin}/el/dimotika-teli.html"]

[audit]
stale_days = 730
'''


@pytest.fixture(scope="module")
def static_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("dates-site")
    www = root / "www"
    links = "".join(f"<li><a href='{p}'>{PAGES[p][1]}</a></li>" for p in PAGES)
    (www).mkdir()
    (www / "index.html").write_text(page("en", "Town hall", f"<p>Services of the town hall.</p><ul>{links}</ul>"),
                                    encoding="utf-8")
    for path, (lang, title, body, meta, *_ignored) in PAGES.items():
        target = www / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page(lang, title, body, meta), encoding="utf-8")
    with SiteServer(www) as server:  # a static server: every Last-Modified is the files' copy time, today
        config = root / "dates.toml"
        config.write_text(f'[site]\nname = "Primăria"\nstart_urls = ["{server.url}/index.html"]\n'
                          "autothrottle = false\n" + TASKS.format(origin=server.url), encoding="utf-8")
        # the sheets are read by their English names: the workbook of this mostly non-English site in English
        longneck("run", config, "--out", root / "run", "-q", "--set", "report.language=en")
        ws = openpyxl.load_workbook(root / "run" / "audit.xlsx")["Pages"]
        header = [c.value for c in ws[1]]
        rows = [dict(zip(header, (c.value for c in row))) for row in ws.iter_rows(min_row=2)]
        yield {r["URL"][len(server.url):]: r for r in rows if r["URL"]}


@pytest.mark.parametrize("path", sorted(PAGES))
def test_a_2012_page_on_a_static_server_is_stale(static_site, path):
    row = static_site[path]
    expected, source = PAGES[path][4], PAGES[path][5]
    codes = {entry.split(":", 1)[0] for entry in (row["Reasons"] or "").split("; ") if entry}
    assert row["Newest date source"] == source
    if expected:
        assert row["Newest date"].date().isoformat() == expected
        assert "stale" in codes, row["Reasons"]
    else:  # only the server's Last-Modified: today, so not stale, and marked as the last resort
        assert row["Age (days)"] in (0, 1) and "stale" not in codes
