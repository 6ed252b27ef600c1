"""Map every page to one top task or ``none``, from what a site owner can give.

Several views of the site (``TaskClassifier.views``) each give, per page and per task, a piece of
evidence (an ``audit.combine.Evidence``):

- *Text*: TF-IDF over title, headings, breadcrumbs, URL words and main text (folded words, CJK as
  character pairs: ``audit.text``). A logistic regression is trained on the seeds (examples and labels),
  the tasks' own names, descriptions and keywords, the pages the structure is surest of (self-training,
  tasks only) and pages whose type rarely serves a task (news, legal ...: none).
- *The owner's words*: similarity to each task's name, description and keywords (a label vector), and
  to its two nearest seed pages.
- *Label spreading* (Zhou et al., 2004, random-walk normalisation) from the seeds over the links,
  weighted by how specific the target is, with folder and breadcrumb nodes; trusted as far as it does
  not call every page certain.
- *Folder vote*: a folder whose seeds agree is a section. *Hub votes*: a page that lists pages (a table
  of contents, a command list) groups them by its headings and nested lists; the seeds in a group vote
  for the pages beside them (``_hub_votes``).
- *Page type*: news, events, legal, release notes ... (``audit.text.page_type_score``), evidence for none.

``audit.combine.Combiner`` weighs the evidence with weights learned across a corpus of sites (never
tuned by hand) and a second stage over the neighbours' classes (``siblings``). ``none`` is a real class
with evidence of its own; a page the structure cannot place takes the text's answer. The confidence is
calibrated (Platt scaling fitted on sites the weights had not seen); ``raw_confidence`` is the
combiner's probability, to which ``threshold`` (config ``[classifier] threshold``, default off) applies.
"""

from __future__ import annotations

import re
import tempfile
import warnings
import zlib
from array import array
from dataclasses import dataclass, field
from itertools import chain
from urllib.parse import unquote, urlsplit

import numpy as np
from scipy import sparse

from reports.i18n import Message as M

from .text import _TOKEN, fold

NONE = "none"
MIN_PAGES = 3  # fewer pages with content than this are too few to learn from (the text model needs a vocabulary)
_WORDS = re.compile(r"[^\W\d_][^\W_]+")


@dataclass
class Pages:
    """The classifiable pages of a crawl, as parallel lists (index = node id)."""

    urls: list
    texts: list
    body_links: list          # list of lists of node ids
    nav_links: list
    directories: list         # directory path of each page
    trails: list              # breadcrumb trail (tuple of texts) of each page
    # per page, its body links in page order as (node id, path): the path holds the headings the link sits
    # under, then the lists it sits in (negative numbers). One per distinct (page, path): a page linked from
    # the header and again in a table of contents has both.
    listings: list
    headings: list            # per page, {heading index: text} for the headings its links sit under
    aliases: dict = field(default_factory=dict)  # redirecting URL -> node id of its final page
    kinds: list = field(default_factory=list)  # per page, 0-1: a page type that rarely serves a task (news ...)
    languages: list = field(default_factory=list)  # per page, its language code (declared or detected) or None


def classifiable(record: dict) -> bool:
    return record.get("status") == 200 and bool(record.get("main_text") or record.get("title"))


def url_words(url: str) -> str:
    path = unquote(urlsplit(url).path)
    return " ".join(_WORDS.findall(path.lower().replace("_", " ").replace("-", " ")))


def folder_tokens(url: str) -> str:
    """One token per folder prefix of the URL ('zdir_manual_en_mod' ...), repeated for weight: lets the
    text model learn that a folder belongs to a task from a few seeds."""
    parts = [re.sub(r"[\W_]+", "", p.lower()) for p in unquote(urlsplit(url).path).split("/")[:-1] if p]
    tokens = ["zdir_" + "_".join(parts[:i + 1]) for i in range(len(parts))]
    return " ".join(tokens * 3)


class Texts:
    """The pages' texts for the text model, each kept zlib-compressed (level 1: about a third of the
    size for a tenth of the time it takes to tokenise it) in a spooled temporary file (in memory up to
    ``SPILL`` bytes, then on disk), read back one at a time: a sequence of str. At a million pages the
    compressed texts alone would hold some 900 MB while the model is fitted."""

    SPILL = 32 << 20

    def __init__(self, texts=()):
        self._file = tempfile.SpooledTemporaryFile(self.SPILL)
        self._spans = array("q")  # per text: where it starts in the file, and its compressed size
        self._end = 0
        for text in texts:
            self.append(text)

    def append(self, text: str) -> None:
        blob = zlib.compress(text.encode("utf-8"), 1)
        self._file.seek(self._end)
        self._file.write(blob)
        self._spans.extend((self._end, len(blob)))
        self._end += len(blob)

    def reorder(self, order) -> None:
        spans = self._spans
        self._spans = array("q", chain.from_iterable((spans[2 * i], spans[2 * i + 1]) for i in order))

    def __len__(self) -> int:
        return len(self._spans) // 2

    def _read(self, i: int) -> str:
        self._file.seek(self._spans[2 * i])
        return zlib.decompress(self._file.read(self._spans[2 * i + 1])).decode("utf-8")

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self._read(k) for k in range(len(self))[i]]
        return self._read(range(len(self))[i])

    def __iter__(self):
        for i in range(len(self)):
            yield self._read(i)

    def __add__(self, other):
        return list(self) + list(other)


