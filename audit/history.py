"""The history of audits: every run, its pages and the reviewers' decisions, in one database.

SQLite by default (``history.sqlite`` in the folder that holds the run folders), or any database
SQLAlchemy reaches through ``[history] database`` (``postgresql://user@host/db`` for a team sharing
one history). Tables (created on first use):

- ``runs``: id, site, run folder, audited_at, config fingerprint, tool version, counts, and ``pending``:
  true from the moment the run is recorded until its workbook is in place. Every reader leaves pending
  runs out (a run whose workbook was never written is not a "previous run" to compare with), and the
  next audit of the same folder deletes them.
- ``pages``: per run and URL: status, task, confidence, recommendation, reasons, content hash,
  redirect target, depth, navigation inlinks, noindex, robots blocked, final URL.
- ``tasks``: per run and task: pages, best page and its depth, competing duplicates, stale share.
- ``reviews``: per run and URL: the reviewer's decision, notes and corrected task, when and from
  which workbook they were imported.
- ``traps``: per run, the trap bounds its crawl hit: reason (``max-query-variants``,
  ``max-urls-per-pattern``, ``repeated-path-segments``), the URL pattern (as in ``crawl.json``) and the
  URLs skipped. Where a bound kept only some URLs of a pattern, a page of it that is in one run and not
  in the other may be the crawl's sample, not the site (see changes.py). Runs recorded before schema 4
  have no rows.

A review import is one transaction: every row is checked first and nothing is stored unless all are
valid.
"""

from __future__ import annotations

import time
from itertools import islice
from pathlib import Path

from sqlalchemy import (Boolean, Column, Float, ForeignKey, Integer, MetaData, String, Table, Text, create_engine,
                        func, select)
from sqlalchemy.exc import SQLAlchemyError

from .runs import RunError

SCHEMA_VERSION = 4  # 2: runs.origin/complete/labels, pages.views/canonical, reviews.target/source; 3: runs.pending
# (all added in place); 4: the table traps (created beside the others)
metadata = MetaData()

runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("site", String(200), nullable=False, index=True),
    Column("run_dir", Text, nullable=False),
    Column("audited_at", String(32), nullable=False),
    Column("config_fingerprint", String(32), nullable=False),
    Column("tool_version", String(40), nullable=False),
    Column("schema_version", Integer, nullable=False, default=SCHEMA_VERSION),
    Column("urls", Integer), Column("pages", Integer), Column("classified", Integer), Column("no_task", Integer),
    Column("origin", Text), Column("complete", Boolean), Column("labels", Integer),
    Column("pending", Boolean),  # recorded, workbook not yet in place (NULL in runs recorded before 3: done)
)
DONE = runs.c.pending.is_not(True)  # the runs every reader sees
pages = Table(
    "pages", metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("url", Text, primary_key=True),
    Column("status", Integer), Column("task", String(100)), Column("confidence", Float),
    Column("recommendation", String(20)), Column("reasons", Text), Column("content_hash", String(64)),
    Column("redirect_to", Text), Column("redirect_status", Integer), Column("depth", Integer),
    Column("inlinks_nav", Integer), Column("noindex", Boolean), Column("robots_blocked", Boolean),
    Column("final_url", Text), Column("title", Text), Column("views", Float), Column("canonical", Text),
)
tasks = Table(
    "tasks", metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("task", String(100), primary_key=True),
    Column("pages", Integer), Column("best_page", Text), Column("best_depth", Integer),
    Column("competing_duplicates", Integer), Column("stale_share", Float), Column("thin_share", Float),
    Column("views", Float),
)
reviews = Table(
    "reviews", metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("url", Text, primary_key=True),
    Column("decision", String(20)), Column("notes", Text), Column("corrected_task", String(100)),
    Column("imported_at", String(32), nullable=False), Column("workbook", Text),
    Column("target", Text), Column("source", String(20)),
)

traps = Table(
    "traps", metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("reason", String(40), primary_key=True),
    Column("pattern", Text, primary_key=True),
    Column("skipped", Integer),
)
CHILDREN = (reviews, tasks, pages, traps)  # the tables of a run's rows


class HistoryError(RunError):
    """The history database cannot be reached or read; the message says which and why."""


