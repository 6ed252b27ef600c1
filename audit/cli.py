"""The ``longneck`` command. Each subcommand parses its options and calls one library function."""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

from . import __version__
from .config import ConfigError, load_config


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


def cmd_check(args) -> int:
    config = load_config(args.config, _pairs(args.set, "--set"))
    print(f"{args.config}: valid ({len(config.tasks)} tasks, fingerprint {config.fingerprint()})")
    for key, value in config.site.items():
        print(f"  site.{key} = {value!r}")
    return 0


def cmd_crawl(args) -> int:
    from crawler.run import crawl, format_summary

    config = load_config(args.config, _pairs(args.set, "--set"))
    scrapy_settings = {**config.scrapy, **_pairs(args.scrapy_set, "--scrapy-set")}
    summary = crawl(config.site, args.out, resume=args.resume, scrapy_overrides=scrapy_settings,
                    progress=_progress(args))
    print(format_summary(summary))
    print(f"pages: {Path(args.out) / 'pages.jsonl'}")
    return 0 if summary["complete"] else 3


def cmd_demo(args) -> int:
    from crawler.run import format_summary

    from .demo import run_demo

    out, summary = run_demo(args.out, progress=_progress(args))
    print(format_summary(summary))
    print(f"pages: {out / 'pages.jsonl'}")
    print(f"crawl summary: {out / 'crawl.json'}")
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

    p = sub.add_parser("check", help="validate a config file and show the resolved settings",
                       description="Validate CONFIG (every key, type and value) and print the resolved [site] settings.")
    p.add_argument("config", metavar="CONFIG", help="TOML config file")
    p.add_argument("--set", action="append", metavar="SECTION.KEY=VALUE", help="override a config key (repeatable)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("crawl", help="crawl a site into DIR/pages.jsonl",
                       description="Crawl the site CONFIG describes, politely and breadth first, writing one JSON "
                                   "record per URL to DIR/pages.jsonl as pages arrive and a summary to DIR/crawl.json. "
                                   "Exit status: 0 complete, 1 error, 3 stopped early (resume with --resume).")
    p.add_argument("config", metavar="CONFIG", help="TOML config file (see config/example.toml)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for this run's files")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted crawl in DIR without refetching what it already has")
    p.add_argument("--scrapy-set", action="append", metavar="NAME=VALUE",
                   help="set a Scrapy setting, e.g. --scrapy-set SCHEDULER=scrapy_redis.scheduler.Scheduler (repeatable)")
    common(p)
    p.set_defaults(func=cmd_crawl)

    p = sub.add_parser("demo", help="audit the bundled demo site (no internet needed)",
                       description="Serve the bundled demo site (a fictional municipality) on 127.0.0.1 and run "
                                   "the whole pipeline on it.")
    p.add_argument("--out", metavar="DIR", help="folder for the run (default: audits/demo/DATE-TIME)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"longneck: config error: {exc}", file=sys.stderr)
        return 2
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
