"""One crawl, many workers, one run: the frontier in Redis, records in per-worker part files.

Why not scrapy-redis' scheduler: its queues pop a request and forget it (a worker killed with requests in
flight loses them), its sorted-set queue orders equal priorities by the pickled bytes (not breadth
first), its scheduler deletes the shared queue and seen set when any worker closes unless
``SCHEDULER_PERSIST``, and it waits for work with blocking pops that stall Twisted's reactor. It has no
place for a global ``max_pages`` or trap counters. What a crawl with workers needs is small, so it is
written here on redis-py, each decision one Lua script (atomic, one round trip):

- ``offer``: the spider's :meth:`~crawler.spider.SiteSpider.request_for` for every worker at once: the
  seen set, ``max_pages`` (one counter), the trap bounds (per-pattern and per-path counters), then the
  queue, for a page's whole list of links in one call.
- ``lease``: the shallowest queued URL (FIFO within a depth) moves to the in-flight hash under the
  worker's id; ``release`` removes it once its record is written to the worker's part file. A worker
  refreshes its heartbeat key (a TTL) while it runs; the in-flight URLs of a worker whose heartbeat
  expired go back to the queue with their place (``reap``), so a ``kill -9`` loses nothing.
- ``idle``: called by a worker with nothing to do. The crawl goes in rounds, as in one process
  (:meth:`~crawler.spider.SiteSpider.release_round`): a URL offered is held (``held``, a sorted set by
  depth, and ``heldinfo``) until the queue is empty and no worker has anything in flight; then the held
  URLs are admitted, shallowest first and in the order of their URLs within a depth, so the bounds keep
  the same URLs as in one process whatever order the workers' responses arrive in. The crawl is finished
  only when nothing is held either; before that, the URLs only a sitemap named are held for a round of
  their own (as in one process: links first, then the orphans), then once an ``["e"]`` entry: the worker
  that leases it offers the tasks' examples the crawl did not reach, exempt from max_pages and max_depth
  (as :meth:`~crawler.spider.SiteSpider.on_idle` does in one process), then releases it. Workers never delete
  shared state; the coordinator (:func:`crawl_with_workers`) removes the run's keys once the run is
  finalized.

Every key is under ``longneck:<run id>:``, so crawls sharing one Redis never meet. Sitemap and
robots.txt requests go through the same queue (ahead of pages) and the same claim set, so each is
fetched once per run, by whichever worker leases it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from .run import CrawlError

KEY_ROOT = "longneck"
SITEMAP_SCORE = -1e15  # robots.txt and sitemaps before any page (priority 100 in one process)
DEPTH_STRIDE = 1e10  # queue score: depth * stride + sequence: breadth first, FIFO within a depth

# Lua shared by the scripts: offer one URL. Returns 1 queued, 0 seen already, -1 cut by max_pages (first
# time for this URL), -3 cut again, -2 refused by a trap bound, 2 held for the next round. ``exempt``: not
# cut by max_pages (an example); ``hold``: held for the next round (any URL but a start URL or an example,
# until release_round admits it), with its least depth, and of equal depths the least way found ('link'
# before 'redirect' before 'sitemap'), as in one process.
_OFFER_FN = """
local function offer(p, maxp, maxpat, maxq, url, depth, via, pat, pk, rep, exempt, hold)
  if redis.call('SISMEMBER', p..'seen', url) == 1 then return 0 end
  if not exempt and tonumber(redis.call('GET', p..'scheduled') or '0') >= maxp then
    if redis.call('SADD', p..'cut', url) == 1 then return -1 end
    return -3
  end
  if hold then
    local known = redis.call('ZSCORE', p..'held', url)
    local better = not known or depth < tonumber(known)
    if known and depth == tonumber(known) then better = via < cjson.decode(redis.call('HGET', p..'heldinfo', url))[1] end
    if better then
      redis.call('ZADD', p..'held', depth, url)
      redis.call('HSET', p..'heldinfo', url, cjson.encode({via, pat, pk, rep}))
    end
    return 2
  end
  redis.call('SADD', p..'seen', url)
  if rep == '1' then
    redis.call('HINCRBY', p..'traps', 'repeated-path-segments\\t'..pat, 1); return -2
  end
  if tonumber(redis.call('HGET', p..'pattern', pat) or '0') >= maxpat then
    redis.call('HINCRBY', p..'traps', 'max-urls-per-pattern\\t'..pat, 1); return -2
  end
  if pk ~= '' then
    if tonumber(redis.call('HGET', p..'qpath', pk) or '0') >= maxq then
      redis.call('HINCRBY', p..'traps', 'max-query-variants\\t'..pat, 1); return -2
    end
    redis.call('HINCRBY', p..'qpath', pk, 1)
  end
  redis.call('HINCRBY', p..'pattern', pat, 1)
  redis.call('INCR', p..'scheduled')
  local seq = redis.call('INCR', p..'seq')
  redis.call('ZADD', p..'queue', depth * %(stride)r + seq, cjson.encode({'p', url, depth, via}))
  return 1
