"""After the crawl: fields that need the whole site, written back into pages.jsonl.

- ``depth``: the shortest click path from a start URL over the link graph (a redirect costs no click),
  exact whatever order responses arrived in; null for pages no link reaches (sitemap-only orphans).
- ``final_url`` and ``redirect_chain``: each redirect followed through the records to its end (loops stop;
  a chain over ``MAX_HOPS`` is cut and says so in ``error``).
- ``in_sitemap`` and ``dates.sitemap_lastmod`` from the sitemaps read during the crawl.
- ``robots_blocked`` for pages fetched although robots.txt disallows them (a crawl with
  ``obey_robots_txt = false``, as a site owner may run it), from the robots.txt files read (Protego).

The file is streamed twice and replaced atomically; memory holds one integer per link, not pages.
"""

from __future__ import annotations

import json
import os
from collections import deque
from pathlib import Path

from .state import iter_records, repair_tail

MAX_HOPS = 100  # hops followed from a URL to its final URL (browsers give up at 20)


def merge_parts(out_dir: Path) -> int:
    """A crawl with workers: append each worker's part files (``pages.worker-K.jsonl``,
    ``sitemap_urls.worker-K.jsonl``, ``robots_txt.worker-K.jsonl``) to the run's own files, then remove
    them. A line a kill cut off is dropped first; a URL recorded twice (a worker killed between writing a
    record and telling Redis) keeps its first record. The merged file replaces the old one atomically and
    the parts are removed only after, so a kill at any point leaves the records to merge again.
    Returns the number of part files merged."""
    out_dir = Path(out_dir)
    merged = 0
    for name in ("pages.jsonl", "sitemap_urls.jsonl", "robots_txt.jsonl"):
        stem = name.split(".")[0]
        parts = sorted(out_dir.glob(f"{stem}.worker-*.jsonl"), key=lambda p: int(p.name.split("-")[1].split(".")[0]))
        if not parts:
            continue
        target = out_dir / name
        tmp = out_dir / f"{name}.merge"
        seen = set()
        decode = json.JSONDecoder().raw_decode
        with open(tmp, "wb") as out:
            for source in ([target] if target.exists() else []) + parts:
                repair_tail(source)
                with open(source, "rb") as fh:
                    for line in fh:
                        if name == "pages.jsonl":  # the writer puts url first: read only that string
                            text = line.decode("utf-8")
                            url = decode(text, 7)[0] if text.startswith('{"url":') else json.loads(text)["url"]
                            if url in seen:
                                continue
                            seen.add(url)
                        out.write(line)
        os.replace(tmp, target)
        for part in parts:
            part.unlink()
        merged += len(parts)
    return merged


def finalize(out_dir: Path) -> dict:
    out_dir = Path(out_dir)
    pages = out_dir / "pages.jsonl"
    repair_tail(pages)
    index: dict[str, int] = {}
    links: list[tuple] = []
    redirects: dict[int, int] = {}
    status: list = []
    starts: list[int] = []
    pending_redirects: list[tuple[int, str]] = []
    duplicates = 0
    for record in iter_records(pages):
        url = record["url"]
        if url in index:
            duplicates += 1
            continue
        i = index[url] = len(status)
        status.append(record.get("status"))
        if record.get("found_via") == "start":
            starts.append(i)
        targets = {link["url"] for link in record.get("outlinks") or () if link.get("internal")}
        links.append(tuple(targets))
        if record.get("redirect_to"):
            pending_redirects.append((i, record["redirect_to"]))
    redirect_url = dict(pending_redirects)
    for i, target in pending_redirects:
        if target in index:
            redirects[i] = index[target]
    # links were stored as URLs: map to ids now that every record has one
    links = [tuple(index[u] for u in t if u in index) for t in links]

    depth = [None] * len(status)
    queue = deque()
    for i in starts:
        depth[i] = 0
        queue.append(i)
    while queue:  # 0-1 breadth-first search: links cost a click, redirects do not
        i = queue.popleft()
        d = depth[i]
        j = redirects.get(i)
        if j is not None and (depth[j] is None or depth[j] > d):
            depth[j] = d
            queue.appendleft(j)
        for j in links[i]:
            if depth[j] is None or depth[j] > d + 1:
                depth[j] = d + 1
                queue.append(j)
    del links

    sitemap: dict[str, str | None] = {}
    sitemap_file = out_dir / "sitemap_urls.jsonl"
    if sitemap_file.exists():
        repair_tail(sitemap_file)
        for entry in iter_records(sitemap_file):
            if entry.get("url"):
                sitemap.setdefault(entry["url"], entry.get("lastmod"))

    disallowed = _robots_rules(out_dir)
    urls = list(index)
    tmp = pages.with_suffix(".jsonl.tmp")
    written = set()
    by_status: dict[str, int] = {}
    with open(tmp, "w", encoding="utf-8") as out:
        for record in iter_records(pages):
            url = record["url"]
            if url in written:
                continue
            written.add(url)
            i = index[url]
            chain, j, visited, cut = [], i, {i}, False
            while j in redirects:  # to the end of the chain; a loop stops where it repeats
                if len(chain) >= MAX_HOPS:
                    cut = True
                    break
                chain.append({"url": urls[j], "status": status[j]})
                j = redirects[j]
                if j in visited:
                    chain.append({"url": urls[j], "status": status[j]})
                    break
                visited.add(j)
            final = urls[j]
            if cut:  # longer than any client follows: said so, as final_url is still a redirect
                record["error"] = record.get("error") or f"redirect chain longer than {MAX_HOPS} hops: cut there"
            elif j not in redirects and j in redirect_url:  # the last hop leaves the crawl (or was not fetched)
                chain.append({"url": urls[j], "status": status[j]})
                final = redirect_url[j]
            record["redirect_chain"] = chain
            record["final_url"] = final
            record["depth"] = depth[i]
            record["in_sitemap"] = url in sitemap
            if not record.get("robots_blocked") and disallowed(url):
                record["robots_blocked"] = True
            key = ("robots-blocked" if record.get("robots_blocked") else
                   f"{record['status'] // 100}xx" if record.get("status") else "no response")
            by_status[key] = by_status.get(key, 0) + 1
            if sitemap.get(url):
                from .extract import normalise_date

                record.setdefault("dates", {})["sitemap_lastmod"] = normalise_date(sitemap[url])
                record.setdefault("date_sources", {})["sitemap_lastmod"] = "sitemap lastmod"
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    os.replace(tmp, pages)
    return {"records": len(urls), "by_status": dict(sorted(by_status.items())), "duplicates_dropped": duplicates,
            "unreachable_by_links": sum(1 for d in depth if d is None), "in_sitemap": len(sitemap.keys() & index.keys())}


def _robots_rules(out_dir: Path):
    """A function url -> True when the robots.txt of its origin (as read during the crawl) disallows it
    for longneck."""
    from urllib.parse import urlsplit

    from protego import Protego

    from .settings import ROBOTS_AGENT

    parsers = {}
    path = out_dir / "robots_txt.jsonl"
    if path.exists():
        repair_tail(path)
        for entry in iter_records(path):
            parsers[entry["origin"]] = Protego.parse(entry.get("text") or "")

    def disallowed(url: str) -> bool:
        parts = urlsplit(url)
        parser = parsers.get(f"{parts.scheme}://{parts.netloc}")
        return parser is not None and not parser.can_fetch(url, ROBOTS_AGENT)
    return disallowed
