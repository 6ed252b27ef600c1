"""The schema of ``pages.jsonl``: one JSON object per URL the crawl met, written as pages arrive.

:data:`PAGE_FIELDS` is the single source for the record's fields; the README's field table and the
tests are checked against it. Every record has every field (``null`` or empty when it does not apply).
"""

from __future__ import annotations

SCHEMA_VERSION = 1

PAGE_FIELDS: dict[str, str] = {
    "url": "The URL requested, normalised (fragment, tracking and session parameters dropped, query sorted).",
    "final_url": "Where the URL ends after following its redirects (itself when it does not redirect).",
    "status": "HTTP status code; null when no response came (see error).",
    "redirect_to": "The Location of a 3xx response, normalised; null otherwise.",
    "redirect_chain": "The hops from url to final_url: [{url, status}], empty when there are none.",
    "content_type": "Media type of the response, without parameters (text/html, application/pdf ...).",
    "charset": "The character encoding the page was decoded with.",
    "bytes": "Size of the response body in bytes.",
    "elapsed": "Seconds from sending the request to receiving the whole response.",
    "fetched_at": "UTC time the response arrived (ISO 8601).",
    "depth": "Shortest click path from a start URL (0 for a start URL); null when no link reaches it.",
    "found_via": "How the crawl found the URL: start, link, redirect, or sitemap (no followed link led there).",
    "title": "The <title> (for PDF, DOCX and XLSX documents, the document title).",
    "meta_description": "<meta name=description>.",
    "meta_robots": "<meta name=robots> and <meta name=googlebot>, lower case, comma-separated.",
    "x_robots_tag": "The X-Robots-Tag response header(s).",
    "canonical": "<link rel=canonical> or the Link header's canonical, normalised.",
    "hreflang": "Alternate language versions: [{lang, url}].",
    "h1": "The first <h1>.",
    "headings": "Every h1-h6 in order: [{level, text}].",
    "main_text": "The page's text without navigation, header, footer and boilerplate.",
    "text_truncated": "True when main_text was cut at 200,000 characters.",
    "word_count": "Words in main_text.",
    "language": "ISO 639 code: the page's declared lang, else detected from main_text (py3langid).",
    "language_source": "declared or detected (null when unknown).",
    "dates": "Dates found: http_last_modified, sitemap_lastmod, meta_modified, meta_published, "
             "jsonld_modified, jsonld_published, pdf_modified, pdf_created, office_modified, office_created, "
             "text_modified, text_published (said near the top of the main text: 'Actualizat: 14 septembrie "
             "2012', '发布时间：2012年9月14日') (ISO 8601 where parseable; local formats read with dateparser).",
    "date_sources": "Where each of dates was read, by the same keys: '<meta dcterms.modified>', 'JSON-LD "
                    "dateModified', 'HTTP Last-Modified', 'sitemap lastmod', 'PDF properties', 'text: «Publicat: "
                    "05.06.2012»'; a value read from a local format adds the words it was read from.",
    "outlinks": ("Every link on the page: [{url, text, region (crumb/nav/header/footer/body), internal, nofollow, "
                 "section (index in headings of the heading the link sits under; absent before the first), "
                 "lists (the ul/ol/dl lists it sits in, numbered in page order, outermost first; absent "
                 "outside lists)}]."),
    "breadcrumbs": "The breadcrumb trail (JSON-LD BreadcrumbList or breadcrumb markup): [{text, url}].",
    "in_sitemap": "True when a sitemap lists the URL.",
    "content_hash": "SHA-1 of main_text with case and white space folded (of the body for non-HTML).",
    "robots_blocked": "True when robots.txt disallows the URL (not fetched, unless obey_robots_txt is false).",
    "error": "Why a page has no usable response: DNS, TLS, timeout, size cap, charset repair ...",
}

REGIONS = ("nav", "header", "footer", "body")


def empty_record(url: str) -> dict:
    """A record with every field present and empty."""
    record = dict.fromkeys(PAGE_FIELDS)
    record.update(url=url, redirect_chain=[], hreflang=[], headings=[], outlinks=[], breadcrumbs=[], dates={},
                  date_sources={},
                  in_sitemap=False, robots_blocked=False, text_truncated=False, main_text="", word_count=0)
    return record
