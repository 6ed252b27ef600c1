from audit.demo.generate_site import minimal_pdf
from crawler.extract import content_hash, detect_language, extract_html, extract_pdf, normalise_date
from crawler.urls import Scope, UrlNormalizer

BASE = "https://www.example.org/parking/pay"
norm = UrlNormalizer()
internal = Scope(["example.org"]).is_internal

PAGE = """<!doctype html><html lang="en-GB"><head>
<title>  Pay a parking fine | Example </title>
<meta name="description" content="Pay your fine online.">
<meta name="robots" content="NOINDEX, follow">
<meta property="article:modified_time" content="2024-03-05T10:00:00+01:00">
<link rel="canonical" href="/parking/pay-a-fine?utm_source=x">
<link rel="alternate" hreflang="nl" href="https://www.example.org/nl/parkeren/betalen">
<script type="application/ld+json">{"@context":"https://schema.org","@graph":[
 {"@type":"WebPage","datePublished":"2019-01-02"},
 {"@type":"BreadcrumbList","itemListElement":[
   {"@type":"ListItem","position":2,"name":"Parking","item":"https://www.example.org/parking/"},
   {"@type":"ListItem","position":1,"name":"Home","item":"https://www.example.org/"}]}]}</script>
</head><body>
<header><a href="/">Logo</a><nav><a href="/services">Services</a></nav></header>
<div class="breadcrumb"><a href="/">Home</a> › <a href="/parking/">Parking</a></div>
<main><h1>Pay a <em>parking</em> fine</h1><p>You can pay a parking fine online with your card.</p>
<h2>What you need</h2><ul><li>the penalty reference</li><li>your registration</li></ul>
<p>See <a href="/parking/appeal#how">how to appeal</a> or <a rel="nofollow" href="https://gov.example.com/x">the national site</a>.
<a href="mailto:a@b.org">mail</a> <a href="javascript:void(0)">js</a></p>
<nav aria-label="Related"><a href="/parking/permits">Permits</a></nav>
<h3></h3></main>
<aside><a href="/news/1">Latest news</a></aside>
<footer><a href="/privacy">Privacy</a> Footer text that is boilerplate.</footer>
</body></html>"""


def fields():
    return extract_html(PAGE, BASE, norm, internal)


def test_head_fields():
    f = fields()
    assert f["title"] == "Pay a parking fine | Example"
    assert f["meta_description"] == "Pay your fine online."
    assert f["meta_robots"] == "noindex, follow"
    assert f["canonical"] == "https://www.example.org/parking/pay-a-fine"
    assert f["hreflang"] == [{"lang": "nl", "url": "https://www.example.org/nl/parkeren/betalen"}]
    assert f["declared_language"] == "en-GB"


def test_headings_and_h1():
    f = fields()
    assert f["h1"] == "Pay a parking fine"
    assert f["headings"] == [{"level": 1, "text": "Pay a parking fine"}, {"level": 2, "text": "What you need"}]


def test_main_text_keeps_lists_and_drops_boilerplate():
    text = fields()["main_text"]
    assert "You can pay a parking fine online" in text
    assert "the penalty reference" in text and "your registration" in text
    for boilerplate in ("Logo", "Services", "Footer text", "Latest news", "Permits", "Home"):
        assert boilerplate not in text
    assert fields()["word_count"] == len(text.split()) - text.count("•")


def test_main_text_without_main_landmark_drops_header_footer_nav():
    page = PAGE.replace("<main>", "<div id='content'>").replace("</main>", "</div>")
    text = extract_html(page, BASE, norm, internal)["main_text"]
    assert "You can pay a parking fine online" in text
    assert "Logo" not in text and "Footer text" not in text and "Latest news" not in text


