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

from .text import fold, page_kind

NUM_PERM = 128
SHINGLE_WORDS = 5
MIN_DUPLICATE_WORDS = 10  # pages with fewer words (CJK: characters) are not compared (empty pages all look alike)

# newest content date first; the HTTP Last-Modified of a static server is only the file's copy time
CONTENT_DATES = ("meta_modified", "jsonld_modified", "text_modified", "office_modified", "pdf_modified",
                 "sitemap_lastmod", "meta_published", "jsonld_published", "text_published", "office_created",
                 "pdf_created")
LAST_RESORT = "HTTP Last-Modified (last resort: no date on the page)"
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


class Signatures(list):
    """The pages' MinHash signatures by row (a list), and ``texts``: their main texts as TF-IDF rows (a
    scipy CSR matrix, sublinear tf, L2-normalised, words only: no URL, title or folder tokens; an empty
    row for a page without text), for similarities that shingles miss and for redirect targets.
    ``pages`` and ``ordinals``: the pages.jsonl the rows were read from and each row's record number in
    it, so near-duplicate candidates' main texts can be read again (None: confirm with the estimate);
    ``shingles``: {content hash: shingle set} of the candidates, filled by ``duplicate_clusters``."""

    texts = None
    pages = None
    ordinals = None
    shingles = None


TEXT_FEATURES = 2 ** 20
TEXT_CHARS = 20_000  # as much main text as the classifier reads
_TEXT_BATCH = 1000


def _hashing_vectorizer():
    from sklearn.feature_extraction.text import HashingVectorizer

    from .text import fold, tokens

    return HashingVectorizer(n_features=TEXT_FEATURES, alternate_sign=False, norm=None, preprocessor=fold,
                             tokenizer=tokens, token_pattern=None, lowercase=False, dtype=np.float32)


def text_matrix(blocks: list, n: int):
    """TF-IDF over the site (sublinear tf, smooth idf, L2 rows) from hashed term counts in row blocks."""
    from scipy import sparse

    X = sparse.vstack(blocks, format="csr") if blocks else sparse.csr_matrix((0, TEXT_FEATURES), dtype=np.float32)
    if X.shape[0] < n:
        X = sparse.vstack([X, sparse.csr_matrix((n - X.shape[0], TEXT_FEATURES), dtype=np.float32)], format="csr")
    X.data = 1 + np.log(X.data)
    documents = int(np.count_nonzero(np.diff(X.indptr)))
    df = np.bincount(X.indices, minlength=TEXT_FEATURES)
    idf = (np.log((1 + documents) / (1 + df)) + 1).astype(np.float32)
    X.data *= idf[X.indices]
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    norms[norms == 0] = 1
    X = sparse.diags((1 / norms).astype(np.float32)) @ X
    return X.tocsr()


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
    return np.unique(shingles).astype(np.uint32)


def jaccard(a, b) -> float:
    """The exact Jaccard similarity of two shingle sets (``shingle_set``)."""
    common = np.intersect1d(a, b, assume_unique=True).size
    return common / (a.size + b.size - common) if a.size + b.size else 1.0


