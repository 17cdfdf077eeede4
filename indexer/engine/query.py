"""Query rewriting: the user's words (see README "Query language") to Whoosh queries over pubs and pages.

The words themselves are read by `indexer.analysis` (through the schema's analyzers); what is here
is the syntax: phrases, exclusions, OR/AND/NOT, fields, and what ranking does with plain words.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, replace

from whoosh import qparser, query as wq

from .. import analysis, limits
from .schema import DEFAULT_FIELD, pubs_schema


@dataclass(frozen=True)
class ParsedQuery:
    """The user's query in engine form, plus what to tell the user if it had to be reinterpreted."""

    pubs: object  # whoosh query over pubs (or None: browse everything)
    pages: object  # the same words over page text (None when there is nothing to look for)
    terms: frozenset  # analysed positive terms, for highlighting
    message: str | None
    phrases: tuple = ()  # the quoted phrases (as term sequences) a matching page must contain
    all_words: object = None  # several plain words: the query asking for all of them (match=all)
    weights: tuple = ()  # plain words: ((term, weight), ...) of the words ranking starts from (feedback)


_QUESTION_MARKS = re.compile(r"\?")
_BARE_WILDCARD = re.compile(r"^\s*[*?]+\s*$")
_PARSER_SYNTAX = re.compile(r'["():^~\[\]{}+\-*]')
_MINUS = re.compile(r"(?<!\S)-(?=\w|\(|\")")


def parser() -> qparser.QueryParser:
    """Whoosh's parser over the query schema: words ORed, + only at the start of a word ("C++" stays a
    word), a leading - rewritten to NOT before parsing (`_MINUS`), since Whoosh's own minus drops a
    lone "-badge" to "badge"; no boosts."""
    made = qparser.QueryParser(DEFAULT_FIELD, pubs_schema(for_queries=True), group=qparser.OrGroup)
    made.add_plugin(qparser.PlusMinusPlugin(plusexpr=r"(?<!\S)\+(?=\S)", minusexpr=r"(?!)"))
    made.remove_plugin_class(qparser.BoostPlugin)
    return made


def parse(parser: qparser.QueryParser, text: str, match_all: bool = False, reader=None) -> ParsedQuery:
    """Parse user syntax (phrases, -exclude, NOT, OR, title:word); never raise on odd input.

    Words are ORed and ranked (most matching first); `match_all` asks for publications with
    every word. An excluded word always excludes: "credential NOT badge" is credential AND NOT
    badge, and a lone "-badge" is everything without badges. A query without lower-case letters
    is plain words, read as its lower-case form (`analysis.query_text`).
    """
    text = limits.without_lone_wildcards(_QUESTION_MARKS.sub(" ", text or "").strip())
    if reader is not None:
        limits.check_text(text)  # before the parser and the analysis spend anything on it
    text = analysis.query_text(text)
    if not text or _BARE_WILDCARD.match(text):
        return ParsedQuery(None, None, frozenset(), None)
    message = None
    parsed = _parse_or_null(parser, _MINUS.sub("NOT ", text))
    if parsed is wq.NullQuery or isinstance(parsed, type(wq.NullQuery)):
        plain = _PARSER_SYNTAX.sub(" ", text)
        parsed = _parse_or_null(parser, plain) if plain.strip() else wq.NullQuery
        if parsed is not wq.NullQuery and plain.split() != text.split():
            message = f"Searched for the words of “{plain.strip()}” (the query syntax could not be read)."
    if reader is not None:
        parsed = _bounded(parsed, reader)
    terms = _positive_terms(parsed)
    if not terms and parsed is wq.NullQuery:
        return ParsedQuery(
            wq.NullQuery, None, frozenset(), "Nothing to search for: the query has only very common words or symbols."
        )
    parsed = _exclusions_exclude(parsed)
    if _word_weights(parsed):
        parsed = _dampened(parsed, Counter(analysis.terms(text)))
    weights = _word_weights(parsed)
    all_words = wq.And(parsed.subqueries) if isinstance(parsed, wq.Or) else None
    if match_all and all_words is not None:
        parsed = all_words
    pages = wq.Or([wq.Term("text", term) for term in sorted(terms)]) if terms else None
    return ParsedQuery(parsed, pages, frozenset(terms), message, _phrases(parsed), all_words, weights)


def _bounded(q, reader):
    """`q` measured against `limits` before it runs: a lone `*` or `field:*` beside other words (whoosh
    would read the field's whole vocabulary), a leading wildcard, too many wildcards in a word, too many
    words or expansions are refused. Expansions are counted only up to the bound, so counting is cheap."""
    leaves = list(q.leaves()) if not q.is_leaf() else [q]
    if any(isinstance(leaf, wq.Every) for leaf in leaves):
        raise limits.matches_everything()
    if len(leaves) > limits.MAX_TERMS:
        raise limits.too_many_terms(len(leaves))
    budget = left = limits.expansions_left()
    for leaf in leaves:
        if isinstance(leaf, wq.Wildcard):
            if leaf.text[:1] in "*?":
                raise limits.leading_wildcard(leaf.text)
            if sum(leaf.text.count(c) for c in "*?") > limits.MAX_WILDCARDS_PER_WORD:
                raise limits.too_many_wildcards(leaf.text)
        if isinstance(leaf, wq.MultiTerm):
            budget -= sum(1 for _ in zip(range(budget + 1), leaf.expanded_terms(reader), strict=False))
            if budget < 0:
                raise limits.too_many_expansions()
    limits.spend_expansions(left - budget)
    return q


