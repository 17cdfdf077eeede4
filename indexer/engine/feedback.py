"""Pseudo-relevance feedback: a question's best matches say in which words its topic is written.

The standard strong baseline of IR research, with the literature's default settings rather than
values fitted to any collection: the 10 best first-pass matches (Anserini's `fbDocs`), each trusted
by its odds of relevance, the 10 words they most share (Anserini's `fbTerms`, Terrier's
`expansion.terms`) chosen by Amati's Bo1 model, added to the query at Rocchio's β = 0.4 of the
query's strongest word (Terrier's `rocchio.beta`). Feedback only reorders the matches of the
user's own words: an expansion word never finds a publication the query does not find, so counts,
facets and highlighted words stay the query's.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from whoosh import query as wq
from whoosh.classify import Bo1Model

from .internals import term_table
from .postings import match_scores
from .schema import DEFAULT_FIELD

#: The first-pass matches the topic's words are read from (Anserini's fbDocs).
FEEDBACK_DOCS = 10
#: The words added to, or strengthened in, the query (Anserini's fbTerms, Terrier's expansion.terms).
FEEDBACK_TERMS = 10
#: An expansion word's weight beside the query's strongest word (Terrier's rocchio.beta).
BETA = 0.4
#: Queries of fewer distinct words are left as they are: one or two words name what is wanted
#: (a term, an acronym), and the documents that use those words most should come first; a
#: description of three words or more is where the topic's other words help.
MIN_QUERY_TERMS = 3


def applies(weights: tuple) -> bool:
    """Whether a query gets feedback: `weights` ((term, weight) pairs) are its plain words, none
    when it asks for more than any of some words (phrases, fields, exclusions, AND), which
    feedback must not reinterpret."""
    return len(weights) >= MIN_QUERY_TERMS


def reweighted(searcher, weights: dict[str, float], top: list[tuple[int, float]]) -> dict[str, float]:
    """The query's term weights after feedback from `top` ([(docnum, first-pass score)], best first).

    Each document's words count in proportion to its odds of relevance: BM25 scores are log odds
    (the Robertson/Spärck Jones weights behind them), so a document scoring 1 below the best counts
    e^-1 as much. A question that found one document far ahead of the rest is then widened with
    that document's words, not with those of the near misses after it. The query's own weights are
    scaled so that the strongest is 1, and each chosen word adds BETA times its Bo1 weight over the
    best chosen word's (Rocchio's merge, as Terrier does it).
    """
    reader, best = searcher.reader(), top[0][1]
    trusted = [
        (docnum, math.exp(score - best))
        for docnum, score in top[:FEEDBACK_DOCS]
        if reader.has_vector(docnum, DEFAULT_FIELD)
    ]
    strongest = max(weights.values())
    merged = {term: weight / strongest for term, weight in weights.items()}
    for term, weight in _most_informative(reader, term_table(reader, DEFAULT_FIELD).weighted(trusted)):
        merged[term] = merged.get(term, 0.0) + BETA * weight
    return merged


def _most_informative(reader, found: Iterable[tuple[str, float]]) -> list[tuple[str, float]]:
    """The FEEDBACK_TERMS words of `found` ((term, weight in the feedback documents), heaviest first) with the highest
    Bo1 weight (Whoosh's model: how much more often the word appears there than chance would put
    it), each over the highest. Looking up a word's collection frequency is the cost, so words are
    weighed most frequent first and the rest skipped once none of them could make the list: a word
    occurs in the collection at least as often as in the feedback documents, which bounds its
    weight from above."""
    docs = reader.doc_count_all()
    model = Bo1Model(docs, reader.field_length(DEFAULT_FIELD))
    mean_length = model.mean_length or 1.0
    chosen: list[tuple[float, str]] = []
    table = term_table(reader, DEFAULT_FIELD)  # collection frequencies looked up once per generation
    for term, weight in found:  # none of weight 0 (in documents whose odds are too small to count)
        if len(chosen) == FEEDBACK_TERMS:
            bound = max(model.score(weight, weight, 0), model.score(weight, mean_length * docs, 0))
            if bound <= chosen[-1][0]:
                break
        frequency = max(table.frequency(term), weight)  # never below: see the bound
        chosen.append((model.score(weight, frequency, 0), term))
        chosen.sort(key=lambda item: (-item[0], item[1]))
        del chosen[FEEDBACK_TERMS:]
    return [(term, score / chosen[0][0]) for score, term in chosen] if chosen and chosen[0][0] > 0 else []


def reordered(searcher, weights: dict[str, float], scores: dict[int, float]) -> dict[int, float]:
    """`scores` ({docnum: first-pass score} of every match of a query with term weights `weights`)
    scored by the query after feedback: the same documents, in a new order. BM25 adds up over
    terms, so only what feedback adds is searched, and only among the query's own matches."""
    if len(scores) < 2:
        return scores
    top = sorted(scores.items(), key=lambda hit: (-hit[1], hit[0]))[:FEEDBACK_DOCS]
    strongest = max(weights.values())
    added = {
        term: weight - weights.get(term, 0.0) / strongest for term, weight in reweighted(searcher, weights, top).items()
    }
    rescored = {docnum: score / strongest for docnum, score in scores.items()}
    extra = [wq.Term(DEFAULT_FIELD, term, boost=weight) for term, weight in sorted(added.items()) if weight > 0]
    if extra:
        for docnum, score in match_scores(searcher, wq.Or(extra), among=scores.keys()):
            rescored[docnum] += score
    return rescored