def minhash(text: str):
    """MinHash signature of the text's word shingles (``shingle_set``), or None when the text is too
    short to compare."""
    from datasketch import MinHash

    shingles = shingle_set(text)
    if shingles is None:
        return None
    global _TEMPLATE
    if _TEMPLATE is None:  # the permutations are drawn once (seeded), not per page
        _TEMPLATE = MinHash(num_perm=NUM_PERM)
    m = MinHash(num_perm=NUM_PERM, hashfunc=int, permutations=_TEMPLATE.permutations, scheme=_TEMPLATE.scheme)
    m.update_batch(shingles.tolist())
    return m


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

    def __init__(self, protect=(), pages=None):
        from crawler.urls import user_pattern

        self.protect_re = [user_pattern(p) for p in protect]
        self.pages = pages  # the pages.jsonl whose records come to add(), in order (None: not read again)
        self.index: dict[str, int] = {}
        self.rows: list[dict] = []
        self.ordinals = array("l")  # each row's record number in pages.jsonl (blank lines not counted)
        self._records = 0
        self.links: list[tuple] = []
        self.hashes: list = []
        self._texts: list = []   # (row, main text) waiting to be hashed, in batches
        self._blocks: list = []  # hashed term counts, one sparse block per batch, rows in order
        self._vectorizer = None
        # anchor text of links whose target may turn out broken: {target url: [(source row, text)]},
        # dropped as soon as the target answers 2xx (most do), so memory holds the doubtful ones only
        self.anchors: dict[str, list] = {}
        self.broken_links = None  # the Broken links table, made by finish()

    def add(self, record: dict) -> None:
        protect_re, index, rows, links, hashes = self.protect_re, self.index, self.rows, self.links, self.hashes
        url = record["url"]
        self._records += 1
        if url in index:
            return
        index[url] = len(rows)
        self.ordinals.append(self._records - 1)
        status = record.get("status")
        dates = record.get("dates") or {}
        newest, newest_source = newest_dated(dates, record.get("date_sources"))
        fetched = parse_date(record.get("fetched_at"))
        chain = record.get("redirect_chain") or []
        canonical = record.get("canonical")
        html_ok = status == 200 and bool(record.get("main_text"))
        rows.append({
            "url": url,
            "final_url": record.get("final_url") or url,
            "status": status,
            "error": record.get("error"),
            "content_type": record.get("content_type"),
            "title": record.get("title"),
            "word_count": record.get("word_count") or 0,
            "depth": record.get("depth"),
            "found_via": record.get("found_via"),
            "in_sitemap": bool(record.get("in_sitemap")),
            "robots_blocked": bool(record.get("robots_blocked")),
            "meta_robots": record.get("meta_robots"),
            "x_robots_tag": record.get("x_robots_tag"),
            "canonical": canonical,
            "canonicalised": bool(canonical) and canonical != url,
            "noindex": _noindex(record.get("meta_robots"), record.get("x_robots_tag")),
            "redirect_hops": len(chain),
            "redirect_loop": bool(chain) and (record.get("final_url") in {h["url"] for h in chain}),
            "newest_date": newest.isoformat() if newest else None,
            "newest_date_source": newest_source,
            "age_days": (fetched - newest).days if newest and fetched else None,
            "language": record.get("language"),
            "content_hash": record.get("content_hash") if html_ok else None,
            "protected": any(p.search(url) for p in protect_re),
            "kind": page_kind(unquote(urlsplit(url).path), record.get("title") or "", record.get("h1") or "")
            if status == 200 else None,
            "folder": first_folder(url),
            "crumb": breadcrumb_section(record.get("breadcrumbs"), url),
            "url_month_ahead": month_ahead(url, fetched),
        })
        targets = []
        anchors, source = self.anchors, index[url]
        fine = status is not None and 200 <= status < 300
        if fine:
            anchors.pop(url, None)  # links already seen to this URL are not broken
        # a breadcrumb names where a page sits, not a menu choice: its links are neither navigation
        # (a demoted page would stay "in the navigation" of every page below it) nor use
        for link in record.get("outlinks") or ():
            target = link.get("url")
            if link.get("internal") and target:
                region = link.get("region")
                targets.append((target, region if region in ("body", "crumb") else "nav"))
                if status == 200:
                    known = index.get(target)
                    if known is None or not _fine(rows[known]["status"]):
                        anchors.setdefault(target, []).append((source, _anchor(link.get("text"))))
        links.append(tuple(set(targets)))
        text = record.get("main_text") or ""
        hashes.append(minhash(text) if html_ok and (record.get("word_count") or 0)
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
        """(pandas DataFrame of signals per URL, MinHash list by row). ``valued``: URLs whose content
        links count as use in ``inlinks_valued`` (top-task pages)."""
        import pandas as pd

        self._hash_texts()
        index, rows, links = self.index, self.rows, self.links
        n = len(rows)
        hashes = Signatures(self.hashes)
        hashes.texts = text_matrix(self._blocks, n)
        hashes.pages, hashes.ordinals = self.pages, self.ordinals
        self._blocks = []
        table = pd.DataFrame(rows)
        if n == 0:
            return table, hashes
        # inlinks (one per linking page and region) and broken links, now that every URL has a row
        body = np.zeros(n, dtype=np.int64)
        nav = np.zeros(n, dtype=np.int64)
        crumb = np.zeros(n, dtype=np.int64)
        finals = [index.get(u) for u in table["final_url"]]
        table_urls = table["url"].tolist()
        for column in ("status", "depth", "age_days"):  # whole numbers or empty, never 404.0
            table[column] = pd.Series([None if v is None or v != v else int(v) for v in table[column]], dtype=object)
        status = table["status"].to_numpy(dtype=object)
        blocked = table["robots_blocked"].to_numpy()

        def broken(i):
            j = finals[i] if finals[i] is not None else i
            code = status[j]
            return (code is None and not blocked[j]) or (code is not None and code >= 400)

        broken_count = np.zeros(n, dtype=np.int64)
        valued_body = np.zeros(n, dtype=np.int64)
        to_tasks = np.zeros(n, dtype=np.int64)
        start = (table["found_via"] == "start").to_numpy()
        for source, targets in enumerate(links):
            seen_body, seen_nav, seen_crumb, bad = set(), set(), set(), set()
            if status[source] != 200:
                continue
            for target_url, region in targets:
                t = index.get(target_url)
                if t is None or t == source:
                    continue
                hit = {t}
                if finals[t] is not None and finals[t] != t:
                    hit.add(finals[t])  # a link to a redirect also reaches where it ends
                if region == "body":
                    seen_body.update(hit)
                elif region == "nav":
                    seen_nav.update(hit)
                else:
                    seen_crumb.update(hit)
                if broken(t):
                    bad.add(t)
            for t in seen_body:
                body[t] += 1
            to_tasks[source] = sum(1 for t in seen_body if table_urls[t] in valued)
            if start[source] or table_urls[source] in valued:
                for t in seen_body:
                    valued_body[t] += 1
            for t in seen_crumb - seen_body - seen_nav:
                crumb[t] += 1
            for t in seen_nav - seen_body:
                nav[t] += 1
            broken_count[source] = len(bad)
        self.broken_links = self._broken_table(table, finals, broken)
        table["inlinks_body"] = body
        table["inlinks_valued"] = valued_body
        table["links_to_tasks"] = to_tasks
        table["inlinks_nav"] = nav
        table["broken_links"] = broken_count
        table["inlinks_crumb"] = crumb
        table["orphan"] = table["in_sitemap"] & (body + nav + crumb == 0) & (table["found_via"] != "start")
        return table, hashes


    def _broken_table(self, table, finals, broken):
        """One row per broken internal link: source, target, anchor text, what the target answers."""
        import pandas as pd

        index, urls = self.index, table["url"].tolist()
        status, error = table["status"].tolist(), table["error"].tolist()
        rows = []
        for target, found in self.anchors.items():
            t = index.get(target)
            if t is None or not broken(t):
                continue
            j = finals[t] if finals[t] is not None else t
            answer = status[j] if status[j] is not None else (error[j] or "no response")
            via = f" (redirects to {urls[j]})" if j != t else ""
            for source, text in dict.fromkeys(found):
                rows.append({"source": urls[source], "target": target, "anchor": text, "target_status": answer,
                             "note": via.strip(" ()") or None})
        self.anchors = {}
        rows.sort(key=lambda r: (r["target"], r["source"]))
        return pd.DataFrame(rows, columns=["source", "target", "anchor", "target_status", "note"])


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
    for a page at the root whose trail names only itself (Home > Allotments: a page, not a section)."""
    from urllib.parse import urlsplit

    crumbs = [c for c in (breadcrumbs or ()) if isinstance(c, dict) and (c.get("text") or "").strip()]
    if crumbs and (not crumbs[0].get("url") or urlsplit(crumbs[0]["url"]).path in ("", "/")):
        crumbs = crumbs[1:]  # the home page
    if len(crumbs) == 1 and url and first_folder(url) == "/":
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
