"""A phrase is found in a page's stored index terms exactly where reading the page finds it.

Pages are indexed without positions; a phrase query's pages are those of its candidates (all the
words) whose stored terms hold the phrase (`analysis.phrase_in`). Reading the text instead
(`snippets.says_phrase`) is the definition: stop words and punctuation between words do not count,
a compound's part stands where the compound does. The two must never disagree.
"""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from indexer import analysis
from indexer.snippets import says_phrase

#: Words that make compounds, parts, stems, folds, stop words and dotted words happen.
WORDS = """
    micro Micro credential credentials micro-credentials microcredential nano degree badges small and the
    of a Éducation education 3.5 e.g studies study stackable MICRO macro-level level x
""".split()
SEPARATORS = [" ", "  ", ", ", ". ", "\n", "-", " - ", " (", ") ", "; "]

texts = st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), min_size=1, max_size=30).map(
    lambda parts: "".join(word + separator for word, separator in parts)
)
phrases = st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(
    lambda words: tuple(analysis.terms(" ".join(words), analysis.STOP_WORDS))
)


@settings(max_examples=3000, deadline=None)
@given(text=texts, phrase=phrases)
def test_stored_terms_hold_a_phrase_exactly_where_the_text_does(text, phrase):
    assert analysis.phrase_in(analysis.index_terms(text), phrase) is says_phrase(text, phrase)


@settings(max_examples=1000, deadline=None)
@given(text=texts, data=st.data())
def test_every_run_of_a_texts_own_terms_is_a_phrase_it_holds(text, data):
    """Phrases cut from the text itself (so the answer is mostly yes), parts included."""
    terms = [term for term in analysis.index_terms(text).split(" ") if term]
    start = data.draw(st.integers(0, max(0, len(terms) - 1)))
    cut = tuple(term.lstrip(analysis.PART_MARK) for term in terms[start : start + data.draw(st.integers(1, 4))])
    assert analysis.phrase_in(analysis.index_terms(text), cut) is says_phrase(text, cut)


def test_a_phrase_is_whole_terms_in_order():
    terms = analysis.index_terms("Stackable micro-credentials, and smaller badges")
    assert analysis.phrase_in(terms, ("stackabl", "microcredenti"))
    assert analysis.phrase_in(terms, ("stackabl", "micro"))  # the part stands where its compound does
    assert not analysis.phrase_in(terms, ("microcredenti", "stackabl"))
    assert not analysis.phrase_in(terms, ("stack", "microcredenti"))  # not a prefix of a term
    assert not analysis.phrase_in(terms, ("credenti",))  # not the end of a compound
    assert not analysis.phrase_in(terms, ())
