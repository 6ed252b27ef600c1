"""The bundled demo site (Riverton, a fictional municipality), its config and its local server."""

from __future__ import annotations

import time
import tomllib
from pathlib import Path

SITE_DIR = Path(__file__).parent / "site"
CONFIG = Path(__file__).parent / "demo.toml"
DEMO_ORIGIN = "http://riverton.example"


DEMO_PORT = 8642  # a fixed port when free, so that the history can compare demo runs URL by URL


def _server():
    from .server import SiteServer

    try:
        return SiteServer(SITE_DIR, port=DEMO_PORT)
    except OSError:
        return SiteServer(SITE_DIR)


def run_demo(out=None, progress: bool | None = None, announce=print):
    """Serve the demo site on 127.0.0.1 and run the whole pipeline on it; returns (run folder, crawl
    summary, audit, workbook path)."""
    from crawler.run import crawl, refuse_crawled

    from ..pipeline import audit_run, write_audit

    from ..config import parse_config
    from .server import SiteServer

    out = Path(out or f"audits/demo/{time.strftime('%Y%m%d-%H%M%S')}")
    refuse_crawled(out, False)  # before the config is written: a refused demo changes nothing
    with _server() as server:
        text = CONFIG.read_text(encoding="utf-8").replace(DEMO_ORIGIN, server.url)
        config = parse_config(tomllib.loads(text), source=str(CONFIG))
        announce(f"serving the demo site (Riverton, a fictional municipality) on {server.url}")
        from ..runs import save_config

        out.mkdir(parents=True, exist_ok=True)
        save_config(out, config)
        summary = crawl(config.site, out, progress=progress)
    audit = audit_run(out, config)
    return out, summary, audit, write_audit(out, audit)
