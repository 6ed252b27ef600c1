import pytest

from crawler.urls import Scope, TrapGuard, UrlNormalizer, url_pattern

norm = UrlNormalizer(["ref"])


@pytest.mark.parametrize("raw, expected", [
    ("https://WWW.Example.org/a#section", "https://www.example.org/a"),
    ("https://www.example.org/a?utm_source=x&b=2&a=1&gclid=9", "https://www.example.org/a?a=1&b=2"),
    ("https://www.example.org/a?PHPSESSID=abc&q=1", "https://www.example.org/a?q=1"),
    ("https://www.example.org/a;jsessionid=ABC123?q=1", "https://www.example.org/a?q=1"),
    ("http://www.example.org:80/", "http://www.example.org/"),
    ("https://www.example.org:8443/x", "https://www.example.org:8443/x"),
    ("https://www.example.org/a?ref=home", "https://www.example.org/a"),  # configured extra parameter
    ("https://www.example.org/caf%C3%A9", "https://www.example.org/caf%C3%A9"),
    ("https://www.example.org", "https://www.example.org/"),
])
def test_normalisation(raw, expected):
    assert norm(raw) == expected


@pytest.mark.parametrize("raw", ["mailto:a@b.org", "javascript:void(0)", "ftp://x.org/", "", "http://"])
def test_uncrawlable_urls_are_none(raw):
    assert norm(raw) is None


def test_scope():
    scope = Scope(["example.org"], include=[r"/services/"], exclude=[r"\.zip$"])
    assert scope.reason_out("https://www.example.org/services/a") is None  # subdomains of an allowed host
    assert scope.reason_out("https://evil.org/services/a") == "external"
    assert scope.reason_out("https://example.org/news/") == "not-included"
    assert scope.reason_out("https://example.org/services/a.zip") == "excluded"
    assert scope.reason_out("https://notexample.org/services/") == "external"


def test_url_pattern_generalises_numbers_and_query_values():
    assert url_pattern("http://h:8080/events/2031/07?view=day") == url_pattern("http://h:8080/events/2032/11?view=week")
    assert url_pattern("http://h:8080/events/2031/07?view=day") == "h:8080/events/<n>/<n>?view"
    assert url_pattern("http://h/a?x=1") != url_pattern("http://h/a?y=1")


def test_trap_guard_bounds_and_counts():
    guard = TrapGuard(max_urls_per_pattern=3, max_query_variants=2)
    admitted = [guard.admit(f"http://h/cal/{y}/01") for y in range(2000, 2010)]
    assert admitted == [True] * 3 + [False] * 7
    assert [guard.admit(f"http://h/list?page={i}") for i in range(5)] == [True, True, False, False, False]
    assert not guard.admit("http://h/a/b/a/b/a/b/a/b/")
    report = {(r["reason"], r["pattern"]): r["skipped"] for r in guard.report()}
    assert report[("max-urls-per-pattern", "h/cal/<n>/<n>")] == 7
    assert report[("max-query-variants", "h/list?page")] == 3
    assert report[("repeated-path-segments", "h/a/b/a/b/a/b/a/b/")] == 1
