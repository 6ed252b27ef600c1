"""The classifier's TF-IDF, fitted in one pass over a stream of texts in flat arrays (issue 14: a million
pages on one machine).

:class:`StreamedTfidf` is scikit-learn's ``TfidfVectorizer`` with the settings the classifier uses
(unigrams from its own analyzer, sublinear tf, smoothed idf, l2 norm): the same vocabulary, the same idf,
the same weights up to float rounding. scikit-learn's ``_count_vocab`` holds every (page, word) entry as a
Python list slot and an int, then copies the matrix to sort and to prune its columns; here each entry is
two int32 (a term id and a count, 8 bytes) as the pages stream, compacted in place into the matrix's
columns and weights. Measured at 100,000 pages: see docs/performance.md.
"""

from __future__ import annotations

from array import array
from collections import Counter, defaultdict
from numbers import Integral

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer
from sklearn.preprocessing import normalize


class StreamedTfidf(TfidfVectorizer):
    """``TfidfVectorizer`` fitted in flat arrays; any other setting falls back to scikit-learn's."""

    BLOCK = 1 << 20  # entries compacted at a time

    def _supported(self) -> bool:
        return (self.ngram_range == (1, 1) and self.analyzer == "word" and not self.binary and self.sublinear_tf
                and self.use_idf and self.smooth_idf and self.norm == "l2" and self.vocabulary is None)

    def fit_transform(self, raw_documents, y=None):
        if not self._supported():
            return super().fit_transform(raw_documents, y)
        self._validate_params()
        self._check_params()
        analyze = self.build_analyzer()
        vocabulary: dict = defaultdict()
        vocabulary.default_factory = vocabulary.__len__  # a new word takes the next id
        terms, counts, lengths = array("i"), array("i"), array("i")
        number = vocabulary.__getitem__
        for doc in raw_documents:
            counted = Counter(analyze(doc))
            terms.extend(map(number, counted))
            counts.extend(counted.values())
            lengths.append(len(counted))
        vocabulary = dict(vocabulary)
        if not vocabulary:
            raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
        n_doc, n_terms = len(lengths), len(vocabulary)
        ids = np.frombuffer(terms, dtype=np.int32)
        tf = np.frombuffer(counts, dtype=np.int32)
        # the columns in alphabetical order (scikit-learn's _sort_features)
        names = sorted(vocabulary)
        column_of = np.empty(n_terms, dtype=np.int64)  # first-seen id -> alphabetical column
        column_of[np.fromiter((vocabulary[t] for t in names), dtype=np.int64, count=n_terms)] = np.arange(n_terms)
        del vocabulary
        by_column = np.argsort(column_of)
        df = bincount(ids, n_terms, block=self.BLOCK)[by_column]
        # prune as scikit-learn's _limit_features
        high = self.max_df if isinstance(self.max_df, Integral) else self.max_df * n_doc
        low = self.min_df if isinstance(self.min_df, Integral) else self.min_df * n_doc
        if high < low:
            raise ValueError("max_df corresponds to < documents than min_df")
        mask = (df <= high) & (df >= low)
        if self.max_features is not None and mask.sum() > self.max_features:
            tfs = bincount(ids, n_terms, tf, self.BLOCK)[by_column].astype(self.dtype)
            limited = np.zeros(n_terms, dtype=bool)
            limited[np.flatnonzero(mask)[(-tfs[mask]).argsort()[:self.max_features]]] = True
            mask = limited
        if not mask.any():
            raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
        new = np.cumsum(mask) - 1
        column = np.where(mask[column_of], new[column_of], -1).astype(np.int32)  # first-seen id -> kept column
        self.vocabulary_ = {t: int(new[c]) for c, t in enumerate(names) if mask[c]}
        self.fixed_vocabulary_ = False
        self._tfidf = TfidfTransformer(norm=self.norm, use_idf=True, smooth_idf=True, sublinear_tf=True)
        dfs = df[mask].astype(self.dtype) + 1.0
        idf = np.full_like(dfs, n_doc + 1, dtype=self.dtype)
        idf /= dfs
        np.log(idf, out=idf)
        idf += 1.0
        self._tfidf.idf_ = idf
        self._tfidf.n_features_in_ = len(idf)
        del names, column_of, by_column, df, mask, new, dfs
        # compact in place, a block of entries at a time: the kept entries' columns over the term ids, their
        # weights over the counts (the write position never passes the read position)
        weights = tf.view(np.float32)
        starts = np.zeros(n_doc + 1, dtype=np.int64)
        np.cumsum(np.frombuffer(lengths, dtype=np.int32), out=starts[1:])
        del lengths
        indptr = np.zeros(n_doc + 1, dtype=np.int64)
        written = row = 0
        cols = kept = w = None
        while row < n_doc:
            end = max(row + 1, int(np.searchsorted(starts, starts[row] + self.BLOCK, side="right")) - 1)
            a, b = int(starts[row]), int(starts[end])
            cols = column[ids[a:b]]
            kept = cols >= 0
            cols = cols[kept]
            w = np.log(tf[a:b][kept].astype(self.dtype))
            w += 1.0
            w *= idf[cols]
            running = np.zeros(b - a + 1, dtype=np.int64)
            np.cumsum(kept, out=running[1:])
            indptr[row + 1:end + 1] = written + running[starts[row + 1:end + 1] - a]
            ids[written:written + cols.size] = cols
            weights[written:written + cols.size] = w
            written += cols.size
            row = end
        if written < 2**31:
            indptr = indptr.astype(np.int32)
        del ids, tf, weights, cols, kept, w  # no view left on the two arrays: they can shrink in place
        del terms[written:], counts[written:]
        ids, weights = np.frombuffer(terms, dtype=np.int32), np.frombuffer(counts, dtype=np.float32)
        X = sparse.csr_matrix((weights, ids, indptr), shape=(n_doc, len(idf)), copy=False)
        X.sort_indices()
        return normalize(X, norm="l2", copy=False)


def bincount(ids: np.ndarray, size: int, weights=None, block: int = 1 << 20) -> np.ndarray:
    """np.bincount in blocks: it would copy all of an int32 ``ids`` to int64 at once (at a million pages,
    2 GB)."""
    out = np.zeros(size, dtype=np.int64 if weights is None else np.float64)
    for a in range(0, len(ids), block):
        out += np.bincount(ids[a:a + block], None if weights is None else weights[a:a + block], minlength=size)
    return out