end
""" % {"stride": DEPTH_STRIDE}

# Lua shared by the scripts: admit the URLs held since the last round, shallowest first and, within a depth,
# in the order of their URLs (a sorted set orders equal scores by their bytes, whatever Redis' locale);
# true when any is queued.
_ROUND_FN = """
local function release_round(p, maxp, maxpat, maxq)
  local held = redis.call('ZRANGE', p..'held', 0, -1, 'WITHSCORES')
  if #held == 0 then return false end
  local info = redis.call('HGETALL', p..'heldinfo')
  redis.call('DEL', p..'held', p..'heldinfo')
  local about = {}
  for i = 1, #info, 2 do about[info[i]] = cjson.decode(info[i + 1]) end
  for i = 1, #held, 2 do
    local v = about[held[i]]
    offer(p, maxp, maxpat, maxq, held[i], tonumber(held[i + 1]), v[1], v[2], v[3], v[4], false, false)
  end
  return redis.call('ZCARD', p..'queue') > 0
end
"""

# ARGV: prefix, max_pages, max_pattern, max_query, then 7 per URL: kind, url, depth, via, pattern, path key,
# repeated. kind 'q': offer; 'x': offer exempt from max_pages (the tasks' examples); 'k': mark seen and count
# the reason (in pattern) once per URL; 'c': claim a URL the worker records itself without fetching (too
# long): 1 when this worker claimed it; 'd': count max_depth for a URL not seen (as one process counts it,
# each time it is offered).
OFFER = _OFFER_FN + """
local p = ARGV[1]
local maxp, maxpat, maxq = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local out = {}
for i = 5, #ARGV, 7 do
  local kind, url = ARGV[i], ARGV[i + 1]
  local r = 0
  if kind == 'q' or kind == 'x' then
    r = offer(p, maxp, maxpat, maxq, url, tonumber(ARGV[i + 2]), ARGV[i + 3], ARGV[i + 4], ARGV[i + 5], ARGV[i + 6],
              kind == 'x', kind == 'q' and ARGV[i + 3] ~= 'start')
  elseif kind == 'd' then
    if redis.call('SISMEMBER', p..'seen', url) == 0 then redis.call('HINCRBY', p..'skipped', 'max_depth', 1) end
  elseif redis.call('SADD', p..'seen', url) == 1 then
    if ARGV[i + 4] ~= '' then redis.call('HINCRBY', p..'skipped', ARGV[i + 4], 1) end
    r = 1
  end
  out[#out + 1] = r
end
return out
"""

# ARGV: prefix, max sitemaps, url, hops, off-site ('1'/'0'). 1 queued, 2 off-site (counted once), 0 not.
SITEMAP = """
local p = ARGV[1]
if redis.call('SISMEMBER', p..'sitemaps', ARGV[3]) == 1 then return 0 end
if redis.call('SCARD', p..'sitemaps') >= tonumber(ARGV[2]) then return 0 end
redis.call('SADD', p..'sitemaps', ARGV[3])
if ARGV[5] == '1' then redis.call('HINCRBY', p..'skipped', 'scope: off-site sitemap', 1); return 2 end
local seq = redis.call('INCR', p..'seq')
redis.call('ZADD', p..'queue', %(score)r + seq, cjson.encode({'s', ARGV[3], tonumber(ARGV[4])}))
return 1
""" % {"score": SITEMAP_SCORE}

# ARGV: prefix, worker id, n. The n first queue entries, now in flight for this worker.
LEASE = """
local p, w = ARGV[1], ARGV[2]
local items = redis.call('ZPOPMIN', p..'queue', tonumber(ARGV[3]))
local out = {}
for i = 1, #items, 2 do
  redis.call('HSET', p..'inflight', items[i], w..'|'..items[i + 1])
  out[#out + 1] = items[i]
end
return out
"""

# ARGV: prefix, then queue entries whose work is done (record written).
RELEASE = """
local p = ARGV[1]
local n = 0
for i = 2, #ARGV do
  if redis.call('HDEL', p..'inflight', ARGV[i]) == 1 and string.sub(ARGV[i], 1, 4) == '["p"' then n = n + 1 end
end
redis.call('INCRBY', p..'recorded', n)
return n
"""

# Back to the queue (with their place) the in-flight entries of workers whose heartbeat has expired.
_REAP_FN = """
local function reap(p)
  local all = redis.call('HGETALL', p..'inflight')
  local n = 0
  for i = 1, #all, 2 do
    local sep = string.find(all[i + 1], '|', 1, true)
    local w, score = string.sub(all[i + 1], 1, sep - 1), string.sub(all[i + 1], sep + 1)
    if redis.call('EXISTS', p..'alive:'..w) == 0 then
      redis.call('ZADD', p..'queue', tonumber(score), all[i])
      redis.call('HDEL', p..'inflight', all[i])
      n = n + 1
    end
  end
  if n > 0 then redis.call('HINCRBY', p..'skipped', 'requeued after a worker died', n) end
  return n
end
"""
REAP = _REAP_FN + "return reap(ARGV[1])"

# ARGV: prefix, max_pages, max_pattern, max_query. 'work': the queue has entries; 'busy': other workers
# have URLs in flight; 'done': the crawl is finished (and marked so). With nothing queued or in flight,
# the next round is admitted (the URLs held); when none is, the URLs only a sitemap named are held and
# admitted (found_via sitemap, depth 1 as in one process), then, once per run, the entry ["e"]: its worker
# offers the tasks' examples (kind 'x') before it releases it.
IDLE = _OFFER_FN + _ROUND_FN + _REAP_FN + """
local p = ARGV[1]
local maxp, maxpat, maxq = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
if redis.call('GET', p..'done') then return 'done' end
reap(p)
if redis.call('ZCARD', p..'queue') > 0 then return 'work' end
if redis.call('HLEN', p..'inflight') > 0 then return 'busy' end
if release_round(p, maxp, maxpat, maxq) then return 'work' end
local pending = redis.call('HGETALL', p..'sitemap_pending')
if #pending > 0 then
  redis.call('DEL', p..'sitemap_pending')
  redis.call('SET', p..'phase', 'sitemap')
  for i = 1, #pending, 2 do
    local v = cjson.decode(pending[i + 1])
    offer(p, maxp, maxpat, maxq, pending[i], 1, 'sitemap', v[1], v[2], v[3], false, true)
  end
  if release_round(p, maxp, maxpat, maxq) then return 'work' end
end
if redis.call('SETNX', p..'examples', '1') == 1 then
  redis.call('ZADD', p..'queue', 0, cjson.encode({'e'}))
  return 'work'
end
redis.call('SET', p..'done', '1')
return 'done'
"""


class RunError(CrawlError):
    """A crawl with workers that cannot start or join; the message says why."""


def prefix(run_id: str) -> str:
    return f"{KEY_ROOT}:{run_id}:"


def connect(url: str):
    try:
        import redis
    except ImportError:
        raise RunError("a crawl with workers needs the redis package: pip install -e \".[redis]\"") from None
    if not isinstance(url, str) or "://" not in url:
        raise RunError(f"--redis {url!r}: expected a Redis URL, e.g. redis://127.0.0.1:6379/0 "
                       f"(redis://, rediss:// for TLS, or unix:///path/to/redis.sock)")
    try:
        client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=30)
    except ValueError as exc:
        raise RunError(f"--redis {url!r}: not a Redis URL ({exc})") from None
    try:
        client.ping()
    except redis.RedisError as exc:
        raise RunError(f"Redis at {url} does not answer ({exc}): start redis-server, or check --redis") from None
    return client


class Frontier:
    """The run's shared state in Redis, as the spider and the coordinator use it."""

    def __init__(self, client, run_id: str, max_pages: int, max_pattern: int, max_query: int):
        self.r = client
        self.run_id = run_id
        self.p = prefix(run_id)
        self.limits = (max_pages, max_pattern, max_query)
        self._offer = client.register_script(OFFER)
        self._sitemap = client.register_script(SITEMAP)
        self._lease = client.register_script(LEASE)
        self._release = client.register_script(RELEASE)
        self._reap = client.register_script(REAP)
        self._idle = client.register_script(IDLE)

    @classmethod
    def for_site(cls, client, run_id: str, site: dict):
        return cls(client, run_id, site["max_pages"], site["max_urls_per_pattern"], site["max_query_variants"])

    def key(self, name: str) -> str:
        return self.p + name

    # -- deciding what to fetch
    def offer(self, entries: list[tuple]) -> list[int]:
        """``entries``: (kind, url, depth, via, pattern, path key, repeated); see OFFER."""
        if not entries:
            return []
        args = [self.p, *self.limits]
        for kind, url, depth, via, pattern, path_key, repeated in entries:
            args += [kind, url, depth, via, pattern, path_key, "1" if repeated else "0"]
        return [int(x) for x in self._offer(args=args)]

    def sitemap(self, url: str, hops: int, offsite: bool, max_sitemaps: int) -> int:
        return int(self._sitemap(args=[self.p, max_sitemaps, url, hops, "1" if offsite else "0"]))

    def add_sitemap_pending(self, items: dict[str, tuple]) -> None:
        """URLs only a sitemap named so far: offered when the link crawl has run dry."""
        if items:
            pipe = self.r.pipeline(transaction=False)
            for url, keys in items.items():
                pipe.hsetnx(self.key("sitemap_pending"), url, json.dumps(keys))
            pipe.execute()

    # -- work
    def lease(self, worker: str, n: int = 1) -> list[str]:
        return self._lease(args=[self.p, worker, n])

    def release(self, *entries: str) -> int:
        """Acknowledge entries whose work is written; returns how many pages were still in flight."""
        return int(self._release(args=[self.p, *entries])) if entries else 0

    def reap(self) -> int:
        return int(self._reap(args=[self.p]))

    def idle(self) -> str:
        return self._idle(args=[self.p, *self.limits])

    def heartbeat(self, worker: str, lease_seconds: float) -> None:
        self.r.set(self.key(f"alive:{worker}"), "1", px=max(1, int(lease_seconds * 1000)))

    # -- reading
    def done(self) -> bool:
        return bool(self.r.exists(self.key("done")))

    def counts(self) -> dict:
        pipe = self.r.pipeline(transaction=False)
        for name in ("recorded", "scheduled"):
            pipe.get(self.key(name))
        pipe.zcard(self.key("queue"))
        pipe.hlen(self.key("inflight"))
        recorded, scheduled, queued, inflight = pipe.execute()
        return {"recorded": int(recorded or 0), "scheduled": int(scheduled or 0), "queued": queued,
                "in_flight": inflight}

    def skipped(self) -> dict:
        out = {k: int(v) for k, v in self.r.hgetall(self.key("skipped")).items()}
        cut = self.r.scard(self.key("cut"))
        if cut:
            out["max_pages"] = cut
        return out

    def traps(self) -> list[dict]:
        rows = []
        for key, n in self.r.hgetall(self.key("traps")).items():
            reason, _, pattern = key.partition("\t")
            rows.append({"reason": reason, "pattern": pattern, "skipped": int(n)})
        return sorted(rows, key=lambda t: (-t["skipped"], t["reason"], t["pattern"]))

    def add_skipped(self, counts: dict) -> None:
        if counts:
            pipe = self.r.pipeline(transaction=False)
            for reason, n in counts.items():
                pipe.hincrby(self.key("skipped"), reason, n)
            pipe.execute()

    def delete(self) -> int:
        """Every key of this run (the coordinator, once the run is finalized)."""
        n = 0
        batch = []
        for key in self.r.scan_iter(match=self.p + "*", count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                n += self.r.delete(*batch)
                batch = []
        if batch:
            n += self.r.delete(*batch)
        self.r.srem(f"{KEY_ROOT}:runs", self.run_id)
        return n


def entry_request_fields(entry: str) -> tuple:
    """A queue entry as ('p', url, depth, via), ('s', url, hops) or ('e',) (offer the tasks' examples)."""
    return tuple(json.loads(entry))


# ---- the run: what the coordinator stores, and what a worker checks before it joins ------------------

# [site] keys that decide which URLs the crawl fetches: every worker must crawl with the same values
SHARED_KEYS = ("start_urls", "allowed_domains", "sitemaps", "include", "exclude", "max_pages", "max_depth",
               "max_urls_per_pattern", "max_query_variants", "strip_query_params", "obey_robots_txt")


def run_meta(client, run_id: str) -> dict | None:
    raw = client.get(prefix(run_id) + "meta")
    return json.loads(raw) if raw else None


def find_run(client, run_id: str | None) -> str:
    """The run to join: ``run_id``, or the only run in progress on this Redis."""
    if run_id:
        if run_meta(client, run_id) is None:
            raise RunError(f"no crawl with run id {run_id!r} in this Redis (the coordinator prints the id, "
                           f"and writes it to workers.json in its run folder)")
        return run_id
    runs = sorted(r for r in client.smembers(f"{KEY_ROOT}:runs") if not client.exists(prefix(r) + "done"))
    if len(runs) == 1:
        return runs[0]
    if not runs:
        raise RunError("no crawl in progress in this Redis: start one with `longneck crawl CONFIG --out DIR "
                       "--workers N --redis URL` first")
    raise RunError(f"{len(runs)} crawls are in progress in this Redis ({', '.join(runs)}): choose one with --run")


# ---- the worker: one Scrapy process ------------------------------------------------------------------

def run_worker(redis_url: str, run_id: str | None = None, out_dir=None, site: dict | None = None,
               scrapy_overrides: dict | None = None, progress: bool | None = False) -> dict:
    """Join the run and crawl until it is finished; records go to ``out_dir/pages.worker-K.jsonl``.
    ``site``, when given (the worker's own config), must agree with the run on :data:`SHARED_KEYS`."""
    import logging

    from scrapy.crawler import CrawlerProcess

    from .settings import build_settings
    from .worker_spider import WorkerSpider

    client = connect(redis_url)
    run_id = find_run(client, run_id)
    meta = run_meta(client, run_id)
    if site is not None:
        differ = [k for k in SHARED_KEYS if site.get(k) != meta["site"].get(k)]
        if differ:
            raise RunError(f"this config differs from run {run_id} on site.{differ[0]} "
                           f"({site.get(differ[0])!r} here, {meta['site'].get(differ[0])!r} in the run): every "
                           f"worker must crawl with the same {', '.join('site.' + k for k in differ)}")
    site = {**(site or {}), **meta["site"]}
    out_dir = Path(out_dir or meta["out_dir"])
    if not out_dir.is_dir():
        raise RunError(f"{out_dir} is not a folder on this machine: give --out (the run folder on shared "
                       f"storage, or a local folder whose part files you copy into the run folder)")
    worker = str(client.incr(prefix(run_id) + "worker_seq"))
    client.hset(prefix(run_id) + "workers", worker,
                json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "out": str(out_dir.resolve()),
                            "started": time.time(), "state": "running"}))
    overrides = {**(meta.get("scrapy") or {}), **(scrapy_overrides or {})}
    overrides.update({"SCHEDULER": "crawler.worker_spider.RedisScheduler", "LONGNECK_REDIS_URL": redis_url,
                      "LONGNECK_RUN_ID": run_id, "LONGNECK_WORKER_ID": worker, "LONGNECK_PART": f"worker-{worker}"})
    settings = build_settings(site, out_dir, scrapy_overrides=overrides, progress=progress)
    middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    if "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware" not in middlewares:  # robots.txt once per run
        middlewares.update({"scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
                            "crawler.worker_spider.SharedRobotsTxtMiddleware": 100})
        settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="cmdline")
    for name in ("scrapy.downloadermiddlewares.retry", "scrapy.downloadermiddlewares.robotstxt", "scrapy.core.scraper",
                 "scrapy.core.downloader.handlers.http11", "scrapy.downloadermiddlewares.httpcompression"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(WorkerSpider)
    errors = []
    process.crawl(crawler).addErrback(errors.append)
    process.start()
    if errors:
        raise RunError(f"worker {worker} could not start: {errors[0].value}")
    stats = crawler.stats.get_stats()
    return {"worker": worker, "run": run_id, "records": stats.get("longneck/records", 0),
            "finish_reason": stats.get("finish_reason"), "part": str(out_dir / f"pages.worker-{worker}.jsonl")}


# ---- the coordinator ---------------------------------------------------------------------------------

class LocalRedis:
    """A private redis-server for one run folder (``DIR/.redis``: append-only file on, so --resume finds
    the frontier again), on a free loopback port."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.proc = None
        self.url = None

    def start(self) -> str:
        import shutil

        binary = shutil.which("redis-server")
        if binary is None:
            raise RunError("--workers needs Redis: install redis-server (Debian: apt-get install redis-server), "
                           "or give --redis URL of a Redis server")
        self.folder.mkdir(parents=True, exist_ok=True)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(self.folder), "--appendonly", "yes",
             "--save", "", "--daemonize", "no", "--logfile", "redis.log"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RunError(f"redis-server did not start (see {self.folder / 'redis.log'})")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    pass
                connect(self.url)
                return self.url
            except (OSError, RunError):
                time.sleep(0.05)
        raise RunError(f"redis-server did not answer within 30 s (see {self.folder / 'redis.log'})")

    def stop(self) -> None:
        if self.url is None or (self.proc is not None and self.proc.poll() is not None):
            return
        try:
            import redis

            redis.Redis.from_url(self.url).shutdown(nosave=False)
        except Exception:  # noqa: BLE001 - it is going away either way (the connection closes as it does)
            pass
        if self.proc is not None:
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _seed(frontier: Frontier, site: dict) -> None:
    """The start URLs and the robots.txt and sitemaps to read, as the single-process spider starts."""
    from urllib.parse import urlsplit

    from .spider import MAX_SITEMAPS
    from .urls import Scope, TrapGuard, UrlNormalizer, host_of

    normalise = UrlNormalizer(site["strip_query_params"])
    starts = [u for u in (normalise(u) for u in site["start_urls"]) if u]
    scope = Scope(site["allowed_domains"] or [host_of(u) for u in starts], site["include"], site["exclude"])
    guard = TrapGuard(site["max_urls_per_pattern"], site["max_query_variants"])
    sitemaps = []
    for url in starts:
        root = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}"
        sitemaps += [f"{root}/robots.txt", f"{root}/sitemap.xml"]
    for url in [*sitemaps, *site["sitemaps"]]:
        offsite = urlsplit(url).scheme.lower() not in ("http", "https") or not scope.is_internal(url)
        frontier.sitemap(url, 0, offsite, MAX_SITEMAPS)
    entries = []
    for url in starts:
        reason = scope.reason_out(url)
        if reason:
            entries.append(("k", url, 0, "start", "" if reason == "external" else f"scope: {reason}", "", False))
        else:
            entries.append(("q", url, 0, "start", *guard.keys(url)))
    frontier.offer(entries)


def _resume_from_files(frontier: Frontier, site: dict, out_dir: Path) -> None:
    """Redis no longer holds the run (it was not persistent, or the state was removed): rebuild the frontier
    from the records, as one process resumes (crawler/state.py), after merging the workers' parts."""
    from .finalize import merge_parts
    from .spider import MAX_SITEMAPS
    from .state import load_state
    from .urls import Scope, TrapGuard, UrlNormalizer, host_of

    merge_parts(out_dir)
    normalise = UrlNormalizer(site["strip_query_params"])
    state = load_state(out_dir, normalise)
    r, k = frontier.r, frontier.key
    guard = TrapGuard(site["max_urls_per_pattern"], site["max_query_variants"])
    pipe = r.pipeline(transaction=False)
    for url in state.done:
        pipe.sadd(k("seen"), url)
        pattern, path_key, _ = guard.keys(url)
        pipe.hincrby(k("pattern"), pattern, 1)
        if path_key:
            pipe.hincrby(k("qpath"), path_key, 1)
    for url in state.sitemap_sources:
        pipe.sadd(k("sitemaps"), url)
    pipe.set(k("scheduled"), len(state.done))
    pipe.execute()
    for url in state.sitemaps_pending:
        frontier.sitemap(url, 0, False, MAX_SITEMAPS)
    starts = [u for u in (normalise(u) for u in site["start_urls"]) if u]
    scope = Scope(site["allowed_domains"] or [host_of(u) for u in starts], site["include"], site["exclude"])
    entries, pending = [], {}
    for url, depth, via in state.frontier:
        if scope.reason_out(url) or depth > site["max_depth"]:
            continue
        if via == "sitemap" and not state.sitemap_phase:
            pending[url] = guard.keys(url)
        else:
            entries.append(("q", url, depth, via, *guard.keys(url)))
    for i in range(0, len(entries), 500):
        frontier.offer(entries[i:i + 500])
    frontier.add_sitemap_pending(pending)


def _running(pid) -> bool:
    """Is ``pid`` a longneck worker still running on this machine?"""
    try:
        return b"crawler.distributed" in Path(f"/proc/{pid}/cmdline").read_bytes() or \
            b"worker" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, TypeError):
        if not Path("/proc/self").exists():  # no /proc: ask the kernel whether the pid exists
            try:
                os.kill(int(pid), 0)
                return True
            except (OSError, TypeError, ValueError):
                return False
        return False


