"""The tasks' example pages are always crawled: a crawl cut by max_pages (or max_depth) before it reaches
them fetches them at its end, so the classifier sees an example of every task."""

from __future__ import annotations

import json

from audit.demo.server import SiteServer

from .conftest import longneck, read_records, write_config


def chain_site(root):
    """/ links /p1, which links /p2 ... /p8: the deeper pages are far from the start."""
    root.mkdir(parents=True)
    for i in range(9):
        name = "index.html" if i == 0 else f"p{i}.html"
        link = f'<a href="/p{i + 1}.html">next</a>' if i < 8 else ""
        (root / name).write_text(f"<html><head><title>Page {i}</title></head><body><main><p>Page {i} of the "
                                 f"chain, about task {'b' if i > 5 else 'a'}.</p>{link}</main></body></html>",
                                 encoding="utf-8")


def test_examples_beyond_max_pages_are_fetched_at_the_end(tmp_path):
    chain_site(tmp_path / "www")
    with SiteServer(tmp_path / "www") as server:
        tasks = (f'[[tasks]]\nid = "a"\nname = "A"\ndescription = "Task A"\nkeywords = ["a"]\n'
                 f'examples = ["{server.url}/p1.html"]\n'
                 f'[[tasks]]\nid = "b"\nname = "B"\ndescription = "Task B"\nkeywords = ["b"]\n'
                 f'examples = ["{server.url}/p7.html", "{server.url}/p8.html"]\n')
        config = write_config(tmp_path / "site.toml", {"start_urls": [server.url + "/"], "max_pages": 3}, tasks)
        longneck("crawl", config, "--out", tmp_path / "run", "-q")
    records = {r["url"].rsplit("/", 1)[-1]: r for r in read_records(tmp_path / "run")
               if r["url"].endswith(".html") or r["url"].endswith("/")}
    # the link crawl stopped at three pages; both of task b's examples were fetched anyway, as examples
    assert records["p7.html"]["found_via"] == "example" and records["p8.html"]["found_via"] == "example"
    assert records["p1.html"]["found_via"] == "link"  # reached by the crawl: not fetched twice
    assert "p4.html" not in records and "p5.html" not in records
    assert json.loads((tmp_path / "run" / "crawl.json").read_text())["complete"] is False
