"""Field extraction from one fetched document: HTML pages (Resiliparse) and PDFs (pypdf).

Each HTML page is parsed once, with Resiliparse's lexbor-based HTML5 parser, and every field is read
from that tree. Collections are always read with ``.values()``: iterating a Resiliparse collection
directly re-materialises it for every item (quadratic; 4 ms on a page with 25 links). Main text
comes from the page's ``<main>`` landmark when it has one, otherwise from the body minus navigation, header, footer, asides and other boilerplate; Resiliparse's ``extract_plain_text``
turns the tree into text with block structure and list items kept. (Its own ``main_content`` heuristic
drops lists, which on a service page are often the steps of the task, so it is not used.)

The functions here know nothing of Scrapy and are tested on plain strings.
"""

from __future__ import annotations

import email.utils
import hashlib
import io
import json
import re
from datetime import datetime, timezone
from urllib.parse import urljoin

from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.html import HTMLTree

from .words import cjk_count, word_count  # noqa: F401 (word_count: part of this module's interface)

_SPACE = re.compile(r"\s+")
MAX_TEXT_CHARS = 200_000  # main text kept per page; more is truncated (and flagged)
MAX_HEADINGS = 200
MAX_PDF_PAGES = 200

BOILERPLATE = [
    "script", "style", "noscript", "template", "svg", "nav", "aside", "[hidden]", "[aria-hidden=true]",
    "[role=navigation]", "[role=complementary]", "[role=search]", ".breadcrumb", ".breadcrumbs", "#breadcrumb",
    "#breadcrumbs", ".skip-link", ".skiplink", "#cookie-banner", ".cookie-banner", ".cookie-notice",
    "#cookie-notice", ".sr-only", ".visually-hidden",
]
PAGE_BOILERPLATE = BOILERPLATE + ["header", "footer", "[role=banner]", "[role=contentinfo]"]
BREADCRUMB_SELECTOR = (
    "[aria-label*=breadcrumb i], .breadcrumb, .breadcrumbs, #breadcrumb, #breadcrumbs, "
    "[itemtype*=BreadcrumbList]"
)
META_DATE_NAMES = {
    "article:modified_time": "meta_modified", "og:updated_time": "meta_modified",
    "last-modified": "meta_modified", "dcterms.modified": "meta_modified", "dc.date.modified": "meta_modified",
    "revised": "meta_modified", "article:published_time": "meta_published", "dcterms.created": "meta_published",
    "dc.date.created": "meta_published", "dc.date": "meta_published", "date": "meta_published",
    "dcterms.issued": "meta_published", "citation_publication_date": "meta_published",
}


def clean(text: str | None) -> str:
    return _SPACE.sub(" ", text).strip() if text else ""


def content_hash(text: str) -> str:
    """Hash of the main text with case and white space folded: equal hashes, same words."""
    return hashlib.sha1(clean(text).lower().encode("utf-8")).hexdigest()


def normalise_date(value: str | None) -> str | None:
    """ISO 8601 for the date forms sites use (ISO, RFC 2822/HTTP); the raw value when unparseable."""
    if not value:
        return None
    value = value.strip()
    if not value:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return value
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return value[:64]
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc)
        return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")
    return parsed.isoformat()


def resolve(base: str, href: str | None, normalise) -> str | None:
    """``href`` made absolute against ``base`` and normalised; None when it is not a usable URL."""
    if not href:
        return None
    try:
        return normalise(urljoin(base, href.strip()))
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return None


REGION_SELECTORS = (  # first match wins: a menu or breadcrumb inside <main> is still navigation
    ("crumb", ", ".join(f"{part.strip()} a[href]" for part in BREADCRUMB_SELECTOR.split(","))),
    ("nav", "nav a[href], nav area[href], [role=navigation] a[href]"),
    ("body", "main a[href], [role=main] a[href], article a[href]"),
    ("header", "header a[href], [role=banner] a[href]"),
    ("footer", "footer a[href], [role=contentinfo] a[href]"),
)


def _link_regions(root) -> dict:
    """Region of every link (crumb, nav, header, footer; body otherwise), by node. Five selector queries per
    page instead of an ancestor walk per link (Resiliparse returns one Python object per node)."""
    regions = {}
    for region, selector in REGION_SELECTORS:
        for node in root.query_selector_all(selector).values():
            regions.setdefault(node, region)
    return regions


