"""A hit is a token whose term is one of the query's terms: the property, for generated texts and queries.

Texts are made of words whose meaning is known in advance (each spelling of a word names its
concept: "city" and "Cities", "Éducation" and "education", the six spellings of micro-credential),
queries of some concepts in any of their spellings, parsed by the engine's real query parser. Then
exactly the words of the queried concepts must be marked, in a snippet, a result's title and the
reading view, and no other word.
"""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer import engine, search
from indexer.snippets import highlight, passages, snippet

#: Spellings by concept; None: a stop word, never marked.
WORDS = {
    "city": ["city", "cities", "City", "CITY"],
    "copy": ["copy", "copies", "Copy"],
    "duty": ["duty", "duties"],
    "education": ["éducation", "Éducation", "education"],
    "maori": ["Māori", "maori", "MĀORI"],
    "wananga": ["Wānanga", "wananga"],
    "microcredential": ["micro-credential", "micro-credentials", "micro credential", "micro credentials",
                        "microcredential", "microcredentials", "Micro-Credentials", "MICRO CREDENTIALS"],
    "credential": ["credential", "credentials"],
    "smart": ["smart", "Smart"],
    None: ["the", "and", "of", "AND", "OR", "a"],
}
SEPARATORS = [" ", ", ", ". ", "\n", " (", ") ", " — ", "; "]
CONCEPTS = [concept for concept in WORDS if concept]

word = st.sampled_from([(concept, spelling) for concept, spellings in WORDS.items() for spelling in spellings])
texts = st.lists(st.tuples(word, st.sampled_from(SEPARATORS)), min_size=1, max_size=40)


@pytest.fixture(scope="module")
def reader(tmp_path_factory):
    """An empty index: the query parser does not depend on what is indexed."""
    version = tmp_path_factory.mktemp("parser")
    engine.create(version)
    reader = engine.Reader(version)
    yield reader
    reader.close()


def _text(parts) -> tuple[str, list[tuple[str, str]]]:
    return "".join(spelling + separator for (_, spelling), separator in parts), [pair for pair, _ in parts]


def _marked(html_text: str) -> list[str]:
    import html
    return [html.unescape(found) for found in re.findall(r"<mark>(.*?)</mark>", html_text, re.DOTALL)]


def _expected(words: list[tuple[str, str]], queried: set[str]) -> list[str]:
    return [spelling for concept, spelling in words if concept in queried]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=texts, query=st.lists(st.tuples(st.sampled_from(CONCEPTS), st.integers(0, 7)), min_size=1, max_size=4),
       capitals=st.booleans())
def test_exactly_the_words_of_the_query_are_marked_everywhere(reader, parts, query, capitals):
    text, words = _text(parts)
    spellings = [WORDS[concept][i % len(WORDS[concept])] for concept, i in query]
    q = " ".join(spellings)
    q = q.upper() if capitals else q.lower()
    queried = {concept for concept, _ in query}
    terms = reader.parse(q).terms
    expected = _expected(words, queried)

    assert _marked(highlight(text, terms)) == expected, "the reading view"
    assert _marked(snippet(text, terms, width=10 * len(text) + 10)) == expected, "a snippet with room for all"
    record = {"id": "x", "title": text, "year": 2020, "section": "report", "type": "report", "regions": [],
              "full_text": True}
    assert _marked(search._public(record, 0.0, [], terms)["title_html"]) == expected, "a result's title"
    shown = snippet(text, terms)
    assert bool(shown) == bool(expected) and set(_marked(shown)) <= set(expected), "a short snippet"


@settings(max_examples=100, deadline=None)
@given(parts=texts, concept=st.sampled_from(CONCEPTS))
def test_passages_each_show_hits_and_the_first_is_the_snippet(parts, concept):
    from indexer import analysis

    text, words = _text(parts)
    terms = frozenset(analysis.terms(WORDS[concept][0], analysis.STOP_WORDS))
    found = passages(text, terms, width=40, limit=3)
    assert bool(found) == any(c == concept for c, _ in words) and len(found) <= 3
    assert all(_marked(passage) for passage in found)
    assert found[:1] == ([snippet(text, terms, width=40)] if found else [])
