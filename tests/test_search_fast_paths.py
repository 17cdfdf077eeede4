"""The fast paths of a search answer exactly what the plain way of reading the index answers.

Feedback's word weights from cached term vectors summed as arrays, collection frequencies kept per
reader, matches scored by walking the matcher or from the words' postings as arrays: each against
Whoosh's own public way of reading the same thing, on a small collection; and the caches never
outlive the index generation.
"""
from __future__ import annotations

from collections import Counter

import pytest
from whoosh import query as wq

from indexer import engine
from indexer.build import build
from indexer.config import Settings
from indexer.engine import postings
from indexer.engine.internals import TermTable, term_table, walked_scores
from indexer.layout import IndexRoot
from tests.support import entry, write_catalog

TEXTS = {
    "a": "Solar panels on a roof feed an inverter. Solar panels need a roof.",
    "b": "An inverter for solar panels; a roof mount for the panels.",
    "c": "Wind turbines feed an inverter too, and a grid.",
    "d": "Kitchen cabinets, a roof over the kitchen, solar lamps.",
    "e": "Tides, moons, glaciers and bees: words once each.",
}


def _catalog(root, texts: dict[str, str]) -> Settings:
    files = root / "files"
    files.mkdir(exist_ok=True)
    entries = []
    for doc_id, text in texts.items():
        (files / f"{doc_id}.txt").write_text(text, encoding="utf-8")
        entries.append(entry(doc_id, title="Note", path=f"files/{doc_id}.txt"))
    write_catalog(root / "catalog.yaml", entries)
    return Settings.from_env(catalog=root / "catalog.yaml", index=root / "index", cache=root / "cache")


@pytest.fixture()
def settings(tmp_path) -> Settings:
    made = _catalog(tmp_path, TEXTS)
    build(made, full=True, progress=False)
    return made


def _reader(settings: Settings) -> engine.Reader:
    return engine.Reader(IndexRoot(settings.index_dir, engine.SCHEMA).current())


def _plain_weights(reader, trusted) -> list[tuple[str, float]]:
    """What the table must answer, read with Whoosh's public `vector_as`, summed document by document."""
    found = Counter()
    for docnum, trust in trusted:
        found.update({term: freq * trust for term, freq in reader.vector_as("weight", docnum, "text")})
    return sorted(((t, w) for t, w in found.items() if w > 0), key=lambda item: (-item[1], item[0]))


def _trusted(reader) -> list[tuple[int, float]]:
    # uneven trusts, one so small that its words weigh 0 (e^-800), and a document twice
    docs = [d for d in range(reader.doc_count_all()) if reader.has_vector(d, "text")]
    trusts = [1.0, 0.7310585786300049, 0.1353352832366127, 0.0, 0.36787944117144233]
    return [(d, trusts[i % len(trusts)]) for i, d in enumerate(docs)] + [(docs[0], 0.5)]


def test_word_weights_are_the_sums_of_the_vectors_heaviest_first_ties_by_word(settings, monkeypatch):
    reader = _reader(settings).pubs.reader()
    trusted = _trusted(reader)
    expected = _plain_weights(reader, trusted)
    assert len({w for _, w in expected}) < len(expected)  # ties, broken by the word
    table = TermTable(reader, "text")
    assert list(table.weighted(trusted)) == expected
    assert list(table.weighted(trusted)) == expected  # from the cached vectors
    for first_round in (1, 2, 3):  # rounds that cut through ties
        monkeypatch.setattr(TermTable, "FIRST_ROUND", first_round)
        assert list(table.weighted(trusted)) == expected
    assert list(table.weighted(trusted[:1])) == _plain_weights(reader, trusted[:1])
    assert list(table.weighted([])) == []


def test_a_table_over_its_bounds_starts_again_and_answers_the_same(settings):
    reader = _reader(settings).pubs.reader()
    trusted = _trusted(reader)
    table = TermTable(reader, "text", max_terms=3, max_postings=4)
    for _ in range(3):
        for one in trusted:
            assert list(table.weighted([one])) == _plain_weights(reader, [one])
        assert list(table.weighted(trusted)) == _plain_weights(reader, trusted)
        assert len(table._terms) <= 3 + sum(1 for _ in reader.lexicon("text"))
        assert table._vectors.currsize <= 4


