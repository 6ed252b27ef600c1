"""Per-page signals for the audit, from one streamed pass over ``pages.jsonl``.

What each page gets (documented as Pages columns in reports.workbook): inlinks from the body and from navigation,
broken links on the page, redirect hops, indexability (noindex, canonicalised, conflicts), newest date
and age, thin, orphan, protected, exact and near-duplicate clusters (MinHash/LSH on main-text folded word
shingles, datasketch), and analytics joined on the URL. Memory: one MinHash signature (128 integers)
and a tuple of link ids per page; main text is read once and not kept (near-duplicate candidates' main
texts are read again from pages.jsonl, and only theirs, to confirm them with the exact Jaccard).
"""

from __future__ import annotations

import json
import math
import re
import sys
import zlib
from array import array
from datetime import date, datetime
from urllib.parse import unquote, urlsplit

import numpy as np

from crawler.words import words as _words
from reports.i18n import Message as M

from .text import fold, is_archive, named_year, page_kind

NUM_PERM = 128
SHINGLE_WORDS = 5
MIN_DUPLICATE_WORDS = 10  # pages with fewer words (CJK: characters) are not compared (empty pages all look alike)

# newest content date first; the HTTP Last-Modified of a static server is only the file's copy time
CONTENT_DATES = ("meta_modified", "jsonld_modified", "text_modified", "office_modified", "pdf_modified",
                 "sitemap_lastmod", "meta_published", "jsonld_published", "text_published", "office_created",
                 "pdf_created")
LAST_RESORT = "HTTP Last-Modified (last resort: no date on the page)"
# the last resort when most pages that have only it share one date: a copy or clock time, not the pages' own
STAMPED = "HTTP Last-Modified, the same on most pages (the server's copy or clock time): not used"
STAMP_SHARE, STAMP_MIN = 0.8, 10  # the share of such pages with the same date, and how many there must be


def distrust_stamps(table) -> int:
    """Drop the Last-Modified dates that say when the server copied its files or what its clock said, not
    when a page changed: when at least ``STAMP_MIN`` pages are dated by the last resort only and
    ``STAMP_SHARE`` of them share one date, the pages of that date get no date (age unknown) and the
    source ``STAMPED``. Pages whose Last-Modified differs keep theirs (a file changed on its own). Returns
    how many pages lost their date."""
    last = table["newest_date_source"] == LAST_RESORT
    if int(last.sum()) < STAMP_MIN:
        return 0
    dates = table.loc[last, "newest_date"]
    counts = dates.value_counts()
    if counts.empty or counts.iloc[0] < STAMP_SHARE * int(last.sum()):
        return 0
    stamped = last & (table["newest_date"] == counts.index[0])
    table.loc[stamped, "newest_date"] = None
    table.loc[stamped, "age_days"] = None
    table.loc[stamped, "newest_date_source"] = STAMPED
    return int(stamped.sum())


# the crawl's own error texts (crawler.spider.describe_failure, too_long_record, crawler.finalize): the
# common ones, most specific first. crawl_error makes them Messages, the English text exactly as the crawl
# wrote it (the tables, the history and the CSV files keep it), said in the workbook's language when the
# cell is written; what a library or server said inside one (a URL, a host, an OpenSSL message) stays as it is.
CRAWL_ERRORS = (
    "timeout: Getting {url} took longer than {seconds} seconds.",
    "timeout: {detail}",
    "DNS lookup failed: no results for hostname lookup: {host}.",
    "DNS lookup failed: {detail}",
    "connection refused",
    "too large: the response exceeds max_page_bytes ({limit} bytes)",
    "TLS error: the secure connection failed ({detail})",
    "connection closed before the response headers ended (the server closed it, or sent a header line longer "
    "than 16 KB)",
    "connection closed mid-body: fewer bytes arrived than the response's Content-Length announced",
    "bad compressed body: the response says Content-Encoding {encoding} but its body does not decode ({detail})",
    "bad compressed body: the response is compressed but its body does not decode ({detail})",
    "not fetched: the URL is {length} characters long, over the {limit} that browsers and servers accept "
    "(URLLENGTH_LIMIT)",
    "redirect without a Location header",
    "redirect chain longer than {hops} hops: cut there",
    "blocked by robots.txt",
)
_CRAWL_ERROR_PATTERNS = tuple(
    (re.compile("".join(re.escape(part) if k % 2 == 0 else f"(?P<{part}>.+?)"
                        for k, part in enumerate(re.split(r"\{(\w+)\}", template))) + r"\Z", re.DOTALL), template)
    for template in CRAWL_ERRORS)


def crawl_error(text):
    """A crawl record's error as a Message when it is one of CRAWL_ERRORS (its English text unchanged),
    else as it is (an error the crawl words otherwise, None, '')."""
    if not text or not isinstance(text, str) or isinstance(text, M):
        return text
    for pattern, template in _CRAWL_ERROR_PATTERNS:
        found = pattern.match(text)
        if found:
            said = M(template, **found.groupdict())
            return said if str(said) == text else text
    return text


