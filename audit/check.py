"""``longneck check``: everything ``longneck run`` will need, checked before anything is crawled.

The config itself is validated by :mod:`audit.config`; here the files and facts it points at: at least
one top task, every task example in the crawl's scope (allowed hosts, include, exclude), the labels
CSV and every analytics export readable row by row (comma or semicolon CSV), and the rule list.
"""

from __future__ import annotations

from pathlib import Path

from .config import ConfigError


def check_inputs(config) -> list[str]:
    """Lines describing what was checked (labels rows, analytics formats and periods, rules). Raises one
    ConfigError listing every problem found."""
    from crawler.urls import Scope, host_of

    from . import analytics
    from .rules import load_rules
    from .runs import read_labels

    problems, found = [], []
    site = config.site
    if not config.tasks:
        problems.append("tasks: no [[tasks]]: describe at least one top task (id, name, description, examples)")
    scope = Scope(site["allowed_domains"] or [host_of(u) for u in site["start_urls"]], site["include"], site["exclude"])
    for i, task in enumerate(config.tasks):
        for k, url in enumerate(task["examples"]):
            why = scope.reason_out(url)
            if why:
                what = {"external": f"its host is not in site.allowed_domains ({', '.join(sorted(scope.hosts))})",
                        "excluded": "it matches a site.exclude pattern",
                        "not-included": "it matches no site.include pattern"}[why]
                problems.append(f"tasks[{i}].examples[{k}]: {url} will not be crawled: {what}")
    task_ids = [t["id"] for t in config.tasks]
    if config.classifier["labels"]:
        try:
            labels = read_labels(config.classifier["labels"], task_ids)
            outside = [u for u in labels if scope.reason_out(u)]
            found.append(f"classifier.labels: {len(labels)} labelled URL(s) in {config.classifier['labels']}"
                         + (f", {len(outside)} outside the crawl's scope (not used)" if outside else ""))
        except ConfigError as exc:
            problems.append(f"classifier.labels: {exc}")
    for name in config.audit["analytics"]:
        try:
            kind, data = analytics.read_export(name)
            span = analytics.period(name)
            found.append(f"audit.analytics: {Path(name).name}: {kind}, {len(data)} pages, period "
                         + (f"{span[0]} to {span[1]}" if span else "not stated in the export"))
        except ConfigError as exc:
            problems.append(f"audit.analytics: {exc}")
    try:
        rules = load_rules(config.audit["rules"] or None)
        found.append(f"audit.rules: {len(rules)} rules from {config.audit['rules'] or 'the shipped list'}")
    except ConfigError as exc:
        problems.append(f"audit.rules: {exc}")
    if problems:
        raise ConfigError(f"{len(problems)} problem(s) found before crawling:\n  "
                          + "\n  ".join(p.replace("\n", "\n    ") for p in problems))
    return found
