"""The streamed and blocked code paths of the audit at scale (issue 14) give what the simple ones give:
results with a tiny block equal those with a big one, and the fast paths equal the reference ones."""

import random
import re

import numpy as np
import pytest

from audit import pipeline, signals
from audit.classify import Texts, _top_words, build_pages
from audit.signals import (Collector, Signatures, duplicate_clusters, link_counts, lsh_candidates, minhash,
                           shingle_set, signature)
from audit.text import _tokens as _tokens_reference  # the path for any text, without the ASCII shortcut
from audit.text import fold, tokens


def test_ascii_tokens_equal_the_general_path():
    rng = random.Random(3)
    alphabet = "ab_Z9 zdir_ x1-.Q/"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 80))) for _ in range(5000)]
    texts += ["zdir_a_b zdir_ a_zdir_c 2024 a1 1a x y2k __ab", "Tax 2024 forms_and_guides hello-world"]
    for text in texts:
        assert tokens(fold(text)) == _tokens_reference(fold(text)), text
        assert tokens(text) == _tokens_reference(text), text


def test_signature_equals_datasketch():
    from datasketch import MinHash

    text = " ".join(f"w{i % 37} word{i % 11}" for i in range(200))
    values = signature(text)
    m = MinHash(num_perm=signals.NUM_PERM, hashfunc=int, permutations=signals._permutations().permutations,
                scheme="affine32")
    m.update_batch(shingle_set(text).tolist())
    assert values.dtype == np.uint32 and np.array_equal(values, m.hashvalues)
    assert np.array_equal(minhash(text).hashvalues, m.hashvalues)
    assert signature("too short") is None


def test_shingle_set_is_sorted_and_distinct():
    s = shingle_set(" ".join(["a b c d e f"] * 20))
    assert list(s) == sorted(set(s.tolist()))


