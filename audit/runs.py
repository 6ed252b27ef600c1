"""A run folder: its crawl, the config it was made with, and what the classifier wrote there.

Files: ``pages.jsonl`` (crawl), ``crawl.json`` (crawl summary), ``config.json`` (the resolved config,
so later commands can re-use it), ``classification.csv`` and ``label_queue.csv`` (classify).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from .config import Config, ConfigError, load_config, parse_config


class RunError(RuntimeError):
    """A run folder that lacks what a command needs; the message says what."""


def write_csv_atomically(frame, path) -> None:
    """Write a pandas table as CSV to ``path`` through ``path.partial`` (renamed into place when
    complete): a kill or a full disk never leaves a half-written file under the real name."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    try:
        frame.to_csv(partial, index=False)
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def site_for_crawl(config: Config) -> dict:
    """The [site] keys the crawl is given, plus the tasks' example pages (``seed_urls``): a crawl cut by
    max_pages or max_depth before it reached them fetches them at its end, since the classifier cannot
    find a task whose examples it never saw."""
    seeds = list(dict.fromkeys(u for task in config.tasks for u in task.get("examples") or ()))
    return {**config.site, "seed_urls": seeds}


def save_config(run_dir, config: Config) -> None:
    """``config.json``: the resolved config, with no database password in it (see history.without_password)."""
    from .history import without_password

    data = config.as_dict()
    data["history"] = {**data["history"], "database": without_password(data["history"]["database"])}
    path = Path(run_dir) / "config.json"
    path.write_text(json.dumps({**data, "fingerprint": config.fingerprint(), "source": config.source},
                               indent=2, ensure_ascii=False), encoding="utf-8")


def run_config(run_dir, config_file=None) -> Config:
    """The config given (tasks or labels may have changed since the crawl), else the one saved with the run.
    A folder without a crawl is refused first, whatever config is given."""
    pages_file(run_dir)
    if config_file:
        return load_config(config_file)
    path = Path(run_dir) / "config.json"
    if not path.exists():
        raise RunError(f"{path} not found: pass --config CONFIG (the crawl was made by an older longneck or by hand)")
    data = json.loads(path.read_text(encoding="utf-8"))
    source = data.pop("source", None)
    data.pop("fingerprint", None)
    return parse_config(data, source=source)


def pages_file(run_dir) -> Path:
    path = Path(run_dir) / "pages.jsonl"
    if not path.exists():
        raise RunError(f"{path} not found: run 'longneck crawl CONFIG --out {run_dir}' first")
    return path


def iter_pages(run_dir):
    from crawler.state import iter_records

    yield from iter_records(pages_file(run_dir))


def read_labels(path, task_ids) -> dict:
    """{url: task} from a CSV with columns url,task (comma or semicolon separated). Every row is checked; all problems are reported at
    once with their row numbers, and nothing is used unless all rows are valid."""
    from . import csvfile

    path = Path(path)
    allowed = set(task_ids) | {"none"}
    text = csvfile.read_text(path, "labels file")
    header_line = next((line for line in text.splitlines() if line.strip()), "")
    try:
        rows = csvfile.reader(text, header_line, path)
        header = [h.strip().lower() for h in next(rows, [])]
        missing = {"url", "task"} - set(header)
        if missing:
            raise ConfigError(f"{path}: expected columns url,task; missing {', '.join(sorted(missing))} "
                              f"(found {', '.join(h for h in header if h) or 'nothing'})")
        at = {name: header.index(name) for name in ("url", "task")}
        labels, problems = {}, []
        for number, row in enumerate(rows, 2):
            if not any(cell.strip() for cell in row):
                continue
            cells = row + [""] * (len(header) - len(row))
            url, task = cells[at["url"]].strip(), cells[at["task"]].strip()
            if not url.startswith(("http://", "https://")):
                problems.append(f"row {number}: url must be an absolute http(s) URL, found {url!r}")
            elif task not in allowed:
                problems.append(f"row {number}: task must be one of {', '.join(sorted(allowed))}, found {task!r}")
            else:
                labels[url] = task
    except csv.Error as exc:
        raise ConfigError(f"{path}: not a readable CSV file ({exc})") from None
    if problems:
        raise ConfigError(f"{path}: {len(problems)} invalid row(s), none used:\n  " + "\n  ".join(problems[:50]))
    return labels