def _parse_or_null(parser: qparser.QueryParser, text: str):
    try:
        return parser.parse(text)
    except Exception:  # whoosh's parser has many failure modes; any of them means "plain words"
        return wq.NullQuery


def _positive_terms(q) -> set[str]:
    """Analysed words a result should show highlighted: not those the user excluded."""
    if isinstance(q, wq.Not):
        return set()
    if isinstance(q, wq.AndNot):
        return _positive_terms(q.a)
    if q.is_leaf():
        return {
            text.decode() if isinstance(text, bytes) else text
            for field, text in q.iter_all_terms(phrases=True)
            if field in (DEFAULT_FIELD, "title")
        }
    found = set()
    for child in q.children():
        found |= _positive_terms(child)
    return found


def _exclusions_exclude(q):
    """Whoosh's OR group reads "a NOT b" as "a, or anything without b"; people mean a AND NOT b."""
    if q.is_leaf() or isinstance(q, wq.Not):
        return q
    q = q.apply(_exclusions_exclude)
    if not isinstance(q, wq.Or):
        return q
    excluded = [child.query for child in q.subqueries if isinstance(child, wq.Not)]
    if not excluded:
        return q
    kept = [child for child in q.subqueries if not isinstance(child, wq.Not)]
    base = (wq.Or(kept) if len(kept) > 1 else kept[0]) if kept else wq.Every()
    return wq.AndNot(base, wq.Or(excluded) if len(excluded) > 1 else excluded[0])


def _phrases(q) -> tuple:
    """The positive quoted phrases of a query, each as its sequence of index terms."""
    if isinstance(q, wq.Not):
        return ()
    if isinstance(q, wq.AndNot):
        return _phrases(q.a)
    if isinstance(q, wq.Phrase):
        return (tuple(q.words),) if q.fieldname in (DEFAULT_FIELD, "text") else ()
    if q.is_leaf():
        return ()
    return tuple(phrase for child in q.children() for phrase in _phrases(child))


def _dampened(parsed, counts: Counter):
    """A word said n times in a long question is not n times as important: weight 1 + ln n."""
    if all(n == 1 for n in counts.values()):
        return parsed
    return parsed.apply(lambda leaf: _scaled(leaf, 1 + math.log(counts.get(_term_text(leaf), 1))))


def _word_weights(q) -> tuple:
    """((term, weight), ...) of a query that asks for any of some words (compounds among them),
    whatever characters it was typed with; () for one with phrases, fields or exclusions."""

    def word(child):
        return isinstance(child, wq.Term) and child.fieldname == DEFAULT_FIELD

    if not isinstance(q, wq.Or) or not all(
        word(child) or (isinstance(child, wq.And) and all(map(word, child.subqueries))) for child in q.subqueries
    ):
        return ()
    return tuple(
        (_term_text(leaf), leaf.boost if leaf is child else child.boost * leaf.boost)
        for child in q.subqueries
        for leaf in ([child] if word(child) else child.subqueries)
    )


def _term_text(leaf) -> str | None:
    text = getattr(leaf, "text", None)
    return text.decode() if isinstance(text, bytes) else text


def _scaled(q, factor: float):
    if q.is_leaf():
        q = q.copy()
        q.boost *= factor
        return q
    return q.apply(lambda child: _scaled(child, factor))


#: What an expansion (a curator's long form of an acronym, an equivalent word) counts beside the
#: word the user typed: enough to find documents that only use the expansion, little enough that
#: documents using the user's own word come first.
EXPANSION_WEIGHT = 0.3


def with_alternatives(parsed: ParsedQuery, alternatives: dict[str, list[str]]) -> tuple[ParsedQuery, list[str]]:
    """`parsed` with each positive word that has alternatives ({index term: [words or phrases]}) also
    matching them, a phrase as a phrase, at EXPANSION_WEIGHT; and the alternatives it added."""
    added: dict[str, None] = {}

    def expand(q):
        if isinstance(q, wq.Not):
            return q
        if isinstance(q, wq.AndNot):
            return wq.AndNot(expand(q.a), q.b)
        if not q.is_leaf():
            return q.apply(expand)
        text = _term_text(q) if isinstance(q, wq.Term) and q.fieldname == DEFAULT_FIELD else None
        extra = alternatives.get(text) if text is not None else None
        if not extra:
            return q
        added.update(dict.fromkeys(extra))
        return wq.Or([q, *(_alternative(words, q.boost * EXPANSION_WEIGHT) for words in extra)])

    if parsed.pubs is None or parsed.pubs is wq.NullQuery:
        return parsed, []
    pubs = expand(parsed.pubs)
    if not added:
        return parsed, []
    terms = parsed.terms | {term for words in added for term in analysis.index_terms(words).split()}
    all_words = wq.And(pubs.subqueries) if parsed.all_words is not None and isinstance(pubs, wq.Or) else None
    pages = wq.Or([wq.Term("text", term) for term in sorted(terms)])
    return replace(parsed, pubs=pubs, pages=pages, terms=frozenset(terms), all_words=all_words), list(added)


def _alternative(words: str, boost: float):
    terms = analysis.index_terms(words).split()
    if len(terms) == 1:
        return wq.Term(DEFAULT_FIELD, terms[0], boost=boost)
    return wq.Phrase(DEFAULT_FIELD, terms, boost=boost)
