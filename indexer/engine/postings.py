"""A word, or any of some words, scored from the words' postings read as arrays.

Whoosh scores one match at a time in Python: a common word at 10x matches thousands of
publications, a three-word question with feedback searches thirteen words, and a page search asks
the matcher about each page of the shown publications; that was most of a request. The same BM25
here, with the same arithmetic in the same order: per word idf · tf(K1+1) / (tf + norm), times the
word's boost, added over the words in the query's order from 0.0, as Whoosh's array union adds
them (so the same scores to the bit; where Whoosh adds through a tree of unions instead, in
segments of over 5,000 documents, the sums may differ in the last bit). The postings and length
norms are read once per open reader, i.e. per index generation.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Collection, Iterator

import numpy as np
from cachetools import LRUCache
from whoosh import query as wq

from .internals import posting_arrays, walked_scores
from .scoring import WEIGHTING

#: Postings kept per open searcher and field (12 bytes each), least recently used dropped first.
MAX_POSTINGS = 1_000_000


def match_scores(searcher, query, among: Collection[int] | None = None) -> Iterator[tuple[int, float]]:
    """(docnum, score) of every match of `query` (of those in `among`, when given), in index order:
    from the words' postings for a word or an OR of words (`scores`), by walking Whoosh's matcher
    for any other query (`internals.walked_scores`)."""
    words = flat_words(query)
    if words is None or not scorable(searcher, words):
        yield from walked_scores(searcher, query, among)
        return
    subset = None if among is None else np.array(sorted(among), dtype=np.int64)
    docnums, found = scores(searcher, words, subset)
    yield from zip(docnums.tolist(), found.tolist(), strict=True)


def scorable(searcher, words: list[tuple[str, str, float]]) -> bool:
    """Whether BM25 scores every word's field (text fields: an id, a year or a facet value is
    matched but scored by Whoosh otherwise, so its query is walked)."""
    return all(field in searcher.schema and searcher.schema[field].scorable for field, _, _ in words)


def all_words(query) -> list[tuple[str, str, float]] | None:
    """(field, word, boost) of a query that is an AND of words, else None."""
    if type(query) is wq.And and query.subqueries and all(type(sub) is wq.Term for sub in query.subqueries):
        return [(sub.fieldname, sub.text, sub.boost) for sub in query.subqueries]
    return None


def flat_words(query) -> list[tuple[str, str, float]] | None:
    """(field, word, boost) of a query that is a word or an OR of words (what `scores` answers), else None."""
    if type(query) is wq.Term:
        return [(query.fieldname, query.text, query.boost)]
    if (
        type(query) is wq.Or
        and query.boost == 1.0
        and not query.minmatch
        and not query.scale
        and query.subqueries
        and all(type(sub) is wq.Term for sub in query.subqueries)
    ):
        return [(sub.fieldname, sub.text, sub.boost) for sub in query.subqueries]
    return None


def scores(
    searcher,
    words: list[tuple[str, str, float]],
    among: np.ndarray | None = None,
    every: list[tuple[str, str, float]] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(docnums ascending, scores) of the documents holding any of `words` and every one of
    `every` (each (field, word, boost); an empty `words` asks for `every` alone), scored by all of
    them in that order; deleted documents never; only those in `among` (sorted docnums) if given."""
    parts = [(word, False) for word in words] + [(word, True) for word in every or []]
    base = among if among is not None else np.arange(searcher.doc_count_all())
    total, any_of, all_of = np.zeros(base.size), None, None
    for (field, word, boost), required in parts:
        docnums, scored = _table(searcher, field).scored(word, boost)
        at = np.minimum(np.searchsorted(docnums, base), max(docnums.size - 1, 0))
        hit = docnums[at] == base if docnums.size else np.zeros(base.size, dtype=bool)
        total += np.where(hit, scored[at] if docnums.size else 0.0, 0.0)  # adding 0.0 changes no sum
        if required:
            all_of = hit if all_of is None else all_of & hit
        else:
            any_of = hit if any_of is None else any_of | hit
    keep = np.ones(base.size, dtype=bool) if parts else np.zeros(base.size, dtype=bool)
    for held in (any_of, all_of):
        if held is not None:
            keep &= held
    return base[keep], total[keep]


class _Table:
    """One open searcher's field: each word's postings as arrays over global docnums, and each
    document's BM25 length norm once computed (0.0 until then: a norm is never 0 while B < 1)."""

    def __init__(self, searcher, field: str):
        self._searcher, self._field = searcher, field
        self._postings: LRUCache = LRUCache(maxsize=MAX_POSTINGS, getsizeof=lambda found: max(1, found[0].size))
        self._norms = np.zeros(searcher.doc_count_all())
        self._lock = threading.Lock()

    def scored(self, word: str, boost: float) -> tuple[np.ndarray, np.ndarray]:
        """(docnums, BM25 score × boost) of the documents holding `word`."""
        with self._lock:
            found = self._postings.get(word)
            if found is None:
                found = self._read(word)
                if found[0].size <= self._postings.maxsize:
                    self._postings[word] = found
        docnums, weights, idf, k1 = found
        return docnums, idf * ((weights * (k1 + 1)) / (weights + self._norms[docnums])) * boost

    def _read(self, word: str):
        ids, weights, idf, k1 = [], [], 0.0, 0.0
        for sub, offset in self._searcher.leaf_searchers():
            reader = sub.reader()
            text = sub.schema[self._field].to_bytes(word)
            if (self._field, text) not in reader:
                continue
            scorer = WEIGHTING.scorer(sub, self._field, text)  # the global idf, the field's B and K1
            idf, k1 = scorer.idf, scorer.K1
            local, frequencies = posting_arrays(reader, self._field, text)
            self._fill_norms(sub, offset, local, scorer)
            ids.append(local + offset)
            weights.append(frequencies)
        if not ids:
            return np.zeros(0, dtype=np.int64), np.zeros(0), 0.0, 0.0
        return np.concatenate(ids), np.concatenate(weights), idf, k1

    def _fill_norms(self, sub, offset: int, local: np.ndarray, scorer) -> None:
        """K1 · (1 − B + B · dl / avgdl) of the documents not yet seen, as `scoring._BM25Scorer` computes it."""
        norms = self._norms
        missing = local[norms[local + offset] == 0.0]
        k1, b, average = scorer.K1, scorer.B, scorer.avgfl
        for docnum in missing.tolist():
            norms[docnum + offset] = k1 * ((1 - b) + b * sub.doc_field_length(docnum, self._field, 1) / average)


_TABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_TABLES_LOCK = threading.Lock()


def _table(searcher, field: str) -> _Table:
    """The `_Table` of an open searcher's field: one per searcher (one index generation), gone with it."""
    with _TABLES_LOCK:
        tables = _TABLES.setdefault(searcher, {})
        if field not in tables:
            tables[field] = _Table(searcher, field)
        return tables[field]
