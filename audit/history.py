"""The history of audits: every run, its pages and the reviewers' decisions, in one database.

SQLite by default (``history.sqlite`` in the folder that holds the run folders), or any database
SQLAlchemy reaches through ``[history] database`` (``postgresql://user@host/db`` for a team sharing
one history). Tables (created on first use):

- ``runs``: id, site, run folder, audited_at, config fingerprint, tool version, counts.
- ``pages``: per run and URL: status, task, confidence, recommendation, reasons, content hash,
  redirect target, depth, navigation inlinks, noindex, robots blocked, final URL.
- ``tasks``: per run and task: pages, best page and its depth, competing duplicates, stale share.
- ``reviews``: per run and URL: the reviewer's decision, notes and corrected task, when and from
  which workbook they were imported.

A review import is one transaction: every row is checked first and nothing is stored unless all are
valid.
"""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import (Boolean, Column, Float, ForeignKey, Integer, MetaData, String, Table, Text, create_engine,
                        func, select)
from sqlalchemy.exc import SQLAlchemyError

from .runs import RunError

SCHEMA_VERSION = 1
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
)
pages = Table(
    "pages", metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("url", Text, primary_key=True),
    Column("status", Integer), Column("task", String(100)), Column("confidence", Float),
    Column("recommendation", String(20)), Column("reasons", Text), Column("content_hash", String(64)),
    Column("redirect_to", Text), Column("redirect_status", Integer), Column("depth", Integer),
    Column("inlinks_nav", Integer), Column("noindex", Boolean), Column("robots_blocked", Boolean),
    Column("final_url", Text), Column("title", Text),
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
)


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


class History:
    """``History(url)``: open (and create) the history database."""

    def __init__(self, url: str):
        self.url = url
        try:
            self.engine = create_engine(url, future=True)
            if url.startswith("sqlite"):
                from sqlalchemy import event

                @event.listens_for(self.engine, "connect")
                def _pragmas(conn, _record):
                    conn.execute("PRAGMA foreign_keys=ON")
            metadata.create_all(self.engine)
        except (SQLAlchemyError, ModuleNotFoundError, OSError) as exc:
            raise HistoryError(f"history database {_safe(url)}: {exc.__class__.__name__}: {str(exc).splitlines()[0]}") from None

    def close(self) -> None:
        self.engine.dispose()

    # ---- writing a run ------------------------------------------------------------------------
    def record_run(self, site: str, run_dir, fingerprint: str, version: str, summary: dict, page_rows: list,
                   task_rows: list) -> int:
        """Store one audit; returns its run id."""
        with self.engine.begin() as conn:
            run_id = conn.execute(runs.insert().values(
                site=site, run_dir=str(Path(run_dir).resolve()), audited_at=_now(), config_fingerprint=fingerprint,
                tool_version=version, schema_version=SCHEMA_VERSION, urls=summary.get("urls"),
                pages=summary.get("pages"), classified=summary.get("classified"), no_task=summary.get("no_task"),
            )).inserted_primary_key[0]
            for start in range(0, len(page_rows), 5000):
                conn.execute(pages.insert(), [{**row, "run_id": run_id} for row in page_rows[start:start + 5000]])
            if task_rows:
                conn.execute(tasks.insert(), [{**row, "run_id": run_id} for row in task_rows])
        return int(run_id)

    # ---- reading ------------------------------------------------------------------------------
    def runs(self, site: str | None = None) -> list[dict]:
        query = select(runs).order_by(runs.c.id)
        if site is not None:
            query = query.where(runs.c.site == site)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def run(self, run_id: int) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(runs).where(runs.c.id == run_id)).first()
        return dict(row._mapping) if row else None

    def run_for_folder(self, run_dir) -> dict | None:
        """The latest run recorded for this run folder."""
        with self.engine.connect() as conn:
            row = conn.execute(select(runs).where(runs.c.run_dir == str(Path(run_dir).resolve()))
                               .order_by(runs.c.id.desc())).first()
        return dict(row._mapping) if row else None

    def previous_run(self, site: str, before_id: int | None = None) -> dict | None:
        query = select(runs).where(runs.c.site == site).order_by(runs.c.id.desc())
        if before_id is not None:
            query = query.where(runs.c.id < before_id)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return dict(row._mapping) if row else None

    def pages(self, run_id: int) -> dict[str, dict]:
        with self.engine.connect() as conn:
            return {r.url: dict(r._mapping) for r in conn.execute(select(pages).where(pages.c.run_id == run_id))}

    def tasks(self, run_id: int) -> dict[str, dict]:
        with self.engine.connect() as conn:
            return {r.task: dict(r._mapping) for r in conn.execute(select(tasks).where(tasks.c.run_id == run_id))}

    def decisions(self, site: str, before_id: int | None = None) -> dict[str, dict]:
        """The latest review of each URL of the site (from earlier runs), with the page as it was then:
        {url: {decision, notes, corrected_task, run_id, audited_at, content_hash, redirect_to, ...}}."""
        query = (select(reviews, runs.c.audited_at, pages.c.content_hash, pages.c.redirect_to,
                        pages.c.recommendation, pages.c.task)
                 .join(runs, runs.c.id == reviews.c.run_id)
                 .join(pages, (pages.c.run_id == reviews.c.run_id) & (pages.c.url == reviews.c.url), isouter=True)
                 .where(runs.c.site == site).order_by(reviews.c.run_id))
        if before_id is not None:
            query = query.where(reviews.c.run_id < before_id)
        out: dict[str, dict] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                out[row.url] = dict(row._mapping)  # later runs replace earlier ones
        return out

    def series(self, site: str) -> list[dict]:
        """Per run of the site: date, URLs, pages, classified, no-task pages (for the trend chart)."""
        return [{k: r[k] for k in ("id", "audited_at", "urls", "pages", "classified", "no_task")} for r in self.runs(site)]

    # ---- reviews ------------------------------------------------------------------------------
    def store_reviews(self, run_id: int, rows: list[dict], workbook: str) -> int:
        """Replace the reviews of ``run_id`` with ``rows`` in one transaction; returns how many."""
        stamp = _now()
        with self.engine.begin() as conn:
            conn.execute(reviews.delete().where(reviews.c.run_id == run_id))
            if rows:
                conn.execute(reviews.insert(), [{**row, "run_id": run_id, "imported_at": stamp, "workbook": workbook}
                                                for row in rows])
        return len(rows)

    def review_count(self, run_id: int) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(reviews).where(reviews.c.run_id == run_id)).scalar_one()


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