def _walk_json_ld(obj, found: dict, crumbs: list, sources: dict):
    if isinstance(obj, list):
        for item in obj:
            _walk_json_ld(item, found, crumbs, sources)
        return
    if not isinstance(obj, dict):
        return
    for key, name in (("dateModified", "jsonld_modified"), ("datePublished", "jsonld_published")):
        if key in obj and name not in found and isinstance(obj[key], str):
            found[name] = obj[key]
            sources[name] = f"JSON-LD {key}"
    kind = obj.get("@type")
    if (kind == "BreadcrumbList" or (isinstance(kind, list) and "BreadcrumbList" in kind)) and not crumbs:
        items = obj.get("itemListElement") or []
        if isinstance(items, list):
            items = sorted((i for i in items if isinstance(i, dict)), key=lambda i: i.get("position") or 0)
            for item in items:
                target = item.get("item")
                url = target.get("@id") if isinstance(target, dict) else target
                name = item.get("name") or (target.get("name") if isinstance(target, dict) else None)
                if name:
                    crumbs.append({"text": clean(str(name)), "url": url if isinstance(url, str) else None})
    for key in ("@graph", "mainEntity", "breadcrumb"):
        if key in obj:
            _walk_json_ld(obj[key], found, crumbs, sources)


def extract_html(html: str, url: str, normalise, is_internal) -> dict:
    """Every field longneck reads from an HTML page.

    ``normalise(abs_url) -> str | None`` canonicalises link targets; ``is_internal(url) -> bool`` says
    whether a link stays on the site. Returns a dict of page fields (see :mod:`crawler.items`).
    """
    tree = HTMLTree.parse(html)
    doc = tree.document
    head = tree.head
    body = tree.body

    base = url
    base_el = doc.query_selector("base[href]")
    if base_el is not None:
        base = resolve(url, base_el.getattr("href"), lambda u: u) or url

    meta_robots, description, dates, hreflang, canonical = [], "", {}, [], None
    sources = {}  # where each date was read: "<meta name=dcterms.modified>", "JSON-LD dateModified" ...
    for meta in doc.query_selector_all("meta[content]").values():
        name = (meta.getattr("name") or meta.getattr("property") or meta.getattr("itemprop") or "").lower().strip()
        content = meta.getattr("content") or ""
        if name in ("robots", "googlebot"):
            meta_robots.append(clean(content).lower())
        elif name == "description" and not description:
            description = clean(content)
        elif name in META_DATE_NAMES or name in ("datemodified", "datepublished"):
            key = META_DATE_NAMES.get(name) or ("meta_modified" if name == "datemodified" else "meta_published")
            if key not in dates:
                dates[key] = content
                sources[key] = f"<meta {name}>"
    for link in doc.query_selector_all("link[rel][href]").values():
        rel = (link.getattr("rel") or "").lower().split()
        href = (link.getattr("href") or "").strip()
        if "canonical" in rel and canonical is None:
            canonical = resolve(base, href, normalise)
        elif "alternate" in rel and link.hasattr("hreflang"):
            hreflang.append({"lang": (link.getattr("hreflang") or "").strip(), "url": resolve(base, href, normalise)})

    crumbs: list = []
    for script in doc.query_selector_all('script[type="application/ld+json"]').values():
        try:
            _walk_json_ld(json.loads(script.text), dates, crumbs, sources)
        except (ValueError, RecursionError):
            continue
    if not crumbs:
        trail = doc.query_selector(BREADCRUMB_SELECTOR)
        if trail is not None:
            for item in trail.query_selector_all("a[href], li, [aria-current]").values():
                if item.tag != "a" and item.query_selector("a[href]") is not None:
                    continue  # a list item wrapping a link: the link is listed itself
                text = clean(item.text)
                if text and text not in ("›", ">", "/", "»"):
                    href = item.getattr("href") if item.tag == "a" else None
                    crumbs.append({"text": text, "url": resolve(base, href, normalise)})
    for crumb in crumbs:
        if crumb["url"]:
            crumb["url"] = resolve(base, crumb["url"], normalise)

    headings, h1, outlinks, seen = [], None, [], set()
    root = body or doc
    regions = _link_regions(root)
    section = None  # index in ``headings`` of the heading the next link sits under
    listed = {}  # link node -> its outlink (the first of duplicates)
    # one query in document order: each link knows the heading it sits under, so a table of contents
    # divided by headings (a command list, a site map) tells the classifier which pages it groups
    for node in root.query_selector_all("h1, h2, h3, h4, h5, h6, a[href], area[href]").values():
        if node.tag[0] == "h" and node.tag[1:].isdigit():
            text = clean(node.text)
            if not text:
                continue
            level = int(node.tag[1])
            if level == 1 and h1 is None:
                h1 = text
            if len(headings) < MAX_HEADINGS:
                headings.append({"level": level, "text": text[:500]})
                section = len(headings) - 1
            continue
        a = node
        href = (a.getattr("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
            continue
        target = resolve(base, href, normalise)
        if target is None:
            continue
        region = regions.get(a, "body")
        text = clean(a.text) or clean(a.getattr("title")) or clean(a.getattr("aria-label"))
        if not text:
            img = a.query_selector("img[alt]")
            text = clean(img.getattr("alt")) if img is not None else ""
        key = (target, region, text)
        if key in seen:
            continue
        seen.add(key)
        rel = (a.getattr("rel") or "").lower().split()
        link = {"url": target, "text": text[:300], "region": region,
                "internal": is_internal(target), "nofollow": "nofollow" in rel}
        if section is not None:
            link["section"] = section
        listed[a] = link
        outlinks.append(link)
    # the lists each link sits in, outermost first: a table of contents nests a chapter's pages in a
    # list of their own. Lists come in document order, so an outer list is met before the ones inside it.
    for number, container in enumerate(root.query_selector_all("ul, ol, dl").values()):
        for a in container.query_selector_all("a[href], area[href]").values():
            link = listed.get(a)
            if link is not None:
                link.setdefault("lists", []).append(number)

    main = doc.query_selector("main, [role=main]")
    if main is not None:
        text = extract_plain_text(HTMLTree.parse(main.html), skip_elements=BOILERPLATE, alt_texts=False)
    else:
        text = extract_plain_text(tree, skip_elements=PAGE_BOILERPLATE, alt_texts=False)
    text = text.strip()
    truncated = len(text) > MAX_TEXT_CHARS
    if truncated:
        text = text[:MAX_TEXT_CHARS]

    html_el = doc.query_selector("html")
    lang = clean(html_el.getattr("lang")) if html_el is not None and html_el.hasattr("lang") else ""
    title_el = (head or doc).query_selector("title")
    return {
        "title": clean(title_el.text) if title_el is not None else "",
        "meta_description": description,
        "meta_robots": ", ".join(r for r in meta_robots if r) or None,
        "canonical": canonical,
        "hreflang": hreflang,
        "h1": h1,
        "headings": headings,
        "main_text": text,
        "text_truncated": truncated,
        "word_count": word_count(text),
        "declared_language": lang or None,
        "dates": {k: normalise_date(v) for k, v in dates.items()},
        "date_sources": sources,
        "breadcrumbs": crumbs,
        "outlinks": outlinks,
        "content_hash": content_hash(text),
    }


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UNZIPPED_BYTES = 200_000_000  # office files are zips: refuse zip bombs before parsing
MAX_SHEET_CELLS = 200_000


def document_kind(content_type: str | None, url: str, body: bytes) -> str | None:
    """'pdf', 'docx' or 'xlsx' when longneck can read the document's text, else None."""
    path = url.split("?", 1)[0].lower()
    if content_type == "application/pdf" or body[:5] == b"%PDF-":
        return "pdf"
    if content_type == DOCX or (path.endswith(".docx") and body[:2] == b"PK"):
        return "docx"
    if content_type == XLSX or (path.endswith(".xlsx") and body[:2] == b"PK"):
        return "xlsx"
    return None


def extract_document(kind: str, body: bytes) -> dict:
    """Title, text and dates of a PDF, DOCX or XLSX; ``error`` says why text is missing when it is."""
    if kind == "pdf":
        return extract_pdf(body)
    out = {"title": "", "main_text": "", "dates": {}}
    try:
        import zipfile

        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
        if unzipped > MAX_UNZIPPED_BYTES:
            out["error"] = f"{kind} text not extracted: unpacks to {unzipped} bytes (a zip bomb?)"
            return out
        if kind == "docx":
            import docx

            document = docx.Document(io.BytesIO(body))
            parts = [p.text for p in document.paragraphs if p.text.strip()]
            for table in document.tables:
                for row in table.rows:
                    parts.append(" | ".join(cell.text.strip() for cell in row.cells))
            props = document.core_properties
        else:
            import openpyxl

            book = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True)
            parts, cells = [], 0
            for sheet in book.worksheets:
                parts.append(sheet.title)
                for row in sheet.iter_rows(values_only=True):
                    values = [str(v) for v in row if v is not None]
                    cells += len(row)
                    if values:
                        parts.append(" | ".join(values))
                    if cells > MAX_SHEET_CELLS:
                        break
            props = book.properties
            book.close()
        out["title"] = clean(props.title or "")
        for attr, name in (("modified", "office_modified"), ("created", "office_created")):
            value = getattr(props, attr, None)
            if value is not None:
                out["dates"][name] = value.strftime("%Y-%m-%dT%H:%M:%S")
        out["main_text"] = "\n".join(parts)[:MAX_TEXT_CHARS]
    except Exception as exc:  # a broken document costs its text, never the crawl
        out["error"] = f"{kind} text not extracted: {type(exc).__name__}: {exc}"[:300]
    return out


def extract_pdf(body: bytes) -> dict:
    """Title, text and dates of a PDF; ``error`` says why text is missing when it is."""
    from pypdf import PdfReader  # imported here: most crawls see few PDFs
    from pypdf.errors import PyPdfError

    out = {"title": "", "main_text": "", "dates": {}}
    try:
        reader = PdfReader(io.BytesIO(body))
        if reader.is_encrypted:
            reader.decrypt("")
        parts = [page.extract_text() or "" for page in reader.pages[:MAX_PDF_PAGES]]
        meta = reader.metadata or {}
        out["title"] = clean(str(meta.get("/Title") or ""))
        for key, name in (("/ModDate", "pdf_modified"), ("/CreationDate", "pdf_created")):
            raw = meta.get(key)
            if raw:
                m = re.match(r"D:(\d{4})(\d{2})?(\d{2})?", str(raw))
                if m:
                    out["dates"][name] = "-".join(g for g in m.groups() if g)
        out["main_text"] = "\n".join(p.strip() for p in parts if p.strip())[:MAX_TEXT_CHARS]
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError,
            NotImplementedError, OSError) as exc:
        out["error"] = f"PDF text not extracted: {type(exc).__name__}: {exc}"[:300]
    return out


