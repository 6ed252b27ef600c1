"""A crawl with workers (issue 14): the frontier in a real Redis (redis-server started by the
``redis_url`` fixture on a loopback port), worker processes started by the real CLI, compared record by
record with a crawl in one process. Every wait is for a condition (a request reaching the server, a key
in Redis, a process ending), with a generous timeout."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from .conftest import ROOT, longneck, path_of, read_records, write_config
from .hostile_server import RawServer, http
from .test_crawl_faults import FIELDS, comparable, page, site  # noqa: F401 - site: the fixture

pytest.importorskip("redis", reason="the redis package is missing: pip install -e \".[test]\"")


def wait_until(predicate, timeout: float = 120, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def start(config: Path, out: Path, *args) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "audit.cli", "crawl", str(config), "--out", str(out), "-q", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)


def pages_requested(server: RawServer) -> Counter:
    return Counter(p for p in server.log if p not in ("/robots.txt", "/sitemap.xml"))


def same_records(a: dict, b: dict) -> None:
    assert set(a) == set(b), f"missing: {sorted(set(b) - set(a))}; extra: {sorted(set(a) - set(b))}"
    differ = {u: {f: (a[u][f], b[u][f]) for f in FIELDS if a[u][f] != b[u][f]} for u in b if a[u] != b[u]}
    assert not differ, differ


@pytest.fixture(scope="module")
def clean(site, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("clean")
    config = write_config(tmp / "c.toml", {"start_urls": [site.server.url + "/"], "concurrency": 4})
    longneck("crawl", config, "--out", tmp / "out", "-q")
    return comparable(tmp / "out"), json.loads((tmp / "out" / "crawl.json").read_text())


def test_two_workers_record_what_one_process_records(redis_url, site, clean, tmp_path):
    config = write_config(tmp_path / "c.toml", {"start_urls": [site.server.url + "/"], "concurrency": 4})
    out = tmp_path / "out"
    before = len(site.server.log)
    proc = longneck("crawl", config, "--out", out, "-q", "--workers", "2", "--redis", redis_url)
    assert "crawl complete" in proc.stdout
    records, summary = clean
    same_records(comparable(out), records)
    # one run folder: the parts are merged, and every page and sitemap was fetched once by one of the workers
    assert not list(out.glob("*.worker-*.jsonl"))
    fetched = Counter(p for p in site.server.log[before:] if p != "/robots.txt")
    assert fetched and max(fetched.values()) == 1, [p for p, n in fetched.items() if n > 1]
    assert {"/index.xml", "/sm1.xml", "/sm2.xml"} <= set(fetched)
    # robots.txt as in one process: read once for its Sitemap lines, once for its rules, which every worker shares
    assert site.server.log[before:].count("/robots.txt") == 2
    crawl = json.loads((out / "crawl.json").read_text())
    assert crawl["complete"] and crawl["workers"] == 2
    assert crawl["in_sitemap"] == summary["in_sitemap"] and crawl["skipped"] == summary["skipped"]
    assert crawl["unreachable_by_links"] == summary["unreachable_by_links"]
    # the coordinator removed the run's keys: nothing of it is left in Redis
    import redis

    run = json.loads((out / "workers.json").read_text())["run"]
    assert not list(redis.Redis.from_url(redis_url).scan_iter(match=f"longneck:{run}:*"))


def test_demo_site_with_workers_and_a_private_redis_equals_one_process(demo_server, tmp_path):
    """--workers without --redis: a private redis-server for the run. The demo has redirect chains, a 410,
    robots.txt rules, an endless calendar and orphans. The crawl goes in rounds, so the calendar's months the
    trap bound keeps are the same as in one process, whatever order the workers' responses arrive in."""
    import shutil

    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server; tests/system-packages.sh does it)")
    site = {"start_urls": [demo_server.url + "/"], "concurrency": 4}
    config = write_config(tmp_path / "c.toml", site)
    longneck("crawl", config, "--out", tmp_path / "one", "-q")
    longneck("crawl", config, "--out", tmp_path / "two", "-q", "--workers", "2")
    same_records(comparable(tmp_path / "two"), comparable(tmp_path / "one"))
    one, two = (json.loads((tmp_path / d / "crawl.json").read_text()) for d in ("one", "two"))
    assert two["traps"] == one["traps"] and two["skipped"] == one["skipped"] and two["complete"]
    assert not (tmp_path / "two" / ".redis").exists()
    # audit and run work unchanged on the merged run folder
    assert {r["url"] for r in read_records(tmp_path / "two")} == {r["url"] for r in read_records(tmp_path / "one")}


