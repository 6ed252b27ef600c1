"""The classifier's evaluation corpus: sites of different shapes, each built reproducibly, each with
ground truth taken from the site's own organisation (its table of contents, its sections), never from
the classifier's features.

A site is a :class:`Site`: the folder to serve (a Debian package's HTML, or a site a script here
generates), where the crawl starts, what is in scope, and ``truth_and_tasks(base, root)`` giving
``({url: task id or "none"}, [task dicts as a site owner would write them: id, name, description,
keywords, two ordinary example URLs])``. ``opaque = True`` serves the same site through
:mod:`benchmarks.corpus.opaque`, which hides every path behind ``/node/N.html`` (a CMS's URLs), so the
classifier cannot lean on folders.

``SITES`` lists every site by name; modules register theirs with :func:`register`. Sites of one
``family`` (a site and its opaque twin, the translations of one manual, the towns of one generator) are
held out together when the benchmark leaves a site out.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable


@dataclass(frozen=True)
class Site:
    name: str                       # short id used on the command line, e.g. "postgres"
    shape: str                      # one line: the site's shape, as docs/classifier.md's table of figures shows it
    language: str                   # ISO 639-1 of the site's text
    root: Callable[[Path], Path]    # (a scratch folder) -> the folder to serve (generated sites write there)
    start: str                      # start path, e.g. "/index.html"
    include: str                    # regular expression: URLs in scope
    truth_and_tasks: Callable[[str, Path], tuple]  # (base URL, served folder) -> (truth, tasks)
    package: str = ""               # the Debian package it needs ("" for generated sites)
    opaque: bool = False            # served with opaque /node/N.html URLs
    numbered: str = ""              # opaque twins: the plain site's include (the pages given numbers)
    family: str = ""                # sites built from the same pages or templates (a twin, a translation)
    notes: str = ""

    def available(self) -> bool:
        if not self.package:
            return True
        try:
            return self.root(Path("/nonexistent")).is_dir()
        except Exception:
            return False


SITES: dict = {}
# sites that share their pages or templates are held out together: an opaque twin with its site, the
# three translations of one manual, the town generator's three towns
FAMILIES = {"gemeente-nl": "town"}


def register(site: Site, opaque: bool = False) -> Site:
    """Add ``site`` to the corpus; ``opaque=True`` adds its opaque-URL twin too (name + "-opaque")."""
    site = replace(site, family=site.family or FAMILIES.get(site.name, site.name.split("-")[0]))
    SITES[site.name] = site
    if opaque:
        twin = replace(site, name=site.name + "-opaque", opaque=True, numbered=site.include,
                       shape=site.shape + ", served with opaque /node/N.html URLs", include="/node/")
        SITES[twin.name] = twin
    return site


def package_folder(path: str) -> Callable[[Path], Path]:
    """The root of a site a Debian package installs (the scratch folder is not needed)."""
    return lambda _scratch: Path(path)


def load_all() -> dict:
    """Import every module of the corpus (each registers its sites) and return ``SITES``."""
    from . import docs  # noqa: F401  (registration by import)

    try:
        from . import service  # noqa: F401
    except ImportError:
        pass

    return SITES
