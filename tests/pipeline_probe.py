"""A pipeline for tests/test_crawl_scope_resume.py: proves ITEM_PIPELINES is swappable from the config."""

from pathlib import Path


class UrlListPipeline:
    def __init__(self, out_dir):
        self.path = Path(out_dir) / "urls.txt"

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("LONGNECK_OUTPUT_DIR"))

    def process_item(self, item, spider=None):
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(item["url"] + "\n")
        return item