def _run_keys(redis_url: str, out: Path):
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    run = wait_until(lambda: (out / "workers.json").exists() and json.loads((out / "workers.json").read_text())["run"],
                     what="workers.json")
    return client, f"longneck:{run}:"


def _holder(client, p: str, path: str):
    """The worker id that has ``path`` in flight, once one has."""
    for entry, value in client.hgetall(p + "inflight").items():
        if json.loads(entry)[1].endswith(path):
            return value.split("|")[0]
    return None


def test_kill_9_of_one_worker_mid_crawl_then_the_crawl_completes(redis_url, site, clean, tmp_path):
    """The killed worker's in-flight URL goes back to the queue when its lease expires; the other worker
    fetches it and finishes the crawl. Nothing is lost, nothing recorded twice, no other page fetched twice."""
    config = write_config(tmp_path / "c.toml", {"start_urls": [site.server.url + "/"], "concurrency": 4})
    out = tmp_path / "out"
    held = "/p2/deep"
    event = site.server.hold.setdefault(held, threading.Event())
    event.clear()
    before, asked = len(site.server.log), site.server.count(held)
    # a lease long enough for this test to read what the killed worker held before the survivor takes it back
    proc = start(config, out, "--workers", "2", "--redis", redis_url, "--scrapy-set", "LONGNECK_LEASE_SECONDS=6")
    try:
        client, p = _run_keys(redis_url, out)
        site.server.wait_for_new(held, asked, proc)
        worker = wait_until(lambda: _holder(client, p, held), what=f"{held} in flight")
        pid = json.loads(client.hget(p + "workers", worker))["pid"]
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not Path(f"/proc/{pid}").exists() or "State:\tZ" in Path(f"/proc/{pid}/status").read_text(),
                   what="the worker to die")
        held_by_killed = {path_of(json.loads(e)[1]) for e, v in client.hgetall(p + "inflight").items()
                          if v.split("|")[0] == worker}
        part = out / f"pages.worker-{worker}.jsonl"
        recorded_by_killed = {path_of(json.loads(line)["url"]) for line in part.read_text().splitlines()
                              if line.endswith("}")} if part.exists() else set()
    finally:
        event.set()
    stdout, stderr = proc.communicate(timeout=240)
    assert proc.returncode == 0, stderr[-3000:]
    same_records(comparable(out), clean[0])
    fetched = Counter(p for p in site.server.log[before:] if p != "/robots.txt")
    twice = {p for p, n in fetched.items() if n > 1}
    # asked by the killed worker, which recorded no answer, then by the other; nothing it recorded, even a
    # record it wrote just before the kill, before it told Redis (the survivor reads the dead worker's part file)
    assert held in twice and twice <= held_by_killed and not twice & recorded_by_killed, \
        (twice, held_by_killed, twice & recorded_by_killed)
    assert json.loads((out / "crawl.json").read_text())["complete"]


def test_kill_9_of_the_coordinator_and_every_worker_then_resume(redis_url, site, clean, tmp_path):
    """Everything killed mid-crawl: --resume re-queues what was in flight, fetches no recorded page again,
    and the result equals a clean crawl."""
    config = write_config(tmp_path / "c.toml", {"start_urls": [site.server.url + "/"], "concurrency": 4})
    out = tmp_path / "out"
    held = "/o9"  # an orphan: the link crawl is done, the sitemap-only pages are being fetched
    event = site.server.hold.setdefault(held, threading.Event())
    event.clear()
    asked = site.server.count(held)
    proc = start(config, out, "--workers", "2", "--redis", redis_url, "--scrapy-set", "LONGNECK_LEASE_SECONDS=2")
    try:
        client, p = _run_keys(redis_url, out)
        site.server.wait_for_new(held, asked, proc)
        wait_until(lambda: _holder(client, p, held), what=f"{held} in flight")
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        for raw in client.hvals(p + "workers"):
            try:
                os.kill(json.loads(raw)["pid"], signal.SIGKILL)
            except ProcessLookupError:
                pass
    finally:
        event.set()
    recorded = {path_of(json.loads(line)["url"]) for part in out.glob("pages.worker-*.jsonl")
                for line in part.read_text().splitlines() if line.endswith("}")}
    assert recorded and not (out / "crawl.json").exists()
    before = len(site.server.log)
    longneck("crawl", config, "--out", out, "-q", "--workers", "2", "--redis", redis_url, "--resume",
             "--scrapy-set", "LONGNECK_LEASE_SECONDS=2")
    same_records(comparable(out), clean[0])
    refetched = recorded & set(site.server.log[before:])
    assert not refetched, f"recorded before the kill, fetched again: {sorted(refetched)}"