def _texts(n, seed=5):
    rng = random.Random(seed)
    base = [" ".join(f"t{rng.randrange(400)}" for _ in range(60)) for _ in range(n // 3)]
    out = []
    for i in range(n):
        words = base[i % len(base)].split()
        for _ in range(rng.randrange(0, 12)):  # near-copies of the base texts, some further apart
            words[rng.randrange(len(words))] = f"t{rng.randrange(400)}"
        out.append(" ".join(words))
    return out


def test_signatures_in_tiny_blocks_equal_one_block(monkeypatch):
    texts = _texts(120)
    rows = list(range(len(texts)))
    values = [signature(t) for t in texts]
    big = Signatures(values)
    monkeypatch.setattr(Signatures, "BLOCK", 7)
    small = Signatures(values)
    assert len(small) == len(big) == len(texts)
    for i in rows:
        assert np.array_equal(small[i].hashvalues, big[i].hashvalues)
        assert small[i].jaccard(small[(i + 1) % len(texts)]) == big[i].jaccard(big[(i + 1) % len(texts)])
    assert lsh_candidates(small, rows, 0.5) == lsh_candidates(big, rows, 0.5)
    # and the same candidates as MinHash objects banded the old way
    assert lsh_candidates([minhash(t) for t in texts], rows, 0.5) == lsh_candidates(big, rows, 0.5)
    assert Signatures([None, values[0]])[0] is None


def _reference_counts(n, links, finals, status, blocked, valued, start):
    """The per-source loop the audit used before the link counts were vectorised."""
    out = {k: np.zeros(n, dtype=np.int64) for k in ("inlinks_body", "inlinks_nav", "inlinks_crumb",
                                                    "inlinks_valued", "links_to_tasks", "broken_links")}

    def broken(i):
        j = finals[i] if finals[i] is not None else i
        code = status[j]
        return (code is None and not blocked[j]) or (code is not None and code >= 400)

    for source, targets in enumerate(links):
        if status[source] != 200:
            continue
        seen = {0: set(), 1: set(), 2: set()}
        bad = set()
        for t, region in targets:
            if t is None or t == source:
                continue
            hit = {t}
            if finals[t] is not None and finals[t] != t:
                hit.add(finals[t])
            seen[region].update(hit)
            if broken(t):
                bad.add(t)
        for t in seen[0]:
            out["inlinks_body"][t] += 1
        out["links_to_tasks"][source] = sum(1 for t in seen[0] if valued[t])
        if start[source] or valued[source]:
            for t in seen[0]:
                out["inlinks_valued"][t] += 1
        for t in seen[2] - seen[0] - seen[1]:
            out["inlinks_crumb"][t] += 1
        for t in seen[1] - seen[0]:
            out["inlinks_nav"][t] += 1
        out["broken_links"][source] = len(bad)
    return out


def test_link_counts_equal_the_per_page_loop():
    rng = random.Random(11)
    n = 300
    status = np.array([rng.choice([200] * 8 + [404, 301, None]) for _ in range(n)], dtype=object)
    blocked = np.array([rng.random() < 0.1 for _ in range(n)])
    finals = [rng.randrange(n) if status[i] == 301 else (i if rng.random() < 0.5 else None) for i in range(n)]
    valued = np.array([rng.random() < 0.2 for _ in range(n)])
    start = np.zeros(n, dtype=bool)
    start[0] = True
    # links by target number; numbers past n are URLs that were not crawled
    links = [sorted({(rng.randrange(n + 40), rng.randrange(3)) for _ in range(rng.randrange(0, 15))})
             for _ in range(n)]
    row_of = np.array([t if t < n else -1 for t in range(n + 40)], dtype=np.int64)
    starts, flat = [0], []
    for targets in links:
        flat += [t * 3 + r for t, r in targets]
        starts.append(len(flat))
    got = link_counts(n, np.array(starts, dtype=np.int64), np.array(flat, dtype=np.int64), row_of, finals, status,
                      blocked, valued, start)
    want = _reference_counts(n, [[(t if t < n else None, r) for t, r in targets] for targets in links], finals,
                             status, blocked, valued, start)
    for name, values in want.items():
        assert np.array_equal(got[name], values), name


def _collect(texts):
    collector = Collector()
    for i, text in enumerate(texts):
        collector.add({"url": f"http://s/{i % 7}/p{i}", "status": 200, "content_type": "text/html", "main_text": text,
                       "word_count": len(text.split()), "content_hash": str(hash(text)), "found_via": "link",
                       "outlinks": [{"url": f"http://s/{(i + 1) % 7}/p{(i + 1) % len(texts)}", "internal": True,
                                     "region": "body"}]})
    return collector.finish()


def test_nearest_text_shortlist_in_tiny_blocks_equals_big_blocks_and_the_exhaustive_search():
    texts = _texts(300)
    table, hashes = _collect(texts)
    X = hashes.texts
    rng = random.Random(2)
    queries = list(range(0, 300, 3))
    candidates = [i for i in range(300) if i % 3]
    q_task = np.array([rng.randrange(3) for _ in queries])
    q_folder = np.array([q % 7 for q in queries])
    c_task = np.array([rng.randrange(3) for _ in candidates])
    c_folder = np.array([c % 7 for c in candidates])
    groups = (q_task, q_folder, c_task, c_folder)
    exhaustive = pipeline._text_nearest(X, queries, candidates, threshold=0.3, groups=groups)
    assert len(exhaustive) > 50  # the near-copies find each other
    tiny = pipeline._text_nearest(X, queries, candidates, threshold=0.3, groups=groups, exact_pairs=0, block=7)
    big = pipeline._text_nearest(X, queries, candidates, threshold=0.3, groups=groups, exact_pairs=0, block=10_000)
    assert tiny == big
    assert set(tiny) == set(exhaustive)
    agree = sum(tiny[q][0] == exhaustive[q][0] for q in exhaustive)
    assert agree == len(exhaustive)  # (16 words found 98.5-99% of them on 3,000 such pages, 32 all)
    for q, (c, cosine) in tiny.items():  # the cosine reported is the whole texts' cosine
        assert cosine == pytest.approx(float(X[q].multiply(X[c]).sum()), abs=1e-5)
        assert cosine >= 0.3


def test_heaviest_keeps_the_largest_entries_of_each_row():
    from scipy import sparse

    X = sparse.random(50, 40, density=0.3, format="csr", random_state=1, dtype=np.float32)
    cut = pipeline._heaviest(X, 3, block=7)
    for i in range(50):
        row = X[i].toarray().ravel()
        keep = cut[i].toarray().ravel()
        assert np.count_nonzero(keep) == min(3, np.count_nonzero(row))
        if np.count_nonzero(keep):
            assert keep[keep > 0].min() >= np.sort(row)[-3 if np.count_nonzero(row) >= 3 else -np.count_nonzero(row)]


def test_top_words_in_tiny_blocks_equal_one_block():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts = _texts(90)
    tasks = ["a", "b", "none"] * 30
    vectorizer = TfidfVectorizer()
    X = vectorizer.fit_transform(texts)
    model = LogisticRegression(max_iter=200).fit(X, tasks)
    terms = vectorizer.get_feature_names_out()
    assert _top_words(tasks, model, X, terms, block=4) == _top_words(tasks, model, X, terms, block=10_000)


@pytest.mark.parametrize("spill", [Texts.SPILL, 8])
def test_texts_read_back_as_written(monkeypatch, spill):
    monkeypatch.setattr(Texts, "SPILL", spill)  # 8: the texts go to disk at once
    texts = Texts(["één", "", "zdir_a a b"])
    texts.append("中文")
    assert list(texts) == ["één", "", "zdir_a a b", "中文"] and texts[3] == "中文" and len(texts) == 4
    assert texts[1:3] == ["", "zdir_a a b"]
    texts.reorder([3, 0, 1, 2])
    assert texts[0] == "中文" and texts + ["x"] == ["中文", "één", "", "zdir_a a b", "x"]
    texts.append("later")  # after reading: written at the end, not where the last read stopped
    assert texts[-1] == "later" and texts[0] == "中文" and len(texts) == 5
    assert texts._file._rolled == (spill == 8)


def test_build_pages_order_and_links_do_not_depend_on_crawl_order():
    records = []
    for i in range(40):
        records.append({"url": f"http://s/d{i % 4}/p{i}", "status": 200, "title": f"P {i}", "main_text": f"text {i}",
                        "final_url": f"http://s/d{i % 4}/p{i}",
                        "headings": [{"level": 2, "text": "A"}, {"level": 3, "text": "B"}],
                        "outlinks": [{"url": f"http://s/d{(i + k) % 4}/p{(i + k) % 40}", "internal": True,
                                      "region": "body" if k % 2 else "nav", "section": k % 2, "lists": [k % 3]}
                                     for k in range(1, 6)] + [{"url": "http://s/old", "internal": True,
                                                               "region": "body", "section": 1}]})
    records.append({"url": "http://s/old", "final_url": "http://s/d0/p0", "status": 301})
    a = build_pages(records)
    b = build_pages(list(reversed(records)))
    assert a.urls == b.urls and list(a.texts) == list(b.texts)
    assert a.body_links == b.body_links and a.nav_links == b.nav_links and a.listings == b.listings
    assert a.headings == b.headings and a.aliases == b.aliases
    first = a.urls.index("http://s/d1/p1")
    assert a.urls.index("http://s/d0/p0") in a.body_links[first]  # the link to the redirect reaches its end
    assert all(re.match(r"http://s/d\d/p\d+", u) for u in a.urls)


def test_classifying_in_a_second_process_gives_the_same_audit(tmp_path):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from audit_scale import write_crawl

    from audit.pipeline import audit_run
    from audit.runs import run_config

    from audit.pipeline import HANDOVER

    write_crawl(tmp_path, 1500)
    config = run_config(tmp_path)
    one = audit_run(tmp_path, config, history=False, parallel=False)
    (tmp_path / HANDOVER).write_bytes(b"left by an audit killed before it read the classifier's result")
    two = audit_run(tmp_path, config, history=False, parallel=True)
    assert "classify, in its own process (CPU of that process)" in two.timings
    assert not (tmp_path / HANDOVER).exists()  # read, then removed; the stale one did not stand in for it
    columns = ["url", "task", "confidence", "runner_up", "why", "recommendation", "reasons", "redirect_to",
               "redirect_status", "cluster", "inlinks_body", "section"]
    assert one.pages[columns].equals(two.pages[columns])
    assert one.label_queue.equals(two.label_queue) and one.redirects.equals(two.redirects)


@pytest.mark.parametrize("settings", [dict(min_df=2, max_df=0.6, max_features=200_000, stop_words="english"),
                                      dict(min_df=1, max_df=1.0, max_features=40, stop_words=None),
                                      dict(min_df=3, max_df=50, max_features=None, stop_words=["w1", "w2"])])
def test_streamed_tfidf_equals_scikit_learn(settings):
    """The classifier's one-pass TF-IDF gives scikit-learn's vocabulary, idf and weights (max_features:
    the same words kept where counts tie)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from audit.text import fold, tokens
    from audit.tfidf import StreamedTfidf

    rng = random.Random(3)
    words = [f"w{i}" for i in range(300)] + ["één", "straße", "中文字符", "the", "and"]
    docs = [" ".join(rng.choice(words[:20] if rng.random() < .3 else words) for _ in range(rng.randrange(0, 60)))
            for _ in range(400)]
    common = dict(sublinear_tf=True, preprocessor=fold, tokenizer=tokens, token_pattern=None, lowercase=False,
                  dtype=np.float32, **settings)
    ours, theirs = StreamedTfidf(**common), TfidfVectorizer(**common)
    StreamedTfidf.BLOCK, block = 97, StreamedTfidf.BLOCK  # many blocks, rows split across none
    try:
        A = ours.fit_transform(iter(docs))
    finally:
        StreamedTfidf.BLOCK = block
    B = theirs.fit_transform(docs).tocsr()
    B.sort_indices()
    assert ours.vocabulary_ == theirs.vocabulary_
    assert list(ours.get_feature_names_out()) == list(theirs.get_feature_names_out())
    assert np.array_equal(ours.idf_, theirs.idf_)
    assert np.array_equal(A.indptr, B.indptr) and np.array_equal(A.indices, B.indices)
    assert np.allclose(A.data, B.data, atol=1e-6)


def test_streamed_tfidf_refuses_as_scikit_learn_does():
    from audit.tfidf import StreamedTfidf

    with pytest.raises(ValueError, match="empty vocabulary"):
        StreamedTfidf(stop_words=["a"], sublinear_tf=True).fit_transform(["a", "a a"])
    with pytest.raises(ValueError, match="no terms remain"):
        StreamedTfidf(min_df=2, sublinear_tf=True).fit_transform(["aa bb", "cc dd"])


def test_sibling_pairs_and_graph_in_arrays_equal_the_per_pair_loops():
    """siblings() and structure_graph() build their pairs in numpy: the same matrices as the loops over
    Python pairs they replace (the reference below), on lists short and long, with repeats and self-links."""
    from scipy import sparse

    from audit.classify import _row_normalised, siblings, structure_graph

    rng = random.Random(5)
    n, window = 60, 3
    records = []
    for i in range(n):
        targets = [rng.randrange(n) for _ in range(rng.choice([0, 3, 12, 25]))]
        one_list = len(targets) == 25  # a long list under one heading (a site map)
        links = [{"url": f"http://s/d{k % 3}/p{k}", "internal": True, "region": rng.choice(["body", "nav"]),
                  "section": 0 if one_list else rng.randrange(3), "lists": [0 if one_list else rng.randrange(2)]}
                 for k in targets]
        records.append({"url": f"http://s/d{i % 3}/p{i}", "status": 200, "title": f"P {i}", "main_text": "t",
                        "headings": [{"level": 2, "text": "A"}, {"level": 3, "text": "B"}, {"level": 2, "text": "C"}],
                        "breadcrumbs": [{"text": "Home"}, {"text": f"S{i % 2}"}, {"text": f"P {i}"}], "outlinks": links})
    pages = build_pages(records)
    pairs = []
    for h in range(n):
        groups = {}
        for j, path in pages.listings[h]:
            if j != h:
                groups.setdefault(path, []).append(j)
        for members in groups.values():
            members = list(dict.fromkeys(members))
            if len(members) < 2:
                continue
            long = len(members) > 2 * window + 1
            for at, j in enumerate(members):
                near = members[max(0, at - window):at + window + 1] if long else members
                pairs.extend((j, x) for x in near if x != j)
    rows, cols = zip(*pairs)
    M = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    M.sum_duplicates()
    M.data[:] = np.minimum(M.data, 1.0)
    expected = _row_normalised(M)
    got = siblings(pages, window)["list"]
    assert any(len({j for j, p in pages.listings[h] if p == path}) > 2 * window + 1
               for h in range(n) for _, path in pages.listings[h])  # long lists are met
    assert abs(got - expected).max() == 0
    weights = np.array([rng.random() for _ in range(n)])
    W, _ = structure_graph(pages, 0.05, 1.0, 2.0, weights)
    edges = {}
    for i in range(n):
        for j in pages.body_links[i]:
            if j != i:
                for a, b in ((i, j), (j, i)):
                    edges[a, b] = edges.get((a, b), 0.0) + 2.0 * weights[j]
        for j in pages.nav_links[i]:
            if j != i:
                for a, b in ((i, j), (j, i)):
                    edges[a, b] = edges.get((a, b), 0.0) + 0.05
    page_part = W[:n, :n].todok()
    assert {k: round(v, 12) for k, v in page_part.items()} == {k: round(v, 12) for k, v in edges.items() if v}