def test_outlinks_regions_internal_nofollow():
    links = {(link["url"], link["region"]): link for link in fields()["outlinks"]}
    assert ("https://www.example.org/", "header") in links
    assert ("https://www.example.org/services", "nav") in links
    assert ("https://www.example.org/parking/", "crumb") in links  # the breadcrumb trail: not a menu
    assert ("https://www.example.org/parking/appeal", "body") in links  # fragment dropped
    assert ("https://www.example.org/parking/permits", "nav") in links  # a nav inside main is still navigation
    assert ("https://www.example.org/news/1", "body") in links
    assert ("https://www.example.org/privacy", "footer") in links
    external = links[("https://gov.example.com/x", "body")]
    assert external["internal"] is False and external["nofollow"] is True
    assert links[("https://www.example.org/parking/appeal", "body")]["text"] == "how to appeal"
    assert not any(u.startswith(("mailto", "javascript")) for u, _ in links)



def test_outlinks_know_the_heading_and_the_lists_they_sit_in():
    page = """<body><a href="/top">before any heading</a><h1>Book</h1>
    <h2>Commands</h2><dl><dt><a href="/ch5">Chapter 5</a></dt>
      <dd><dl><dt><a href="/s1">5.1</a></dt><dt><a href="/s2">5.2</a></dt></dl></dd>
      <dt><a href="/ch6">Chapter 6</a></dt></dl>
    <h3>Helpers</h3><p><a href="/helper">a helper</a></p><h2>Guides</h2><ul><li><a href="/guide">guide</a></li></ul></body>"""
    fields = extract_html(page, "https://www.example.org/", norm, internal)
    headings = [h["text"] for h in fields["headings"]]
    links = {link["url"].rsplit("/", 1)[1]: link for link in fields["outlinks"]}
    assert "section" not in links["top"]
    assert headings[links["ch5"]["section"]] == "Commands" and headings[links["s2"]["section"]] == "Commands"
    assert headings[links["helper"]["section"]] == "Helpers" and headings[links["guide"]["section"]] == "Guides"
    # a chapter sits in the outer list, its sections in a list nested inside it
    outer = links["ch5"]["lists"]
    assert len(outer) == 1 and links["ch6"]["lists"] == outer
    assert links["s1"]["lists"][:1] == outer and len(links["s1"]["lists"]) == 2
    assert links["s1"]["lists"] == links["s2"]["lists"]
    assert "lists" not in links["helper"] and links["guide"]["lists"] != outer

def test_breadcrumbs_from_json_ld_in_position_order():
    assert fields()["breadcrumbs"] == [{"text": "Home", "url": "https://www.example.org/"},
                                       {"text": "Parking", "url": "https://www.example.org/parking/"}]


def test_breadcrumbs_from_markup_when_no_json_ld():
    page = PAGE.split('<script type="application/ld+json">')[0] + PAGE.split("</script>", 1)[1]
    crumbs = extract_html(page, BASE, norm, internal)["breadcrumbs"]
    assert [c["text"] for c in crumbs] == ["Home", "Parking"]
    assert crumbs[1]["url"] == "https://www.example.org/parking/"


def test_dates_from_meta_and_json_ld():
    dates = fields()["dates"]
    assert dates["meta_modified"] == "2024-03-05T09:00:00Z"
    assert dates["jsonld_published"] == "2019-01-02"


def test_base_href_is_honoured():
    page = PAGE.replace("<head>", '<head><base href="https://www.example.org/other/">')
    urls = {link["url"] for link in extract_html(page, BASE, norm, internal)["outlinks"]}
    assert "https://www.example.org/parking/appeal" in urls  # absolute paths unaffected
    page = page.replace('href="/parking/appeal#how"', 'href="relative"')
    urls = {link["url"] for link in extract_html(page, BASE, norm, internal)["outlinks"]}
    assert "https://www.example.org/other/relative" in urls