def database_url(setting: str, run_dir) -> str:
    """``[history] database`` as an SQLAlchemy URL: empty -> SQLite beside the run folders; a path ->
    SQLite at that path; anything with ``://`` is used as it is."""
    if not setting:
        return f"sqlite:///{(Path(run_dir).resolve().parent / 'history.sqlite')}"
    if "://" in setting:
        for plain in ("postgresql://", "postgres://"):  # the driver that is installed: psycopg 3
            if setting.startswith(plain):
                return "postgresql+psycopg://" + setting[len(plain):]
        return setting
    return f"sqlite:///{Path(setting).resolve()}"


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a URL that does not parse is shown as given
        return url


def without_password(url: str) -> str:
    """The URL with no password in it, for what is stored on disk (config.json, the workbook's Settings
    sheet): the PostgreSQL driver (libpq) then takes the password from PGPASSWORD or ~/.pgpass."""
    if "://" not in (url or ""):
        return url
    from sqlalchemy.engine import make_url

    try:
        return make_url(url)._replace(password=None).render_as_string(hide_password=False)  # a NamedTuple; set() keeps None
    except Exception:  # noqa: BLE001 - a URL that does not parse is kept as given (it holds no password we know of)
        return url


BUSY_TIMEOUT = 30.0  # seconds an SQLite history waits for another process's lock before giving up
RETRIES = 2          # a transaction cut by a dropped PostgreSQL connection is tried this many times more


def _retrying(method):
    """Run a History method as one unit, again (up to RETRIES times, after 0.5 s, 1 s) when the database
    connection was dropped (a PostgreSQL restart, a terminated backend): pre-ping finds a dead pooled
    connection before use, this covers one that dies during the transaction. A locked SQLite history, or
    anything else, becomes a one-line HistoryError."""
    import functools

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        from sqlalchemy.exc import DBAPIError

        for attempt in range(RETRIES + 1):
            try:
                return method(self, *args, **kwargs)
            except DBAPIError as exc:
                if exc.connection_invalidated and attempt < RETRIES:
                    time.sleep(0.5 * (attempt + 1))
                    continue
                raise self._error(exc) from None
            except SQLAlchemyError as exc:
                raise self._error(exc) from None
    return wrapper