def _reconcile(frontier: Frontier, out_dir: Path) -> int:
    """Resume with the run still in Redis. A URL already recorded in a part file (its record was written
    but the worker died before it told Redis) leaves the queue and the in-flight hash, so no recorded page
    is fetched again; what dead workers held goes back to the queue once their heartbeat has expired
    (workers of the last attempt that still run keep theirs). Returns the entries dropped."""
    from .state import iter_records, repair_tail

    r, k = frontier.r, frontier.key
    host = socket.gethostname()
    for worker, raw in r.hgetall(k("workers")).items():  # workers of this machine that are gone: no need to
        info = json.loads(raw)                             # wait for their heartbeat to expire
        if info.get("host") == host and not _running(info.get("pid")):
            r.delete(k(f"alive:{worker}"))
    done = set()
    for part in [out_dir / "pages.jsonl", *sorted(out_dir.glob("pages.worker-*.jsonl"))]:
        if part.exists():
            repair_tail(part)
            done.update(rec["url"] for rec in iter_records(part))
    dropped = 0
    for entry in r.zrange(k("queue"), 0, -1):
        fields = entry_request_fields(entry)
        if fields[0] == "p" and fields[1] in done:
            dropped += r.zrem(k("queue"), entry)
    for entry in r.hkeys(k("inflight")):
        fields = entry_request_fields(entry)
        if fields[0] == "p" and fields[1] in done:
            dropped += r.hdel(k("inflight"), entry)
    frontier.reap()
    r.set(k("recorded"), max(int(r.get(k("recorded")) or 0), len(done)))
    if r.zcard(k("queue")) or r.hlen(k("inflight")):
        r.delete(k("done"))
    if not r.exists(k("done")):  # this command's examples are offered again at the end (as one process resumes)
        r.delete(k("examples"))
    return dropped


