"""The signals the rules read, on crawl records made here."""

from __future__ import annotations

from audit.signals import Collector, month_ahead
from audit.signals import parse_date

ORIGIN = "http://127.0.0.1:9"


def record(path, links=(), crumbs=()):
    return {"url": ORIGIN + path, "status": 200, "content_type": "text/html", "title": path, "main_text": "text",
            "word_count": 1, "found_via": "link", "fetched_at": "2026-11-29T10:00:00Z",
            "breadcrumbs": [{"text": c.strip("/") or "Home", "url": ORIGIN + c} for c in crumbs],
            "outlinks": [{"url": ORIGIN + p, "text": p, "region": region, "internal": True} for p, region in links]}


def test_a_breadcrumb_is_not_a_place_in_the_navigation():
    """A year archive linked only from its articles' breadcrumbs is not "in the navigation": a demote
    could never be carried out, and the reason would name menus that do not exist."""
    collector = Collector()
    collector.add(record("/", links=[("/news/", "nav")]))
    collector.add(record("/news/", links=[("/news/2019/", "body")]))
    collector.add(record("/news/2019/", links=[("/news/2019/a", "body")]))
    for n in "abc":  # each article: a menu (home, news) and a breadcrumb trail (home, news, 2019)
        collector.add(record(f"/news/2019/{n}", links=[("/", "nav"), ("/news/", "nav"), ("/", "crumb"),
                                                       ("/news/", "crumb"), ("/news/2019/", "crumb")],
                             crumbs=["/", "/news/", "/news/2019/"]))
    table, _ = collector.finish()
    row = table.set_index("url").loc[ORIGIN + "/news/2019/"]
    assert row["inlinks_nav"] == 0 and row["inlinks_crumb"] == 3 and row["inlinks_body"] == 1
    # in the menu of the home page and of the three articles, whatever their breadcrumbs also say
    assert table.set_index("url").loc[ORIGIN + "/news/"]["inlinks_nav"] == 4


def test_a_month_still_to_come_in_the_url_is_upcoming():
    crawled = parse_date("2026-11-29T10:00:00Z")
    assert month_ahead("http://x/events/calendar?month=2027-01", crawled) == "2027-01"
    assert month_ahead("http://x/agenda/2026/12/", crawled) == "2026-12"
    assert month_ahead("http://x/events/calendar?month=2026-11", crawled) == "2026-11"  # this month: not over
    assert month_ahead("http://x/events/calendar?month=2026-10", crawled) is None
    assert month_ahead("http://x/news/2019/05/bins", crawled) is None
    assert month_ahead("http://x/report-2027-13", crawled) is None  # not a month
