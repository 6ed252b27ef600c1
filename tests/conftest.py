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


def _pg_bin() -> Path | None:
    """The folder of Debian's PostgreSQL server programs (initdb, pg_ctl), newest version first."""
    import shutil

    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    found = shutil.which("initdb")
    return Path(found).parent if found else None


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory):
    """A real PostgreSQL server started for the test session from Debian's packages (initdb + pg_ctl on
    a free loopback port, trust authentication, its own data folder). Skipped, with the reason, only
    where none can be started."""
    import shutil
    import socket

    binaries = _pg_bin()
    if binaries is None:
        pytest.skip("PostgreSQL is not installed (Debian: apt-get install postgresql; tests/system-packages.sh does it)")
    root = tmp_path_factory.mktemp("postgres")
    data = root / "data"
    as_user: list = []
    if os.geteuid() == 0:  # initdb refuses to run as root: run the server as the postgres user
        if shutil.which("runuser") is None:
            pytest.skip("running as root, and runuser is missing to start PostgreSQL as another user")
        try:
            import pwd

            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres user to run the server as")
        os.chown(root, user.pw_uid, user.pw_gid)
        root.chmod(0o755)
        for parent in root.parents:  # the server must reach its folder
            if str(parent) in ("/", "/tmp"):
                break
            parent.chmod(parent.stat().st_mode | 0o011)
        as_user = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = lambda *cmd: subprocess.run([*as_user, *map(str, cmd)], capture_output=True, text=True, timeout=120)  # noqa: E731
    proc = run(binaries / "initdb", "-D", data, "-A", "trust", "-U", "longneck", "--no-sync")
    if proc.returncode != 0:
        pytest.skip(f"initdb failed: {proc.stderr.strip()[-300:]}")
    proc = run(binaries / "pg_ctl", "-D", data, "-l", root / "server.log", "-w", "-o",
               f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    if proc.returncode != 0:
        log = (root / "server.log").read_text() if (root / "server.log").exists() else ""
        pytest.skip(f"PostgreSQL did not start: {proc.stderr.strip()[-300:]} {log[-300:]}")
    try:
        yield f"postgresql://longneck@127.0.0.1:{port}/postgres"
    finally:
        run(binaries / "pg_ctl", "-D", data, "-m", "immediate", "stop")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real Redis server for the test session, from Debian's redis-server package: a free loopback port,
    its own folder, no persistence. Skipped, with the reason, only where none can be started."""
    import shutil
    import socket
    import time

    pytest.importorskip("redis", reason="the redis package is missing: pip install -e \".[test]\"")
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server; tests/system-packages.sh does it)")
    root = tmp_path_factory.mktemp("redis")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(root), "--save", "",
                             "--appendonly", "no", "--logfile", str(root / "redis.log")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 30
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if proc.poll() is not None or time.monotonic() > deadline:
                log = (root / "redis.log").read_text() if (root / "redis.log").exists() else ""
                proc.kill()
                pytest.skip(f"redis-server did not start: {log[-300:]}")
            time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(30)
