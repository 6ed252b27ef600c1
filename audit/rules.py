"""The audit's rules: small functions, each with a reason code, applied in the order of a rule list.

A rule takes a page (a row of the audit table, attribute access) and the settings, and returns the
detail of its reason ("404", "3 hops") when it fires, else None. The rule list (``config/rules.toml``,
overridable with ``[audit] rules``) orders the rules and gives each its recommendation: for every
page every rule is tried, each one that fires adds ``code: detail`` to the Reasons column, and the
first one that fires *with* a recommendation decides the page. Rules listed with ``recommend = ""``
only explain. A page no deciding rule fires for is kept. A page kept (by a rule or by default) that has
broken internal links gets fix: keeping a page never means leaving its links broken.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlsplit

from reports.i18n import Message as M

from .config import ConfigError, _suggest
from .signals import LAST_RESORT, crawl_error
from .text import dated_path, is_news

RECOMMENDATIONS = ("keep", "improve", "merge", "demote", "noindex", "remove", "fix")
DECISION = "decision"  # in a rule list: the reviewer's decision carried forward (see the rule reviewed)
NONE = "none"

# reason code -> what it means (documented in the README; a test checks every code is)
REASONS = {
    "error": "The URL answers 4xx/5xx or gives no usable response.",
    "gone": "The URL answers 410 Gone: the site removed it on purpose, so the removal is done; what is left is to take out the links to it and its sitemap listing (nothing, when nothing points at it).",
    "redirect": "The URL redirects (a chain of two or more hops, or a loop, needs fixing).",
    "noindex": "The page carries noindex (a conflict when robots.txt blocks it or it also names a canonical elsewhere).",
    "canonicalised": "The page's canonical URL is another URL.",
    "reviewed": "A reviewer decided on the page in an earlier run: carried forward while its task, status, indexability and traffic band hold; otherwise asked again, saying what changed.",
    "protected": "The URL matches an [audit] protect pattern, or the page is of a kind in [audit] protect_kinds (councillors, meetings, budget, privacy ...).",
    "home": "A start URL of the crawl (the home page): the way in to every task.",
    "hub": "A no-task page whose content links to several top-task pages: a route to them.",
    "blocked": "robots.txt disallows the URL, so it was not fetched.",
    "duplicate": "The same main text as the cluster's best page.",
    "near-duplicate": "Main text nearly the same as the cluster's best page (MinHash similarity), or the same top-task page written twice (TF-IDF cosine of the main texts at least [audit] similar_threshold).",
    "superseded": "A top-task page its task's current page replaces: its title, h1 or URL slug names only past years ([audit] superseded_years; a season such as 2018/19 by the year it ends), or it is already noindex and out of date (stale, or an archive) yet much visited; merged (301) into the current page. Not records (protect_kinds), news or events.",
    "no-task": "The page serves none of the top tasks.",
    "low-confidence": "The classifier is unsure of the page's task: check it.",
    "low-traffic": "Fewer page views than [audit] low_traffic (with analytics).",
    "high-traffic": "At least [audit] high_traffic page views (with analytics): a popular page is not removed, noindexed or demoted for serving no top task; check whether a top task is missing.",
    "upcoming": "The page's newest date is after the crawl, or its URL names a month still to come (an upcoming event, a calendar's coming months): not stale, not removed.",
    "current": "A news, press or event page dated on the page within [audit] news_days: current news, kept and indexed; a later run judges it again.",
    "broken-links": "The page links to internal URLs that answer 4xx/5xx or nothing.",
    "thin": "Fewer words of main text than [audit] thin_words.",
    "stale": "Newest date older than [audit] stale_days.",
    "deep": "A top-task page more clicks from the home page than [audit] deep_clicks.",
    "orphan": "In a sitemap, but no crawled page links to it.",
}


def _task_page(p) -> bool:
    return isinstance(p.task, str) and p.task != NONE


def _no_task(p) -> bool:
    return p.task == NONE


def _sure_no_task(p, s) -> bool:
    """No task, and the classifier is sure of it (calibrated confidence at least [audit] low_confidence, or
    a label says so): only then may having no task remove, noindex or demote a page. Doubt keeps it."""
    return _no_task(p) and (p.seed or (p.confidence is not None and p.confidence >= s["low_confidence"]))


COUNTS = {"page view": ("{n:,} page view", "{n:,} page views"), "link": ("{n:,} link", "{n:,} links"),
          "page": ("{n:,} page", "{n:,} pages")}


def _count(n, word: str) -> M:
    """'1 page view', '3 page views', '1,200 links' (a Message: said in the workbook's language)."""
    n = int(n) if float(n).is_integer() else n
    one, many = COUNTS[word]
    return M(one if n == 1 else many, n=n)


def _views(p) -> float:
    return p.views if isinstance(p.views, (int, float)) and p.views == p.views else 0


class Advised:
    """A rule's detail whose last clause is advice for one recommendation ("take those links out" is how a page
    is removed): ``full`` (the facts and the advice) when the page's recommendation is one of ``when``, else
    ``facts`` alone. A page a protect or keep rule decides never carries advice to remove, demote or noindex it."""

    __slots__ = ("facts", "full", "when")

    def __init__(self, facts: M, full: M, when: tuple):
        self.facts, self.full, self.when = facts, full, when

    def said(self, recommendation: str) -> M:
        return self.full if recommendation in self.when else self.facts


def _decided(p) -> bool:
    return isinstance(p.decision_before, str) and bool(p.decision_before)


# the page kinds as the Reasons name them (audit.text.PAGE_KINDS; a word of the catalogs each)
KIND_LABELS = {"councillors": "councillors", "meetings": "meetings", "budget": "budget", "mayor": "mayor",
               "jobs": "jobs", "privacy": "privacy", "cookies": "cookies", "accessibility": "accessibility",
               "complaints": "complaints", "foi": "freedom of information", "contact": "contact"}


def _kind_label(kind: str):
    return M(KIND_LABELS[kind]) if kind in KIND_LABELS else kind


def reviewed(p, s):
    """The team decided on this page in an earlier run and nothing the decision rested on has changed
    since (task, status, indexability, traffic band; content edits alone do not count): the decision
    stands, and so do its notes. A decision already carried out leaves nothing to do."""
    if not _decided(p) or not p.unchanged:
        return None
    if p.decision_before == "keep":
        return M("kept on {on}, carried forward", on=p.decided_on)
    if p.followed:
        return M("{decision} on {on}, done ({detail})", decision=M(p.decision_before), on=p.decided_on,
                 detail=p.follow_detail)
    return M("{decision} on {on}, not done yet ({detail})", decision=M(p.decision_before), on=p.decided_on,
             detail=p.follow_detail)


def reviewed_changed(p, s):
    """The team decided on this page in an earlier run, but something the decision rested on has
    changed (its task, status, indexability or traffic band): the page is audited afresh, and the
    reason says what changed so the reviewer can decide again."""
    if _decided(p) and not p.unchanged:
        return M("{decision} on {on}, ask again: {change}", decision=M(p.decision_before), on=p.decided_on,
                 change=p.basis_change)
    return None


def _pointing_at(p) -> int:
    """Crawled pages that link to the URL (content, navigation or breadcrumb)."""
    return int(p.inlinks_body + p.inlinks_nav + getattr(p, "inlinks_crumb", 0))


def gone(p, s):
    """410 Gone: the site removed the page on purpose, so the removal is done (a 404 is left to error:
    nobody can tell whether it was meant). What is left is what still points at it: take the links to it
    out of the pages that link to it, and take it out of the sitemap."""
    if p.status != 410:
        return None
    linked = _pointing_at(p)
    if linked and p.in_sitemap:
        return M("already gone (HTTP 410): remove the links to it from {pages} and take it out of the sitemap",
                 pages=_count(linked, "page"))
    if linked:
        return M("already gone (HTTP 410): remove the links to it from {pages}", pages=_count(linked, "page"))
    if p.in_sitemap:
        return M("already gone (HTTP 410): take it out of the sitemap")
    return None


def gone_done(p, s):
    """410 Gone, and no crawled page links to it and no sitemap lists it: removed on purpose, and nothing
    points at it any more. Nothing is left to do."""
    if p.status == 410 and not _pointing_at(p) and not p.in_sitemap:
        return M("already gone (HTTP 410), nothing links to it: nothing left to do")
    return None


def error(p, s):
    """4xx and 5xx answers and URLs with no usable response (DNS, timeout, size cap) need fixing:
    remove the links to them, restore them, or redirect them."""
    if p.status is not None and p.status >= 400:
        return M.plain("HTTP {status}", status=p.status)
    if p.status is None and not p.robots_blocked:
        return crawl_error(p.error) or M("no response")  # the crawl's words, said in the workbook's language
    return None


def redirect_chain(p, s):
    """Two or more hops (or a loop) cost time and link equity: point the first URL at the end directly."""
    if p.redirect_loop:
        return M("redirect loop after {hops} hops", hops=p.redirect_hops)
    if p.redirect_hops >= 2:
        return M("{hops} hops to {url}", hops=p.redirect_hops, url=p.final_url)
    return None


def redirect(p, s):
    """A single redirect is fine: the page it leads to is audited on its own row."""
    if p.redirect_hops == 1:
        return M.plain("{status} to {url}", status=p.status, url=p.final_url)
    return None


def noindex_conflict(p, s):
    """noindex that search engines cannot see (robots.txt blocks the page) or that contradicts a
    canonical pointing elsewhere: the two signals fight, and engines may ignore both."""
    if p.noindex and p.robots_blocked:
        return M("noindex on a page robots.txt blocks (the noindex is never seen)")
    if p.noindex and p.canonicalised:
        return M("noindex together with a canonical to {url}", url=p.canonical)
    return None


def protected(p, s):
    """Pages the team protects (privacy statement, accessibility, contact) are kept whatever else fires."""
    return M("matches [audit] protect") if p.protected else None


def protected_kind(p, s):
    """Pages a public body keeps whatever their task or traffic: the democratic record (councillors, meetings
    and minutes, budget, mayor) and what it must or should publish (jobs, privacy, cookies, accessibility,
    complaints, freedom of information, contact). The kind is read from the URL path, title and h1
    ([audit] protect_kinds); top-task pages are left to the other rules (they are kept anyway)."""
    kind = getattr(p, "kind", None)
    if isinstance(kind, str) and kind in s.get("protect_kinds", ()) and not _task_page(p) and p.status == 200:
        return M("page kind {kind}: a public body keeps these (protect_kinds)", kind=_kind_label(kind))
    return None


def upcoming(p, s):
    """A page whose newest date is after the crawl, or whose URL names a month not yet over (an events
    calendar's current and coming months), is about something still to come: it is neither stale nor
    unused yet, so it is kept until it has passed."""
    if p.status != 200:
        return None
    if p.age_days is not None and p.age_days < 0:
        return M("newest date {date} is after the crawl: upcoming", date=p.newest_date)
    if isinstance(p.url_month_ahead, str):
        return M("the URL names {month}, not over at the crawl: upcoming", month=p.url_month_ahead)
    return None


def current_news(p, s):
    """News, a press release or an event page (a URL in a news, press or events section, in any of the
    tool's languages) whose newest date on the page is at most [audit] news_days old: it is the site's
    current news, read now, not clutter. It is kept (and stays indexed) while it is current; once older,
    a later run's no-task rules decide (noindex while still read, remove when not). The server's
    Last-Modified alone does not date it (on a static server that is the copy time)."""
    if (p.status != 200 or not _no_task(p) or not s.get("news_days") or p.age_days is None
            or not 0 <= p.age_days <= s["news_days"] or p.newest_date_source == LAST_RESORT):
        return None
    if not is_news(unquote(urlsplit(p.url).path)):
        return None
    return M("dated {date}, {days} days old (news_days = {news_days}): a later run judges it again",
             date=str(p.newest_date), days=int(p.age_days), news_days=int(s["news_days"]))


def high_traffic(p, s):
    """With analytics: a page that serves no top task but has at least [audit] high_traffic page views is
    what people come for. It is not removed, noindexed or demoted on the classifier's word: keep it, and
    check whether a top task is missing from the list (or the page serves one)."""
    if s["analytics"] and _no_task(p) and p.status == 200 and _views(p) >= s.get("high_traffic", float("inf")):
        return M("{views:,.0f} page views: popular, check whether a top task is missing", views=_views(p))
    return None


def popular_thin(p, s):
    """With analytics: a page that serves no top task, has at least [audit] high_traffic page views and fewer
    than [audit] thin_words words ("page coming soon") is where people come and find little: the failed
    visits this audit is for. Improve it (or name the top task it should serve); not kept as it is."""
    if (s["analytics"] and _no_task(p) and p.status == 200 and p.content_type == "text/html"
            and _views(p) >= s.get("high_traffic", float("inf")) and p.word_count < s["thin_words"]):
        return M("{views:,.0f} page views and {n} words: people come for it and find little", views=_views(p),
                 n=p.word_count)
    return None


def blocked(p, s):
    """robots.txt disallows the URL; it was not fetched, so nothing else is known about it."""
    return M("disallowed by robots.txt, not fetched") if p.robots_blocked and p.status is None else None


def duplicate(p, s):
    """Exact copies compete with each other in search and in the site search: merge into the best page."""
    if p.duplicate_of and p.duplicate_kind == "exact":
        return M("same text as {url}", url=p.duplicate_of)
    return None


def near_duplicate(p, s):
    """The same content written twice (once per audience, say): merge into the best page. Found by shingles
    (MinHash, [audit] near_duplicate_threshold) or, for two pages of the same top task, by the TF-IDF cosine
    of their main texts ([audit] similar_threshold): rewording defeats shingles, not word use."""
    if p.duplicate_of and p.duplicate_kind == "near":
        return M("{similarity:.0%} similar to {url}", similarity=p.similarity, url=p.duplicate_of)
    if p.duplicate_of and p.duplicate_kind == "similar":
        cosine = getattr(p, "text_similarity", None)
        if cosine is not None:
            return M("the same page written twice: {words:.0%} the same words and {similarity:.0%} the same "
                     "phrases as {url}", words=cosine, similarity=p.similarity, url=p.duplicate_of)
        return M("the same page written twice: {similarity:.0%} the same phrases as {url}",
                 similarity=p.similarity, url=p.duplicate_of)
    return None


def _sure_task(p, s) -> bool:
    """A top-task page whose task the classifier is sure of (or a label gives)."""
    return _task_page(p) and (p.seed or (p.confidence is not None and p.confidence >= s["low_confidence"]))


def _past_year(p, s) -> bool:
    """The title, h1 or URL slug names only years at least [audit] superseded_years before the crawl's."""
    years = s.get("superseded_years", 1)
    ago = getattr(p, "years_ago", None)
    return bool(years) and ago is not None and ago == ago and ago >= years


def _out_of_date(p, s) -> bool:
    """Stale, naming only past years, or an archive by its own account: never to be shown in search again."""
    return (p.age_days is not None and p.age_days > s["stale_days"]) or _past_year(p, s) \
        or bool(getattr(p, "archived", False))


def _current_page(p):
    current = getattr(p, "current_page", None)
    return current if isinstance(current, str) and current != p.url else None


def superseded(p, s):
    """A top-task page that a current page of its task replaces: its title, h1 or URL slug names only years at
    least [audit] superseded_years before the crawl's ("Passport fees 2016"; a season such as "2018/19" counts
    by the year it ends, "since 2015" not at all), or it is already noindex and out of date (stale, or an
    archive by its own account) yet still much visited (at least [audit] high_traffic page views: people
    reach it by links and bookmarks). Its visitors and links are better served by the current page: merge
    it (301) into the task's best current page (chosen as the Tasks sheet's Best page, among the
    task's pages that name no past year). Records (page kinds in [audit] protect_kinds: budgets, annual
    reports, minutes), news and events are not superseded, and the classifier must be sure of the task."""
    current = _current_page(p)
    if current is None or p.status != 200 or p.content_type != "text/html" or not _sure_task(p, s):
        return None
    kind = getattr(p, "kind", None)
    path = unquote(urlsplit(p.url).path)
    if (isinstance(kind, str) and kind in s.get("protect_kinds", ())) or is_news(path) or dated_path(path):
        return None
    if _past_year(p, s):
        return M("names {year}, a past year: the current page for {task} is {url}", year=p.year_named, task=p.task,
                 url=current)
    if p.noindex and _out_of_date(p, s) and s["analytics"] and _views(p) >= s.get("high_traffic", float("inf")):
        return M("already noindex and out of date, yet {n:,} page views: the current page for {task} is {url}",
                 n=int(_views(p)), task=p.task, url=current)
    return None


def canonicalised(p, s):
    """The page tells search engines that another URL is the one to show."""
    return M("canonical is {url}", url=p.canonical) if p.canonicalised and not p.noindex else None


def noindex(p, s):
    """The page already asks search engines not to index it. With analytics, a page that many people still
    use (at least [audit] high_traffic page views) is named as such: if they look for it, the noindex may
    be what keeps them from finding it. Not when it is out of date (stale, naming only past years, or an
    archive): such a page stays out of search, and its visitors are sent to its task's current page (rule
    superseded)."""
    if not (p.noindex and p.status == 200):
        return None
    if s["analytics"] and _views(p) >= s.get("high_traffic", float("inf")):
        n = int(_views(p))
        if not _out_of_date(p, s):
            return M("already noindex, yet {n:,} page views: if people search for it, let search engines show it", n=n)
        facts = M("already noindex, yet {n:,} page views, out of date", n=n)
        current = _current_page(p) if _task_page(p) else None
        if current:
            return Advised(facts, M("already noindex, yet {n:,} page views, out of date: keep it out of search and "
                                    "redirect its visitors to {url}", n=n, url=current), ("merge",))
        return Advised(facts, M("already noindex, yet {n:,} page views, out of date: keep it out of search; bring it "
                                "up to date or redirect its visitors to a current page", n=n), ("improve",))
    return M("already noindex")


def low_confidence(p, s):
    """The classifier's confidence in the page's task is low: the task (and so the advice) needs a check."""
    if _task_page(p) and not p.seed and p.confidence is not None and p.confidence < s["low_confidence"]:
        return M("confidence {confidence:.2f}, runner-up {task}", confidence=p.confidence, task=_task_word(p.runner_up))
    return None


def _task_word(task):
    """A task id as a reason names it: ``none`` said in the workbook's language (a task id as it is)."""
    return M("none") if task == "none" else task


def uncertain_no_task(p, s):
    """The classifier leans to no task but is not sure (confidence below [audit] low_confidence): doubt is
    not turned into deletion. The page is kept until someone checks its task."""
    if _no_task(p) and not _sure_no_task(p, s) and p.status == 200:
        runner = isinstance(p.runner_up, str) and p.runner_up
        if p.confidence is None:
            return M("no task, confidence unknown, runner-up {task}: check the task before removing",
                     task=p.runner_up) if runner else \
                M("no task, confidence unknown: check the task before removing")
        if runner:
            return M("no task at confidence {confidence:.2f}, runner-up {task}: check the task before removing",
                     confidence=p.confidence, task=p.runner_up)
        return M("no task at confidence {confidence:.2f}: check the task before removing", confidence=p.confidence)
    return None


def low_traffic(p, s):
    """With analytics: few people use the page."""
    if s["analytics"] and p.status == 200 and _views(p) < s["low_traffic"]:
        return _count(_views(p), "page view")
    return None


def start_page(p, s):
    """A start URL (the home page) is the way in to every task: never removed, whatever its task."""
    return M("a start URL of the crawl") if p.found_via == "start" and p.status == 200 else None


def hub(p, s):
    """A page that serves no task itself but links from its content to several top-task pages is a route
    to them (a section page): keep it."""
    if _no_task(p) and p.links_to_tasks >= s["hub_links"]:
        return M("links to {n} top-task pages", n=p.links_to_tasks)
    return None


def _used(p, s) -> bool:
    """Still used: traffic (with analytics, at least [audit] low_traffic page views), links from the content
    of top-task or start pages, or (without analytics, when use cannot be measured) a place in the navigation."""
    if p.inlinks_valued > 0:
        return True
    if s["analytics"]:
        return _views(p) >= s["low_traffic"]
    return p.inlinks_nav > 0


def no_task_unused(p, s):
    """A page that serves no top task (the classifier is sure of it), is not used (with analytics: fewer
    page views than low_traffic; without: not in the navigation; and no links from the content of top-task
    or start pages) and is not in the navigation (a page in the menu is demoted first, never removed in one
    step): remove it, with a 410, or a 301 to a related kept top-task page when something still points at it."""
    if _sure_no_task(p, s) and not _used(p, s) and p.inlinks_nav == 0:
        traffic = _count(_views(p), "page view") if s["analytics"] else M("not in the navigation")
        linked = p.inlinks_body + getattr(p, "inlinks_crumb", 0)
        if linked:
            pages = _count(linked, "page")
            return Advised(M("serves no top task, {traffic}, no links from top-task pages, yet linked from {pages}",
                             traffic=traffic, pages=pages),
                           M("serves no top task, {traffic}, no links from top-task pages, yet linked from {pages}: "
                             "take those links out", traffic=traffic, pages=pages), ("remove",))
        return M("serves no top task, {traffic}, no links from top-task pages", traffic=traffic)
    return None


def no_task_in_nav(p, s):
    """A page that serves no top task (the classifier is sure of it) and sits in the navigation: take it out
    of the navigation so the top tasks come first. Never removed in the same step, used or not: once out of
    the menu, a later run shows whether anyone still needs it."""
    if _sure_no_task(p, s) and p.inlinks_nav > 0:
        if s["analytics"]:
            views = _count(_views(p), "page view")
            facts = M("serves no top task, in the navigation of {n} pages, {views}", n=p.inlinks_nav, views=views)
            if _used(p, s):
                return facts
            return Advised(facts, M("serves no top task, in the navigation of {n} pages, {views}: demote first, "
                                    "remove in a later run if still unused", n=p.inlinks_nav, views=views), ("demote",))
        facts = M("serves no top task, in the navigation of {n} pages", n=p.inlinks_nav)
        if _used(p, s):
            return facts
        return Advised(facts, M("serves no top task, in the navigation of {n} pages: demote first, remove in a later "
                                "run if still unused", n=p.inlinks_nav), ("demote",))
    return None


def no_task(p, s):
    """A page that serves no top task (the classifier is sure of it), still used, not in the navigation:
    noindex, so it stays reachable (never block it in robots.txt, or the noindex is never seen) without
    crowding out the top tasks. The reason says so: still read (or still linked from top-task pages), so
    keep it reachable and take it out of search."""
    if _sure_no_task(p, s) and _used(p, s) and p.inlinks_nav == 0:
        links = _count(p.inlinks_valued, "link")
        if not s["analytics"]:
            return Advised(M("serves no top task, {links} from top-task pages", links=links),
                           M("serves no top task, {links} from top-task pages: still linked, so keep it reachable "
                             "and take it out of search", links=links), ("noindex",))
        views = _count(_views(p), "page view")
        facts = M("serves no top task, {views}, {links} from top-task pages", views=views, links=links)
        if _views(p) >= s["low_traffic"]:
            return Advised(facts, M("serves no top task, {views}, {links} from top-task pages: still read, so keep "
                                    "it reachable and take it out of search", views=views, links=links), ("noindex",))
        return Advised(facts, M("serves no top task, {views}, {links} from top-task pages: still linked, so keep it "
                                "reachable and take it out of search", views=views, links=links), ("noindex",))
    return None


def broken_links(p, s):
    """The page links to internal URLs that fail: fix the links."""
    if not p.broken_links:
        return None
    return M("{n} broken internal links" if p.broken_links > 1 else "{n} broken internal link", n=p.broken_links)


def thin(p, s):
    """Little main text: a top-task page this short rarely answers the customer's question."""
    if p.status == 200 and p.content_type == "text/html" and p.word_count < s["thin_words"]:
        return M("{n} words", n=p.word_count)
    return None


def stale(p, s):
    """Not updated for a long time: check that it is still right."""
    if p.age_days is not None and p.age_days > s["stale_days"]:
        years, months = p.age_days // 365, min(11, p.age_days % 365 * 12 // 365)
        return M("newest date {date} ({age} old)", date=p.newest_date, age=M.plain(
            "{years} {months}", years=M("{n} year" if years == 1 else "{n} years", n=years),
            months=M("{n} month" if months == 1 else "{n} months", n=months)))
    return None


def deep(p, s):
    """A top-task page many clicks from the home page is hard to find: link it from higher up."""
    if _task_page(p) and p.depth is not None and p.depth > s["deep_clicks"]:
        return M("{n} clicks from the home page", n=int(p.depth))
    if _task_page(p) and p.depth is None and p.status == 200:
        return M("no link path from the home page")
    return None


def orphan(p, s):
    """Listed in the sitemap but linked from nowhere: visitors cannot find it by browsing."""
    return M("in the sitemap, no links to it") if p.orphan else None


RULE_FUNCTIONS: dict[str, tuple[str, Callable]] = {
    "reviewed": ("reviewed", reviewed),
    "reviewed_changed": ("reviewed", reviewed_changed),
    "gone": ("gone", gone),
    "gone_done": ("gone", gone_done),
    "error": ("error", error),
    "redirect_chain": ("redirect", redirect_chain),
    "noindex_conflict": ("noindex", noindex_conflict),
    "protected": ("protected", protected),
    "protected_kind": ("protected", protected_kind),
    "upcoming": ("upcoming", upcoming),
    "current_news": ("current", current_news),
    "popular_thin": ("high-traffic", popular_thin),
    "high_traffic": ("high-traffic", high_traffic),
    "start_page": ("home", start_page),
    "hub": ("hub", hub),
    "redirect": ("redirect", redirect),
    "blocked": ("blocked", blocked),
    "duplicate": ("duplicate", duplicate),
    "near_duplicate": ("near-duplicate", near_duplicate),
    "canonicalised": ("canonicalised", canonicalised),
    "noindex": ("noindex", noindex),
    "low_confidence": ("low-confidence", low_confidence),
    "uncertain_no_task": ("low-confidence", uncertain_no_task),
    "superseded": ("superseded", superseded),
    "low_traffic": ("low-traffic", low_traffic),
    "no_task_unused": ("no-task", no_task_unused),
    "no_task_in_nav": ("no-task", no_task_in_nav),
    "no_task": ("no-task", no_task),
    "broken_links": ("broken-links", broken_links),
    "thin": ("thin", thin),
    "stale": ("stale", stale),
    "deep": ("deep", deep),
    "orphan": ("orphan", orphan),
}

SHIPPED_RULES = Path(__file__).resolve().parent.parent / "config" / "rules.toml"


@dataclass(frozen=True)
class Rule:
    name: str
    code: str
    recommend: str  # "" = explains only
    check: Callable


def _rule(name: str, recommend: str) -> Rule:
    code, check = RULE_FUNCTIONS[name]
    return Rule(name, code, recommend, check)


def load_rules(path=None) -> list[Rule]:
    """The ordered rule list from a TOML file (``[[rule]]`` tables with name and recommend); default: the
    shipped ``config/rules.toml``, or the same list built in when the package is installed without it."""
    if not path and not SHIPPED_RULES.exists():
        return [_rule(name, rec) for name, rec in DEFAULT_ORDER]
    path = Path(path or SHIPPED_RULES)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"rules file not found: {path}") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable TOML rule list ({exc})") from None
    raw = data.get("rule")
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{path}: expected [[rule]] tables (name, recommend), found none")
    rules, seen = [], set()
    for i, entry in enumerate(raw):
        where = f"{path}: rule[{i}]"
        if not isinstance(entry, dict) or set(entry) - {"name", "recommend"}:
            raise ConfigError(f"{where}: expected the keys name and recommend, found {entry!r}")
        name, rec = entry.get("name"), entry.get("recommend", "")
        if name not in RULE_FUNCTIONS:
            raise ConfigError(f"{where}.name: unknown rule {name!r}.{_suggest(str(name), RULE_FUNCTIONS)}")
        if rec not in RECOMMENDATIONS + ("", DECISION):
            raise ConfigError(f"{where}.recommend: expected one of {', '.join(RECOMMENDATIONS)}, \"decision\" "
                              f"(the reviewer's) or \"\" (explains only), found {rec!r}")
        if name in seen:
            raise ConfigError(f"{where}.name: rule {name!r} listed twice")
        seen.add(name)
        rules.append(_rule(name, rec))
    return rules


