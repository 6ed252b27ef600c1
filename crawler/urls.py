"""URL normalisation, scope and crawler-trap bounds.

Normalisation uses w3lib (Scrapy's own URL library): ``canonicalize_url`` drops the fragment, sorts the
query and normalises percent-encoding; ``url_query_cleaner`` removes tracking and session parameters.
Two URLs that a visitor would see as the same page map to one string, which is the key of the crawl.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import canonicalize_url, url_query_cleaner

# Parameters that never change what a page says: analytics campaign tags and session identifiers.
TRACKING_PARAMS = frozenset({
    "gclid", "gclsrc", "dclid", "fbclid", "msclkid", "yclid", "twclid", "igshid", "mc_cid", "mc_eid",
    "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "wt_mc",
    "sessionid", "session_id", "sid", "phpsessid", "jsessionid", "aspsessionid", "cfid", "cftoken", "sessid",
})
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "matomo_", "piwik_")
_PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sid)=[^/?#]*", re.IGNORECASE)


class UrlNormalizer:
    """Turn any href into the crawl's canonical form of the URL, or None when it is not crawlable."""

    CACHE_SIZE = 20_000

    def __init__(self, strip_params=()):
        self.strip = TRACKING_PARAMS | {p.lower() for p in strip_params}
        # navigation links repeat on every page: remember recent answers (bounded, so memory stays flat)
        self._cached = lru_cache(maxsize=self.CACHE_SIZE)(self._normalise)

    def _is_tracking(self, name: str) -> bool:
        name = name.lower()
        return name in self.strip or name.startswith(TRACKING_PREFIXES)

    def __call__(self, url: str) -> str | None:
        return self._cached(url)

    def _normalise(self, url: str) -> str | None:
        url = url.strip()
        if not url:
            return None
        try:
            parts = urlsplit(url)
        except ValueError:
            return None
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return None
        path = _PATH_SESSION.sub("", parts.path) or "/"
        query = parts.query
        if query:
            names = {pair.split("=", 1)[0] for pair in query.split("&") if pair}
            drop = [n for n in names if self._is_tracking(n)]
            if drop:
                query = url_query_cleaner(f"?{query}", drop, remove=True).lstrip("?")
        try:
            netloc = parts.hostname.lower().rstrip(".")
            port = parts.port
        except ValueError:
            return None
        if port and not (parts.scheme.lower() == "http" and port == 80 or parts.scheme.lower() == "https" and port == 443):
            netloc = f"{netloc}:{port}"
        rebuilt = urlunsplit((parts.scheme.lower(), netloc, path, query, ""))
        return canonicalize_url(rebuilt, keep_fragments=False)


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


class Scope:
    """Which URLs the crawl may fetch: allowed hosts (and their subdomains), include/exclude regexes."""

    def __init__(self, hosts, include=(), exclude=()):
        self.hosts = {h.lower().lstrip(".") for h in hosts}
        self.include = [user_pattern(p) for p in include]
        self.exclude = [user_pattern(p) for p in exclude]

    def is_internal(self, url: str) -> bool:
        host = host_of(url)
        return any(host == h or host.endswith("." + h) for h in self.hosts)

    def reason_out(self, url: str) -> str | None:
        """None when the URL is in scope, else why not ('external', 'excluded', 'not-included')."""
        if not self.is_internal(url):
            return "external"
        if self.exclude and any(p.search(url) for p in self.exclude):
            return "excluded"
        if self.include and not any(p.search(url) for p in self.include):
            return "not-included"
        return None


_NUMBER = re.compile(r"\d+")


def url_pattern(url: str) -> str:
    """The shape of a URL: host and path with every run of digits replaced by '<n>', plus the sorted
    names (not values) of its query parameters. ``/events/2031/07?view=day`` and
    ``/events/2031/08?view=week`` share the pattern ``host/events/<n>/<n>?view``."""
    parts = urlsplit(url)
    names = sorted({pair.split("=", 1)[0] for pair in parts.query.split("&") if pair})
    shape = parts.netloc + _NUMBER.sub("<n>", parts.path)
    return f"{shape}?{'&'.join(names)}" if names else shape