def test_max_pages_and_trap_bounds_hold_for_the_whole_crawl(tmp_path, redis_url):
    """A site of 400 pages: max_pages = 60 fetches 60 pages in all, whatever the number of workers; a
    pattern bounded at 25 lets 25 through in all."""
    routes = {"/": page("Home", [f"/s{i}" for i in range(20)])}
    for i in range(20):
        routes[f"/s{i}"] = page(f"S{i}", [f"/item/{i * 20 + j}" for j in range(20)])
    for n in range(400):
        routes[f"/item/{n}"] = page(f"Item {n}")
    with RawServer(routes) as server:
        config = write_config(tmp_path / "c.toml", {"start_urls": [server.url + "/"], "concurrency": 8,
                                                    "max_pages": 60})
        proc = longneck("crawl", config, "--out", tmp_path / "cut", "-q", "--workers", "3", "--redis", redis_url)
        assert "incomplete" in proc.stdout
        records = read_records(tmp_path / "cut")
        assert len(records) == 60 and len(pages_requested(server)) == 60
        summary = json.loads((tmp_path / "cut" / "crawl.json").read_text())
        assert not summary["complete"] and summary["skipped"]["max_pages"] > 0

        config = write_config(tmp_path / "t.toml", {"start_urls": [server.url + "/"], "concurrency": 8,
                                                    "max_urls_per_pattern": 25})
        before = len(server.log)
        longneck("crawl", config, "--out", tmp_path / "trap", "-q", "--workers", "3", "--redis", redis_url)
        items = [r for r in read_records(tmp_path / "trap") if "/item/" in r["url"]]
        assert len(items) == 25 and sum(1 for p in server.log[before:] if p.startswith("/item/")) == 25
        traps = json.loads((tmp_path / "trap" / "crawl.json").read_text())["traps"]
        assert {(t["reason"], t["skipped"]) for t in traps if "item" in t["pattern"]} == {("max-urls-per-pattern", 375)}


def test_a_crawl_cut_by_max_pages_still_fetches_the_tasks_examples(redis_url, site, tmp_path):
    """As in one process (tests/test_examples_fetched.py): the tasks' examples that a crawl cut by max_pages
    did not reach are fetched at its end by the workers, found_via "example", each once; one reached by the
    crawl is not fetched again, an off-site one not at all. The merged run equals the crawl in one process."""
    o = site.server.url
    tasks = (f'[[tasks]]\nid = "a"\nname = "A"\ndescription = "Task A"\nkeywords = ["a"]\n'
             f'examples = ["{o}/p1", "{o}/p4/b/deep"]\n'
             f'[[tasks]]\nid = "b"\nname = "B"\ndescription = "Task B"\nkeywords = ["b"]\n'
             f'examples = ["{o}/o15", "http://127.0.0.2:9/elsewhere"]\n')
    runs, fetched, summaries = {}, {}, {}
    for name, args in (("one", ()), ("two", ("--workers", "2", "--redis", redis_url))):
        config = write_config(tmp_path / f"{name}.toml", {"start_urls": [o + "/"], "concurrency": 4, "max_pages": 5},
                              tasks)
        before = len(site.server.log)
        proc = longneck("crawl", config, "--out", tmp_path / name, "-q", *args)
        assert "incomplete" in proc.stdout
        runs[name] = comparable(tmp_path / name)
        fetched[name] = Counter(p for p in site.server.log[before:] if p not in ("/robots.txt", "/sitemap.xml")
                                and not p.endswith(".xml"))
        summaries[name] = json.loads((tmp_path / name / "crawl.json").read_text())
    examples = {u for u, r in runs["two"].items() if r["found_via"] == "example"}
    assert examples == {"/p4/b/deep", "/o15"} == {u for u, r in runs["one"].items() if r["found_via"] == "example"}
    assert runs["two"]["/p1"]["found_via"] == "link"
    same_records(runs["two"], runs["one"])
    assert len(runs["two"]) == 7 and fetched["two"] == fetched["one"] and max(fetched["two"].values()) == 1
    assert summaries["two"]["skipped"] == summaries["one"]["skipped"] and summaries["two"]["skipped"]["max_pages"]
    assert not summaries["two"]["complete"]


def test_a_worker_joining_needs_a_run_and_the_same_site(tmp_path, redis_url):
    import redis

    config = write_config(tmp_path / "c.toml", {"start_urls": ["http://127.0.0.1:9/"]})
    proc = longneck("worker", config, "--redis", redis_url, "--run", "no-such-run", check=False)
    assert proc.returncode == 1 and "no crawl with run id 'no-such-run'" in proc.stderr
    client = redis.Redis.from_url(redis_url)
    client.set("longneck:other-site:meta", json.dumps({"site": {"start_urls": ["http://127.0.0.1:8/"]},
                                                       "out_dir": str(tmp_path)}))
    try:
        proc = longneck("worker", config, "--redis", redis_url, "--run", "other-site", check=False)
    finally:
        client.delete("longneck:other-site:meta")
    assert proc.returncode == 1 and "differs from run other-site on site.start_urls" in proc.stderr


