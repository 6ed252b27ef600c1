"""One real crawl of the bundled demo site, checked against an independent reading of its files."""

from __future__ import annotations

import json
import re
from collections import Counter, deque
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from audit.demo import SITE_DIR
from audit.demo.server import SiteServer
from crawler.items import PAGE_FIELDS

from .conftest import crawl, path_of

MAX_QUERY_VARIANTS = 6


def page_path(file: Path) -> str:
    rel = file.relative_to(SITE_DIR).as_posix()
    return "/" + rel[: -len("index.html")] if rel.endswith("index.html") else "/" + rel


def key(path: str) -> str:
    """A path as the crawl should name it: the query sorted (/x and /x/ stay two URLs, as on real sites)."""
    path, _, query = path.partition("?")
    return f"{path}?{'&'.join(sorted(query.split('&')))}" if query else path


def expected_site():
    """An oracle independent of the crawler: hrefs read with a regex, depths by breadth-first search."""
    rules = json.loads((SITE_DIR / "_server.json").read_text())
    redirects = {key(src): key(dst) for src, dst, _ in rules["redirects"]}
    links: dict[str, set] = {}
    for file in SITE_DIR.rglob("index.html"):
        path = page_path(file)
        html = file.read_text()
        found = set()
        for href in re.findall(r"""href=["']([^"']+)["']""", html):
            href = unescape(href)
            if href.startswith(("mailto:", "#", "/style.css")):
                continue
            target = urlsplit(urljoin("http://h" + path, href))
            found.add(key(target.path + (f"?{target.query}" if target.query and "utm_" not in target.query else "")))
        links[path] = found
    depth = {"/": 0}
    queue = deque(["/"])
    while queue:
        page = queue.popleft()
        if page in redirects:
            target = redirects[page]
            if target not in depth or depth[target] > depth[page]:
                depth[target] = depth[page]
                queue.appendleft(target)
        # the server answers /x and /x/ with the same file
        for target in links.get(page) or links.get(page + "/") or links.get(page.rstrip("/"), ()):
            if target.startswith("/events/calendar") or target.startswith("/internal/") or target.startswith("/search"):
                continue  # the trap and the robots-blocked sections are checked separately
            if target not in depth:
                depth[target] = depth[page] + 1
                queue.append(target)
    return depth, links, rules


