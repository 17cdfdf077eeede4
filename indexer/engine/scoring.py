"""How the engine scores a match: BM25 with the idf other engines use."""

from __future__ import annotations

import math
from array import array

from whoosh import scoring


class BM25(scoring.BM25F):
    """Okapi BM25 with the idf of Lucene, tantivy and Anserini: ln(1 + (N - n + 0.5) / (n + 0.5)).

    Whoosh's own idf, ln(N / (n + 1)) + 1, gives a word found in nearly every document about a
    seventh of the weight of the rarest word instead of almost nothing: in a question of 20 words
    the common ones ("results", "method", "based") then outvote the two words that matter.
    """

    def idf(self, searcher, fieldname, text):
        parent = searcher.get_parent()
        n = parent.doc_frequency(fieldname, text)
        total = parent.doc_count_all()
        return math.log(1 + (total - n + 0.5) / (n + 0.5))

    def scorer(self, searcher, fieldname, text, qf=1):
        if not searcher.schema[fieldname].scorable:
            return super().scorer(searcher, fieldname, text, qf)
        return _BM25Scorer(searcher, fieldname, text, self._field_B.get(fieldname, self.B), self.K1, qf=qf)


class _BM25Scorer(scoring.BM25FScorer):
    """Whoosh's BM25F scorer with each document's length norm, K1 * (1 - B + B * dl / avgdl), kept
    by its segment searcher once computed: reading a document's length from the lengths file for
    every posting was a third of scoring every match. The same arithmetic, so the same scores; one
    float a document and field (0.0 until computed: a norm is never 0 while B < 1)."""

    def __init__(self, searcher, fieldname, text, B, K1, qf=1):
        super().__init__(searcher, fieldname, text, B, K1, qf=qf)
        # A segment searcher sees one generation of its segment: its norms never go stale.
        norms = searcher.__dict__.setdefault("_bm25_norms", {})
        key = (fieldname, B, K1, self.avgfl)
        if key not in norms:
            norms[key] = array("d", bytes(8 * searcher.doc_count_all()))
        self._norms = norms[key]

    def score(self, matcher):
        docnum = matcher.id()
        norm = self._norms[docnum]
        if not norm:
            norm = self._norms[docnum] = self.K1 * ((1 - self.B) + self.B * self.dfl(docnum) / self.avgfl)
        weight = matcher.weight()
        return self.idf * ((weight * (self.K1 + 1)) / (weight + norm))


WEIGHTING = BM25()