# the shipped order (config/rules.toml holds the same list; a test checks they agree)
DEFAULT_ORDER = [
    ("reviewed", DECISION), ("reviewed_changed", ""), ("gone", "fix"), ("gone_done", "keep"), ("error", "fix"), ("redirect_chain", "fix"), ("noindex_conflict", "fix"), ("protected", "keep"),
    ("start_page", "keep"),
    ("redirect", "keep"), ("blocked", "keep"), ("duplicate", "merge"), ("near_duplicate", "merge"),
    ("canonicalised", ""), ("noindex", ""), ("low_confidence", ""), ("low_traffic", ""),
    ("protected_kind", "keep"), ("hub", "keep"), ("upcoming", "keep"), ("current_news", "keep"), ("popular_thin", "improve"), ("high_traffic", "keep"),
    ("uncertain_no_task", "keep"), ("superseded", "merge"), ("no_task_unused", "remove"), ("no_task_in_nav", "demote"), ("no_task", "noindex"),
    ("broken_links", "fix"), ("thin", "improve"), ("stale", "improve"), ("deep", "improve"),
    ("orphan", "improve"),
]


def recommend(page, rules: list[Rule], settings: dict) -> tuple[str, list[str]]:
    """(recommendation, ["code: detail", ...]) for one page."""
    decision, reasons, _ = decide(page, rules, settings)
    return decision, reasons