def test_audit_works_unchanged_on_a_run_crawled_by_workers(tmp_path, redis_url):
    """`longneck audit` on the merged run folder: every rule of the rules site gives its recommendation,
    as after a crawl in one process (tests/test_audit.py)."""
    import openpyxl

    from audit.demo.server import SiteServer

    from . import rules_site
    from .test_audit import by_path, codes, rows_of

    rules_site.build(tmp_path / "www")
    with SiteServer(tmp_path / "www") as server:
        config = rules_site.write_config(tmp_path, server.url)
        out = tmp_path / "run"
        longneck("crawl", config, "--out", out, "-q", "--workers", "2", "--redis", redis_url)
        longneck("audit", out, "--no-history")
    pages = by_path(rows_of(openpyxl.load_workbook(out / "audit.xlsx")["Pages"]), server.url)
    for path, (recommendation, required) in rules_site.EXPECTED.items():
        assert pages[path]["Recommendation"] == recommendation, (path, pages[path]["Reasons"])
        assert required <= codes(pages[path]["Reasons"]), (path, pages[path]["Reasons"])


def test_a_worker_on_another_machine_writes_its_own_parts_then_resume_merges_them(redis_url, site, clean, tmp_path):
    """`--workers 0`: only `longneck worker` processes crawl (as from other machines, with their own --out).
    The coordinator says which part files it lacks and keeps the run; --resume merges them once copied."""
    import shutil

    config = write_config(tmp_path / "c.toml", {"start_urls": [site.server.url + "/"], "concurrency": 4})
    out, remote = tmp_path / "out", tmp_path / "remote"
    remote.mkdir()
    coordinator = start(config, out, "--workers", "0", "--redis", redis_url)
    client, p = _run_keys(redis_url, out)
    run = p.split(":")[1]
    worker = longneck("worker", config, "--redis", redis_url, "--run", run, "--out", remote, "-q")
    assert "(finished)" in worker.stdout
    _, stderr = coordinator.communicate(timeout=120)
    assert coordinator.returncode == 1 and "part files of 1 worker(s) are not in" in stderr, stderr
    for part in remote.glob("*.jsonl"):
        shutil.copy(part, out / part.name)
    longneck("crawl", config, "--out", out, "-q", "--workers", "0", "--redis", redis_url, "--resume")
    same_records(comparable(out), clean[0])
    assert json.loads((out / "crawl.json").read_text())["complete"]


def test_ctrl_c_then_resume_fetches_no_recorded_page_again(site, clean, tmp_path):
    """Ctrl-C (SIGINT to the terminal's process group) with a private Redis: the coordinator stops its
    workers, which hand back what they had in flight; --resume finds the run in the private Redis's AOF."""
    import shutil

    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server; tests/system-packages.sh does it)")
    config = write_config(tmp_path / "c.toml", {"start_urls": [site.server.url + "/"], "concurrency": 4})
    out = tmp_path / "out"
    held = "/o9"
    event = site.server.hold.setdefault(held, threading.Event())
    event.clear()
    asked = site.server.count(held)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "audit.cli", "crawl", str(config), "--out", str(out), "-q",
                             "--workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=ROOT, start_new_session=True,
                            # as in a terminal, whatever started the tests (a shell's background job
                            # ignores SIGINT, and its children inherit that)
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        site.server.wait_for_new(held, asked, proc)
        os.killpg(proc.pid, signal.SIGINT)
    finally:
        event.set()
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1 and "--resume" in stderr, stderr
    recorded = {path_of(json.loads(line)["url"]) for part in out.glob("pages.worker-*.jsonl")
                for line in part.read_text().splitlines()}
    before = len(site.server.log)
    longneck("crawl", config, "--out", out, "-q", "--workers", "2", "--resume")
    same_records(comparable(out), clean[0])
    refetched = recorded & set(site.server.log[before:])
    assert recorded and not refetched, sorted(refetched)


@pytest.mark.parametrize("address", ["localhost:6379", "127.0.0.1"])
def test_a_redis_address_without_a_scheme_gets_a_clear_message(tmp_path, address):
    config = write_config(tmp_path / "site.toml", {"start_urls": ["http://127.0.0.1:1/"]})
    proc = longneck("crawl", config, "--out", tmp_path / "run", "--workers", "1", "--redis", address, "-q",
                    check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert f"--redis '{address}': expected a Redis URL, e.g. redis://127.0.0.1:6379/0" in proc.stderr