class History:
    """``History(url)``: open (and create) the history database. ``busy_timeout``: how long an SQLite
    history waits for a lock another process holds (BUSY_TIMEOUT)."""

    def __init__(self, url: str, busy_timeout: float = BUSY_TIMEOUT):
        self.url = url
        self.busy_timeout = busy_timeout
        try:
            if url.startswith("sqlite"):
                from sqlalchemy import event

                self.engine = create_engine(url, future=True, connect_args={"timeout": busy_timeout})

                @event.listens_for(self.engine, "connect")
                def _pragmas(conn, _record):
                    conn.execute("PRAGMA foreign_keys=ON")
            else:
                self.engine = create_engine(url, future=True, pool_pre_ping=True)
            self._create_schema()
        except HistoryError:
            raise
        except (SQLAlchemyError, ModuleNotFoundError, OSError) as exc:
            raise self._error(exc) from None

    def _error(self, exc) -> HistoryError:
        text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        first = text[0] if text else exc.__class__.__name__
        if "database is locked" in first:
            return HistoryError(f"history database {_safe(self.url)} is locked by another process: waited "
                                f"{self.busy_timeout:g} s for it, in vain (another audit or review import still "
                                "running?); try again when it has finished")
        return HistoryError(f"history database {_safe(self.url)}: {exc.__class__.__name__}: {first}")

    def _create_schema(self) -> None:
        """Create the tables (and add columns new since a history was written) unless they exist. Two
        processes opening a fresh history at once can both find a table missing; the one that loses the
        race gets "already exists" (or a duplicate column, or PostgreSQL's duplicate type name): it
        looks again and finds the schema in place."""
        for attempt in range(3):
            try:
                metadata.create_all(self.engine, checkfirst=True)
                self._add_new_columns()
                return
            except (SQLAlchemyError, OSError) as exc:
                message = str(exc).lower()
                raced = any(words in message for words in ("already exists", "duplicate column", "duplicate key",
                                                           "duplicatetable", "uniqueviolation"))
                if not raced or attempt == 2:
                    raise

    def _add_new_columns(self) -> None:
        """Bring a history written by an earlier version up to this schema: columns added since are
        added in place (nullable, so old rows read as empty); nothing is dropped or rewritten."""
        from sqlalchemy import inspect

        inspector = inspect(self.engine)
        with self.engine.begin() as conn:
            for table in metadata.sorted_tables:
                have = {c["name"] for c in inspector.get_columns(table.name)}
                for column in table.columns:
                    if column.name not in have:
                        kind = column.type.compile(dialect=self.engine.dialect)
                        conn.exec_driver_sql(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}')

    def close(self) -> None:
        self.engine.dispose()

    # ---- writing a run ------------------------------------------------------------------------
    @_retrying
    def record_run(self, site: str, run_dir, fingerprint: str, version: str, summary: dict, page_rows,
                   task_rows: list, pending: bool = False, trap_rows: list | None = None) -> int:
        """Store one audit; returns its run id. ``pending``: the workbook is not written yet; the run is
        invisible to every reader until :meth:`finish_run`. Runs of the same folder left pending by an
        earlier audit that failed (or was killed) before its workbook was in place are deleted.
        ``trap_rows``: the crawl's trap report (``crawl.json``'s ``traps``: reason, pattern, skipped)."""
        folder = str(Path(run_dir).resolve())
        with self.engine.begin() as conn:
            abandoned = [r.id for r in conn.execute(select(runs.c.id).where((runs.c.run_dir == folder)
                                                                            & runs.c.pending.is_(True)))]
            for table in (*CHILDREN, runs):  # children first, whatever the foreign keys do
                column = table.c.id if table is runs else table.c.run_id
                if abandoned:
                    conn.execute(table.delete().where(column.in_(abandoned)))
            run_id = conn.execute(runs.insert().values(pending=pending or None,
                site=site, run_dir=folder, audited_at=_now(), config_fingerprint=fingerprint,
                tool_version=version, schema_version=SCHEMA_VERSION, urls=summary.get("urls"),
                pages=summary.get("pages"), classified=summary.get("classified"), no_task=summary.get("no_task"),
                origin=summary.get("origin"), complete=summary.get("complete"), labels=summary.get("labels"),
            )).inserted_primary_key[0]
            rows = iter(page_rows)  # a list or a re-iterable (a retry starts over): 5,000 rows at a time
            while batch := [{**row, "run_id": run_id} for row in islice(rows, 5000)]:
                conn.execute(pages.insert(), batch)
            if task_rows:
                conn.execute(tasks.insert(), [{**row, "run_id": run_id} for row in task_rows])
            merged: dict = {}
            for row in trap_rows or ():  # one row per reason and pattern (a report has each once; merged anyway)
                key = (str(row["reason"]), str(row["pattern"]))
                merged[key] = merged.get(key, 0) + int(row.get("skipped") or 0)
            if merged:
                conn.execute(traps.insert(), [{"run_id": run_id, "reason": r, "pattern": p, "skipped": n}
                                              for (r, p), n in merged.items()])
        return int(run_id)

    @_retrying
    def finish_run(self, run_id: int) -> None:
        """The run's workbook is in place: from now on the run is part of the history."""
        with self.engine.begin() as conn:
            conn.execute(runs.update().where(runs.c.id == run_id).values(pending=None))

    # ---- reading ------------------------------------------------------------------------------
    @_retrying
    def runs(self, site: str | None = None, also: int | None = None) -> list[dict]:
        """The site's (or every site's) runs whose workbook was written, oldest first; ``also``: a run id
        to include even while it is pending (the audit that is writing its workbook now)."""
        query = select(runs).where(DONE if also is None else (DONE | (runs.c.id == also))).order_by(runs.c.id)
        if site is not None:
            query = query.where(runs.c.site == site)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    @_retrying
    def run(self, run_id: int) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(runs).where(runs.c.id == run_id)).first()
        return dict(row._mapping) if row else None

    @_retrying
    def run_for_folder(self, run_dir) -> dict | None:
        """The latest run recorded for this run folder."""
        with self.engine.connect() as conn:
            row = conn.execute(select(runs).where((runs.c.run_dir == str(Path(run_dir).resolve())) & DONE)
                               .order_by(runs.c.id.desc())).first()
        return dict(row._mapping) if row else None

    def previous_run(self, site: str, before_id: int | None = None, other_than=None) -> dict | None:
        """The site's latest run (before ``before_id``), leaving out runs of the folder ``other_than``
        (a re-audit of the same crawl is compared with the crawl before it, not with itself)."""
        skip = str(Path(other_than).resolve()) if other_than is not None else None
        candidates = [r for r in self.runs(site) if (before_id is None or r["id"] < before_id) and r["run_dir"] != skip]
        if not candidates:
            return None
        # the latest crawl: folders in the order they were first audited (a re-audit of an older folder does
        # not make it the latest), each folder's latest audit
        first: dict = {}
        for r in candidates:
            first.setdefault(r["run_dir"], r["id"])
        folder = max(first, key=first.get)
        return max((r for r in candidates if r["run_dir"] == folder), key=lambda r: r["id"])

    @_retrying
    def pages(self, run_id: int) -> dict[str, dict]:
        with self.engine.connect() as conn:
            return {r.url: dict(r._mapping) for r in conn.execute(select(pages).where(pages.c.run_id == run_id))}

    @_retrying
    def tasks(self, run_id: int) -> dict[str, dict]:
        with self.engine.connect() as conn:
            return {r.task: dict(r._mapping) for r in conn.execute(select(tasks).where(tasks.c.run_id == run_id))}

    @_retrying
    def traps(self, run_id: int) -> list[dict]:
        """The trap bounds the run's crawl hit: [{reason, pattern, skipped}] (none for a run recorded before
        schema 4)."""
        with self.engine.connect() as conn:
            return [{"reason": r.reason, "pattern": r.pattern, "skipped": r.skipped} for r in
                    conn.execute(select(traps).where(traps.c.run_id == run_id).order_by(traps.c.reason, traps.c.pattern))]

    @_retrying
    def decisions(self, site: str, before_id: int | None = None, origin: str | None = None) -> dict[str, dict]:
        """The latest review of each URL of the site (from earlier runs), with the page as it was then
        (what the decision rested on) and the origin of the run it was made in:
        {url: {decision, notes, corrected_task, target, run_id, audited_at, origin, content_hash, task,
        status, noindex, robots_blocked, views, redirect_to, recommendation}}. A review that only set
        notes does not hide an earlier decision's fields. With ``origin``, URLs (keys, target, redirect_to)
        decided when the site was at another origin are matched to this one by path."""
        query = (select(reviews, runs.c.audited_at, runs.c.origin, pages.c.content_hash, pages.c.redirect_to,
                        pages.c.recommendation, pages.c.task, pages.c.status, pages.c.noindex,
                        pages.c.robots_blocked, pages.c.views, pages.c.inlinks_nav)
                 .join(runs, runs.c.id == reviews.c.run_id)
                 .join(pages, (pages.c.run_id == reviews.c.run_id) & (pages.c.url == reviews.c.url), isouter=True)
                 .where((runs.c.site == site) & DONE).order_by(reviews.c.run_id))
        if before_id is not None:
            query = query.where(reviews.c.run_id < before_id)
        out: dict[str, dict] = {}
        origins: dict[int, str] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                entry = dict(row._mapping)
                if not entry.get("origin"):  # a run recorded before origins were: its most common origin
                    if entry["run_id"] not in origins:
                        origins[entry["run_id"]] = dominant_origin(
                            r.url for r in conn.execute(select(pages.c.url).where(pages.c.run_id == entry["run_id"])))
                    entry["origin"] = origins[entry["run_id"]]
                url = row.url
                if origin and entry["origin"] != origin:
                    url = rebase(url, entry["origin"], origin)
                    for key in ("target", "redirect_to"):
                        entry[key] = rebase(entry.get(key), entry["origin"], origin)
                before = out.get(url)
                if entry.get("source") == "withdrawn":  # the decision is withdrawn; its notes may stay
                    entry["decision"] = entry["target"] = None
                elif not entry.get("decision") and before and before.get("decision"):
                    # notes (or a corrected task) only: the earlier decision, and what it rested on, hold
                    entry = {**before, "notes": entry.get("notes") or before.get("notes"),
                             "corrected_task": entry.get("corrected_task") or before.get("corrected_task")}
                out[url] = entry  # later runs replace earlier ones
        return out

    @_retrying
    def origin(self, run: dict) -> str | None:
        """The origin (scheme://host:port) a run crawled: recorded, or its pages' most common one."""
        if run.get("origin"):
            return run["origin"]
        with self.engine.connect() as conn:
            return dominant_origin(r.url for r in conn.execute(select(pages.c.url).where(pages.c.run_id == run["id"])))

    def series(self, site: str, also: int | None = None) -> list[dict]:
        """Per run of the site: date, URLs, pages, classified, no-task pages (for the trend chart);
        ``also``: the pending run being written now."""
        latest = {}
        for r in self.runs(site, also=also):  # a folder audited again counts once, with its latest audit, in the place
            latest[r["run_dir"]] = r  # of its first (dicts keep the order keys were first set in)
        return [{k: r[k] for k in ("id", "audited_at", "urls", "pages", "classified", "no_task")} for r in latest.values()]

    # ---- reviews ------------------------------------------------------------------------------
    @_retrying
    def merge_reviews(self, run_id: int, rows: list[dict], workbook: str, replace: bool = False) -> dict:
        """Merge reviewed rows into the reviews of ``run_id`` by URL, in one transaction. A URL reviewed
        before from the same workbook is updated (the reviewer changed their mind; a row left blank now
        is withdrawn). From another workbook, a different decision, corrected task or target is a
        conflict: with ``replace`` this workbook wins, else nothing is stored. Notes from another
        workbook are kept when this one has none. Returns the URLs {added, updated, unchanged,
        withdrawn}, the conflicts [{url, field, then, now, workbook}] and how many rows from other
        workbooks were kept."""
        stamp = _now()
        fields = ("decision", "notes", "corrected_task", "target")
        result = {"added": [], "updated": [], "unchanged": [], "withdrawn": [], "conflicts": [], "kept": 0}
        with self.engine.begin() as conn:
            existing = {r.url: dict(r._mapping) for r in conn.execute(select(reviews).where(reviews.c.run_id == run_id))}
            incoming = {row["url"]: row for row in rows}
            writes, deletes = [], []
            for url, row in incoming.items():
                old = existing.get(url)
                new = {k: row.get(k) for k in fields}
                source, owner = row.get("source"), workbook
                if old is None:
                    result["added"].append(url)
                elif old.get("workbook") != workbook:
                    theirs = Path(old.get("workbook") or "?")
                    label = f"{theirs.parent.name}/{theirs.name}" if theirs.parent.name else theirs.name
                    if source == "withdrawn" and old.get("decision"):
                        result["conflicts"].append({"url": url, "field": "decision", "then": old["decision"],
                                                    "now": "(withdrawn)", "workbook": label})
                    for k in ("decision", "corrected_task", "target"):
                        if old.get(k) and new[k] and old[k] != new[k]:
                            result["conflicts"].append({"url": url, "field": k, "then": old[k], "now": new[k],
                                                        "workbook": label})
                    if old.get("notes") and new["notes"] and new["notes"] not in old["notes"]:
                        new["notes"] = f"{old['notes']} / {new['notes']}"  # both teams' notes
                    for k in fields:  # what this workbook leaves blank, the other one's row keeps
                        new[k] = new[k] or old.get(k)
                    if source == "withdrawn":
                        new["decision"] = new["target"] = None
                    if not any(row.get(k) for k in ("decision", "corrected_task", "target")) and source != "withdrawn":
                        owner, source = old.get("workbook"), old.get("source")  # notes added: still theirs
                    if all(new[k] == old.get(k) for k in fields):
                        result["unchanged"].append(url)
                        continue
                    result["updated"].append(url)
                elif all(new[k] == old.get(k) for k in fields) and source == old.get("source"):
                    result["unchanged"].append(url)
                    continue
                else:
                    result["updated"].append(url)
                writes.append({**new, "url": url, "run_id": run_id, "imported_at": stamp, "workbook": owner,
                               "source": source})
            for url, old in existing.items():
                if url in incoming:
                    continue
                if old.get("workbook") == workbook:
                    result["withdrawn"].append(url)
                    deletes.append(url)
                else:
                    result["kept"] += 1
            if result["conflicts"] and not replace:
                return result  # nothing written
            for url in deletes + [w["url"] for w in writes if w["url"] in existing]:
                conn.execute(reviews.delete().where((reviews.c.run_id == run_id) & (reviews.c.url == url)))
            if writes:
                conn.execute(reviews.insert(), writes)
        return result

    @_retrying
    def review_count(self, run_id: int) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(reviews).where(reviews.c.run_id == run_id)).scalar_one()


def dominant_origin(urls) -> str | None:
    """The most common scheme://host[:port] among ``urls``."""
    from collections import Counter

    counts = Counter(origin_of(u) for u in urls)
    return counts.most_common(1)[0][0] if counts else None


def origin_of(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def rebase(url, old: str | None, new: str | None):
    """``url`` moved from origin ``old`` to ``new`` (http -> https, a new host or port); others unchanged."""
    if not isinstance(url, str) or not old or not new or old == new:
        return url
    if url == old or url.startswith(old + "/") or url.startswith(old + "?"):
        return new + url[len(old):]
    return url


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
