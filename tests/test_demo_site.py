"""The bundled demo site: generated deterministically, committed as generated, and as described."""

import filecmp
import json
from pathlib import Path

from audit.demo import SITE_DIR
from audit.demo.generate_site import main as generate


def test_committed_site_matches_its_generator(tmp_path):
    generate(tmp_path / "site")
    compare = filecmp.dircmp(tmp_path / "site", SITE_DIR)
    stack, problems = [compare], []
    while stack:
        c = stack.pop()
        problems += [f"{c.left}/{n}" for n in c.left_only + c.right_only + c.diff_files]
        stack += c.subdirs.values()
    assert not problems, f"audit/demo/site is out of date (run python -m audit.demo.generate_site): {problems[:5]}"


def test_demo_site_has_what_the_issue_asks_for():
    pages = [p for p in SITE_DIR.rglob("index.html")]
    assert len(pages) >= 150
    assert len(list(SITE_DIR.rglob("*.pdf"))) >= 3
    assert (SITE_DIR / "robots.txt").read_text().count("Disallow") >= 1
    rules = json.loads((SITE_DIR / "_server.json").read_text())
    assert rules["redirects"] and rules["gone"] and rules["calendar"]
    audiences = {p.relative_to(SITE_DIR).parts[0] for p in pages if len(p.relative_to(SITE_DIR).parts) > 2}
    assert {"residents", "businesses", "news", "events"} <= audiences
