"""Item pipelines: where records go. Swappable through Scrapy's ITEM_PIPELINES setting."""

from __future__ import annotations

import json
from pathlib import Path

from .items import PAGE_FIELDS


class JsonlWriterPipeline:
    """Append each record to ``LONGNECK_OUTPUT_DIR/pages.jsonl`` (a worker: its own part file) as one line, flushed at once, so a
    crash loses at most the line being written (which ``--resume`` cuts off)."""

    def __init__(self, out_dir: Path, stats, name: str = "pages.jsonl"):
        self.path = Path(out_dir) / name
        self.stats = stats
        self.fh = None

    @classmethod
    def from_crawler(cls, crawler):
        from .spider import part_file

        return cls(crawler.settings.get("LONGNECK_OUTPUT_DIR"), crawler.stats,
                   part_file("pages.jsonl", crawler.settings))

    def open_spider(self, spider=None):
        self.fh = open(self.path, "a", encoding="utf-8")

    def close_spider(self, spider=None):
        if self.fh:
            self.fh.close()

    def process_item(self, item, spider=None):
        record = {name: item.get(name) for name in PAGE_FIELDS}
        self.fh.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
        self.fh.flush()
        self.stats.inc_value("longneck/records")
        status = record["status"]
        if record["error"] and status is None and not record["robots_blocked"]:
            self.stats.inc_value("longneck/errors")
        elif status is not None and status >= 400:
            self.stats.inc_value("longneck/http_errors")
        if record["robots_blocked"]:
            self.stats.inc_value("longneck/robots_blocked")
        return item