# how the workbook names a date's source when the crawl did not record one (crawls before date_sources)
DATE_SOURCE_NAMES = {
    "meta_modified": "meta tag", "meta_published": "meta tag", "jsonld_modified": "JSON-LD dateModified",
    "jsonld_published": "JSON-LD datePublished", "text_modified": "text", "text_published": "text",
    "office_modified": "document properties", "office_created": "document properties",
    "pdf_modified": "PDF properties", "pdf_created": "PDF properties", "sitemap_lastmod": "sitemap lastmod",
}


def _noindex(*values) -> bool:
    for value in values:
        for token in re.split(r"[\s,]+", (value or "").lower()):
            if token in ("noindex", "none"):
                return True
    return False


def parse_date(text) -> date | None:
    if not text:
        return None
    text = str(text).strip()
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return value.date()
    except ValueError:
        pass
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
    if match:
        try:
            return date(*map(int, match.groups()))
        except ValueError:
            return None
    return None


def newest_date(dates: dict) -> date | None:
    return newest_dated(dates)[0]


def newest_dated(dates: dict, sources: dict | None = None) -> tuple[date | None, str | None]:
    """The newest content date and where it was read (``date_sources``, else the key's name). The HTTP
    Last-Modified only when the page has no content date at all, marked as the last resort: on a static
    server it is the time the file was copied there, not when the page was written."""
    best, key = None, None
    for k in CONTENT_DATES:  # in order: on a tie the modified date beats the published one
        d = parse_date(dates.get(k))
        if d and (best is None or d > best):
            best, key = d, k
    if best is not None:
        return best, (sources or {}).get(key) or DATE_SOURCE_NAMES[key]
    d = parse_date(dates.get("http_last_modified"))
    return (d, LAST_RESORT) if d else (None, None)


_TEMPLATE = None


class Signature:
    """One page's MinHash signature (a row of :class:`Signatures`): ``hashvalues`` and ``jaccard`` as
    datasketch's MinHash has them (the estimate is the share of equal values)."""

    __slots__ = ("hashvalues",)

    def __init__(self, hashvalues):
        self.hashvalues = hashvalues

    def jaccard(self, other) -> float:
        return float(np.float64(np.count_nonzero(self.hashvalues == other.hashvalues))
                     / np.float64(len(self.hashvalues)))