@pytest.fixture(scope="module")
def demo_crawl(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    with SiteServer(SITE_DIR) as server:
        records, summary = crawl(tmp, {"start_urls": [server.url + "/"], "max_query_variants": MAX_QUERY_VARIANTS,
                                       "contact_url": "https://audit.example.org/about-our-crawler"})
        log = list(server.log)
    return {path_of(r["url"]): r for r in records}, records, summary, log


def test_every_record_has_the_documented_fields_and_urls_are_unique(demo_crawl):
    by_path, records, _, _ = demo_crawl
    for record in records:
        assert set(record) == set(PAGE_FIELDS)
    assert len(by_path) == len(records)


def test_every_page_reachable_by_link_or_sitemap_is_recorded(demo_crawl):
    by_path, _, _, _ = demo_crawl
    recorded = {key(p) for p in by_path}
    depth, _, _ = expected_site()
    sitemap = {key(u.replace("__ORIGIN__", "")) for u in re.findall(r"<loc>([^<]+)</loc>", (SITE_DIR / "sitemap.xml").read_text())}
    missing = (set(depth) | sitemap) - recorded
    assert not missing, f"pages never fetched: {sorted(missing)[:10]}"


def test_depth_is_the_shortest_click_path(demo_crawl):
    by_path, _, _, _ = demo_crawl
    depth, _, _ = expected_site()
    wrong = {p: (r["depth"], depth.get(key(p))) for p, r in by_path.items()
             if key(p) in depth and r["depth"] != depth[key(p)]}
    assert not wrong, f"(crawler, expected) depth differs: {dict(list(wrong.items())[:10])}"
    assert by_path["/"]["depth"] == 0 and by_path["/"]["found_via"] == "start"


def test_orphans_are_in_the_sitemap_with_no_depth(demo_crawl):
    by_path, _, summary, _ = demo_crawl
    orphan = by_path["/residents/passports-and-id/passport-fees-2016"]
    assert orphan["in_sitemap"] is True and orphan["depth"] is None and orphan["found_via"] == "sitemap"
    assert orphan["dates"]["sitemap_lastmod"] == "2018-01-10"
    assert summary["unreachable_by_links"] == 6
    linked = by_path["/residents/parking/pay-a-parking-fine"]
    assert linked["in_sitemap"] is True and linked["found_via"] == "link"


def test_redirects_are_recorded_hop_by_hop(demo_crawl):
    by_path, _, _, _ = demo_crawl
    first = by_path["/contact/old-form"]
    assert first["status"] == 302
    assert [path_of(h["url"]) for h in first["redirect_chain"]] == ["/contact/old-form", "/contact/complaints-form",
                                                                    "/contact/complaints"]
    assert [h["status"] for h in first["redirect_chain"]] == [302, 301, 301]
    assert path_of(first["final_url"]) == "/contact/"
    assert by_path["/contact/complaints-form"]["status"] == 301  # every hop has its own record
    ok = by_path["/visitors/things-to-do"]
    assert ok["redirect_chain"] == [] and ok["final_url"] == ok["url"]


def test_errors_and_gone_pages(demo_crawl):
    by_path, _, _, _ = demo_crawl
    assert by_path["/businesses/covid-19-support-grants"]["status"] == 404
    assert by_path["/residents/recycling-centre-2015"]["status"] == 410


def test_robots_txt_is_obeyed_and_blocked_urls_recorded(demo_crawl):
    by_path, _, _, log = demo_crawl
    blocked = by_path["/internal/staff-directory"]
    assert blocked["robots_blocked"] is True and blocked["status"] is None
    assert by_path["/search-tips"]["robots_blocked"] is True
    requested = {urlsplit(p).path for _, p, _ in log}
    assert "/internal/staff-directory" not in requested and "/search-tips" not in requested


def test_user_agent_names_the_tool_and_contact_url(demo_crawl):
    _, _, _, log = demo_crawl
    agents = {ua for _, _, ua in log}
    assert agents and all(ua.startswith("longneck/") and "https://audit.example.org/about-our-crawler" in ua for ua in agents)


def test_no_page_is_fetched_twice(demo_crawl):
    _, _, _, log = demo_crawl
    counts = Counter(p for m, p, _ in log if m == "GET" and p != "/robots.txt")
    assert [p for p, n in counts.items() if n > 1] == []


def test_calendar_trap_is_bounded_and_reported(demo_crawl):
    by_path, _, summary, _ = demo_crawl
    calendar = [p for p in by_path if p.startswith("/events/calendar")]
    assert len(calendar) == MAX_QUERY_VARIANTS
    trap = [t for t in summary["traps"] if t["reason"] == "max-query-variants"]
    assert trap and trap[0]["pattern"].endswith("/events/calendar?month") and trap[0]["skipped"] >= 1


def test_tracking_parameters_are_dropped_and_query_order_normalised(demo_crawl):
    by_path, _, _, _ = demo_crawl
    assert not [p for p in by_path if "utm_" in p]
    assert "/news/?sort=date&topic=parking" in by_path  # written topic=...&sort=... on the page


def test_pdf_and_indexability_fields(demo_crawl):
    by_path, _, _, _ = demo_crawl
    pdf = by_path["/documents/budget-2019.pdf"]
    assert pdf["content_type"] == "application/pdf" and pdf["bytes"] > 0
    assert "Total budget 198 million euro." in pdf["main_text"] and pdf["title"] == "Budget report 2019"
    form = by_path["/documents/parking-permit-application-form.docx"]
    assert form["title"] == "Parking permit application form" and "Vehicle registration" in form["main_text"]
    calendar = by_path["/documents/bin-collection-calendar-2019.xlsx"]
    assert "General waste" in calendar["main_text"] and calendar["dates"]["office_modified"].startswith("2019-01-02")
    assert by_path["/residents/parking/parking-fines-archive"]["meta_robots"] == "noindex, follow"
    assert by_path["/news/2011/"]["x_robots_tag"] == "noindex, nofollow"


def test_html_page_fields_from_a_real_response(demo_crawl):
    by_path, _, _, _ = demo_crawl
    page = by_path["/residents/parking/pay-a-parking-fine"]
    assert page["status"] == 200 and page["content_type"] == "text/html" and page["charset"] == "utf-8"
    assert page["title"] == "Pay a parking fine - Riverton Council" and page["h1"] == "Pay a parking fine"
    assert page["language"] == "en" and page["language_source"] == "declared"
    assert "Skip to content" not in page["main_text"] and "Town Hall, Market Street" not in page["main_text"]
    assert "Find the reference on your penalty charge notice" in page["main_text"]
    assert page["word_count"] > 50 and len(page["content_hash"]) == 40
    assert [c["text"] for c in page["breadcrumbs"]][:3] == ["Home", "Residents", "Parking"]
    regions = Counter(link["region"] for link in page["outlinks"])
    assert regions["nav"] >= 7 and regions["footer"] >= 4 and regions["body"] >= 3
    assert page["dates"]["meta_modified"] and page["dates"]["http_last_modified"]
    news = next(r for p, r in by_path.items() if p.startswith("/news/2012/") and p != "/news/2012/")
    assert news["dates"]["jsonld_published"].startswith("2012-")


def test_exact_duplicates_share_a_content_hash(demo_crawl):
    by_path, _, _, _ = demo_crawl
    assert (by_path["/visitors/parking-fines"]["content_hash"]
            == by_path["/residents/parking/pay-a-parking-fine"]["content_hash"])
    assert (by_path["/businesses/parking/pay-a-parking-fine"]["content_hash"]
            != by_path["/residents/parking/pay-a-parking-fine"]["content_hash"])