_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_GREEK = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]")
_LETTER = re.compile(r"[^\W\d_]")
MIN_CJK_CHARS = 10  # Han or kana characters enough to name the language of a short page
MIN_WORDS = 20  # words py3langid needs in other scripts


def _script_language(text: str) -> str | None:
    """The language the script names, when one script names one language and it is most of the letters:
    Han alone Chinese, Han with kana Japanese, Hangul Korean, Greek Greek."""
    letters = len(_LETTER.findall(text))
    if not letters:
        return None
    cjk = cjk_count(text)
    if cjk >= MIN_CJK_CHARS and cjk * 2 > letters:
        kana = len(_KANA.findall(text))
        return "ja" if kana * 20 >= cjk else "zh"  # Japanese prose is a third or more kana, Chinese has none
    hangul = len(_HANGUL.findall(text))
    if hangul >= MIN_CJK_CHARS and hangul * 2 > letters:
        return "ko"
    greek = len(_GREEK.findall(text))
    if greek >= 20 and greek * 2 > letters:
        return "el"
    return None


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of ``text``, or None for text too short to tell. The script decides where it names
    one language (Chinese from ten Han characters, Japanese from kana among them, Korean, Greek: short
    pages too); otherwise py3langid, from 20 words (in Chinese and Japanese, a character is a word)."""
    sample = text[:2000]
    hint = _script_language(sample)
    if hint:
        return hint
    if word_count(sample) < MIN_WORDS:
        return None
    import py3langid

    return py3langid.classify(sample)[0]
