"""Load and validate a longneck TOML configuration.

The schema lives in one place, :data:`SCHEMA`: every section, every key, its type, its default and
what it means. ``config/example.toml`` documents the same keys for users, and a test checks that the
two agree. Validation happens before anything runs; an error names the key, what is allowed and the
value found, and an unknown key is rejected with the closest valid key suggested.

Layering: shipped defaults (here) < the site's config file < command-line overrides. The result is a
frozen :class:`Config`; :meth:`Config.fingerprint` stamps outputs so that a later run can tell
whether it used the same settings.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

__all__ = ["Config", "ConfigError", "Key", "SCHEMA", "load_config", "parse_config"]


class ConfigError(ValueError):
    """A configuration problem, with a message that names the key and the bad value."""


@dataclass(frozen=True)
class Key:
    """One configuration key: its type, default and meaning."""

    type: str  # "str", "int", "float", "bool", "list[str]", "dict[str]" (a table of strings)
    default: Any = None
    required: bool = False
    doc: str = ""
    check: Callable[[Any], str | None] | None = None  # returns an error text, or None when fine
    minimum: float | None = None


URL_LIMIT = 2083  # Scrapy's URLLENGTH_LIMIT, which the crawler keeps: a longer URL is never fetched


def _http_url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "an absolute http:// or https:// URL"
    if len(value) > URL_LIMIT:  # a start URL or example the crawl could never fetch
        return (f"a URL of at most {URL_LIMIT:,} characters, what browsers and servers accept (this one has "
                f"{len(value):,})")
    return None


def _regex(value: str) -> str | None:
    try:
        re.compile(value)
    except re.error as exc:
        return f"a valid regular expression ({exc})"
    from crawler.urls import UnsafePattern, user_pattern

    try:
        user_pattern(value)
    except UnsafePattern as exc:
        return str(exc)
    return None



def _task_id(value: str) -> str | None:
    """Letters of any script (lower-case where the script has case), digits, '-' and '_': 'pay-parking-fine',
    'plata-amenzii', 'оплата-штрафа', '缴纳罚款'. In NFC, so one id is never two strings."""
    if (not re.fullmatch(r"[^\W_][\w-]*", value) or value != value.lower()
            or unicodedata.normalize("NFC", value) != value):
        return ("lower-case letters of any script, digits, '-' and '_' "
                "(e.g. 'pay-parking-fine', 'оплата-штрафа', '缴纳罚款')")
    if value == "none":
        return "any id but 'none', which is reserved for pages that serve no top task"
    return None


SITE = {
    "name": Key("str", required=True, doc="Name of the site, used in reports and the run folder."),
    "start_urls": Key("list[str]", required=True, check=_http_url,
                      doc="Where the crawl starts (usually the home page)."),
    "allowed_domains": Key("list[str]", default=[],
                           doc="Hosts in scope; default: the hosts of the start URLs."),
    "sitemaps": Key("list[str]", default=[], check=_http_url,
                    doc="Sitemap URLs; robots.txt 'Sitemap:' lines and /sitemap.xml are always tried."),
    "include": Key("list[str]", default=[], check=_regex,
                   doc="Only URLs matching one of these regexes are crawled (default: all in scope)."),
    "exclude": Key("list[str]", default=[], check=_regex,
                   doc="URLs matching any of these regexes are not crawled."),
    "max_pages": Key("int", default=50_000, minimum=1, doc="Stop scheduling after this many URLs."),
    "max_depth": Key("int", default=20, minimum=0, doc="Do not follow links deeper than this many clicks."),
    "obey_robots_txt": Key("bool", default=True, doc="Respect robots.txt (leave on for sites you do not own)."),
    "concurrency": Key("int", default=8, minimum=1, doc="Concurrent requests to the site."),
    "download_delay": Key("float", default=0.0, minimum=0, doc="Minimum seconds between requests."),
    "autothrottle": Key("bool", default=True,
                        doc="Adapt the delay to the server's response times (Scrapy AutoThrottle)."),
    "user_agent": Key("str", default="", doc="Full User-Agent override; default names longneck and contact_url."),
    "contact_url": Key("str", default="https://github.com/longneck-audit/longneck", check=_http_url,
                       doc="Where a site owner can learn about the crawler; put in the User-Agent."),
    "timeout": Key("float", default=30.0, minimum=1, doc="Seconds before a request is abandoned."),
    "max_page_bytes": Key("int", default=10_000_000, minimum=1024,
                          doc="Responses larger than this are cancelled and recorded as too large."),
    "max_urls_per_pattern": Key("int", default=1000, minimum=1,
                                doc="Crawler-trap bound: URLs per pattern (path with numbers generalised)."),
    "max_query_variants": Key("int", default=50, minimum=1,
                              doc="Crawler-trap bound: distinct query strings per path."),
    "strip_query_params": Key("list[str]", default=[],
                              doc="Extra query parameters to drop (utm_*, gclid, session ids ... always are)."),
}

TASK = {
    "id": Key("str", required=True, check=_task_id, doc="Short stable identifier."),
    "name": Key("str", required=True, doc="The task as customers would say it."),
    "description": Key("str", required=True, doc="One line on what the customer wants to get done."),
    "keywords": Key("list[str]", default=[], doc="A few words customers use for it."),
    "examples": Key("list[str]", default=[], check=_http_url, doc="One to three URLs that serve the task."),
}

CLASSIFIER = {
    "labels": Key("str", default="", doc="CSV with columns url,task (a task id or 'none'); relative to the config."),
    "threshold": Key("float", default=0.0, minimum=0,
                     doc="Pages whose probability for their best task is below this are 'none' (0: off; the "
                         "classifier needs evidence for none, and doubt shows as low confidence)."),
}

def _ratio(value: float) -> str | None:
    return None if 0 <= value <= 1 else "a number from 0 to 1"


def _page_kind(value: str) -> str | None:
    from .text import PAGE_KINDS

    return None if value in PAGE_KINDS else f"one of the page kinds {', '.join(PAGE_KINDS)}"


def _protect_kinds_default() -> list:
    from .text import DEFAULT_PROTECT_KINDS

    return list(DEFAULT_PROTECT_KINDS)


AUDIT = {
    "protect": Key("list[str]", default=[], check=_regex,
                   doc="URL regexes never recommended for removal or noindex (protected pages keep)."),
    "protect_kinds": Key("list[str]", default=_protect_kinds_default(), check=_page_kind,
                         doc="Kinds of page a public body keeps whatever their task or traffic (the democratic "
                             "record and statutory pages), recognised from the URL path, title and h1 "
                             "(audit/text.py PAGE_KINDS, English, Dutch, German, French): councillors, "
                             "meetings, budget, mayor, jobs, privacy, cookies, accessibility, complaints, foi, "
                             "contact. [] turns it off."),
    "high_traffic": Key("int", default=1000, minimum=1,
                        doc="With analytics: a page with at least this many page views is popular: never "
                            "removed, noindexed or demoted for serving no top task (kept, with the reason "
                            "high-traffic: check whether a top task is missing)."),
    "news_days": Key("int", default=90, minimum=0,
                     doc="News, press and event pages (a URL in such a section) whose newest date on the page is "
                         "at most this many days old are current: kept, with the reason current, and judged "
                         "again once older (a quarter by default: the news since the last quarterly audit). "
                         "0: off."),
    "superseded_years": Key("int", default=1, minimum=0,
                            doc="A top-task page whose title, h1 or URL slug names only years at least this many "
                                "years before the crawl's (a season such as 2018/19 counts by the year it ends) "
                                "is superseded when its task has a current page: merged (301) into it. Records "
                                "(protect_kinds), news and events are not. 0: off."),
    "similar_threshold": Key("float", default=0.8, minimum=0,
                             doc="TF-IDF cosine of two top-task pages' main texts (same task) from which they "
                                 "are the same page written twice (for two audiences, say): merged like "
                                 "near-duplicates. Above 1: off."),
    "rules": Key("str", default="",
                 doc="TOML file with the ordered rule list; default: the shipped config/rules.toml. "
                     "Relative to the config."),
    "near_duplicate_threshold": Key("float", default=0.90, minimum=0,
                                    doc="Jaccard similarity of main-text word 5-shingles from which two pages "
                                        "are near-duplicates (MinHash LSH candidates, the exact Jaccard confirms)."),
    "thin_words": Key("int", default=200, minimum=0, doc="Pages with fewer words of main text are thin."),
    "stale_days": Key("int", default=730, minimum=1,
                      doc="Pages whose newest date is older than this many days (at crawl time) are stale."),
    "deep_clicks": Key("int", default=3, minimum=0,
                       doc="Top-task pages more clicks than this from a start page are deep."),
    "hub_links": Key("int", default=3, minimum=1,
                     doc="A no-task page whose content links to at least this many top-task pages is a hub (kept)."),
    "low_confidence": Key("float", default=0.7, minimum=0,
                          doc="Task confidence (calibrated: the probability the task is right) below this adds "
                              "the reason low-confidence (check the task)."),
    "low_traffic": Key("int", default=10, minimum=0,
                       doc="With analytics: pages with fewer page views than this are low-traffic."),
    "redirect_similarity": Key("float", default=0.3, minimum=0,
                               doc="Minimum similarity of main texts (TF-IDF cosine, no URL or title words) for a "
                                   "removed page to be redirected (301) to a kept, current top-task page "
                                   "(same task or folder preferred; never the home page) instead of "
                                   "answering 410."),
    "analytics": Key("list[str]", default=[],
                     doc="Analytics CSV exports (GA4, Matomo, Plausible page views; Search Console clicks "
                         "and impressions), format detected from the header; relative to the config."),
    "sections": Key("dict[str]", default={}, check=_regex,
                    doc="Owner or section per URL: a table of URL regular expression = section name, the "
                        "first match wins; other pages take their breadcrumb's first step, else their first "
                        "folder. Rolled up in the workbook's Sections sheet."),
    "cost_web": Key("float", default=1.0, minimum=0, doc="Cost of one web visit (EUR), for the Tasks sheet estimate."),
    "cost_phone": Key("float", default=7.0, minimum=0, doc="Cost of one phone call (EUR)."),
    "cost_email": Key("float", default=20.0, minimum=0, doc="Cost of one letter or e-mail (EUR)."),
    "cost_counter": Key("float", default=50.0, minimum=0, doc="Cost of one counter visit (EUR)."),
}

HISTORY = {
    "database": Key("str", default="",
                    doc="Where the history of runs and reviews is kept: a SQLAlchemy URL (postgresql://user@host/db "
                        "for a shared history) or a SQLite file path; default history.sqlite in the folder "
                        "that holds the run folders."),
}

def _report_language(value: str) -> str | None:
    from reports.i18n import languages, resolve

    if value and resolve(value) is None:
        return f"'' (the site's language) or a shipped language: {', '.join(languages())}"
    return None


REPORT = {
    "language": Key("str", default="", check=_report_language,
                    doc="Language of the workbook (sheet names, headers, Decision values, Summary): en, ro, el, ru, "
                        "zh (simplified), nl or any added catalog; default '': the language most pages of the site "
                        "are in when a translation exists, else English."),
}

SCHEMA: dict[str, dict[str, Key]] = {
    "site": SITE,
    "tasks": TASK,  # an array of tables: [[tasks]]
    "classifier": CLASSIFIER,
    "audit": AUDIT,
    "history": HISTORY,
    "report": REPORT,
    "scrapy": {},  # free-form Scrapy settings, passed through (e.g. SCHEDULER for scrapy-redis)
}
ARRAY_SECTIONS = {"tasks"}
FREEFORM_SECTIONS = {"scrapy"}


@dataclass(frozen=True)
class Config:
    """A validated configuration. ``site``, ``classifier``, ``audit``: dicts with every key filled;
    ``tasks``: a tuple of dicts; ``source``: the file it came from (or None)."""

    site: dict
    tasks: tuple
    classifier: dict
    audit: dict
    scrapy: dict = field(default_factory=dict)
    source: str | None = None
    history: dict = field(default_factory=lambda: {"database": ""})
    report: dict = field(default_factory=lambda: {"language": ""})

    def as_dict(self) -> dict:
        return {"site": self.site, "tasks": list(self.tasks), "classifier": self.classifier,
                "audit": self.audit, "scrapy": self.scrapy, "history": self.history, "report": self.report}

    def fingerprint(self) -> str:
        """A short stable hash of the resolved settings (not of the file's formatting, nor of where the
        history is kept, nor of the workbook's language: the audit is the same in any language)."""
        settings = {k: v for k, v in self.as_dict().items() if k not in ("history", "report")}
        blob = json.dumps(settings, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:12]


def _suggest(name: str, choices) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else f" Valid keys: {', '.join(sorted(choices))}."


_TYPES = {"str": str, "int": int, "float": (int, float), "bool": bool, "list[str]": list, "dict[str]": dict}


def _check_value(where: str, key: Key, value: Any) -> Any:
    expected = _TYPES[key.type]
    if isinstance(value, bool) and key.type in ("int", "float"):
        raise ConfigError(f"{where}: expected a number, found {value!r}")
    if not isinstance(value, expected):
        raise ConfigError(f"{where}: expected {_describe(key.type)}, found {value!r} ({type(value).__name__})")
    if key.type == "dict[str]":
        for name, item in value.items():
            if not isinstance(item, str) or not item.strip():
                raise ConfigError(f"{where}.{name!r}: expected a section name (a string), found {item!r}")
            problem = key.check(name) if key.check else None
            if problem:
                raise ConfigError(f"{where}: key {name!r}: expected {problem}")
        return dict(value)
    if key.type == "float":
        value = float(value)
        if value != value or value in (float("inf"), float("-inf")):
            raise ConfigError(f"{where}: expected a finite number, found {value!r}")
    if key.minimum is not None and value < key.minimum:
        raise ConfigError(f"{where}: must be at least {key.minimum:g}, found {value!r}")
    items = value if key.type == "list[str]" else [value]
    for i, item in enumerate(items):
        label = f"{where}[{i}]" if key.type == "list[str]" else where
        if key.type == "list[str]" and not isinstance(item, str):
            raise ConfigError(f"{label}: expected a string, found {item!r}")
        if key.check and isinstance(item, str):
            problem = key.check(item)
            if problem:
                shown = item if len(item) <= 200 else item[:200] + "..."
                raise ConfigError(f"{label}: expected {problem}, found {shown!r}")
    if key.type == "str" and key.required and not value.strip():
        raise ConfigError(f"{where}: must not be empty")
    if key.type == "list[str]" and key.required and not value:
        raise ConfigError(f"{where}: must not be empty ({key.doc})")
    return list(value) if key.type == "list[str]" else value


def _describe(type_name: str) -> str:
    return {"str": "a string", "int": "a whole number", "float": "a number", "bool": "true or false",
            "list[str]": "a list of strings",
            "dict[str]": 'a table of "regular expression" = "section name"'}[type_name]


def _fill(where: str, schema: dict[str, Key], table: Any, found: list) -> dict:
    """The section's values, defaults filled in. Each bad key is a problem appended to ``found`` (the key
    keeps its default meanwhile), so that one pass names every mistake."""
    if not isinstance(table, dict):
        found.append(f"{where}: expected a table, found {table!r}")
        table = {}
    for name in table:
        if name not in schema:
            found.append(f"{where}: unknown key '{name}'.{_suggest(name, schema)}")
    out = {}
    for name, key in schema.items():
        default = type(key.default)(key.default) if isinstance(key.default, (list, dict)) else key.default
        if name in table:
            try:
                out[name] = _check_value(f"{where}.{name}", key, table[name])
            except ConfigError as exc:
                found.append(str(exc))
                out[name] = default
        elif key.required:
            found.append(f"{where}: missing required key '{name}' ({key.doc})")
            out[name] = default
        else:
            out[name] = default
    return out


def _all(problems: list) -> str:
    """One problem as it is; several as a list, so a config is fixed in one go."""
    if len(problems) == 1:
        return problems[0]
    return f"{len(problems)} problems:\n" + "\n".join(f"  - {p}" for p in problems)


def parse_config(data: dict, source: str | None = None, overrides: dict | None = None) -> Config:
    """Validate a parsed TOML document (plus ``overrides``: ``{"site.max_pages": 10}``)."""
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    for dotted, value in (overrides or {}).items():
        section, _, name = dotted.partition(".")
        if section not in SCHEMA or section in ARRAY_SECTIONS or not name:
            raise ConfigError(f"override '{dotted}': expected SECTION.KEY with SECTION one of site, classifier, audit, history, report")
        data.setdefault(section, {})[name] = value
    problems: list = []
    for name in data:
        if name not in SCHEMA:
            problems.append(f"unknown section [{name}].{_suggest(name, SCHEMA)}")
    if "site" not in data:
        raise ConfigError(_all(problems + ["missing section [site] (with at least name and start_urls)"]))
    site = _fill("site", SITE, data["site"], problems)
    tasks_raw = data.get("tasks", [])
    if not isinstance(tasks_raw, list):
        problems.append("tasks: expected an array of tables written as [[tasks]], found a single table")
        tasks_raw = []
    tasks, seen = [], set()
    for i, raw in enumerate(tasks_raw):
        task = _fill(f"tasks[{i}]", TASK, raw, problems)
        if task["id"] is not None and task["id"] in seen:
            problems.append(f"tasks[{i}].id: expected a unique id, found {task['id']!r} twice")
        seen.add(task["id"])
        tasks.append(task)
    classifier = _fill("classifier", CLASSIFIER, data.get("classifier", {}), problems)
    audit = _fill("audit", AUDIT, data.get("audit", {}), problems)
    history = _fill("history", HISTORY, data.get("history", {}), problems)
    report = _fill("report", REPORT, data.get("report", {}), problems)
    scrapy = data.get("scrapy", {})
    if not isinstance(scrapy, dict):
        problems.append(f"scrapy: expected a table of Scrapy settings, found {scrapy!r}")
        scrapy = {}
    for name in scrapy:
        if not re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
            problems.append(f"scrapy.{name}: expected an upper-case Scrapy setting name such as SCHEDULER")
    for ratio in ("near_duplicate_threshold", "low_confidence", "redirect_similarity"):
        problem = _ratio(audit[ratio])
        if problem:
            problems.append(f"audit.{ratio}: expected {problem}, found {audit[ratio]!r}")
    if problems:
        raise ConfigError(_all(problems))
    if source:  # file names in the config are relative to it
        base = Path(source).parent
        if classifier["labels"]:
            classifier["labels"] = _relative(base, classifier["labels"])
        if audit["rules"]:
            audit["rules"] = _relative(base, audit["rules"])
        audit["analytics"] = [_relative(base, name) for name in audit["analytics"]]
        if history["database"] and "://" not in history["database"]:
            history["database"] = _relative(base, history["database"])
    return Config(site=site, tasks=tuple(tasks), classifier=classifier, audit=audit, scrapy=dict(scrapy),
                  source=source, history=history, report=report)


def _relative(base: Path, name: str) -> str:
    path = Path(name)
    return str(path if path.is_absolute() else (base / path).resolve())


def load_config(path: str | Path, overrides: dict | None = None) -> Config:
    """Read, parse and validate a TOML config file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        return parse_config(data, source=str(path), overrides=overrides)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