class Signatures:
    """The pages' MinHash signatures by row, kept as one uint32 matrix in blocks of rows (512 bytes a
    page, where a datasketch MinHash object took over a kilobyte); ``hashes[i]`` is a :class:`Signature`
    or None (a page too short to compare). Also ``texts``: the main texts as TF-IDF rows (a scipy CSR
    matrix, sublinear tf, L2-normalised, words only: no URL, title or folder tokens; an empty row for a
    page without text), for similarities that shingles miss and for redirect targets. ``pages`` and
    ``ordinals``: the pages.jsonl the rows were read from and each row's record number in it, so
    near-duplicate candidates' main texts can be read again (None: confirm with the estimate);
    ``shingles``: {content hash: shingle set} of the candidates, filled by ``duplicate_clusters``."""

    BLOCK = 65536

    texts = None
    pages = None
    ordinals = None
    shingles = None

    def __init__(self, signatures=()):
        self._blocks: list = []
        self._has = array("b")
        self.block = self.BLOCK
        for m in signatures:
            self.append(m)

    def append(self, m) -> None:
        """Add the next row: a signature's values (or a MinHash), or None."""
        row = len(self._has)
        if row % self.block == 0:
            self._blocks.append(np.zeros((self.block, NUM_PERM), dtype=np.uint32))
        if m is not None:
            self._blocks[-1][row % self.block] = getattr(m, "hashvalues", m)
        self._has.append(m is not None)

    def __len__(self) -> int:
        return len(self._has)

    def __getitem__(self, i):
        if not self._has[i]:
            return None
        i = range(len(self._has))[i]
        return Signature(self._blocks[i // self.block][i % self.block])

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def band(self, rows, start: int, stop: int) -> np.ndarray:
        """Columns start:stop of the signatures of ``rows`` (all present), as a (len(rows), stop - start) array."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty((len(rows), stop - start), dtype=np.uint32)
        for b, block in enumerate(self._blocks):
            mine = (rows // self.block) == b
            if mine.any():
                out[mine] = block[rows[mine] % self.block, start:stop]
        return out


TEXT_FEATURES = 2 ** 20
TEXT_CHARS = 20_000  # as much main text as the classifier reads
_TEXT_BATCH = 1000


def _hashing_vectorizer():
    from sklearn.feature_extraction.text import HashingVectorizer

    from .text import fold, tokens

    return HashingVectorizer(n_features=TEXT_FEATURES, alternate_sign=False, norm=None, preprocessor=fold,
                             tokenizer=tokens, token_pattern=None, lowercase=False, dtype=np.float32)


def text_matrix(blocks, n: int, rows_per_norm: int = 50_000):
    """TF-IDF over the site (sublinear tf, smooth idf, L2 rows) from hashed term counts in row blocks
    (a list of CSR blocks, or a :class:`_Spill` of them), transformed in place: no copy of the matrix
    beyond the one the blocks are stacked into (row norms are taken ``rows_per_norm`` rows at a time)."""
    from scipy import sparse

    if isinstance(blocks, _Spill):
        X = blocks.matrix()
    else:
        X = sparse.vstack(blocks, format="csr") if blocks else sparse.csr_matrix((0, TEXT_FEATURES), dtype=np.float32)
    if X.shape[0] < n:
        X = sparse.vstack([X, sparse.csr_matrix((n - X.shape[0], TEXT_FEATURES), dtype=np.float32)], format="csr")
    from .tfidf import bincount

    np.log(X.data, out=X.data)
    X.data += 1
    documents = int(np.count_nonzero(np.diff(X.indptr)))
    df = bincount(X.indices, TEXT_FEATURES)  # in blocks: np.bincount would copy the indices to int64
    idf = (np.log((1 + documents) / (1 + df)) + 1).astype(np.float32)
    step = 1 << 20
    for a in range(0, X.nnz, step):  # in place, a block at a time (idf[X.indices] would be a copy of the data)
        X.data[a:a + step] *= idf[X.indices[a:a + step]]
    norms = np.concatenate([np.sqrt(np.asarray(X[a:a + rows_per_norm].multiply(X[a:a + rows_per_norm]).sum(axis=1)).ravel())
                            for a in range(0, X.shape[0], rows_per_norm)] or [np.zeros(0, dtype=np.float32)])
    norms[norms == 0] = 1
    scale = (1 / norms).astype(np.float32)
    # each row scaled to unit length, its entries in the order a product with a diagonal matrix leaves them
    # (the order this matrix has always had: sums over a row, and so the cosines, come out the same to the
    # last bit); in blocks of rows, in place
    for a in range(0, X.shape[0], rows_per_norm):
        start, stop = X.indptr[a], X.indptr[min(a + rows_per_norm, X.shape[0])]
        if stop == start:
            continue
        ptr = X.indptr[a:a + rows_per_norm + 1] - start
        lengths = np.diff(ptr)
        X.data[start:stop] *= np.repeat(scale[a:a + rows_per_norm], lengths)
        # the entry at p of a row [s, s + length) takes the one at s + (s + length - 1 - p)
        reverse = 2 * np.repeat(ptr[:-1], lengths) + np.repeat(lengths, lengths) - 1 - np.arange(stop - start)
        X.data[start:stop] = X.data[start:stop][reverse]
        X.indices[start:stop] = X.indices[start:stop][reverse]
    X.has_sorted_indices = False
    return X


class _Spill:
    """CSR blocks written to a temporary file as they come and read back in order: the main texts' hashed
    counts wait on disk, not in memory, while the classifier works (some 2 GB at a million pages)."""

    def __init__(self):
        import tempfile

        self.file = tempfile.TemporaryFile()
        self.count = self.nnz = self.rows = 0

    def append(self, block) -> None:
        for array_ in (np.array(block.shape), block.data, block.indices, block.indptr):
            np.save(self.file, array_, allow_pickle=False)
        self.count += 1
        self.nnz += block.nnz
        self.rows += block.shape[0]

    def matrix(self):
        """The blocks stacked into one CSR matrix, filled in place (never the blocks and the whole at once)."""
        from scipy import sparse

        data = np.empty(self.nnz, dtype=np.float32)
        indices = np.empty(self.nnz, dtype=np.int32 if TEXT_FEATURES < 2 ** 31 and self.nnz < 2 ** 31 else np.int64)
        indptr = np.zeros(self.rows + 1, dtype=indices.dtype)
        at = row = 0
        for block in self:
            data[at:at + block.nnz] = block.data
            indices[at:at + block.nnz] = block.indices
            indptr[row + 1:row + 1 + block.shape[0]] = block.indptr[1:] + at
            at, row = at + block.nnz, row + block.shape[0]
        return sparse.csr_matrix((data, indices, indptr), shape=(self.rows, TEXT_FEATURES))

    def __iter__(self):
        from scipy import sparse

        self.file.seek(0)
        for _ in range(self.count):
            shape, data, indices, indptr = (np.load(self.file, allow_pickle=False) for _ in range(4))
            yield sparse.csr_matrix((data, indices, indptr), shape=tuple(shape))

    def close(self) -> None:
        self.file.close()


def shingle_set(text: str):
    """The text's word 5-shingles as a sorted array of distinct 32-bit codes (CRC-32 of each word,
    combined in numpy: fast, and the same in every run), or None when the text is too short to compare.
    Words are matched folded (``text.fold``: case, accents, NFKC, Romanian cedilla and comma letters);
    in Chinese and Japanese, written without spaces, each character is a word (``crawler.words``), so
    their shingles are 5-character n-grams."""
    words = _words(fold(text))
    if len(words) < MIN_DUPLICATE_WORDS:
        return None
    k = min(SHINGLE_WORDS, len(words))
    codes = np.fromiter(map(zlib.crc32, map(str.encode, words)), dtype=np.uint64, count=len(words))
    count = len(words) - k + 1
    shingles = np.zeros(count, dtype=np.uint64)
    for j in range(k):
        shingles = (shingles * np.uint64(1_000_003) + codes[j:j + count]) & np.uint64(0xFFFFFFFF)
    shingles = shingles.astype(np.uint32)
    shingles.sort()  # sorted distinct values, as np.unique gives them (its hash table is slower on short arrays)
    return shingles[np.concatenate(([True], shingles[1:] != shingles[:-1]))]


def jaccard(a, b) -> float:
    """The exact Jaccard similarity of two shingle sets (``shingle_set``)."""
    common = np.intersect1d(a, b, assume_unique=True).size
    return common / (a.size + b.size - common) if a.size + b.size else 1.0


def _permutations():
    global _TEMPLATE
    if _TEMPLATE is None:  # the permutations are drawn once (seeded), not per page
        from datasketch import MinHash

        _TEMPLATE = MinHash(num_perm=NUM_PERM)
    return _TEMPLATE


def signature(text: str):
    """The MinHash signature of the text's word shingles (``shingle_set``) as NUM_PERM uint32 values, or
    None when the text is too short to compare: datasketch's affine32 scheme (MurmurHash3 finaliser, then
    a * h + b, the minimum per permutation) computed in numpy without a MinHash object per page; the values
    are those ``MinHash.update_batch`` gives."""
    from datasketch.minhash import _fmix

    shingles = shingle_set(text)
    if shingles is None:
        return None
    template = _permutations()
    a, b = template.permutations
    return np.minimum(template.hashvalues, (_fmix(shingles.reshape(-1, 1), 32) * a + b).min(axis=0))


def minhash(text: str):
    """MinHash signature of the text's word shingles (``shingle_set``), or None when the text is too
    short to compare."""
    from datasketch import MinHash

    values = signature(text)
    if values is None:
        return None
    template = _permutations()
    return MinHash(num_perm=NUM_PERM, hashfunc=int, hashvalues=values, permutations=template.permutations,
                   scheme=template.scheme)


_URL_MONTH = re.compile(r"(?<!\d)(20\d\d|19\d\d)[-/_.](0[1-9]|1[0-2])(?!\d)")


def month_ahead(url: str, fetched) -> str | None:
    """'YYYY-MM' when the URL names the crawl's month or a later one (an events calendar's current and
    coming months: /events/calendar?month=2027-01, /agenda/2027/01/), else None."""
    if fetched is None:
        return None
    for year, month in _URL_MONTH.findall(url):
        if (int(year), int(month)) >= (fetched.year, fetched.month):
            return f"{year}-{month}"
    return None


class Collector:
    """The signals per URL, gathered record by record as the crawl file is read (``add``), so the
    classifier and the signals share one pass over ``pages.jsonl``; ``finish(valued)`` counts the links
    once every URL has a row and the top-task pages are known."""

    COLUMNS = ("url", "final_url", "status", "error", "content_type", "title", "word_count", "depth", "found_via",
               "in_sitemap", "robots_blocked", "meta_robots", "x_robots_tag", "canonical", "canonicalised", "noindex",
               "redirect_hops", "redirect_loop", "newest_date", "newest_date_source", "age_days", "language",
               "content_hash", "protected", "kind", "folder", "crumb", "url_month_ahead", "year_named", "years_ago",
               "archived")
    REGIONS = {"body": 0, "nav": 1, "crumb": 2}
    # columns with few distinct values: each value kept once (a million pages' 'text/html' held 58 MB)
    FEW_VALUES = frozenset({"error", "content_type", "found_via", "meta_robots", "x_robots_tag", "newest_date",
                            "newest_date_source", "language", "kind", "folder", "crumb", "year_named"})

    def __init__(self, protect=(), pages=None):
        from crawler.urls import user_pattern

        self.protect_re = [user_pattern(p) for p in protect]
        self.pages = pages  # the pages.jsonl whose records come to add(), in order (None: not read again)
        self.index: dict[str, int] = {}
        self._shared: dict = {}
        self.columns: dict[str, list] = {name: [] for name in self.COLUMNS}  # one list per column, row by row
        self.ordinals = array("l")  # each row's record number in pages.jsonl (blank lines not counted)
        self._records = 0
        # the link graph as numbers: every URL a page links to gets a number (self._met), and each row's
        # distinct (target, region) pairs are target * 3 + region in one int64 array, rows delimited by
        # self._starts (CSR): no URL string or tuple is kept per link
        self._met: dict[str, int] = {}
        self._starts = array("q", [0])
        self._links = array("q")
        self.hashes = Signatures()
        self._texts: list = []   # (row, main text) waiting to be hashed, in batches
        self._blocks = _Spill()  # hashed term counts, one sparse block per batch, rows in order (on disk)
        self._vectorizer = None
        # anchor text of links whose target may turn out broken: {target url: (source rows, anchor text
        # numbers in _anchor_texts)}, two int arrays (a tuple per link was 1 GB at a million pages whose
        # menu links to a page not crawled), dropped as soon as the target answers 2xx (most do)
        self.anchors: dict[str, tuple] = {}
        self._anchor_texts: dict[str, int] = {}
        self.broken_links = None  # the Broken links table, made by finish()

    def add(self, record: dict) -> None:
        protect_re, index, columns, hashes = self.protect_re, self.index, self.columns, self.hashes
        url = record["url"]
        self._records += 1
        if url in index:
            return
        index[url] = len(columns["url"])
        self.ordinals.append(self._records - 1)
        status = record.get("status")
        dates = record.get("dates") or {}
        newest, newest_source = newest_dated(dates, record.get("date_sources"))
        fetched = parse_date(record.get("fetched_at"))
        chain = record.get("redirect_chain") or []
        canonical = record.get("canonical")
        html_ok = status == 200 and bool(record.get("main_text"))
        final = record.get("final_url") or url
        path = unquote(urlsplit(url).path)
        title, h1 = record.get("title") or "", record.get("h1") or ""
        # the latest year the title, h1 or slug names, and how many years before the crawl (rules.superseded)
        year = named_year(path, title, h1) if status == 200 else None
        values = (
            url,
            url if final == url else final,  # one string, not two equal ones
            status,
            record.get("error"),
            record.get("content_type"),
            record.get("title"),
            record.get("word_count") or 0,
            record.get("depth"),
            record.get("found_via"),
            bool(record.get("in_sitemap")),
            bool(record.get("robots_blocked")),
            record.get("meta_robots"),
            record.get("x_robots_tag"),
            canonical,
            bool(canonical) and canonical != url,
            _noindex(record.get("meta_robots"), record.get("x_robots_tag")),
            len(chain),
            bool(chain) and (record.get("final_url") in {h["url"] for h in chain}),
            newest.isoformat() if newest else None,
            newest_source,
            (fetched - newest).days if newest and fetched else None,
            record.get("language"),
            record.get("content_hash") if html_ok else None,
            any(p.search(url) for p in protect_re),
            page_kind(path, title, h1) if status == 200 else None,
            first_folder(url),
            breadcrumb_section(record.get("breadcrumbs"), url),
            month_ahead(url, fetched),
            year[0] if year else None,
            fetched.year - year[1] if year and fetched else None,
            status == 200 and is_archive(path, title, h1),
        )
        shared = self._shared
        for name, value in zip(self.COLUMNS, values):
            if name in self.FEW_VALUES and value.__class__ is str:
                value = shared.setdefault(value, value)  # one copy of 'text/html', 'en', '/news/' ...
            columns[name].append(value)
        targets = set()
        anchors, source, met, regions = self.anchors, index[url], self._met, self.REGIONS
        fine = status is not None and 200 <= status < 300
        if fine:
            anchors.pop(url, None)  # links already seen to this URL are not broken
        # a breadcrumb names where a page sits, not a menu choice: its links are neither navigation
        # (a demoted page would stay "in the navigation" of every page below it) nor use
        known_status = columns["status"]
        for link in record.get("outlinks") or ():
            target = link.get("url")
            if link.get("internal") and target:
                number = met.get(target)
                if number is None:
                    number = met[target] = len(met)
                targets.add(number * 3 + regions.get(link.get("region"), 1))
                if status == 200:
                    known = index.get(target)
                    if known is None or not _fine(known_status[known]):
                        found = anchors.get(target)
                        if found is None:
                            found = anchors[target] = (array("q"), array("q"))
                        found[0].append(source)
                        text = _anchor(link.get("text"))
                        found[1].append(self._anchor_texts.setdefault(text, len(self._anchor_texts)))
        self._links.extend(targets)
        self._starts.append(len(self._links))
        text = record.get("main_text") or ""
        hashes.append(signature(text) if html_ok and (record.get("word_count") or 0)
                      >= MIN_DUPLICATE_WORDS else None)
        self._texts.append(text[:TEXT_CHARS] if html_ok else "")
        if len(self._texts) >= _TEXT_BATCH:
            self._hash_texts()

    def _hash_texts(self) -> None:
        if self._texts:
            if self._vectorizer is None:
                self._vectorizer = _hashing_vectorizer()
            self._blocks.append(self._vectorizer.transform(self._texts).tocsr())
            self._texts = []

    def finish(self, valued=frozenset()):
        """(pandas DataFrame of signals per URL, MinHash signatures by row). ``valued``: URLs whose content
        links count as use in ``inlinks_valued`` (top-task pages)."""
        import pandas as pd

        self._hash_texts()
        index = self.index
        hashes = self.hashes
        n = len(self.columns["url"])
        hashes.texts = text_matrix(self._blocks, n)
        hashes.pages, hashes.ordinals = self.pages, self.ordinals
        self._blocks.close()
        self._blocks = _Spill()
        table = pd.DataFrame(self.columns)
        self.columns = {name: [] for name in self.COLUMNS}
        if n == 0:
            return table, hashes
        # inlinks (one per linking page and region) and broken links, now that every URL has a row
        finals = [index.get(u) for u in table["final_url"]]
        table_urls = table["url"].tolist()
        for column in ("status", "depth", "age_days", "years_ago"):  # whole numbers or empty, never 404.0
            table[column] = pd.Series([None if v is None or v != v else int(v) for v in table[column]], dtype=object)
        status = table["status"].to_numpy(dtype=object)
        blocked = table["robots_blocked"].to_numpy()

        def broken(i):
            j = finals[i] if finals[i] is not None else i
            code = status[j]
            return (code is None and not blocked[j]) or (code is not None and code >= 400)

        counts = link_counts(n, self._starts, self._links, self._row_of_met(), finals, status, blocked,
                             np.array([u in valued for u in table_urls], dtype=bool),
                             (table["found_via"] == "start").to_numpy())
        self._met, self._links, self._starts = {}, array("q"), array("q", [0])
        self.broken_links = self._broken_table(table, finals, broken)
        for name in ("inlinks_body", "inlinks_valued", "links_to_tasks", "inlinks_nav", "broken_links",
                     "inlinks_crumb"):
            table[name] = counts[name]
        body, nav, crumb = counts["inlinks_body"], counts["inlinks_nav"], counts["inlinks_crumb"]
        table["orphan"] = table["in_sitemap"] & (body + nav + crumb == 0) & (table["found_via"] != "start")
        self.index, self._shared = {}, {}  # the table has them now (1M URLs: some 100 MB)
        return table, hashes

    def _row_of_met(self) -> np.ndarray:
        """Each linked URL's row (-1: not crawled), by its number."""
        rows = np.full(len(self._met), -1, dtype=np.int64)
        index = self.index
        for url, number in self._met.items():
            rows[number] = index.get(url, -1)
        return rows

    def _broken_table(self, table, finals, broken):
        """One row per broken internal link: source, target, anchor text, what the target answers."""
        import pandas as pd

        index, urls = self.index, table["url"].tolist()
        status, error = table["status"].tolist(), table["error"].tolist()
        rows = []
        texts = list(self._anchor_texts)  # by number
        for target, (sources, numbers) in self.anchors.items():
            t = index.get(target)
            if t is None or not broken(t):
                continue
            j = finals[t] if finals[t] is not None else t
            # Messages: the English text here, said in the workbook's language when the cell is written
            answer = status[j] if status[j] is not None else (crawl_error(error[j]) or M("no response"))
            via = M("redirects to {url}", url=urls[j]) if j != t else None
            for source, number in dict.fromkeys(zip(sources, numbers)):
                rows.append({"source": urls[source], "target": target, "anchor": texts[number],
                             "target_status": answer, "note": via})
        self.anchors, self._anchor_texts = {}, {}
        rows.sort(key=lambda r: (r["target"], r["source"]))
        return pd.DataFrame(rows, columns=["source", "target", "anchor", "target_status", "note"])



