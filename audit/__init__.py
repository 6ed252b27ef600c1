"""longneck's audit side: configuration, (later) classification and recommendations, and the CLI that
ties the crawler, the audit and the reports together."""

from crawler.settings import VERSION as __version__  # one version string: pyproject.toml's

__all__ = ["__version__"]
