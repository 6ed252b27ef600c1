"""Shared fixtures: local servers only, and crawls run through the real CLI in a subprocess (Scrapy's
reactor runs once per process, as it does for a user)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(value)


def write_config(path: Path, site: dict, extra: str = "") -> Path:
    site = {"name": "test site", "autothrottle": False, "concurrency": 4, **site}
    lines = ["[site]"] + [f"{k} = {toml_value(v)}" for k, v in site.items()]
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def longneck(*args, check=True, timeout=240, **kwargs) -> subprocess.CompletedProcess:
    """Run the longneck CLI as a user would, in its own process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "audit.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT, **kwargs)
    if check and proc.returncode != 0:
        raise AssertionError(f"longneck {' '.join(map(str, args))} exited {proc.returncode}\n"
                             f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-4000:]}")
    return proc


def read_records(out: Path) -> list[dict]:
    with open(Path(out) / "pages.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def crawl(tmp_path: Path, site: dict, name: str = "run", extra: str = "", args=()) -> tuple[list[dict], dict]:
    config = write_config(tmp_path / f"{name}.toml", site, extra)
    out = tmp_path / name
    longneck("crawl", config, "--out", out, "-q", *args)
    return read_records(out), json.loads((out / "crawl.json").read_text())


def path_of(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture
def demo_server():
    from audit.demo import SITE_DIR
    from audit.demo.server import SiteServer

    with SiteServer(SITE_DIR) as server:
        yield server
