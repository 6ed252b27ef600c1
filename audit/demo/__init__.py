"""The bundled demo site (Riverton, a fictional municipality), its config and its local server."""

from pathlib import Path

SITE_DIR = Path(__file__).parent / "site"
CONFIG = Path(__file__).parent / "demo.toml"
DEMO_ORIGIN = "http://riverton.example"