def decide(page, rules: list[Rule], settings: dict) -> tuple[str, list[str], int | None]:
    """(recommendation, reasons, index in reasons of the one that decided, None when none did)."""
    decision, fired, decided = None, [], None
    broken = None
    for rule in rules:
        detail = rule.check(page, settings)
        if detail is None:
            continue
        fired.append((rule.code, detail))
        if rule.name == "broken_links":
            broken = len(fired) - 1
        if decision is None and rule.recommend:
            decision = page.review_recommends if rule.recommend == DECISION else rule.recommend
            decided = len(fired) - 1
    if decision in (None, "keep") and page.broken_links and page.status == 200:
        decision = "fix"  # kept (protected, popular, a hub ...) never means leaving its links broken
        decided = broken
    decision = decision or "keep"
    # advice only for the recommendation given: a kept (protected) page is never told to lose its links
    reasons = [M.plain("{code}: {detail}", code=code, detail=detail.said(decision) if isinstance(detail, Advised)
                       else detail) for code, detail in fired]
    return decision, reasons, decided


def rules_toml(order=None) -> str:
    """The rule list as TOML, each rule preceded by its reason code and docstring: how
    ``config/rules.toml`` is made (``python -m audit.rules > config/rules.toml``; a test checks it)."""
    lines = ["# longneck's audit rules, in order. Point [audit] rules at your own copy to change them.",
             "#",
             "# For every page, every rule is tried. Each rule that fires adds \"code: detail\" to the Reasons",
             "# column; the first rule that fires with a recommendation decides the page's Recommendation.",
             "# recommend = \"\" makes a rule explain without deciding; recommend = \"decision\" gives the",
             "# reviewer's decision from an earlier run. A page no deciding rule fires for is kept.",
             "# A page kept (by a rule or by default) that has broken internal links gets fix.",
             f"# Recommendations: {', '.join(RECOMMENDATIONS)}.",
             "# Each rule is a small function in audit/rules.py; the comment above it is its docstring.", ""]
    for name, rec in order or DEFAULT_ORDER:
        code, check = RULE_FUNCTIONS[name]
        lines += [f"# [{code}] {' '.join(check.__doc__.split())}", "[[rule]]", f'name = "{name}"',
                  f'recommend = "{rec}"', ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(rules_toml(), end="")