class TrapGuard:
    """Bounds that keep endless URL spaces (calendars, faceted search, session loops) from running a
    crawl forever. Each check that refuses a URL is counted per reason and per pattern for the report.

    - ``max_urls_per_pattern``: URLs sharing one :func:`url_pattern`.
    - ``max_query_variants``: distinct query strings on one path.
    - repeated path segments (``/a/b/a/b/a/b/``), the shape of relative-link loops.
    """

    def __init__(self, max_urls_per_pattern: int, max_query_variants: int, max_segment_repeats: int = 3):
        self.max_pattern = max_urls_per_pattern
        self.max_query = max_query_variants
        self.max_repeats = max_segment_repeats
        self.per_pattern: Counter = Counter()
        self.per_path: Counter = Counter()
        self.skipped: Counter = Counter()  # (reason, pattern) -> count

    def keys(self, url: str) -> tuple[str, str, bool]:
        """What the bounds count ``url`` under: its pattern, its path when it has a query (else ""),
        and whether a path segment repeats too often. Shared with the Redis frontier of a crawl with
        workers (crawler/distributed.py), which counts the same keys for every worker at once."""
        parts = urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        repeated = bool(segments) and max(Counter(segments).values()) > self.max_repeats
        return url_pattern(url), f"{parts.netloc}{parts.path}" if parts.query else "", repeated

    def admit(self, url: str) -> bool:
        """Count ``url`` against the bounds; False (and counted as skipped) when it breaks one."""
        pattern, path_key, repeated = self.keys(url)
        if repeated:
            self.skipped[("repeated-path-segments", pattern)] += 1
            return False
        if self.per_pattern[pattern] >= self.max_pattern:
            self.skipped[("max-urls-per-pattern", pattern)] += 1
            return False
        if path_key:
            if self.per_path[path_key] >= self.max_query:
                self.skipped[("max-query-variants", pattern)] += 1
                return False
            self.per_path[path_key] += 1
        self.per_pattern[pattern] += 1
        return True

    def report(self) -> list[dict]:
        """What was skipped, largest first: ``[{"reason", "pattern", "skipped"}]``."""
        return [{"reason": r, "pattern": p, "skipped": n}
                for (r, p), n in sorted(self.skipped.items(), key=lambda kv: (-kv[1], kv[0]))]


class UnsafePattern(ValueError):
    """A user's pattern that no engine here can match in bounded time; the message says why and how to
    rewrite it."""


def user_pattern(pattern: str):
    """A user's regular expression (include, exclude, protect, sections), compiled so that matching a
    URL cannot take exponential time. A pattern with a repeat inside an unbounded repeat (``(a+)+$``,
    ``^/(?:[^/]+/)*index``) would make Python's backtracking engine catastrophic on an unlucky URL: it
    is run by RE2 (google-re2), which matches in linear time. Other patterns keep Python's ``re``
    (lookarounds, backreferences, Unicode classes). A nested pattern RE2 cannot express (it also
    uses a lookaround or a backreference) raises :class:`UnsafePattern`."""
    if not nested_quantifier(pattern):
        return re.compile(pattern)
    import re2

    try:
        if _perl_only(pattern):  # known before RE2 is asked (it would log its refusal to stderr)
            raise re2.error("lookaround or backreference")
        return re2.compile(pattern)
    except re2.error:
        raise UnsafePattern(
            "a regular expression that either has no repeated group that itself repeats, such as (a+)+, or "
            "can run in RE2 (no lookaround, no backreference): Python's engine can take exponential time on "
            "such a pattern and freeze the crawl. Repeat the inner part only ((a+) -> a+), or make the outer "
            "repeat possessive (++, *+) or the group atomic ((?>...))") from None


def nested_quantifier(pattern: str) -> bool:
    """Does the pattern repeat, without bound, something that holds a repeat of its own (``(a+)+``,
    ``(a{1,3})*``, ``(?:x|y+)*``)? Python's backtracking engine can take exponential time on such a
    pattern (catastrophic backtracking). A possessive outer repeat or an atomic group does not backtrack
    into its body, so it is allowed."""
    from re import _constants as c, _parser as sre_parse

    repeats = (c.MAX_REPEAT, c.MIN_REPEAT)

    def holds_repeat(items) -> bool:
        for op, av in items:
            if op in repeats and av[1] > 1:
                return True
            if op in (c.ATOMIC_GROUP, c.POSSESSIVE_REPEAT):
                continue
            if any(holds_repeat(sub) for sub in _children(op, av)):
                return True
        return False

    def walk(items) -> bool:
        for op, av in items:
            if op in repeats and av[1] == c.MAXREPEAT and holds_repeat(av[2]):
                return True
            if op in (c.ATOMIC_GROUP, c.POSSESSIVE_REPEAT):
                continue
            if any(walk(sub) for sub in _children(op, av)):
                return True
        return False

    def _children(op, av):
        if op in repeats:
            return [av[2]]
        if op == c.SUBPATTERN:
            return [av[3]]
        if op == c.BRANCH:
            return list(av[1])
        if op in (c.ASSERT, c.ASSERT_NOT):
            return [av[1]]
        if op == c.GROUPREF_EXISTS:
            return [b for b in av[1:] if b is not None]
        return []

    try:
        return walk(sre_parse.parse(pattern).data)
    except Exception:  # noqa: BLE001 - a parser detail of another Python: the compile above has checked it
        return False


def _perl_only(pattern: str) -> bool:
    """Does the pattern use what RE2 cannot run: a lookaround or a backreference?"""
    from re import _constants as c, _parser as sre_parse

    def walk(items) -> bool:
        for op, av in items:
            if op in (c.ASSERT, c.ASSERT_NOT, c.GROUPREF, c.GROUPREF_EXISTS, c.GROUPREF_IGNORE):
                return True
            children = []
            if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
                children = [av[2]]
            elif op == c.SUBPATTERN:
                children = [av[3]]
            elif op == c.BRANCH:
                children = list(av[1])
            elif op == c.ATOMIC_GROUP:
                children = [av]
            if any(walk(sub) for sub in children):
                return True
        return False

    try:
        return walk(sre_parse.parse(pattern).data)
    except Exception:  # noqa: BLE001 - a parser detail of another Python: let RE2 decide
        return False