def build_pages(records) -> Pages:
    """Collect what the classifier reads from crawl records (an iterable of dicts), in one streamed pass:
    no record is held. Each page's internal links are kept as numbers as they are read (every URL met is
    numbered once), with the heading-and-list path of each body link (shared tuples), and resolved to page
    ids at the end, when every page is known; the texts are kept compressed (:class:`Texts`)."""
    import sys

    from .text import page_type_score

    urls, texts, dirs, trails, kinds, langs = [], Texts(), [], [], [], []
    finals = {}
    met: dict = {}          # every URL a page links to -> its number
    shared: dict = {}       # one copy of each path, trail and folder
    path_of = [None]        # path number -> path (0: a navigation link)
    path_id: dict = {}
    starts, targets, codes = array("q", [0]), array("i"), array("i")
    heading_names = []     # per page, {heading index: text} for the headings its body links sit under
    for record in records:
        if record.get("final_url") and record["final_url"] != record["url"]:
            finals[record["url"]] = record["final_url"]
        if not classifiable(record):
            continue
        url = record["url"]
        crumbs = tuple(c["text"] for c in record.get("breadcrumbs") or () if c.get("text"))
        headings = record.get("headings") or ()
        heading_text = " ".join(h["text"] for h in headings)
        title = record.get("title") or ""
        texts.append(" ".join([title, title, heading_text, " ".join(crumbs), url_words(url),
                               folder_tokens(url), (record.get("main_text") or "")[:20000]]))
        path = urlsplit(url).path
        folder = path.rsplit("/", 1)[0] + "/" if not path.endswith("/") else path.rstrip("/").rsplit("/", 1)[0] + "/"
        dirs.append(sys.intern(folder))
        trail = crumbs[:-1] if crumbs and crumbs[-1] in title else crumbs
        trails.append(shared.setdefault(trail, trail))
        urls.append(url)
        kinds.append(page_type_score(unquote(path), title, crumbs))
        language = record.get("language")
        langs.append(sys.intern(language) if isinstance(language, str) else language)
        paths = heading_paths(headings)
        names = {}
        for link in record.get("outlinks") or ():
            if not link.get("internal"):
                continue
            target = link["url"]
            number = met.get(target)
            if number is None:
                number = met[target] = len(met)
            targets.append(number)
            if link.get("region") == "body":
                section = link.get("section")
                where = paths[section] if isinstance(section, int) and 0 <= section < len(paths) else ()
                lists = link.get("lists")
                if lists:  # the lists it sits in, after its headings (negative: apart from heading numbers)
                    where += tuple(-1 - x for x in lists if isinstance(x, int))
                code = path_id.get(where)
                if code is None:
                    code = path_id[where] = len(path_of)
                    path_of.append(where)
                codes.append(code)
                for k in where:
                    if k >= 0 and k not in names and isinstance(headings[k], dict):
                        names[k] = str(headings[k].get("text", ""))[:80]
            else:
                codes.append(0)
        starts.append(len(targets))
        heading_names.append(names)
    # pages in URL order, whatever order the crawl wrote them in (concurrent fetches finish in any
    # order): the same site classifies the same way every time, so a re-audit shows no spurious changes
    order = sorted(range(len(urls)), key=urls.__getitem__)
    urls, dirs, trails, kinds, langs = ([values[i] for i in order] for values in (urls, dirs, trails, kinds, langs))
    texts.reorder(order)
    index = {u: i for i, u in enumerate(urls)}
    aliases = {}
    for source, final in finals.items():
        if final in index:
            aliases[source] = index[final]
    node = list(range(len(urls)))  # one int object per page id, shared by every list that holds it
    resolved = [None] * len(met)
    for target, number in met.items():
        j = index.get(target, aliases.get(target))
        resolved[number] = None if j is None else node[j]
    del met
    body, nav, listings, heading_texts = [], [], [], []
    for i in order:
        b, n, listed = {}, set(), {}  # body links in page order (a table of contents groups a section's pages)
        for at in range(starts[i], starts[i + 1]):
            j = resolved[targets[at]]
            if j is None:
                continue
            code = codes[at]
            if code:
                b.setdefault(j, None)
                listed.setdefault((j, path_of[code]))
            else:
                n.add(j)
        body.append(list(b))
        listings.append(list(listed))
        used = {k for _, path in listed for k in path if k >= 0}
        names = heading_names[i]
        heading_texts.append({k: names[k] for k in used if k in names})
        nav.append(sorted(n - b.keys()))
    return Pages(urls, texts, body, nav, dirs, trails, listings, heading_texts, aliases, kinds, langs)


def heading_paths(headings) -> list:
    """For each heading of a page, the indices of the headings it sits under and its own: an h3 after an
    h2 is (h2, h3); a later h2 starts again."""
    paths, stack = [], []
    for k, heading in enumerate(headings):
        level = heading.get("level", 2) if isinstance(heading, dict) else 2
        while stack and stack[-1][1] >= level:
            stack.pop()
        stack.append((k, level))
        paths.append(tuple(i for i, _ in stack))
    return paths


def specificity(pages: Pages, popular: float) -> np.ndarray:
    """How much a link to each page says about the page that holds it, 0-1: an inverse document frequency
    over the pages that link to it from their content, 1 for a page linked from up to ``popular`` (a
    share) of the pages, falling to 0 for a page every page links to (``popular`` 0: all 1). A page most
    pages link to (a configuration reference, a glossary) groups nothing, as a site-wide menu groups
    nothing."""
    n = len(pages.urls)
    indegree = np.zeros(n)
    for h, targets in enumerate(pages.body_links):
        for j in targets:
            if j != h:
                indegree[j] += 1
    if n < 2 or not 0 < popular < 1:
        return np.ones(n)
    return np.clip(np.log(n / np.maximum(indegree, 1)) / np.log(1 / popular), 0, 1)


def _first_rows(X: sparse.csr_matrix, n: int) -> sparse.csr_matrix:
    """X[:n] sharing X's arrays (slicing copies them: at a million pages, 2 GB)."""
    end = X.indptr[n]
    return sparse.csr_matrix((X.data[:end], X.indices[:end], X.indptr[:n + 1]), shape=(n, X.shape[1]), copy=False)


def _row_normalised(M):
    total = np.asarray(M.sum(axis=1)).ravel()
    return sparse.diags(np.divide(1.0, total, out=np.zeros(len(total)), where=total > 0)) @ M


def siblings(pages: Pages, window: int = 3) -> dict:
    """Which pages the site puts together: ``list``, a row-normalised sparse matrix (n x n) of the pages a
    hub lists under the same heading or in the same list (in a long list, those within ``window``
    places); ``folder`` and ``trail``, a group number per page (same URL folder, same breadcrumb trail;
    -1 for none). A page's neighbours' classes then speak for its own (collective classification)."""
    n = len(pages.urls)
    out = {}

    def matrix(pairs):
        if pairs is None:
            return sparse.csr_matrix((n, n))
        rows, cols = pairs
        M = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
        M.sum_duplicates()
        M.data[:] = np.minimum(M.data, 1.0)
        M.setdiag(0)
        M.eliminate_zeros()
        return _row_normalised(M)

    # the pages each hub lists together: one run of members per (hub, heading or list), in page order
    members, group = array("i"), array("i")
    runs = 0
    for h in range(n):
        groups: dict = {}
        for j, path in pages.listings[h]:
            if j != h:
                groups.setdefault(path, {}).setdefault(j, None)
        for listed in groups.values():
            if len(listed) >= 2:
                members.extend(listed)
                group.extend([runs] * len(listed))
                runs += 1
    pairs = None
    if runs:
        m, g = _view(members, np.int32), _view(group, np.int32)
        size = np.bincount(g)
        long = size[g] > 2 * window + 1  # in a long list, the pages within ``window`` places
        a, b = [], []
        for d in range(1, min(int(size.max()), 2 * window + 1)):  # a short list has at most 2 * window + 1
            same = g[d:] == g[:-d]
            if d > window:
                same &= ~long[d:]
            a.append(m[:-d][same]); b.append(m[d:][same])
        a, b = np.concatenate(a), np.concatenate(b)
        pairs = (np.concatenate([a, b]), np.concatenate([b, a]))
    out["list"] = matrix(pairs)
    # the hubs that list a page (its parents: a chapter's contents, a section page), a hub that lists
    # few pages counting more than a site map; and the pages a hub lists (its children)
    rows, cols, vals = array("i"), array("i"), array("d")
    for h in range(n):
        listed = {j for j, _ in pages.listings[h] if j != h}
        if listed:
            rows.extend(listed); cols.extend([h] * len(listed)); vals.extend([1.0 / len(listed)] * len(listed))
    P = sparse.csr_matrix((_view(vals, np.float64), (_view(rows, np.int32), _view(cols, np.int32))), shape=(n, n))
    out["parent"] = _row_normalised(P)
    out["children"] = _row_normalised((P.T > 0).astype(float).tocsr())
    # folders and trails: a group number per page (-1: none), the mean over the group taken later
    for name, keys in (("folder", pages.directories), ("trail", [t if len(t) > 1 else None for t in pages.trails])):
        numbers: dict = {}
        out[name] = np.array([-1 if key is None else numbers.setdefault(key, len(numbers)) for key in keys])
    return out


