"""The ``longneck`` command. Each subcommand parses its options and calls one library function."""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

from . import __version__
from .config import ConfigError, load_config
from .review import WorkbookError
from .runs import RunError


def _value(text: str):
    """A --set value as TOML would read it (numbers, booleans, lists), else the plain string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _pairs(items, what: str) -> dict:
    out = {}
    for item in items or ():
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"{what} '{item}': expected NAME=VALUE")
        out[name.strip()] = _value(value.strip())
    return out


def _progress(args) -> bool | None:
    return False if args.quiet else None


TOO_FEW = 4  # exit status: the workbook is written, but the crawl had too few pages with content to classify


def cmd_check(args) -> int:
    from .check import check_inputs

    config = load_config(args.config, _pairs(args.set, "--set"))
    found = check_inputs(config)
    print(f"{args.config}: valid ({len(config.tasks)} tasks, fingerprint {config.fingerprint()})")
    for key, value in config.site.items():
        print(f"  site.{key} = {value!r}")
    for line in found:
        print(f"  {line}")
    return 0


def cmd_crawl(args) -> int:
    from crawler.run import crawl, format_summary, refuse_crawled

    from .runs import save_config, site_for_crawl

    config = load_config(args.config, _pairs(args.set, "--set"))
    scrapy_settings = {**config.scrapy, **_pairs(args.scrapy_set, "--scrapy-set")}
    refuse_crawled(args.out, args.resume)  # before config.json is written: a refused crawl changes nothing
    Path(args.out).mkdir(parents=True, exist_ok=True)
    if not args.resume or not (Path(args.out) / "config.json").exists():
        save_config(args.out, config)
    if args.workers is not None or args.redis:
        from crawler.distributed import crawl_with_workers

        if args.workers is not None and args.workers < 0:
            raise ConfigError(f"--workers {args.workers}: expected 0 or more worker processes")
        workers = 1 if args.workers is None else args.workers
        summary = crawl_with_workers(site_for_crawl(config), args.out, workers, redis_url=args.redis,
                                     resume=args.resume, scrapy_overrides=scrapy_settings, progress=_progress(args))
    else:
        summary = crawl(site_for_crawl(config), args.out, resume=args.resume, scrapy_overrides=scrapy_settings,
                        progress=_progress(args))
    print(format_summary(summary))
    print(f"pages: {Path(args.out) / 'pages.jsonl'}")
    return 0 if summary["finish_reason"] == "finished" else 3  # a max_pages cut is the user's setting


def cmd_worker(args) -> int:
    from crawler.distributed import run_worker

    config = load_config(args.config, _pairs(args.set, "--set"))
    scrapy_settings = {**config.scrapy, **_pairs(args.scrapy_set, "--scrapy-set")}
    result = run_worker(args.redis, args.run, args.out, site=config.site, scrapy_overrides=scrapy_settings,
                        progress=_progress(args))
    print(f"worker {result['worker']} of run {result['run']}: {result['records']} URLs recorded in {result['part']} "
          f"({result['finish_reason']})")
    return 0 if result["finish_reason"] == "finished" else 3


def _report(audit, path) -> None:
    summary = audit.summary
    print(f"{summary['urls']} URLs audited; {summary['no_task']} of {summary['classified']} classified pages "
          f"({summary['no_task_share']:.0%}) serve no top task")
    for rec, count in sorted(summary["recommendations"].items(), key=lambda kv: -kv[1]):
        print(f"  {rec:<10} {count:>6}")
    for note in audit.notes:
        print(f"note: {note}", file=sys.stderr)
    if audit.run_id is not None:
        database = dict(audit.settings).get("history database", "")
        print(f"history: run {audit.run_id} in {database}")
    print(f"workbook: {path}")


def cmd_run(args) -> int:
    from crawler.run import format_summary

    from .pipeline import run

    config = load_config(args.config, _pairs(args.set, "--set"))
    from .check import check_inputs

    check_inputs(config)  # a bad labels or analytics file fails now, not after the crawl
    if args.dated:
        from .schedule import dated_folder, run_lock

        root = Path(args.out)
        with run_lock(root):
            out = dated_folder(root)
            path, summary, audit = run(config, out, progress=_progress(args), announce=lambda _: None,
                                       history=not args.no_history)
    else:
        path, summary, audit = run(config, args.out, progress=_progress(args), announce=lambda _: None,
                                   resume=args.resume, history=not args.no_history)
    print(format_summary(summary))
    _report(audit, path)
    if "too_few_pages" in audit.summary:
        return TOO_FEW
    return 0 if summary["finish_reason"] == "finished" else 3  # a max_pages cut is the user's setting


def cmd_schedule(args) -> int:
    from .schedule import cron_line, install, slug, systemd_units

    config_path = Path(args.config)
    config = load_config(config_path)
    root = Path(args.out or Path("audits") / slug(config.site["name"]))
    if args.print:
        if args.cron:
            print(cron_line(config.site["name"], config_path, root, args.every))
        else:
            for name, text in systemd_units(config.site["name"], config_path, root, args.every).items():
                print(f"# ~/.config/systemd/user/{name}\n{text}")
            print("# or, where there is no systemd user session, this crontab line:")
            print(cron_line(config.site["name"], config_path, root, args.every))
        return 0
    print(install(config.site["name"], config_path, root, args.every, cron=args.cron))
    print(f"each run writes {root.resolve()}/YYYY-MM-DD/audit.xlsx and records it in the history")
    return 0


def cmd_audit(args) -> int:
    from .pipeline import audit_run, write_audit
    from .runs import run_config

    config = run_config(args.run_dir, args.config)
    if args.set:
        from .config import parse_config

        data = config.as_dict()
        config = parse_config(data, source=config.source, overrides=_pairs(args.set, "--set"))
    audit = audit_run(args.run_dir, config, history=not args.no_history)
    _report(audit, write_audit(args.run_dir, audit, args.output))
    return TOO_FEW if "too_few_pages" in audit.summary else 0


def cmd_review_import(args) -> int:
    from .review import import_review

    result = import_review(args.workbook, args.database, replace=args.replace)
    print(f"imported {result['reviews']} reviewed row(s) for run {result['run_id']} "
          f"({result['decisions']} decisions, {result['corrected']} corrected tasks, {result['labels']} of them "
          f"from the Label queue) into {result['database']}")
    if result["carried"]:
        print(f"  {result['carried']} of them are earlier decisions carried forward unchanged; "
              f"{result['reviews'] - result['carried']} are new or changed this round")
    print(f"  new {len(result['added'])}, updated {len(result['updated'])}, unchanged {len(result['unchanged'])}, "
          f"withdrawn {len(result['withdrawn'])}; reviews of this run from other workbooks kept: {result['kept']}")
    for conflict in result["conflicts"]:  # only with --replace: this workbook won
        print(f"  replaced: {conflict['url']}: {conflict['field']} {conflict['then']!r} (from {conflict['workbook']}) "
              f"-> {conflict['now']!r}")
    for url in result["withdrawn"]:
        print(f"  withdrawn (blank now in this workbook): {url}")
    for warning in result["warnings"]:
        print(f"  warning: {warning}")
    print("they take effect at the next `longneck run` or `longneck audit` of this site")
    return 0


def cmd_compare(args) -> int:
    from .changes import compare_runs, summary_counts, tasks_then_and_now
    from .history import History, database_url
    from .runs import RunError, run_config

    config = run_config(args.run_b)
    store = History(database_url(args.database or config.history["database"], args.run_b))
    try:
        ids = []
        for folder in (args.run_a, args.run_b):
            run = store.run_for_folder(folder)
            if run is None:
                raise RunError(f"{folder} is not in the history {store.url}: run `longneck audit {folder}` first")
            ids.append(run["id"])
        changes = compare_runs(store, *ids)
        tasks = tasks_then_and_now(store, *ids)
        runs = {r["id"]: r for r in store.runs()}
    finally:
        store.close()
    a, b = runs[ids[0]], runs[ids[1]]
    print(f"{args.run_a} (run {a['id']}, {a['audited_at']}): {a['urls']} URLs, {a['no_task']} of {a['classified']} "
          f"classified pages serve no top task")
    print(f"{args.run_b} (run {b['id']}, {b['audited_at']}): {b['urls']} URLs, {b['no_task']} of {b['classified']} "
          f"classified pages serve no top task")
    counts = summary_counts(changes)
    print("changes: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"))
    print(tasks.to_string(index=False))
    if args.csv:
        changes.to_csv(args.csv, index=False)
        print(f"changed pages: {args.csv}")
    else:
        for row in changes.itertuples():
            print(f"  {row.change:<28} {row.cause:<20} {row.url}")
    return 0


def cmd_demo(args) -> int:
    from crawler.run import format_summary

    from .demo import run_demo

    out, summary, audit, path = run_demo(args.out, progress=_progress(args))
    print(format_summary(summary))
    print(f"pages: {out / 'pages.jsonl'}")
    print(f"crawl summary: {out / 'crawl.json'}")
    _report(audit, path)
    return 0


def _classified(args):
    from .classify import classify_run, write_classification
    from .runs import read_labels, run_config

    config = run_config(args.run_dir, args.config)
    extra = read_labels(args.labels, [t["id"] for t in config.tasks]) if args.labels else {}
    result, queue, _ = classify_run(args.run_dir, config, extra_labels=extra, queue_size=args.size)
    write_classification(args.run_dir, result, queue)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return result, queue


def cmd_classify(args) -> int:
    result, _ = _classified(args)
    counts = result.table["task"].value_counts()
    print(f"{len(result.table)} pages classified; pages per task:")
    for task, count in counts.items():
        print(f"  {task:<28} {count:>6}  ({count / len(result.table):.0%})")
    print(f"written: {Path(args.run_dir) / 'classification.csv'}, {Path(args.run_dir) / 'label_queue.csv'}")
    return 0


def cmd_label_queue(args) -> int:
    run_dir = Path(args.run_dir)
    if (run_dir / "audit.xlsx").exists():
        # an audited (archived) run: its classification.csv and label_queue.csv belong to its workbook and
        # history record, so they are left alone and the new queue gets a name of its own
        import time

        from .classify import classify_run
        from .runs import read_labels, run_config

        config = run_config(run_dir, args.config)
        extra = read_labels(args.labels, [t["id"] for t in config.tasks]) if args.labels else {}
        result, queue, _ = classify_run(run_dir, config, extra_labels=extra, queue_size=args.size)
        for warning in result.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        target = run_dir / f"label_queue-{time.strftime('%Y%m%d-%H%M%S')}.csv"
        queue.to_csv(target, index=False)
        print(f"{run_dir} has been audited: its classification.csv and label_queue.csv are left as they were; "
              f"this queue: {target}", file=sys.stderr)
    else:
        _, queue = _classified(args)
    print("Label these pages first (url,task into your labels CSV), best first:")
    for row in queue.itertuples():
        print(f"{row.url}\t(now {row.task}, else {row.runner_up}; uncertainty {row.uncertainty:.2f})")
    return 0


def cmd_evaluate(args) -> int:
    from .classify import evaluate_run
    from .runs import run_config

    report = evaluate_run(args.run_dir, run_config(args.run_dir, args.config), args.labels)
    print(f"{report['scored']} labelled pages scored (their labels and the example pages held out)")
    print(report["per_class"].to_string(index=False))
    print(f"macro-F1 {report['macro_f1']:.3f}   accuracy {report['accuracy']:.3f}")
    print("confusion (rows: label, columns: predicted):")
    print(report["confusion"].to_string())
    wrong = report["wrong"]
    print(f"pages it got wrong: {len(wrong)}" + (" (label -> predicted, confidence, runner-up)" if len(wrong) else ""))
    for row in wrong.itertuples():
        confidence = f"{row.confidence:.2f}" if row.confidence == row.confidence else "-"
        print(f"  {row.url}\t{row.label} -> {row.predicted}\t{confidence}\t{row.runner_up}")
    if args.wrong:
        wrong.to_csv(args.wrong, index=False)
        print(f"written: {args.wrong}")
    if report["not_crawled"]:
        missing = report["not_crawled"]
        print(f"not scored, not among the crawled pages with content ({len(missing)}; check the URL, its "
              f"trailing slash, its redirect): " + ", ".join(missing[:20]) + (" ..." if len(missing) > 20 else ""),
              file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="longneck",
        description="Audit a service website's content against the organisation's top tasks.",
        epilog="Run 'longneck COMMAND --help' for a command's options. Documentation: README.md.",
    )
    parser.add_argument("--version", action="version", version=f"longneck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def common(p):
        p.add_argument("--set", action="append", metavar="SECTION.KEY=VALUE",
                       help="override a config key for this run, e.g. --set site.max_pages=200 (repeatable)")
        p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("check", help="validate a config and the files it names, before crawling",
                       description="Validate CONFIG (every key, type and value) and what `longneck run` will need "
                                   "before it crawls: at least one task, every task example in the crawl's scope, "
                                   "the labels CSV and the analytics exports readable (comma or semicolon CSV), "
                                   "the rule list. Prints the resolved [site] settings and what was found.")
    p.add_argument("config", metavar="CONFIG", help="TOML config file")
    p.add_argument("--set", action="append", metavar="SECTION.KEY=VALUE", help="override a config key (repeatable)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("crawl", help="crawl a site into DIR/pages.jsonl",
                       description="Crawl the site CONFIG describes, politely and breadth first, writing one JSON "
                                   "record per URL to DIR/pages.jsonl as pages arrive and a summary to DIR/crawl.json. "
                                   "Exit status: 0 finished (complete, or incomplete at site.max_pages), 1 error, 3 stopped early "
                                   "(resume with --resume).")
    p.add_argument("config", metavar="CONFIG", help="TOML config file (see config/example.toml)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for this run's files")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted crawl in DIR without refetching what it already has")
    p.add_argument("--workers", type=int, metavar="N",
                   help="crawl with N local worker processes sharing one frontier in Redis, into one run folder "
                        "(0: only workers that join with `longneck worker`)")
    p.add_argument("--redis", metavar="URL",
                   help="the Redis holding the shared frontier, e.g. redis://10.0.0.5:6379/0 (default with "
                        "--workers: a private redis-server on 127.0.0.1, its data in DIR/.redis)")
    p.add_argument("--scrapy-set", action="append", metavar="NAME=VALUE",
                   help="set a Scrapy setting, e.g. --scrapy-set DOWNLOAD_DELAY=0.5 (repeatable)")
    common(p)
    p.set_defaults(func=cmd_crawl)

    p = sub.add_parser("worker", help="join a crawl with workers from another machine",
                       description="Join a crawl started with `longneck crawl CONFIG --out DIR --workers N --redis URL`: "
                                   "take URLs from the shared frontier in Redis, fetch them and write the records to "
                                   "OUT/pages.worker-K.jsonl until the crawl is finished. CONFIG's [site] must agree "
                                   "with the run on what to crawl (start URLs, scope, limits); its [scrapy] applies to "
                                   "this worker. Exit status: 0 the crawl finished, 1 error, 3 stopped early.")
    p.add_argument("config", metavar="CONFIG", help="TOML config file (the same site as the run)")
    p.add_argument("--redis", required=True, metavar="URL", help="the run's Redis, e.g. redis://10.0.0.5:6379/0")
    p.add_argument("--run", metavar="ID", help="the run id the coordinator printed (default: the only run in progress)")
    p.add_argument("--out", metavar="DIR",
                   help="folder for this worker's part files (default: the run folder, when it is on shared storage); "
                        "copy them into the run folder before the coordinator finalizes, or resume it")
    p.add_argument("--scrapy-set", action="append", metavar="NAME=VALUE", help="set a Scrapy setting (repeatable)")
    common(p)
    p.set_defaults(func=cmd_worker)

    def no_history(p):
        p.add_argument("--no-history", action="store_true",
                       help="do not record this audit in the history (nor carry earlier decisions forward)")

    def run_dir_options(p, labels_help):
        p.add_argument("run_dir", metavar="RUN_DIR", help="folder of a crawl (holds pages.jsonl)")
        p.add_argument("--config", metavar="CONFIG", help="use this config (e.g. with changed tasks) instead of "
                                                          "the one saved with the run")
        p.add_argument("--labels", metavar="FILE", help=labels_help)
        p.add_argument("--size", type=int, default=50, metavar="N", help="length of the label queue (default 50)")

    p = sub.add_parser("run", help="crawl, classify, audit and write DIR/audit.xlsx",
                       description="The whole audit: crawl the site CONFIG describes into DIR/pages.jsonl, classify "
                                   "every page into a top task or none, apply the audit rules and write the "
                                   "workbook DIR/audit.xlsx. Exit status: 0 complete, 1 error, 2 bad config, "
                                   "3 crawl stopped early (the workbook covers what was crawled). A crawl that reached site.max_pages "
                                   "exits 0 and is marked incomplete.")
    p.add_argument("config", metavar="CONFIG", help="TOML config file (see config/example.toml)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for this run's files")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted crawl in DIR, then audit it")
    no_history(p)
    p.add_argument("--dated", action="store_true",
                   help="DIR is a folder of runs: write a new DIR/YYYY-MM-DD and hold DIR/.longneck.lock "
                        "(what scheduled runs do)")
    common(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("schedule", help="re-audit the site every quarter (systemd timer or crontab)",
                       description="Install a systemd user timer (Persistent: a run missed while the machine was "
                                   "off happens at the next start) or, without a systemd user session or with --cron, "
                                   "a crontab entry that runs `longneck run CONFIG --dated --out DIR`. Each run writes "
                                   "a new dated folder (a reviewed workbook is never overwritten) and takes a lock so "
                                   "two runs never overlap.")
    p.add_argument("config", metavar="CONFIG", help="TOML config file")
    p.add_argument("--every", choices=["quarter", "month", "week"], default="quarter",
                   help="how often (default quarter: 1 January, April, July and October)")
    p.add_argument("--out", metavar="DIR", help="folder for the dated runs (default audits/SITE)")
    p.add_argument("--print", action="store_true", help="show the timer (or crontab line) without installing it")
    p.add_argument("--cron", action="store_true", help="use crontab even where systemd is available")
    p.set_defaults(func=cmd_schedule)

    p = sub.add_parser("audit", help="re-run the audit and the workbook on an existing crawl",
                       description="Classify, apply the audit rules and write RUN_DIR/audit.xlsx from an existing "
                                   "crawl, without re-crawling: after changing thresholds, rules, tasks, labels or "
                                   "analytics exports.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="folder of a crawl (holds pages.jsonl)")
    p.add_argument("--config", metavar="CONFIG", help="use this config instead of the one saved with the run")
    p.add_argument("--set", action="append", metavar="SECTION.KEY=VALUE",
                   help="override a key, e.g. --set audit.thin_words=100 (repeatable)")
    p.add_argument("--output", metavar="FILE", help="workbook to write (default RUN_DIR/audit.xlsx)")
    no_history(p)
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("review", help="import a reviewed workbook",
                       description="Reviewer decisions: `longneck review import WORKBOOK` stores the Decision, Notes "
                                   "and Corrected task columns of a reviewed audit workbook in the history.")
    review = p.add_subparsers(dest="review_command", metavar="ACTION", required=True,
                              help="import: store a reviewed workbook's decisions")
    q = review.add_parser("import", help="store a reviewed workbook's decisions, notes and corrected tasks",
                          description="Read the Decision, Corrected task, Redirect target and Notes columns of "
                                      "WORKBOOK (as saved by Excel or LibreOffice) and the Label column of its Label "
                                      "queue sheet, check every row (problems are listed with their row numbers and "
                                      "nothing is stored) and merge them, URL by URL, into the history of the run the "
                                      "workbook was written for: several workbooks (one per team) can be imported for "
                                      "one run; a URL reviewed differently in two of them is a conflict. Decisions "
                                      "carry forward to the next audit; corrected tasks and labels become training "
                                      "labels.")
    q.add_argument("workbook", metavar="WORKBOOK", help="the reviewed audit.xlsx")
    q.add_argument("--database", metavar="URL", help="history database (default: the one named in the workbook's "
                                                     "Settings sheet)")
    q.add_argument("--replace", action="store_true",
                   help="when a URL was already reviewed differently from another workbook of the same run, let "
                        "this workbook's decision win (default: list the conflicts and import nothing)")
    q.set_defaults(func=cmd_review_import)
    p.set_defaults(func=cmd_review_import)

    p = sub.add_parser("compare", help="what changed between two audits",
                       description="Compare two audited runs of a site from the history: pages new and gone, task, "
                                   "recommendation, content and status changed, and pages per task then and now.")
    p.add_argument("run_a", metavar="RUN_A", help="the earlier run folder")
    p.add_argument("run_b", metavar="RUN_B", help="the later run folder")
    p.add_argument("--database", metavar="URL", help="history database (default: the one RUN_B's config names)")
    p.add_argument("--csv", metavar="FILE", help="write the changed pages to FILE instead of listing them")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("classify", help="map every page of a crawl to a top task or none",
                       description="Classify the pages of an existing crawl (no re-crawl) into the config's top "
                                   "tasks or 'none'; writes RUN_DIR/classification.csv and RUN_DIR/label_queue.csv.")
    run_dir_options(p, "extra labels CSV (url,task) on top of [classifier] labels")
    p.set_defaults(func=cmd_classify)

    p = sub.add_parser("label-queue", help="the pages whose labels would most improve the classifier",
                       description="Classify RUN_DIR and list the pages whose labels would help most, best first. "
                                   "Put url,task rows for them in your labels CSV and classify again. On an audited "
                                   "run (RUN_DIR/audit.xlsx exists) its files are left alone: the queue is written "
                                   "to RUN_DIR/label_queue-DATE-TIME.csv.")
    run_dir_options(p, "extra labels CSV (url,task) on top of [classifier] labels")
    p.set_defaults(func=cmd_label_queue)

    p = sub.add_parser("evaluate", help="check the classifier against a hand-labelled sample",
                       description="Per-class precision, recall and F1, macro-F1, a confusion table and the pages "
                                   "it got wrong, against FILE (url,task). The labels in FILE and the tasks' "
                                   "example pages are held out.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="folder of a crawl (holds pages.jsonl)")
    p.add_argument("--labels", metavar="FILE", required=True, help="hand-labelled CSV with columns url,task")
    p.add_argument("--config", metavar="CONFIG", help="use this config instead of the one saved with the run")
    p.add_argument("--wrong", metavar="CSV", help="also write the pages it got wrong to CSV (url, label, predicted, "
                                                  "confidence, runner_up, why)")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("demo", help="audit the bundled demo site (no internet needed)",
                       description="Serve the bundled demo site (a fictional municipality) on 127.0.0.1 and run "
                                   "the whole pipeline on it.")
    p.add_argument("--out", metavar="DIR", help="folder for the run (default: audits/demo/DATE-TIME)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_demo)
    return parser


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that Python's final flush into a closed pipe stays quiet."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from .review import WorkbookError

    try:
        status = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at exit
        return status
    except WorkbookError as exc:
        print(f"longneck: workbook error: {exc}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"longneck: config error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `longneck ... | head`: the reader has gone; not an error of ours
        _silence_stdout()
        return 141
    except RunError as exc:
        print(f"longneck: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("longneck: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # known failures carry their own message; anything else is a bug
        from crawler.run import CrawlError

        if isinstance(exc, CrawlError):
            print(f"longneck: {exc}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
