"""Scrapy settings for a longneck crawl: shipped defaults, then the site's options, then raw overrides.

:func:`build_settings` is the one place crawl options become Scrapy settings. The scheduler, its queues,
the duplicate filter and ITEM_PIPELINES are ordinary Scrapy settings, so a ``[scrapy]`` table in the
config (or ``--set``) can swap them, e.g. for scrapy-redis across several machines.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from scrapy.settings import Settings

try:
    VERSION = version("longneck")
except PackageNotFoundError:  # running from a checkout that was not installed
    VERSION = "0+unknown"

ROBOTS_AGENT = "longneck"  # the product token robots.txt rules are matched against

DEFAULTS = {
    "BOT_NAME": "longneck",
    "SPIDER_MODULES": [],
    "ROBOTSTXT_OBEY": True,
    "ROBOTSTXT_USER_AGENT": ROBOTS_AGENT,
    # breadth first: shallow requests first (priority = -depth), FIFO within a depth (the spider admits
    # URLs in rounds: see SiteSpider.release_round)
    "SCHEDULER_DISK_QUEUE": "scrapy.squeues.PickleFifoDiskQueue",
    "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
    "DEPTH_LIMIT": 0,
    "ITEM_PIPELINES": {"crawler.pipelines.JsonlWriterPipeline": 800},
    "EXTENSIONS": {"crawler.progress.Progress": 500, "scrapy.extensions.telnet.TelnetConsole": None},
    "DOWNLOADER_MIDDLEWARES": {
        # the scope on every request, before robots.txt is asked for (Scrapy's own requests included)
        "crawler.middlewares.ScopeMiddleware": 50,
        # redirects are recorded hop by hop by the spider; meta refresh is left to the audit
        "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    },
    "COOKIES_ENABLED": False,
    "RETRY_TIMES": 2,
    # Scrapy starts this many asyncio workers for every response's output; a page yields a record and a
    # few requests and the pipeline is synchronous, so 100 (the default) only costs time (~15%)
    "CONCURRENT_ITEMS": 16,
    "LOG_LEVEL": "WARNING",
    "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    "AUTOTHROTTLE_START_DELAY": 0.5,
    "AUTOTHROTTLE_MAX_DELAY": 30.0,
    "DNS_TIMEOUT": 20,
    "HTTPCACHE_ENABLED": False,
}


def user_agent(site: dict) -> str:
    if site.get("user_agent"):
        return site["user_agent"]
    return f"longneck/{VERSION} (content audit crawler; +{site['contact_url']})"


def build_settings(site: dict, out_dir, resume: bool = False, scrapy_overrides: dict | None = None,
                   progress: bool | None = None) -> Settings:
    """Settings for one crawl. ``site`` holds the validated ``[site]`` keys (see audit.config)."""
    settings = Settings()
    settings.setmodule("scrapy.settings.default_settings", priority="default")
    settings.setdict(DEFAULTS, priority="project")
    concurrency = site["concurrency"]
    settings.setdict({
        "LONGNECK_START_URLS": site["start_urls"],
        "LONGNECK_ALLOWED_DOMAINS": site["allowed_domains"],
        "LONGNECK_SITEMAPS": site["sitemaps"],
        "LONGNECK_SEED_URLS": list(site.get("seed_urls") or ()),  # the tasks' examples (see audit.runs)
        "LONGNECK_INCLUDE": site["include"],
        "LONGNECK_EXCLUDE": site["exclude"],
        "LONGNECK_MAX_PAGES": site["max_pages"],
        "LONGNECK_MAX_DEPTH": site["max_depth"],
        "LONGNECK_MAX_URLS_PER_PATTERN": site["max_urls_per_pattern"],
        "LONGNECK_MAX_QUERY_VARIANTS": site["max_query_variants"],
        "LONGNECK_STRIP_QUERY_PARAMS": site["strip_query_params"],
        "LONGNECK_OUTPUT_DIR": str(out_dir),
        "LONGNECK_RESUME": resume,
        "LONGNECK_PROGRESS": progress,
        "ROBOTSTXT_OBEY": site["obey_robots_txt"],
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "DOWNLOAD_DELAY": site["download_delay"],
        "AUTOTHROTTLE_ENABLED": site["autothrottle"],
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(concurrency),
        "USER_AGENT": user_agent(site),
        "DOWNLOAD_TIMEOUT": site["timeout"],
        "DOWNLOAD_MAXSIZE": site["max_page_bytes"],
        "DOWNLOAD_WARNSIZE": 0,
    }, priority="project")
    if scrapy_overrides:
        settings.setdict(scrapy_overrides, priority="cmdline")
    return settings
