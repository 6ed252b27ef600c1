"""Near-duplicate recall and false positives by true similarity, old method against new.

    .venv/bin/python benchmarks/near_duplicates.py [PAIRS_PER_BAND]

Builds real-looking pages from the prose under /usr/share/doc (README, NEWS, FAQ, *.md, *.txt: each
page a run of paragraphs from one file, 250-900 words, no paragraph used twice), and copies of some of
them reworded in one sentence in N (two to four words of the sentence replaced by words from other
pages; N drawn at random), so the pairs' true Jaccard similarity of word 5-shingles spreads over
0.75-0.99. The pages (originals, copies and as many unrelated pages again) go through the audit's
Collector from a pages.jsonl, then through

- old: MinHash LSH tuned at the threshold, pairs kept on their MinHash estimate (128 permutations), as
  the audit did up to issue 12;
- new: ``audit.signals.duplicate_clusters`` (LSH tuned LSH_BELOW under the threshold, the estimate as a
  loose filter, confirmed with the exact Jaccard of the two pages' shingle sets read again from the file).

Prints, per band of true similarity, the share of pairs found (recall at or above the threshold; false
positives below it), and pairs of unrelated pages wrongly clustered. Threshold 0.90, the default.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from audit.signals import NUM_PERM, Collector, duplicate_clusters, jaccard, shingle_set  # noqa: E402

THRESHOLD = 0.90
BANDS = [(0.75, 0.80), (0.80, 0.85), (0.85, 0.88), (0.88, 0.90), (0.90, 0.92), (0.92, 0.95), (0.95, 0.98),
         (0.98, 1.0)]
NAMES = re.compile(r"^(README|NEWS|FAQ|TODO|CHANGES|HISTORY|AUTHORS|THANKS|USAGE)|\.(md|txt|rst)$", re.I)
WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")


def paragraphs():
    """Prose paragraphs of /usr/share/doc by file: mostly words, at least 20 of them."""
    seen = set()
    for path in sorted(Path("/usr/share/doc").rglob("*")):
        name = path.name[:-3] if path.name.endswith(".gz") else path.name
        if not path.is_file() or not NAMES.search(name) or path.stat().st_size > 400_000:
            continue
        try:
            raw = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
            text = raw.decode("utf-8")
        except (OSError, ValueError, EOFError):
            continue
        found = []
        for block in re.split(r"\n\s*\n", text):
            words = block.split()
            if len(words) < 20 or len(WORD.findall(block)) < 0.8 * len(words):
                continue
            key = " ".join(words).lower()
            if key in seen:
                continue
            seen.add(key)
            found.append(" ".join(words))
        if found:
            yield found


def pages(limit: int) -> list:
    """Pages of 250-900 words, each a run of paragraphs from one file."""
    out = []
    for found in paragraphs():
        page = []
        for para in found:
            page.append(para)
            words = sum(len(p.split()) for p in page)
            if words >= 250:
                if words <= 900:
                    out.append(" ".join(page))
                page = []
        if len(out) >= limit:
            break
    return out


def reword(text: str, every: int, rng: random.Random, vocabulary: list) -> str:
    """The text with one sentence in ``every`` reworded: two to four of its words replaced."""
    sentences = re.split(r"(?<=[.!?])\s+", text)
    start = rng.randrange(every)
    for k in range(start, len(sentences), every):
        words = sentences[k].split()
        for _ in range(rng.randint(2, 4)):
            words[rng.randrange(len(words))] = rng.choice(vocabulary)
        sentences[k] = " ".join(words)
    return " ".join(sentences)


def band_of(similarity: float):
    return next((b for b in BANDS if b[0] <= similarity < b[1] or (b[1] == 1.0 and similarity == 1.0)), None)


def build(per_band: int, rng: random.Random):
    texts = pages(40 * per_band)
    rng.shuffle(texts)
    vocabulary = sorted({w for t in texts[:200] for w in WORD.findall(t)})
    want = {b: per_band for b in BANDS}
    originals, copies, pairs = [], [], []  # pairs: (original row, copy row, true similarity)
    spare = []
    for text in texts:
        if not any(want.values()):
            spare.append(text)
            continue
        sentences = len(re.split(r"(?<=[.!?])\s+", text))
        if sentences < 8:
            spare.append(text)
            continue
        copy = reword(text, rng.randint(2, 60), rng, vocabulary)
        a, b = shingle_set(text), shingle_set(copy)
        similarity = jaccard(a, b)
        band = band_of(similarity)
        if band is None or not want[band]:
            spare.append(text)
            continue
        want[band] -= 1
        originals.append(text)
        copies.append(copy)
        pairs.append(similarity)
    others = spare[:len(originals)]
    return originals, copies, pairs, others, want


def old_clusters(table, hashes, threshold: float) -> dict:
    """The method up to issue 12: LSH tuned at the threshold, pairs kept on the MinHash estimate."""
    from datasketch import MinHashLSH

    parent: dict = {}

    def find(i):
        while parent.get(i, i) != i:
            i = parent[i]
        return i

    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    for i, h in enumerate(hashes):
        if h is None:
            continue
        parent.setdefault(i, i)
        for j in lsh.query(h):
            if h.jaccard(hashes[j]) >= threshold:
                ra, rb = find(i), find(j)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
        lsh.insert(i, h)
    return {i: find(i) for i in parent}


def record(n: int, text: str) -> dict:
    return {"url": f"http://docs.example/p{n}", "status": 200, "content_type": "text/html", "title": f"p{n}",
            "main_text": text, "word_count": len(text.split()), "found_via": "link",
            "content_hash": hashlib.sha1(text.encode()).hexdigest(), "fetched_at": "2026-11-29T10:00:00Z"}


def main():
    per_band = int(sys.argv[1]) if len(sys.argv) > 1 else 150
    rng = random.Random(12)
    originals, copies, similarities, others, short = build(per_band, rng)
    texts = originals + copies + others
    n = len(originals)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pages.jsonl"
        with open(path, "w", encoding="utf-8") as fh:
            for i, text in enumerate(texts):
                fh.write(json.dumps(record(i, text)) + "\n")
        collector = Collector(pages=path)
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                collector.add(json.loads(line))
        table, hashes = collector.finish()
        results = {}
        for name, method in (("old", old_clusters), ("new", duplicate_clusters)):
            started = time.process_time()
            clusters = method(table, hashes, THRESHOLD)
            results[name] = (clusters, time.process_time() - started)
    shingles = [shingle_set(t) for t in texts]
    print(f"{len(texts)} pages from /usr/share/doc prose ({n} originals, {n} reworded copies, {len(others)} "
          f"unrelated); threshold {THRESHOLD:.2f}; pairs per band {per_band}"
          + (f" (short: {', '.join(f'{a:.2f}-{b:.2f}: {k}' for (a, b), k in short.items() if k)})"
             if any(short.values()) else ""))
    print(f"{'true Jaccard':>14} {'pairs':>6} {'old':>7} {'new':>7}   (share flagged: recall at or above "
          f"{THRESHOLD:.2f}, false positives below)")
    for band in BANDS:
        rows = [k for k, s in enumerate(similarities) if band_of(s) == band]
        if not rows:
            continue
        cells = []
        for name in ("old", "new"):
            clusters = results[name][0]
            found = sum(1 for k in rows if clusters.get(k) is not None and clusters.get(k) == clusters.get(n + k))
            cells.append(f"{found / len(rows):7.1%}")
        print(f"{band[0]:.2f}-{band[1]:.2f}   {len(rows):>6} {cells[0]} {cells[1]}")
    for lo, hi in ((THRESHOLD, 0.95), (0.0, THRESHOLD)):
        rows = [k for k, s in enumerate(similarities) if lo <= s < hi]
        cells = []
        for name in ("old", "new"):
            clusters = results[name][0]
            found = sum(1 for k in rows if clusters.get(k) is not None and clusters.get(k) == clusters.get(n + k))
            cells.append(f"{found}/{len(rows)} ({found / max(len(rows), 1):.1%})")
        label = "recall" if lo else "false positives"
        print(f"{label} {lo:.2f}-{hi:.2f}: old {cells[0]}, new {cells[1]}")
    for name in ("old", "new"):
        clusters, seconds = results[name]
        members: dict = {}
        for i, c in clusters.items():
            members.setdefault(c, []).append(i)
        wrong = 0
        for rows in members.values():
            for x in range(len(rows)):
                for y in range(x + 1, len(rows)):
                    a, b = sorted((rows[x], rows[y]))
                    designed = a < n and b == n + a
                    if not designed and jaccard(shingles[a], shingles[b]) < THRESHOLD:
                        wrong += 1
        print(f"{name}: {seconds:.2f} s CPU; other pairs clustered below {THRESHOLD:.2f}: {wrong}")


if __name__ == "__main__":
    if {"-h", "--help"} & set(sys.argv[1:]):  # the docstring is the usage
        print(__doc__)
        sys.exit(0)
    main()