def crawl_with_workers(site: dict, out_dir, workers: int, redis_url: str | None = None, resume: bool = False,
                       scrapy_overrides: dict | None = None, progress: bool | None = None,
                       lease_seconds: float | None = None) -> dict:
    """Crawl ``site`` with ``workers`` local worker processes (0: only the workers that join from other
    machines with ``longneck worker``) feeding one run folder; then merge the parts, finalize and summarise
    as :func:`crawler.run.crawl` does. Returns the summary also written to ``out_dir/crawl.json``."""
    from .run import refuse_crawled, summarise

    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    info_path = out_dir / "workers.json"
    refuse_crawled(out_dir, resume)
    info = json.loads(info_path.read_text()) if resume and info_path.exists() else {}
    local = None
    if redis_url is None:
        redis_url = info.get("redis") if info.get("redis_given") else None
    given = redis_url is not None
    if redis_url is None and info.get("redis"):  # resume: the private Redis of the last attempt may still run
        try:
            connect(info["redis"])
            local = LocalRedis(out_dir / ".redis")
            redis_url = local.url = info["redis"]
        except RunError:
            pass
    if redis_url is None:
        local = LocalRedis(out_dir / ".redis")
        redis_url = local.start()
    started = time.time()
    procs: list[subprocess.Popen] = []
    finished = False
    try:
        client = connect(redis_url)
        run_id = info.get("run") or f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
        frontier = Frontier.for_site(client, run_id, site)
        fresh = run_meta(client, run_id) is None
        # the [site] of this command (a resume may raise max_pages, say): workers crawl with the run's
        client.set(frontier.key("meta"), json.dumps({"site": site, "out_dir": str(out_dir), "scrapy": {},
                                                     "created": time.time()}))
        if fresh:
            if not resume:
                for name in ("sitemap_urls.jsonl", "robots_txt.jsonl"):
                    (out_dir / name).unlink(missing_ok=True)
            client.sadd(f"{KEY_ROOT}:runs", run_id)
            if resume and has_records:
                _resume_from_files(frontier, site, out_dir)
            else:
                _seed(frontier, site)
        else:
            _reconcile(frontier, out_dir)
        resumed_from = frontier.counts()["recorded"]
        info = {"run": run_id, "redis": redis_url, "redis_given": given}
        info_path.write_text(json.dumps(info, indent=2))
        if progress is not False and given:
            print(f"crawl run {run_id}: other machines join with "
                  f"`longneck worker CONFIG --redis {redis_url} --run {run_id}`", file=sys.stderr)
        elif progress is not False:
            print(f"crawl run {run_id}: with a private Redis on this machine only; for workers on other "
                  f"machines, start a redis-server they can reach and pass --redis", file=sys.stderr)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).resolve().parent.parent), *filter(None, [os.environ.get("PYTHONPATH")])])}
        argv = [sys.executable, "-m", "crawler.distributed", "--redis", redis_url, "--run", run_id,
                "--out", str(out_dir)]
        if lease_seconds:
            argv += ["--lease", str(lease_seconds)]
        if scrapy_overrides:
            argv += ["--scrapy-json", json.dumps(scrapy_overrides)]
        for _ in range(workers):
            # their own session: Ctrl-C reaches the coordinator only, which stops each worker once (SIGTERM:
            # Scrapy closes gracefully, and the worker hands back what it had in flight)
            procs.append(subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, start_new_session=True))
        _wait(frontier, procs, progress)
        if frontier.done():
            _wait_for_workers_to_close(frontier)
            missing = _missing_parts(frontier, out_dir)
            if missing:  # the state stays in Redis: --resume merges and finalizes once they are here
                raise RunError(f"the crawl is finished, but the part files of {len(missing)} worker(s) are not in "
                               f"{out_dir}: {'; '.join(missing)}. Copy them (pages, sitemap_urls and robots_txt "
                               f".worker-K.jsonl) into {out_dir} and run the same command with --resume")
            finished = True
        summary = _finish(frontier, site, out_dir, started, finished, resumed_from, summarise)
        if finished:
            frontier.delete()
        return summary
    except KeyboardInterrupt:
        raise CrawlError("interrupted: continue with the same command and --resume") from None
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        if local is not None:
            local.stop()
            if finished:  # nothing left to resume
                import shutil

                shutil.rmtree(local.folder, ignore_errors=True)