def link_counts(n: int, starts, links, row_of, finals, status, blocked, valued, start) -> dict:
    """The link counts per row, from the link graph as CSR arrays (``starts``: each source row's first
    entry in ``links``; an entry is target number * 3 + region, 0 body, 1 nav, 2 crumb; ``row_of``: the
    row of each target number, -1 when not crawled). Only 200 pages count as sources; a link to a
    redirect also reaches where it ends. Per target, one per linking page: inlinks_body; inlinks_nav (not
    also in the body); inlinks_crumb (in neither); inlinks_valued (body links from top-task and start
    pages). Per source: links_to_tasks (distinct body targets that are top-task pages) and broken_links
    (distinct targets that fail). Sorting and counting in numpy: linear in the links (and their sort)."""
    starts = np.frombuffer(starts, dtype=np.int64) if not isinstance(starts, np.ndarray) else starts
    links = np.frombuffer(links, dtype=np.int64) if not isinstance(links, np.ndarray) else links
    source = np.repeat(np.arange(n, dtype=np.int64), np.diff(starts))
    region = links % 3
    target = row_of[links // 3] if len(links) else np.zeros(0, dtype=np.int64)
    ok = status == 200
    keep = (target >= 0) & (target != source) & ok[source]
    source, region, target = source[keep], region[keep], target[keep]
    final = np.array([-1 if f is None else f for f in finals], dtype=np.int64)
    end = np.where(final >= 0, final, np.arange(n))
    code = status[end]
    failing = np.array([(c is None and not b) or (c is not None and c >= 400)
                        for c, b in zip(code, blocked[end])], dtype=bool)
    out = {}
    bad = np.unique(source[failing[target]] * n + target[failing[target]])
    out["broken_links"] = np.bincount(bad // n, minlength=n).astype(np.int64)
    also = (final[target] >= 0) & (final[target] != target)  # the redirect's end is reached too
    source = np.concatenate([source, source[also]])
    region = np.concatenate([region, region[also]])
    target = np.concatenate([target, final[target[also]]])
    pair = source * n + target

    def seen(r):
        return np.unique(pair[region == r])

    body, nav, crumb = seen(0), seen(1), seen(2)
    nav = np.setdiff1d(nav, body, assume_unique=True)
    crumb = np.setdiff1d(np.setdiff1d(crumb, body, assume_unique=True), nav, assume_unique=True)
    b_source, b_target = body // n, body % n
    out["inlinks_body"] = np.bincount(b_target, minlength=n).astype(np.int64)
    out["inlinks_nav"] = np.bincount(nav % n, minlength=n).astype(np.int64)
    out["inlinks_crumb"] = np.bincount(crumb % n, minlength=n).astype(np.int64)
    out["links_to_tasks"] = np.bincount(b_source[valued[b_target]], minlength=n).astype(np.int64)
    from_valued = start[b_source] | valued[b_source]
    out["inlinks_valued"] = np.bincount(b_target[from_valued], minlength=n).astype(np.int64)
    return out

def _fine(status) -> bool:
    return status is not None and 200 <= status < 300


def _anchor(text) -> str:
    """A link's text, trimmed for the Broken links sheet (the same texts are shared, not copied)."""
    text = " ".join((text or "").split())[:120]
    return sys.intern(text) if text else "(no text)"


def first_folder(url: str) -> str:
    """The URL's first folder ('/residents/'), or '/' for pages at the root."""
    from urllib.parse import urlsplit

    path = urlsplit(url).path
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 or (parts and path.endswith("/")):
        return sys.intern(f"/{parts[0]}/")
    return "/"


def breadcrumb_section(breadcrumbs, url: str = "") -> str | None:
    """The breadcrumb's first step below the home page ('Residents' of Home > Residents > Parking); None
    for a page whose trail names only itself (Home > Allotments: a page, not a section), at the root or
    in a folder (/residents/housing/ with Home > Housing: its folder's section, not a section of its own)."""
    crumbs = [c for c in (breadcrumbs or ()) if isinstance(c, dict) and (c.get("text") or "").strip()]
    if crumbs and (not crumbs[0].get("url") or urlsplit(crumbs[0]["url"]).path in ("", "/")):
        crumbs = crumbs[1:]  # the home page
    if len(crumbs) == 1 and url and (first_folder(url) == "/" or not crumbs[0].get("url")
                                     or urlsplit(crumbs[0]["url"]).path.rstrip("/") == urlsplit(url).path.rstrip("/")):
        return None
    return sys.intern(" ".join(crumbs[0]["text"].split())[:80]) if crumbs else None


LSH_BELOW = 0.15  # LSH looks for candidates this far below the threshold: banding tuned at the threshold
                  # itself finds a pair at 0.92 only half the time (5 bands of 25 at 0.90, 128 permutations)


def _shingles_of(hashes, table, rows) -> dict:
    """{row: shingle set} of ``rows``, their main texts read again from pages.jsonl in one pass (only
    their lines are parsed). {} when the signatures did not come from a file."""
    pages, ordinals = getattr(hashes, "pages", None), getattr(hashes, "ordinals", None)
    if pages is None or ordinals is None or not rows:
        return {}
    wanted = {ordinals[r]: r for r in rows}
    last, urls, out, number = max(wanted), table["url"], {}, -1
    try:
        with open(pages, encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                number += 1
                if number in wanted:
                    record, row = json.loads(line), wanted[number]
                    if record.get("url") == urls.iat[row]:  # else the file changed: keep the estimate
                        shingles = shingle_set(record.get("main_text") or "")
                        if shingles is not None:
                            out[row] = shingles
                if number >= last:
                    break
    except (OSError, ValueError):
        return out
    return out


def lsh_candidates(hashes, rows: list, threshold: float):
    """Pairs (i, j) of ``rows`` whose MinHash signatures agree on a whole band: datasketch's banding for
    ``threshold`` (bands b and rows r as MinHashLSH picks them), kept as one 64-bit key per row and band
    in numpy (about 90 bytes a page, where MinHashLSH's tables held over a kilobyte), grouped by sorting."""
    from datasketch import MinHashLSH

    params = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    bands, width = params.b, params.r
    order = np.asarray(rows, dtype=np.int64)
    pairs = set()
    for band in range(bands):
        start, stop = band * width, (band + 1) * width
        if isinstance(hashes, Signatures):
            values = np.ascontiguousarray(hashes.band(rows, start, stop))
            _, keys = np.unique(values.view(np.dtype((np.void, values.dtype.itemsize * width))).ravel(),
                                return_inverse=True)
        else:  # a plain list of MinHash objects
            keys = np.fromiter((hash(hashes[i].hashvalues[start:stop].tobytes()) for i in rows), dtype=np.int64,
                               count=len(rows))
        by_key = np.argsort(keys, kind="stable")
        sorted_keys = keys[by_key]
        edges = np.flatnonzero(np.diff(sorted_keys)) + 1
        for group in np.split(by_key, edges):
            if len(group) > 1:
                members = order[group].tolist()
                for x in range(len(members)):
                    for y in range(x + 1, len(members)):
                        pairs.add((members[x], members[y]))
    return pairs


def competing(table):
    """Rows whose main text competes in search: indexable 200 pages with content (a page already noindexed
    or canonicalised elsewhere is not competing)."""
    return ((table["status"] == 200) & table["content_hash"].notna() & ~table["noindex"].astype(bool)
            & ~table["canonicalised"].astype(bool))


class Groups:
    """Rows joined into groups (union-find): ``add`` a row, ``union`` two, ``numbered`` the groups of two
    or more as {row: group number}, numbered 1.. in the order of their smallest row."""

    def __init__(self):
        self.parent: dict[int, int] = {}

    def add(self, i: int) -> None:
        self.parent.setdefault(i, i)

    def find(self, i: int) -> int:
        parent = self.parent
        while parent.setdefault(i, i) != i:
            parent[i] = parent.setdefault(parent[i], parent[i])
            i = parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def numbered(self) -> dict:
        members: dict[int, list] = {}
        for i in list(self.parent):
            members.setdefault(self.find(i), []).append(i)
        out = {}
        for number, (_, rows) in enumerate(sorted((r, m) for r, m in members.items() if len(m) > 1), 1):
            for i in rows:
                out[int(i)] = number
        return out


def duplicate_clusters(table, hashes, threshold: float = 0.9):
    """Clusters of pages with the same main text (exact) or similar main text (near: Jaccard similarity
    of their main-text word 5-shingles >= ``threshold``). Near pairs: candidates from MinHash LSH tuned
    LSH_BELOW under the threshold, kept when their MinHash estimate is within four standard errors of it,
    then confirmed with the exact Jaccard of their shingle sets (main texts read again, candidates only;
    the estimate when the texts cannot be read). Only indexable 200 pages take part: a page already
    noindexed or canonicalised elsewhere is not competing. Returns {row: cluster number}; the caller picks
    each cluster's best page. ``hashes.shingles`` keeps the candidates' shingle sets by content hash."""
    eligible = competing(table)
    groups = Groups()
    union = groups.union

    by_hash: dict[str, int] = {}
    content_hash, words = table["content_hash"].tolist(), table["word_count"].tolist()
    for i in np.flatnonzero(eligible.to_numpy()).tolist():
        h = content_hash[i]
        if (words[i] or 0) < MIN_DUPLICATE_WORDS:
            continue
        groups.add(i)
        if h in by_hash:
            union(by_hash[h], i)
        else:
            by_hash[h] = i
    representatives = [i for i in by_hash.values() if hashes[i] is not None]
    if threshold < 1 and representatives:
        floor = threshold - 4 * math.sqrt(threshold * (1 - threshold) / NUM_PERM)
        candidates = []
        for i, j in sorted(lsh_candidates(hashes, representatives, min(max(threshold - LSH_BELOW, 0.05), 1.0))):
            estimate = hashes[i].jaccard(hashes[j])
            if estimate >= floor:
                candidates.append((i, j, estimate))
        exact = _shingles_of(hashes, table, sorted({r for pair in candidates for r in pair[:2]}))
        for i, j, estimate in candidates:
            if i in exact and j in exact:
                estimate = jaccard(exact[i], exact[j])
            if estimate >= threshold:
                union(i, j)
        try:
            hashes.shingles = {content_hash[r]: s for r, s in exact.items()}
        except AttributeError:  # a plain list of signatures
            pass
    return groups.numbered()


def similarity(hashes, table, a: int, b: int) -> float:
    """Jaccard similarity of two pages' main-text shingles (1.0 for the same content hash): exact when
    ``duplicate_clusters`` read both texts, else the MinHash estimate."""
    ha, hb = table["content_hash"].iat[a], table["content_hash"].iat[b]
    if ha == hb:
        return 1.0
    exact = getattr(hashes, "shingles", None) or {}
    if ha in exact and hb in exact:
        return round(float(jaccard(exact[ha], exact[hb])), 3)
    if hashes[a] is None or hashes[b] is None:
        return 0.0
    return round(float(hashes[a].jaccard(hashes[b])), 3)