def test_collection_frequencies_are_read_once_per_generation(settings, tmp_path):
    old = _reader(settings)
    old_table = term_table(old.pubs.reader(), "text")
    before = old.pubs.reader().frequency("text", "solar")
    assert old_table.frequency("solar") == before > 0
    assert old_table.frequency("nowhere") == 0
    _catalog(tmp_path, {**TEXTS, "f": "Solar solar solar: a page about nothing else but solar."})
    build(settings, full=False, progress=False)
    new = _reader(settings)
    assert new.up_to_date() and not old.up_to_date()
    new_table = term_table(new.pubs.reader(), "text")
    assert new_table is not old_table
    assert new_table.frequency("solar") == new.pubs.reader().frequency("text", "solar") > before
    assert old_table.frequency("solar") == before  # the old reader's answers stay its generation's
    assert term_table(new.pubs.reader(), "text") is new_table


WORDS = [["solar"], ["solar", "roof", "inverter"], ["kitchen", "nowhere"], ["nowhere"]]


def _or(words):
    return wq.Or([wq.Term("text", word, boost=1.0 + i / 3) for i, word in enumerate(words)])


@pytest.mark.parametrize("scored", [walked_scores, postings.match_scores])
@pytest.mark.parametrize("words", WORDS)
def test_every_match_is_scored_to_the_bit_as_whoosh_search_scores_it(settings, words, scored):
    searcher = _reader(settings).pubs
    query = _or(words)
    expected = {hit.docnum: hit.score for hit in searcher.search(query, limit=None)}
    assert list(scored(searcher, query)) == sorted(expected.items())  # in index order
    among = set(list(expected)[::2])
    assert dict(scored(searcher, query, among=among)) == {
        d: s for d, s in expected.items() if d in among
    } == {hit.docnum: hit.score for hit in searcher.search(query, limit=None, filter=among)}


def test_postings_skip_what_a_later_build_deleted_and_read_every_segment(settings, tmp_path):
    """An incremental build leaves the replaced document deleted in the old segment and adds a new one."""
    _catalog(tmp_path, {**TEXTS, "a": "Nothing about the sun here: kitchens only.", "f": "Solar roof, solar inverter."})
    build(settings, full=False, progress=False)
    searcher = _reader(settings).pubs
    assert len(searcher.leaf_searchers()) > 1 and searcher.reader().has_deletions()
    for words in WORDS:
        query = _or(words)
        assert list(postings.match_scores(searcher, query)) == sorted(
            (hit.docnum, hit.score) for hit in searcher.search(query, limit=None)
        )
        every = wq.And([wq.Term("text", word) for word in words])
        assert postings.all_words(every) is not None
        assert set(postings.scores(searcher, [], None, postings.all_words(every))[0].tolist()) == set(
            searcher.docs_for_query(every)
        )


def test_postings_over_their_bound_answer_the_same(settings, monkeypatch):
    monkeypatch.setattr(postings, "MAX_POSTINGS", 2)
    searcher = _reader(settings).pubs
    for _ in range(2):
        for words in WORDS:
            query = _or(words)
            assert dict(postings.match_scores(searcher, query)) == {
                hit.docnum: hit.score for hit in searcher.search(query, limit=None)
            }


def test_other_queries_are_not_read_from_postings():
    assert postings.flat_words(wq.Phrase("text", ["solar", "roof"])) is None
    assert postings.flat_words(wq.Or([wq.Term("text", "solar"), wq.Phrase("text", ["solar", "roof"])])) is None
    assert postings.flat_words(wq.Or([wq.Term("text", "solar")], boost=2.0)) is None
    assert postings.all_words(wq.And([wq.Term("text", "solar"), wq.Or([wq.Term("text", "roof")])])) is None


@pytest.mark.parametrize("query", [
    wq.Term("id", "a"),
    wq.Or([wq.Term("id", "a"), wq.Term("id", "c")]),
    wq.Or([wq.Term("text", "solar"), wq.Term("id", "c")]),
    wq.Term("nowhere", "solar"),
])
def test_words_of_fields_bm25_does_not_score_are_scored_as_whoosh_scores_them(settings, query):
    """An id, a year or a facet value typed as `field:value` is walked through Whoosh's matcher."""
    searcher = _reader(settings).pubs
    expected = sorted((hit.docnum, hit.score) for hit in searcher.search(query, limit=None))
    assert list(postings.match_scores(searcher, query)) == expected
    every = wq.And([wq.Term("id", "a"), wq.Term("text", "solar")])
    assert _reader(settings).matching_ids(every) == {"a"}