def _view(buffer: array, dtype) -> np.ndarray:
    """An array.array as a numpy array, without a copy (and an empty one as an empty array)."""
    return np.frombuffer(buffer, dtype=dtype) if len(buffer) else np.zeros(0, dtype=dtype)


def _flat(lists, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A list of lists of page ids as two int32 arrays: the row of each entry, and the entry."""
    lengths = np.fromiter(map(len, lists), dtype=np.int64, count=n)
    flat = np.fromiter(chain.from_iterable(lists), dtype=np.int32, count=int(lengths.sum()))
    return np.repeat(np.arange(n, dtype=np.int32), lengths), flat


def structure_graph(pages: Pages, nav_weight: float = 0.05, folder_weight: float = 1.0,
                    link_weight: float = 1.0, weights=None) -> tuple[sparse.csr_matrix, int]:
    """Symmetric weighted adjacency over pages + virtual directory and trail nodes; returns (W, n_pages).
    The edges are built in arrays (at a million pages, lists of Python numbers held some 1.5 GB)."""
    n = len(pages.urls)
    sources, targets, values = [], [], []
    for lists, weight in ((pages.body_links, None), (pages.nav_links, nav_weight)):
        a, b = _flat(lists, n)
        other = a != b
        a, b = a[other], b[other]
        if weight is None:
            w = np.full(len(b), link_weight) if weights is None else link_weight * np.asarray(weights, float)[b]
        else:
            w = np.full(len(b), weight)
        sources.append(a); targets.append(b); values.append(w)
    rows, cols, vals = array("i"), array("i"), array("d")

    def edge(a, b, w):
        rows.append(a); cols.append(b); vals.append(w)

    virtual: dict = {}

    def node(key):
        if key not in virtual:
            virtual[key] = n + len(virtual)
        return virtual[key]

    for i in range(n):
        directory = pages.directories[i]
        edge(i, node(("dir", directory)), folder_weight)
        parts = directory.strip("/").split("/")
        for depth in range(len(parts) - 1, 0, -1):  # dir -> parent dir, weaker as it climbs
            child, parent = "/" + "/".join(parts[:depth + 1]) + "/", "/" + "/".join(parts[:depth]) + "/"
            edge(node(("dir", child)), node(("dir", parent)), 0.5)
        trail = pages.trails[i]
        if len(trail) > 1:
            edge(i, node(("trail", trail)), 1.0)
            for k in range(len(trail) - 1, 1, -1):
                edge(node(("trail", trail[:k + 1])), node(("trail", trail[:k])), 0.5)
    sources.append(_view(rows, np.int32))
    targets.append(_view(cols, np.int32))
    values.append(_view(vals, np.float64))
    a, b, w = np.concatenate(sources), np.concatenate(targets), np.concatenate(values)
    size = n + len(virtual)
    W = sparse.csr_matrix((np.concatenate([w, w]), (np.concatenate([a, b]), np.concatenate([b, a]))),
                          shape=(size, size))
    W.sum_duplicates()
    return W, n


def spread(W: sparse.csr_matrix, seeds: np.ndarray, alpha: float = 0.9, iterations: int = 40) -> np.ndarray:
    """Label spreading with random-walk normalisation: F <- alpha * S F + (1 - alpha) * Y, S = D^-1 W.
    Each node takes the weighted mean of its neighbours (a folder node the mean of its pages). Zhou et
    al.'s symmetric S = D^-1/2 W D^-1/2 scored 0.54 against 0.66 on the Apache manual."""
    degree = np.asarray(W.sum(axis=1)).ravel()
    inv = np.zeros_like(degree)
    inv[degree > 0] = 1.0 / degree[degree > 0]
    S = sparse.diags(inv) @ W
    F = seeds.copy()
    for _ in range(iterations):
        F = alpha * (S @ F) + (1 - alpha) * seeds
    return F


@dataclass
class Result:
    """Per page: task, confidence, runner-up and why (a pandas DataFrame), and the seeds used."""

    table: "object"  # pandas.DataFrame: url, task, confidence, runner_up, runner_up_confidence, why, seed
    classes: list
    probabilities: np.ndarray
    warnings: list
    views: dict = field(default_factory=dict)  # "evidence" (audit.combine.Evidence), "structure": for diagnosis
    features: "object" = None  # the TF-IDF matrix of the pages (rows L2-normalised, in table order)
    too_few: int | None = None  # pages with content, when there were too few to classify (MIN_PAGES); else None


class TaskClassifier:
    """``TaskClassifier.from_config(config).fit_predict(records, labels)``.

    ``labels``: {url: task id or "none"} from the labels CSV and reviewed workbooks; the tasks' example
    URLs are labels too. Deterministic: no randomness anywhere (lbfgs, fixed iteration counts).
    """

    def __init__(self, tasks, threshold=0.0, nav_weight=0.05, alpha=0.9, pseudo_per_class=40,
                 folder_weight=5.0, link_weight=0.2, evidence=0.05, none_spread=0.3, folder_vote=0.7,
                 hub_vote=0.5, hub_support=2.0, hub_window=3, popular=0.05, combiner=None, stop_words="english"):
        from .combine import Combiner

        self.tasks = list(tasks)
        self.combiner = combiner if combiner is not None else Combiner.load()
        self.none_spread = none_spread
        self.folder_vote = folder_vote
        self.hub_vote, self.hub_support = hub_vote, hub_support
        self.hub_window = hub_window
        self.popular = popular
        self.evidence = evidence  # the fraction of a task's seed-level mass that counts as full evidence
        self.folder_weight, self.link_weight = folder_weight, link_weight
        self.threshold = threshold
        self.nav_weight = nav_weight
        self.alpha = alpha
        self.pseudo_per_class = pseudo_per_class
        # "english": scikit-learn's English stop words only (the default); "site": those of the site's languages
        # too (audit.text.site_stop_words). Measured on Debian's translated manuals (docs/languages.md,
        # Stop words): no better, so not the default
        self.stop_words = stop_words

    @classmethod
    def from_config(cls, config):
        return cls(config.tasks, threshold=config.classifier["threshold"])

    def _seeds(self, pages: Pages, labels: dict, classes: list) -> tuple[dict, list]:
        index = {u: i for i, u in enumerate(pages.urls)}
        seeds, notes = {}, []
        from crawler.urls import UrlNormalizer

        norm = UrlNormalizer()
        given = [(u, t["id"], "example") for t in self.tasks for u in t["examples"]]
        given += [(u, task, "label") for u, task in labels.items()]
        for url, task, kind in given:
            key = norm(url) or url
            i = index.get(key, pages.aliases.get(key))
            if task not in classes:  # Messages (the Summary's notes): said in the workbook's language
                notes.append(M("example {url}: unknown task '{task}' (ignored)" if kind == "example" else
                               "label {url}: unknown task '{task}' (ignored)", url=url, task=task))
            elif i is None:
                notes.append(M("example {url}: not among the crawled pages with content (ignored)"
                               if kind == "example" else
                               "label {url}: not among the crawled pages with content (ignored)", url=url))
            else:
                seeds[i] = task  # a label given later overrides an example
        return seeds, notes

    def _evidence_view(self, W, seeds, classes, n):
        """Structure view where none is weak evidence: the mass of task k reaching a page, relative to the
        mass at k's own seeds; below ``evidence`` (a fraction of the seed level) for every task -> none."""
        k = len(classes)
        none = classes.index(NONE)
        Y = np.zeros((W.shape[0], k))
        for i, task in seeds.items():
            Y[i, classes.index(task)] = 1.0
        F = spread(W, Y, self.alpha)[:n]
        if self.none_spread < 1:  # a none page says little about its neighbours (a glossary beside task pages)
            F[:, none] = self.none_spread * F[:, none] + (1 - self.none_spread) * Y[:n, none]
        level = np.ones(k)
        for c in range(k):
            own = [i for i, t in seeds.items() if classes.index(t) == c]
            if own:
                level[c] = max(float(np.median(F[own, c])), 1e-12)
        relative = F / level
        relative[:, none] = 0.0
        strength = np.clip(relative.max(axis=1) / self.evidence, 0, 1)
        tasks_share = (F[:, :none] + 1e-12) / (F[:, :none].sum(axis=1, keepdims=True) + none * 1e-12)
        struct = np.zeros((n, k))
        struct[:, :none] = tasks_share * strength[:, None]
        struct[:, none] = 1 - strength
        labelled_none = F[:, none] > 0
        struct[labelled_none, none] = np.maximum(struct[labelled_none, none], np.clip(F[labelled_none, none] / level[none], 0, 1))
        struct = (struct + 1e-9) / (struct + 1e-9).sum(axis=1, keepdims=True)
        return struct, strength, relative

    def _hub_votes(self, pages: Pages, seeds: dict, classes: list, weights):
        """Hub pages list a section's pages (a chapter's table of contents, a command list divided by
        headings, a module index): a page listed by a hub whose other listed seeds agree takes their class.

        A hub's links fall into groups: each heading, each nested list, and the page as a whole. For each
        page it lists (at its deepest place, when it is listed twice), the seeds of the group that speaks
        most clearly vote: its own heading or list, or one that encloses it. In a long list directly under
        one group, the seeds within ``hub_window`` places vote too. A vote is the share of each class's
        seeds the group holds, weighted by purity squared and by support t^2 / (t^2 + ``hub_support``)
        (t: the seeds behind it, each counted by its ``weights`` (specificity) squared). Returns (shares, weight, strongest): per page, the hub vote
        "why" names (weight, hub, heading path, class, seeds behind it)."""
        k = len(classes)
        n = len(pages.urls)
        votes = np.zeros((n, k))
        seed_class = {i: classes.index(t) for i, t in seeds.items()}
        none = classes.index(NONE)
        unit = np.ones(k)
        unit[none] = self.none_spread  # a none page says little about the pages listed beside it
        per_class = np.ones(k)
        # a seed many pages link to (a configuration reference) says little about the pages listed beside it:
        # its vote counts by its specificity squared (the graph's edges by the specificity itself)
        worth = weights ** 2
        for j, c in seed_class.items():
            per_class[c] += unit[c] * worth[j]

        def strength_of(own):
            """(shares, weight) of a list's vote: the share of each class's seeds the list holds (a site
            map holds all of every class: no vote; a chapter's contents all of one class: a vote, however
            many seeds each class has), weighted by purity squared and by support t^2 / (t^2 + s)."""
            t = own.sum()
            if t <= 0:
                return None, 0.0
            reach = own / per_class
            purity = reach.max() / reach.sum()
            # support: a list that holds one seed is a hint, one that holds several is a section
            return reach / reach.sum(), purity ** 2 * t ** 2 / (t ** 2 + self.hub_support)

        def vote(j, own):
            shares, weight = strength_of(own)
            if weight:
                votes[j] += shares * weight

        strongest: dict = {}  # page -> (weight, hub, heading path, class, seeds behind it): what "why" names
        w = self.hub_window
        for h in range(n):
            listed = [(j, path) for j, path in pages.listings[h] if j != h]  # a page does not vote for itself
            if len(listed) < 2 or not any(j in seed_class for j, _ in listed):
                continue
            zero = np.zeros(k)
            mark = {}  # each listed seed's class, weighted by how specific a link to it is
            for j, _ in listed:
                c = seed_class.get(j)
                if c is not None and j not in mark:
                    mark[j] = zero.copy()
                    mark[j][c] = unit[c] * worth[j]
            # each heading of the hub, and the hub as a whole (): the pages listed under it, once each
            groups: dict = {}
            deepest: dict = {}  # each listed page's deepest heading (its place in a table of contents)
            for j, path in listed:
                for depth in range(len(path) + 1):
                    groups.setdefault(path[:depth], {}).setdefault(j, None)
                if len(path) >= len(deepest.get(j, ())):
                    deepest[j] = path
            counts, tally = {}, {}  # per group: the seeds' weighted marks, and how many seeds of each class
            for key, members in groups.items():
                seeded = [x for x in members if x in mark]
                counts[key] = sum((mark[x] for x in seeded), zero)
                tally[key] = np.bincount([seed_class[x] for x in seeded], minlength=k)
            for j, path in deepest.items():
                # the seeds listed under the same heading or list vote, or those under an enclosing one, up
                # to the whole page: whichever grouping speaks most clearly (purity and support)
                best, best_weight, best_key = None, 0.0, None
                for depth in range(len(path), -1, -1):
                    shares, weight = strength_of(counts[path[:depth]] - mark.get(j, zero))
                    if weight > best_weight:
                        best, best_weight, best_key = shares, weight, path[:depth]
                if best is not None:
                    votes[j] += best * best_weight
                    if best_weight > strongest.get(j, (0.0,))[0]:
                        c = int(best.argmax())
                        behind = int(tally[best_key][c]) - (seed_class.get(j) == c)
                        strongest[j] = (best_weight, h, best_key, c, behind)
            if not w:
                continue
            for key in groups:
                positions = [j for j, path in listed if path == key]  # listed directly under it, in order
                if len(positions) <= 2 * w + 1:
                    continue
                # a long list under one heading (a site map, a book's contents) puts related pages next
                # to each other: the seeds listed near a page vote too
                marks = np.array([mark.get(j, zero) for j in positions])
                cumulative = np.vstack([zero, np.cumsum(marks, axis=0)])
                for at, j in enumerate(positions):
                    lo, hi = max(0, at - w), min(len(positions), at + w + 1)
                    vote(j, cumulative[hi] - cumulative[lo] - marks[at])
        weight = votes.sum(axis=1)
        shares = np.divide(votes, weight[:, None], out=np.zeros_like(votes), where=weight[:, None] > 0)
        return shares, weight, strongest

    def _folder_vote(self, pages: Pages, seeds: dict, classes: list):
        """A URL folder is a section of the site: pages in a folder whose other seeds agree take their class
        with the folder's confidence, however many pages the folder holds (label spreading dilutes a few
        seeds over a large folder). Returns (vote, weight): the vote is the folder seeds' class shares with
        half a seed of doubt; its weight is ``folder_vote`` x purity squared (purity: the largest class share
        among the folder's seeds), so a folder of one section decides and the one folder of a flat site does
        not, times the support t^2 / (t^2 + ``hub_support``) of its t seeds; 0 where the folder has no seeds."""
        k = len(classes)
        n = len(pages.urls)
        vote, weight = np.zeros((n, k)), np.zeros(n)
        if self.folder_vote <= 0 or not seeds:
            return vote, weight
        counts: dict = {}
        none = classes.index(NONE)
        for i, task in seeds.items():
            c = classes.index(task)
            counts.setdefault(pages.directories[i], np.zeros(k))[c] += self.none_spread if c == none else 1
        for i, folder in enumerate(pages.directories):
            votes = counts.get(folder)
            if votes is None or i in seeds:
                continue
            total = votes.sum()
            vote[i] = votes / (total + 0.5)
            vote[i, none] += 0.5 / (total + 0.5)
            purity = votes.max() / total  # a folder whose seeds disagree (a flat site) says little
            # support, as for hub votes: one seed in a folder (a label in a mixed folder) is a hint, two
            # or more that agree are a section
            weight[i] = self.folder_vote * purity ** 2 * total ** 2 / (total ** 2 + self.hub_support)
        return vote, weight

    @staticmethod
    def _blend_folder(struct, strength, vote, weight):
        """The structure view with the folder vote blended in (for choosing the text model's pseudo-labels)."""
        struct = (1 - weight[:, None]) * struct + weight[:, None] * vote
        none = struct.shape[1] - 1
        return struct, np.maximum(strength, weight * (1 - vote[:, none]))

    def views(self, pages: Pages, seeds: dict):
        """What each view says of every page (an :class:`audit.combine.Evidence`), plus what ``why`` needs."""
        from sklearn.linear_model import LogisticRegression

        from .combine import Evidence
        from .text import fold, site_stop_words, tokens
        from .tfidf import StreamedTfidf

        n = len(pages.urls)
        task_ids = [t["id"] for t in self.tasks]
        classes = task_ids + [NONE]
        k = len(classes)
        none = k - 1

        # structure: label spreading over the site graph, the folder vote and the hub votes
        weights = specificity(pages, self.popular)
        W, _ = structure_graph(pages, self.nav_weight, self.folder_weight, self.link_weight, weights)
        struct, strength, relative = self._evidence_view(W, seeds, classes, n)
        trust = 1.0 - float(np.mean(strength >= 0.999))  # evidence every page has is no evidence
        folder_vote, folder_weight = self._folder_vote(pages, seeds, classes)
        struct, strength = self._blend_folder(struct, strength, folder_vote, folder_weight)
        strongest: dict = {}
        hub_shares, hub_weight = np.zeros((n, k)), np.zeros(n)
        if seeds:
            hub_shares, hub_weight, strongest = self._hub_votes(pages, seeds, classes, weights)
        confident = hub_weight / (hub_weight + 0.5)
        a = self.hub_vote * confident
        has = hub_weight > 0
        struct[has] = (1 - a[has, None]) * struct[has] + a[has, None] * hub_shares[has]
        strength = np.maximum(strength * trust, confident * (1 - hub_shares[:, none]))

        # text: TF-IDF over folded words (character pairs for CJK), without stop words (English; with
        # stop_words="site", the site's languages' too), a logistic regression trained on the seeds, the
        # tasks' own words and the pages the structure view is surest of (self-training)
        stop = site_stop_words(pages.languages) if self.stop_words == "site" else "english"
        vectorizer = StreamedTfidf(sublinear_tf=True, min_df=2, max_df=0.6, preprocessor=fold, tokenizer=tokens,
                                     token_pattern=None, lowercase=False, stop_words=stop,
                                     max_features=200_000, dtype=np.float32)
        task_docs = [" ".join([t["name"]] * 2 + [t["description"]] + list(t["keywords"]) * 2) for t in self.tasks]
        with warnings.catch_warnings():  # the English stop words meet the folded tokens: as intended
            warnings.filterwarnings("ignore", message="Your stop_words may be inconsistent")
            try:
                X_all = vectorizer.fit_transform(chain(pages.texts, task_docs))  # one text at a time
            except ValueError:  # a very small site: every word is in too few or too many pages; keep them all
                vectorizer.set_params(min_df=1, max_df=1.0, stop_words=None)
                X_all = vectorizer.fit_transform(chain(pages.texts, task_docs, ["longneck"]))[:-1]
        X, X_tasks = _first_rows(X_all, n), X_all[n:]  # the pages' rows without a copy of them
        train_rows, train_y = [], []
        order = np.argsort(-(struct[:, :none].max(axis=1) * strength), kind="stable")
        taken = {c: 0 for c in classes}
        for i in order:  # tasks only: a page with weak structure evidence is not thereby none
            c = classes[int(struct[i, :none].argmax())]
            if i in seeds or taken[c] >= self.pseudo_per_class or strength[i] <= 0.5:
                continue
            taken[c] += 1
            train_rows.append(i)
            train_y.append(c)
        kinds = np.asarray(pages.kinds, dtype=float) if pages.kinds else np.zeros(n)
        for i in np.argsort(-kinds, kind="stable")[:self.pseudo_per_class]:
            if kinds[i] >= 0.5 and i not in seeds:  # none from positive evidence: news, legal, contact ...
                train_rows.append(int(i))
                train_y.append(NONE)
        for i, task in seeds.items():
            train_rows += [i] * 3  # seeds count more than pseudo-labels
            train_y += [task] * 3
        rows = sparse.vstack([X[train_rows], X_tasks]) if train_rows else X_tasks
        y = train_y + task_ids
        text = np.full((n, k - 1), 1.0 / max(1, k - 1))
        text_none = np.zeros(n)
        model = None
        if len(set(y)) > 1:
            model = LogisticRegression(C=4.0, class_weight="balanced", solver="lbfgs", max_iter=1000)
            model.fit(rows, y)
            proba = model.predict_proba(X)
            # relative to what the model says of an empty page: a stub or a page of other words must not
            # take the class the model leans to when it knows nothing (its intercepts)
            prior = model.predict_proba(sparse.csr_matrix((1, X.shape[1]), dtype=X.dtype))
            proba = proba / prior
            proba /= proba.sum(axis=1, keepdims=True)
            full = np.zeros((n, k))
            for col, c in enumerate(model.classes_):
                full[:, classes.index(c)] = proba[:, col]
            text_none = full[:, none]
            text = full[:, :none] / np.maximum(full[:, :none].sum(axis=1, keepdims=True), 1e-12)

        # the owner's words: each task's description as a label vector, its seeds as nearest neighbours
        words = (X @ X_tasks.T).toarray() if len(task_ids) else np.zeros((n, 0))
        # nearest: the mean similarity to the class's two closest seeds, so that one label in an odd
        # place (a page of a shared template) does not pull every page of that template to its class
        nearest = np.zeros((n, k))
        seed_rows = sorted(seeds)
        if seed_rows:
            sims = (X @ X[seed_rows].T).toarray()
            for col, i in enumerate(seed_rows):
                sims[i, col] = 0.0  # a seed is not its own neighbour
            seed_of = np.array([classes.index(seeds[i]) for i in seed_rows])
            for c in np.unique(seed_of):
                own = sims[:, seed_of == c]
                top = np.sort(own, axis=1)[:, -2:] if own.shape[1] > 1 else np.hstack([own, np.zeros((n, 1))])
                nearest[:, c] = top.mean(axis=1)
        folder = folder_vote * folder_weight[:, None]
        hub = hub_shares * confident[:, None]
        seed_class = np.full(n, -1)
        for i, task in seeds.items():
            seed_class[i] = classes.index(task)
        ev = Evidence(text=text, text_none=text_none, nearest=nearest[:, :none], nearest_none=nearest[:, none],
                      words=words, graph=np.clip(relative[:, :none] / self.evidence, 0, 1), graph_trust=trust,
                      folder=folder[:, :none], folder_none=folder[:, none], hub=hub[:, :none], hub_none=hub[:, none],
                      page_type=kinds,
                      seeds=seed_class, siblings=siblings(pages, self.hub_window))
        return ev, {"vectorizer": vectorizer, "model": model, "X": X, "strongest": strongest, "struct": struct}

    def fit_predict(self, records, labels: dict | None = None, release: bool = False) -> Result:
        """Classify ``records`` (crawl records or :class:`Pages`) with ``labels`` {url: task}. ``release``:
        the pages' link lists the views alone read (listings, navigation links) are let go once the views
        are done (the audit's pages are not classified again: at a million pages, 0.6 GB)."""
        import pandas as pd

        pages = records if isinstance(records, Pages) else build_pages(records)
        n = len(pages.urls)
        task_ids = [t["id"] for t in self.tasks]
        seeds, notes = self._seeds(pages, labels or {}, task_ids + [NONE])
        classes = task_ids + [NONE]
        k = len(classes)
        if n < MIN_PAGES or not task_ids:
            empty = pd.DataFrame(columns=["url", "task", "confidence", "raw_confidence", "runner_up",
                                          "runner_up_confidence", "why", "seed"])
            if not task_ids:
                return Result(empty, classes, np.zeros((0, k)), notes + [M("nothing to classify")])
            why = M("too few pages to classify: the crawl found {n} page(s) with content (status 200 and text), the "
                    "classifier needs at least {min_pages}; no page has a task. A site that answers 403 to crawlers, "
                    "a start URL behind a long redirect chain or a login page looks like this: see the Status and "
                    "Redirect columns of the Pages sheet", n=n, min_pages=MIN_PAGES)
            return Result(empty, classes, np.zeros((0, k)), [why], too_few=n)
        ev, aux = self.views(pages, seeds)
        if release:
            pages.listings = pages.nav_links = None
        combined = self.combiner.predict(ev)
        order = np.argsort(-combined, axis=1, kind="stable")
        best, second = order[:, 0], order[:, 1]
        confidence = combined[np.arange(n), best]
        tasks, conf, runner, runner_conf = [], [], [], []
        for i in range(n):
            if i in seeds:
                tasks.append(seeds[i]); conf.append(1.0)
            elif classes[best[i]] == NONE:
                tasks.append(NONE); conf.append(round(float(confidence[i]), 3))
            elif confidence[i] < self.threshold:
                tasks.append(NONE); conf.append(round(float(combined[i, classes.index(NONE)]), 3))
            else:
                tasks.append(classes[best[i]]); conf.append(round(float(confidence[i]), 3))
            top = classes[best[i]] if classes[best[i]] != tasks[i] else classes[second[i]]
            runner.append(top)
            runner_conf.append(round(float(combined[i, classes.index(top)]), 3))
        why = explain(pages, tasks, seeds, aux["vectorizer"], aux["model"], aux["X"], classes, aux["strongest"],
                      ev)
        raw = np.array(conf, dtype=float)
        is_seed = np.array([i in seeds for i in range(n)])
        calibrated = np.where(is_seed, 1.0, self.combiner.calibrate(raw)).round(3)
        why = [w if is_seed[i] else M.plain("{evidence}: {why}", evidence=evidence_words(calibrated[i]), why=w)
               for i, w in enumerate(why)]
        table = pd.DataFrame({"url": pages.urls, "task": tasks, "confidence": calibrated, "raw_confidence": raw,
                              "runner_up": runner,
                              "runner_up_confidence": runner_conf, "why": why,
                              "seed": is_seed})
        return Result(table, classes, combined, notes, {"evidence": ev, "structure": aux["struct"]}, aux["X"])


def evidence_words(confidence: float) -> str:
    """How the Why text opens, in agreement with the (calibrated) confidence beside it."""
    confidence = float(confidence)
    if confidence >= 0.9:
        return M("strong evidence ({confidence:.2f})", confidence=confidence)
    if confidence >= 0.7:
        return M("fair evidence ({confidence:.2f})", confidence=confidence)
    return M("weak evidence ({confidence:.2f}), check it", confidence=confidence)


def readable_term(term: str) -> str:
    """A model term as a reader knows it: the classifier's folder tokens ('zdir_about_news') as the
    folder ('folder /about/news/'), words as themselves."""
    if term.startswith("zdir_"):
        return "folder /" + "/".join(p for p in term[5:].split("_") if p) + "/"
    return f"'{term}'"


def explain(pages: Pages, tasks: list, seeds: dict, vectorizer, model, X, classes, strongest, evidence) -> list:
    """A short reason per page: breadcrumb, the hub that lists it beside pages of its task (and under
    which heading), links from pages of the same task, URL folder, text terms; for none, the evidence
    for none (a page type that rarely serves a task, text unlike every task's examples, likeness to
    pages labelled none)."""
    from reports.workbook import iri  # paths shown decoded ('/νέα', not '/%CE%BD%CE%AD%CE%B1')

    inlinks = [[] for _ in pages.urls]
    for j, targets in enumerate(pages.body_links):
        for i in targets:
            inlinks[i].append(j)
    terms = vectorizer.get_feature_names_out() if model is not None else None
    words_of = _top_words(tasks, model, X, terms) if model is not None else {}
    typical = float(np.median(evidence.nearest.max(axis=1))) if evidence.nearest.size else 0.0
    out = []
    for i, task in enumerate(tasks):
        parts = []
        if i in seeds:
            parts.append(M("given as example or label"))
        if len(pages.trails[i]) > 1:  # "Home" alone says nothing
            parts.append(M("breadcrumb {trail}", trail=" › ".join(pages.trails[i][-3:])))
        hub = strongest.get(i)
        if hub and task != NONE and classes[hub[3]] == task and hub[4] > 0:
            _, h, key, _, behind = hub
            heading = next((pages.headings[h].get(k) for k in reversed(key) if k >= 0), None)
            where = M.join("", [M(" in a list") if key and key[-1] < 0 else "",
                                M(" under '{heading}'", heading=heading) if heading else ""])
            parts.append(M("listed by {path}{where} beside {n} {task} examples" if behind > 1 else
                           "listed by {path}{where} beside {n} {task} example",
                           path=iri(urlsplit(pages.urls[h]).path) or "/", where=where, n=behind, task=task))
        same = sum(1 for j in inlinks[i] if tasks[j] == task)
        if same and task != NONE:
            parts.append(M("{n} body links from {task} pages" if same > 1 else "{n} body link from {task} pages",
                           n=same, task=task))
        parts.append(M("folder {folder}", folder=pages.directories[i]))
        if words_of.get(i):
            shown = _as_written(pages.texts[i], words_of[i])
            parts.append(M("words {words}", words=", ".join(readable_term(shown.get(w, w)) for w in words_of[i])))
        if task == NONE and i not in seeds:
            parts[:0] = _none_reasons(evidence, i, classes, typical)
        out.append(M.join("; ", parts))
    return out


def _as_written(text: str, words: list, scan: int = 4000) -> dict:
    """{folded model word: the word as the page writes it (lower case)}: the model matches folded words
    ('optiuni'), a reader sees the page's ('opțiuni'). Read from the top of the page's text (its title and
    headings come first); a word not found there is shown folded."""
    top = text[:scan]
    if top.isascii():  # folding changed nothing but the case
        return {}
    wanted, found = set(words), {}
    for raw in _TOKEN.findall(top):
        folded = fold(raw)
        if folded in wanted and folded not in found and folded != raw.lower():
            found[folded] = raw.lower()
            if len(found) == len(wanted):
                break
    return found


def _none_reasons(ev, i: int, classes: list, typical: float) -> list:
    """What speaks for none on page i, in words (``typical``: the site's median closest-example likeness)."""
    reasons = []
    if ev.page_type[i] >= 0.5:
        reasons.append(M("a page type that rarely serves a task (news, events, about, legal, contact ...)"))
    if ev.nearest_none[i] > 0 and ev.nearest_none[i] >= ev.nearest[i].max(initial=0):
        reasons.append(M("most like a page labelled none ({alike:.0%} alike)", alike=float(ev.nearest_none[i])))
    if ev.nearest.shape[1]:
        c = int(ev.nearest[i].argmax())
        if ev.nearest[i, c] <= typical:  # unlike the tasks' examples, for this site
            reasons.append(M("unlike every task's examples (closest: {task}, {alike:.0%} alike)", task=classes[c],
                             alike=float(ev.nearest[i, c])))
    return reasons or [M("more like none than any task, taking every view together")]


def _top_words(tasks: list, model, X, terms, block: int = 10_000) -> dict:
    """{page: the (up to) three words that weigh most for its task}: one sparse product per class (in
    blocks of ``block`` pages), not one per page."""
    classes = list(model.classes_)
    rows_of: dict = {}
    for i, task in enumerate(tasks):
        if task in classes:
            rows_of.setdefault(task, []).append(i)
    out = {}
    for task, rows in rows_of.items():
        coef = model.coef_[classes.index(task)] if len(classes) > 2 else (
            model.coef_[0] * (1 if task == classes[1] else -1))
        for first in range(0, len(rows), block):  # in blocks: never a copy of X for the largest class
            chunk = rows[first:first + block]
            contrib = sparse.csr_matrix(X[chunk].multiply(coef))
            for k, i in enumerate(chunk):
                start, end = contrib.indptr[k], contrib.indptr[k + 1]
                data, indices = contrib.data[start:end], contrib.indices[start:end]
                if len(data):
                    top = np.argsort(-data, kind="stable")[:6]
                    words = [terms[indices[t]] for t in top if data[t] > 0 and not terms[indices[t]].startswith("zdir_")]
                    if words:
                        out[i] = words[:3]
    return out


QUEUE_DOUBT = 0.25  # a page whose two best classes are further apart than 0.75 is not doubtful


def label_queue(result: Result, pages: Pages, size: int = 50) -> "object":
    """Pages whose label would most improve the model: uncertain (small margin between the two best
    classes) and in a large folder. At most three per folder (or the folder's share of the queue, when
    larger), and taken in turns from each predicted class among the doubtful pages (uncertainty at least
    ``QUEUE_DOUBT``), so the queue covers the site and every class; within a class, best first. Pages
    the classifier is sure of come only after every doubtful one."""
    import pandas as pd

    P = result.probabilities
    if len(P) == 0:
        return pd.DataFrame(columns=["url", "task", "runner_up", "uncertainty", "folder_pages", "score"])
    top2 = np.sort(P, axis=1)[:, -2:]  # at least two classes: the tasks and none
    uncertainty = 1 - (top2[:, 1] - top2[:, 0])
    folder_size: dict = {}
    for d in pages.directories:
        folder_size[d] = folder_size.get(d, 0) + 1
    mass = np.array([np.log1p(folder_size[d]) for d in pages.directories])
    score = uncertainty * mass
    seed = result.table["seed"].to_numpy()
    tasks = result.table["task"].tolist()
    n = len(pages.urls)
    # candidates per predicted class, best first; then taken in turns so every class is asked about
    queues: dict = {}
    per_folder: dict = {}
    for i in np.argsort(-score, kind="stable"):
        if seed[i]:
            continue
        folder = pages.directories[i]
        # at most three per folder, or the folder's share of the queue if larger (a flat site is one folder)
        if per_folder.get(folder, 0) >= max(3, int(np.ceil(size * folder_size[folder] / n))):
            continue
        per_folder[folder] = per_folder.get(folder, 0) + 1
        queues.setdefault(tasks[i], []).append(i)
    # classes take turns among the doubtful pages (a page the classifier is sure of teaches it little); the
    # sure ones come last, best first, only when there are not enough doubtful ones
    doubtful = {c: [i for i in q if uncertainty[i] >= QUEUE_DOUBT] for c, q in queues.items()}
    order = []
    while len(order) < size and any(doubtful.values()):
        for c in sorted(doubtful, key=lambda c: -score[doubtful[c][0]] if doubtful[c] else 0):
            if doubtful[c] and len(order) < size:
                order.append(doubtful[c].pop(0))
    taken = set(order)
    rest = sorted((i for q in queues.values() for i in q if i not in taken), key=lambda i: -score[i])
    order += rest[:max(0, size - len(order))]
    rows = [{"url": pages.urls[i], "task": tasks[i], "runner_up": result.table["runner_up"].iat[i],
             "uncertainty": round(float(uncertainty[i]), 3), "folder_pages": folder_size[pages.directories[i]],
             "score": round(float(score[i]), 3)} for i in order]
    return pd.DataFrame(rows, columns=["url", "task", "runner_up", "uncertainty", "folder_pages", "score"])


def classify_run(run_dir, config, extra_labels: dict | None = None, exclude: set | None = None,
                 queue_size: int = 50, records=None, release: bool = False):
    """Classify the crawl in ``run_dir``: returns (Result, label queue, Pages). ``exclude``: URLs whose
    labels are held out (for evaluation); the tasks' examples always stay seeds. ``records``: the crawl
    records, when the caller reads them (the audit reads ``pages.jsonl`` once for this and its signals);
    ``release``: as ``TaskClassifier.fit_predict``'s."""
    from .runs import iter_pages, read_labels

    task_ids = [t["id"] for t in config.tasks]
    labels = read_labels(config.classifier["labels"], task_ids) if config.classifier["labels"] else {}
    labels.update(extra_labels or {})
    classifier = TaskClassifier.from_config(config)
    labels = {u: t for u, t in labels.items() if u not in (exclude or ())}
    pages = build_pages(iter_pages(run_dir) if records is None else records)
    without = None
    if labels and len(pages.urls) <= LABEL_CHECK_MAX:  # what the labels moved, to show the reviewer
        without = classifier.fit_predict(pages, {})
    result = classifier.fit_predict(pages, labels, release)
    if without is not None:
        moved_by_labels(result, without, labels)
    return result, label_queue(result, pages, queue_size), pages


LABEL_CHECK_MAX = 200_000  # up to this many pages the classifier runs once more without the labels
LABEL_MOVED_WARN = 5       # a task that labels gave this many more pages is named in the audit's notes


def moved_by_labels(result: Result, without: Result, labels: dict) -> int:
    """Say which pages the labels moved: a page not itself labelled whose task differs from the one the
    examples alone give gets "before the labels: X" in its why, and a task that gained ``LABEL_MOVED_WARN``
    or more pages so is named in the warnings with the labels behind it (one label in a list can pull the
    whole list to its task: the reviewer should look). Returns how many pages moved."""
    table = result.table
    if not len(table) or len(without.table) != len(table):
        return 0
    then = without.table.set_index("url")["task"]
    before = table["url"].map(then)
    moved = (before.notna() & (before != table["task"]) & ~table["seed"].astype(bool)).to_numpy()
    if not moved.any():
        return 0
    why = table["why"].tolist()
    for i in np.flatnonzero(moved):
        why[i] = M.join("; ", [why[i], M("before the labels: {task}", task=before.iat[i])])
    table["why"] = why
    gained = table.loc[moved, "task"].value_counts()
    for task, n in gained.items():
        if n >= LABEL_MOVED_WARN:
            behind = sorted(u for u, t in labels.items() if t == task) or sorted(labels)  # or a side effect of all
            result.warnings.append(M("after the labels on {labels}, {n} other pages moved to {task}: check them (Why "
                                     "task says 'before the labels')", n=int(n), task=task,
                                     labels=", ".join(behind[:3]) + (f" +{len(behind) - 3}" if len(behind) > 3 else "")))
    return int(moved.sum())


def write_classification(run_dir, result: Result, queue) -> None:
    from pathlib import Path

    from .runs import write_csv_atomically

    write_csv_atomically(result.table, Path(run_dir) / "classification.csv")
    write_csv_atomically(queue, Path(run_dir) / "label_queue.csv")


def evaluate_run(run_dir, config, labels_file, train_labels: dict | None = None) -> dict:
    """Score the classifier against a hand-labelled sample. The sample's labels and the tasks' example
    pages are held out: the classifier never sees them, and the examples are not scored."""
    import pandas as pd
    from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

    from crawler.urls import UrlNormalizer

    from .runs import RunError, read_labels

    norm = UrlNormalizer()
    truth = {norm(u) or u: t for u, t in read_labels(labels_file, [t["id"] for t in config.tasks]).items()}
    examples = {norm(u) or u for t in config.tasks for u in t["examples"]}
    truth = {u: t for u, t in truth.items() if u not in (train_labels or {})}
    # held out: the sample's labels (never seen); the example pages stay in training and are not scored
    result, _, pages = classify_run(run_dir, config, extra_labels=train_labels, exclude=set(truth) - examples)
    predicted = dict(zip(result.table["url"], result.table["task"]))
    for source, i in pages.aliases.items():
        predicted.setdefault(source, predicted.get(pages.urls[i]))
    scored = [(u, t) for u, t in truth.items() if u not in examples]
    missing = [u for u, _ in scored if predicted.get(u) is None]
    scored = [(u, t) for u, t in scored if predicted.get(u) is not None]
    if not scored:
        held = sum(1 for u in truth if u in examples)
        raise RunError(f"{labels_file}: nothing to score: of {len(truth)} labelled URLs, {held} are the tasks' "
                       f"example pages (never scored) and {len(missing)} are not crawled pages with content")
    y_true = [t for _, t in scored]
    y_pred = [predicted[u] for u, _ in scored]
    labels = sorted(set(y_true) | set(y_pred), key=lambda c: (c == NONE, c))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    per_class = pd.DataFrame({"class": labels, "precision": p.round(3), "recall": r.round(3), "f1": f.round(3),
                              "support": s})
    present = sorted(set(y_true), key=lambda c: (c == NONE, c))
    confusion = pd.DataFrame(confusion_matrix(y_true, y_pred, labels=labels), index=labels, columns=labels)
    rows = result.table.set_index("url")
    wrong = [{"url": u, "label": t, "predicted": predicted[u],
              **{c: rows.at[u, c] for c in ("confidence", "runner_up", "why") if u in rows.index}}
             for u, t in scored if predicted[u] != t]
    wrong = pd.DataFrame(wrong, columns=["url", "label", "predicted", "confidence", "runner_up", "why"])
    wrong = wrong.sort_values(["label", "confidence"], ascending=[True, False], kind="stable")
    return {"macro_f1": round(float(f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0)), 4),
            "accuracy": round(sum(a == b for a, b in zip(y_true, y_pred)) / len(y_true), 4),
            "scored": len(scored), "not_crawled": missing, "per_class": per_class, "confusion": confusion,
            "wrong": wrong}