def test_hostile_and_malformed_pages_do_not_raise():
    for page in ["", "<html", "<p>unclosed <b><i>tags", "<div>" * 20000 + "deep" + "</div>" * 20000,
                 "\x00\x01binary\xff", "<a href='http://[::1'>bad url</a>", "<script>alert(1)</script><p>text</p>",
                 '<script type="application/ld+json">{not json</script>', "<title>" + "x" * 100000 + "</title>"]:
        f = extract_html(page, BASE, norm, internal)
        assert isinstance(f["main_text"], str) and isinstance(f["outlinks"], list)
    deep = extract_html("<div>" * 20000 + "deep words here" + "</div>" * 20000, BASE, norm, internal)
    assert "deep words here" in deep["main_text"]
    assert "alert" not in extract_html("<script>alert(1)</script><p>text</p>", BASE, norm, internal)["main_text"]


def test_content_hash_folds_case_and_space_only():
    assert content_hash("Pay  a\nFine") == content_hash("pay a fine")
    assert content_hash("pay a fine") != content_hash("pay the fine")


def test_normalise_date():
    assert normalise_date("Tue, 15 Nov 1994 08:12:31 GMT") == "1994-11-15T08:12:31Z"
    assert normalise_date("2020-02-03") == "2020-02-03"
    assert normalise_date("2020-02-03T10:00:00Z") == "2020-02-03T10:00:00Z"
    assert normalise_date("last spring") == "last spring"
    assert normalise_date("  ") is None


def test_language_detection():
    assert detect_language("U kunt uw parkeerboete online betalen met het kenmerk op uw bon. " * 3) == "nl"
    assert detect_language("You can pay your parking fine online with the reference on the ticket. " * 3) == "en"
    assert detect_language("too short") is None


def test_pdf_text_title_and_dates():
    pdf = extract_pdf(minimal_pdf("Budget 2019", ["Total budget 198 million euro.", "Roads and waste."]))
    assert pdf["title"] == "Budget 2019"
    assert "Total budget 198 million euro." in pdf["main_text"]
    assert pdf["dates"]["pdf_modified"] == "2019-03-01"
    broken = extract_pdf(b"%PDF-1.4\nthis is not really a pdf")
    assert broken["main_text"] == "" and broken["error"].startswith("PDF text not extracted")


def test_very_long_text_is_truncated_and_flagged():
    from crawler.extract import MAX_TEXT_CHARS

    page = "<html><body><main><p>" + "word " * (MAX_TEXT_CHARS // 4) + "</p></main></body></html>"
    f = extract_html(page, BASE, norm, internal)
    assert f["text_truncated"] is True and len(f["main_text"]) == MAX_TEXT_CHARS
    assert extract_html(PAGE, BASE, norm, internal)["text_truncated"] is False


def test_docx_and_xlsx_text_title_and_dates():
    from audit.demo.generate_site import docx_form, xlsx_calendar
    from crawler.extract import DOCX, XLSX, document_kind, extract_document

    body = docx_form()
    assert document_kind(DOCX, "https://x.org/form", body) == "docx"
    assert document_kind("application/octet-stream", "https://x.org/form.docx", body) == "docx"
    doc = extract_document("docx", body)
    assert doc["title"] == "Parking permit application form"
    assert "apply for a parking permit" in doc["main_text"] and "Vehicle registration" in doc["main_text"]
    assert doc["dates"]["office_modified"] == "2019-03-01T12:00:00"
    sheet = extract_document(document_kind(XLSX, "https://x.org/c", xlsx_calendar()), xlsx_calendar())
    assert sheet["title"] == "Bin collection calendar 2019" and "General waste | Recycling" in sheet["main_text"]
    assert document_kind("application/zip", "https://x.org/a.zip", b"PK\x03\x04") is None


def test_office_zip_bomb_and_garbage_are_refused_with_a_reason():
    import io
    import zipfile

    from crawler.extract import extract_document

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"\0" * 250_000_000)
    bomb = extract_document("docx", buffer.getvalue())
    assert bomb["main_text"] == "" and "zip bomb" in bomb["error"]
    assert extract_document("xlsx", b"PK\x03\x04garbage")["error"].startswith("xlsx text not extracted")