def _wait(frontier: Frontier, procs: list, progress: bool | None) -> None:
    """Until the crawl is finished, or every local worker has exited without finishing it (0 local workers:
    until it is finished)."""
    bar = None
    if progress or (progress is None and sys.stderr.isatty()):
        from tqdm import tqdm

        bar = tqdm(desc="crawl", unit=" pages", file=sys.stderr, dynamic_ncols=True)
    try:
        while True:
            if frontier.done():
                break
            if procs and all(p.poll() is not None for p in procs):
                break
            if bar is not None:
                counts = frontier.counts()
                bar.update(counts["recorded"] - bar.n)
                bar.set_postfix(queue=counts["queued"], in_flight=counts["in_flight"], refresh=False)
            time.sleep(0.2)
        for proc in procs:  # the workers see "done" and close their part files
            try:
                proc.wait(120)
            except subprocess.TimeoutExpired:
                proc.terminate()
    finally:
        if bar is not None:
            bar.update(frontier.counts()["recorded"] - bar.n)
            bar.close()


def _wait_for_workers_to_close(frontier: Frontier, timeout: float = 120) -> None:
    """Workers on other machines: until each has closed its part file or its heartbeat has expired."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        open_ = [w for w, raw in frontier.r.hgetall(frontier.key("workers")).items()
                 if json.loads(raw).get("state") == "running" and frontier.r.exists(frontier.key(f"alive:{w}"))]
        if not open_:
            return
        time.sleep(0.2)


def _missing_parts(frontier: Frontier, out_dir: Path) -> list[str]:
    """Workers on other machines whose part files are neither in the run folder nor merged already."""
    merged = frontier.r.smembers(frontier.key("merged"))
    missing = []
    for w, raw in sorted(frontier.r.hgetall(frontier.key("workers")).items()):
        info = json.loads(raw)
        elsewhere = Path(info["out"]) != out_dir  # a local worker that wrote nothing has no part file
        if elsewhere and w not in merged and not (out_dir / f"pages.worker-{w}.jsonl").exists():
            missing.append(f"worker {w} on {info['host']}: {info['out']}/pages.worker-{w}.jsonl")
    return missing


def _finish(frontier: Frontier, site: dict, out_dir: Path, started: float, finished: bool, resumed_from: int,
            summarise) -> dict:
    from .finalize import merge_parts

    workers = [p.name.split(".")[1].split("-")[1] for p in out_dir.glob("pages.worker-*.jsonl")]
    merge_parts(out_dir)
    if workers:
        frontier.r.sadd(frontier.key("merged"), *workers)
    counts = frontier.counts()
    skipped = frontier.skipped()
    skipped.pop("requeued after a worker died", None)
    stats = {"finish_reason": "finished" if finished else "stopped: workers exited before the crawl ended",
             "records_this_run": max(0, counts["recorded"] - resumed_from), "resumed_from": resumed_from,
             "skipped": skipped, "traps": frontier.traps(), "workers": len(frontier.r.hkeys(frontier.key("workers")))}
    return summarise(out_dir, site, started, stats)


def main(argv=None) -> int:
    """A local worker started by the coordinator: ``python -m crawler.distributed --redis URL --run ID``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m crawler.distributed")
    parser.add_argument("--redis", required=True)
    parser.add_argument("--run")
    parser.add_argument("--out")
    parser.add_argument("--lease", type=float)
    parser.add_argument("--scrapy-json")
    args = parser.parse_args(argv)
    overrides = json.loads(args.scrapy_json) if args.scrapy_json else {}
    if args.lease:
        overrides["LONGNECK_LEASE_SECONDS"] = args.lease
    try:
        run_worker(args.redis, args.run, args.out, scrapy_overrides=overrides, progress=False)
    except RunError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
