"""One analysis for every word: the collection's own keyword, accented and short-stemmed words, the
capitals rule, phrases, trends and rare-word spelling agree on the search page, the API, the reading
view, trends and completions, over a small collection whose words are counted by hand."""
from __future__ import annotations

import json
import re

import pytest
from web_world import Pub, page, query_of, result_ids, served_world

from indexer import analysis
from indexer.search import SearchRequest, SearchService
from webapp import create_app

PUBLICATIONS = [
    Pub("hyphen", "Micro-credentials for adult learners", 2021, "report", "report", ["Europe"],
        pages=["Micro-credential design and digital badges for adult learners."]),
    Pub("spaced", "Micro credentials in the smart city", 2022, "report", "report", ["Europe"],
        pages=["A smart city needs micro credentials.", "Copy the duty roster for the city council."]),
    Pub("joined", "Microcredentials and Māori learners", 2022, "policy", "policy", ["New Zealand"],
        pages=["Wānanga and Māori approaches to microcredential design. Éducation permanente."]),
    Pub("plain", "Credentials without a compound", 2021, "report", "report", ["Ireland"],
        pages=["Credentials for the city, its smart grid and the copy desk. Digital badges, digital records."]),
    Pub("digital", "Digital records of learning", 2022, "report", "report", ["Ireland"],
        pages=["Digital wallets keep records of learning."]),
    Pub("badges", "Open badges", 2023, "report", "report", ["Europe"],
        pages=["Badges recognise short learning. The guardian role is called kaitiaki in one report."]),
]
#: Hand-counted: the publications holding both "digital" and "badges" (any order, any page), by year.
DIGITAL_BADGES = {"hyphen": 2021, "plain": 2021}
COMPOUND = {"hyphen", "spaced", "joined"}
SPELLINGS = ["micro-credential", "micro-credentials", "micro credential", "micro credentials",
             "microcredential", "microcredentials"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with served_world(tmp_path_factory.mktemp("analysis"), PUBLICATIONS) as world:
        yield world


@pytest.fixture(scope="module")
def service(world):
    return SearchService(world.settings.index_dir)


@pytest.fixture(scope="module")
def client(world):
    return create_app(world.settings, TESTING=True).test_client()


def search(service, q: str, **args) -> dict:
    return service.search(SearchRequest.from_args({"q": q, "per_page": "100", **args}))


def ids(data: dict) -> set[str]:
    return {hit["id"] for hit in data["results"]}


def marked(html_text: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", html_text)


# ---------------------------------------------------------------- the collection's own keyword


@pytest.mark.parametrize("q", SPELLINGS)
def test_the_six_spellings_find_and_mark_the_same_publications(service, q):
    data = search(service, q)
    assert ids(data) == COMPOUND, "no publication with 'credentials' alone"
    for hit in data["results"]:
        assert marked(hit["title_html"]), (hit["id"], hit["title_html"])
        assert hit["snippets"] and all(marked(s["html"]) for s in hit["snippets"])
    assert data["message"] is None and data["all_words_total"] is None, "one word, however written"


@pytest.mark.parametrize("q", SPELLINGS)
def test_the_six_spellings_agree_on_the_page_the_api_and_trends(client, q):
    assert set(result_ids(page(client, f"/?q={q}"))) == COMPOUND
    assert {hit["id"] for hit in client.get(f"/api/search?q={q}").get_json()["results"]} == COMPOUND
    trend = page(client, f"/trends?q={q}")
    assert f"– {len(COMPOUND)} publications" in trend.text


@pytest.mark.parametrize("typed", ["micro-cred", "micro cred", "microcred"])
def test_completions_of_any_spelling_find_the_compound_and_offer_one_form_of_each_word(client, service, typed):
    offered = json.loads(client.get(f"/api/suggest?q={typed}").get_data(as_text=True))
    words = [o for o in offered if o not in {pub.title for pub in PUBLICATIONS}]
    assert words, offered
    assert all(ids(search(service, o)) == COMPOUND for o in words), words
    terms = [" ".join(analysis.terms(o)) for o in words]
    assert len(terms) == len(set(terms)), f"singular and plural side by side: {words}"


def test_micro_alone_finds_the_compounds_as_a_word_part(service):
    data = search(service, "micro")
    assert ids(data) == COMPOUND
    assert all(marked(hit["title_html"]) == ["Micro"] for hit in data["results"])


def test_no_link_to_nothing_when_no_result_has_all_the_words(client, service):
    assert search(service, "wallets kaitiaki")["all_words_total"] == 0
    p = page(client, "/?q=wallets kaitiaki")
    assert "None of these contain all the words" in p.text and "Show only those" not in p.text


# ---------------------------------------------------------------- hits found are hits shown


@pytest.mark.parametrize("q, word", [("city", "city"), ("copy", "Copy"), ("duty", "duty"),
                                     ("education", "Éducation"), ("éducation", "Éducation")])
def test_words_with_short_or_accented_stems_are_marked_in_snippets_and_the_reading_view(service, q, word):
    data = search(service, q)
    assert data["results"]
    for hit in data["results"]:
        assert hit["snippets"], hit["id"]
        assert any(word.lower() in [m.lower() for m in marked(s["html"])] for s in hit["snippets"]) or \
            any(m.lower() == q.lower() for s in hit["snippets"] for m in marked(s["html"]))
    found = next(h for h in data["results"] if any(word in marked(s["html"]) for s in h["snippets"]))
    number = found["snippets"][0]["page"]
    assert word in marked(service.page(found["id"], number, q)["html"])


def test_titles_with_macrons_are_marked(service):
    # (The test PDFs' font has no macrons: texts with them are the property test's, test_hits_property.py.)
    for q in ("maori", "Māori", "MAORI"):
        [hit] = search(service, q)["results"]
        assert marked(hit["title_html"]) == ["Māori"]


def test_a_phrase_with_a_short_stem_finds_its_page(service):
    data = search(service, '"smart city"')
    hit = next(h for h in data["results"] if h["id"] == "spaced")
    assert hit["phrase_pages"] == 1 and [s["page"] for s in hit["snippets"]] == [1]
    assert marked(hit["snippets"][0]["html"]) == ["smart", "city"]


def test_a_quoted_phrase_keeps_the_question_words_the_index_keeps(service):
    # "its" is a question word: dropped from a query's words, kept in the index. A phrase copied
    # from a text (a title pasted in quotes) still matches it; dropping "its" made "city smart
    # grid", which no text says.
    [hit] = search(service, '"for the city, its smart grid"')["results"]
    assert hit["id"] == "plain" and hit["phrase_pages"] == 1
    assert search(service, '"city smart grid"')["total"] == 0
    unquoted = search(service, "its smart grid")["results"]
    assert [h["score"] for h in unquoted] == [h["score"] for h in search(service, "smart grid")["results"]]


# ---------------------------------------------------------------- the capitals rule


def test_a_query_in_capitals_is_plain_words_ranked_as_its_lower_case(service):
    shouted = search(service, "CITY AND KAITIAKI")
    assert shouted["total"] > 0, "AND in a query in capitals is a word, not a strict conjunction"
    assert [h["id"] for h in shouted["results"]] == [h["id"] for h in search(service, "city and kaitiaki")["results"]]
    assert [h["score"] for h in shouted["results"]] == [h["score"] for h in search(service, "city kaitiaki")["results"]]


def test_capital_operators_among_lower_case_words_stay_operators(service):
    assert ids(search(service, "city AND copy")) == {"spaced", "plain"}
    assert ids(search(service, "city NOT copy")) == ids(search(service, "city")) - {"spaced", "plain"}
    assert ids(search(service, "kaitiaki OR wallets")) == {"badges", "digital"}


# ---------------------------------------------------------------- trends


def test_a_trend_term_of_two_words_counts_publications_with_both(client):
    p = page(client, "/trends?q=digital badges")
    assert f"– {len(DIGITAL_BADGES)} publications" in p.text
    assert "2021 2 of 2 (100%)" in p.text and "2022 0 of 3 (0%)" in p.text
    assert "counts the publications with all of them" in p.text
    assert ("match", "all") in query_of(p.href("2")), "the count leads to the publications it counted"


def test_a_quoted_trend_term_counts_the_phrase(client):
    p = page(client, '/trends?q="digital badges"')
    assert "– 2 publications" in p.text
    assert "– 1 publication " in page(client, "/trends?q=badges learners").text + " "
    assert "– 0 publications" in page(client, '/trends?q="badges learners"').text


def test_split_by_a_facet_draws_every_term(client):
    p = page(client, "/trends?q=badges&q=digital&by=region")
    legend = p.text.split("Share of publications per year")[1]
    assert "Europe: badges" in legend and "Ireland: digital" in legend


# ---------------------------------------------------------------- spelling


def test_a_rare_word_is_offered_when_the_query_finds_nothing(service):
    data = search(service, "kaitaiki")
    assert data["suggestion"] == "kaitiaki" and data["original_query"] == "kaitaiki"
    assert ids(data) == {"badges"}



def test_a_word_is_what_the_documented_pattern_reads_on_every_short_text():
    """`analysis._WORD` is written not to backtrack; it must read exactly the words `\\w+(\\.?\\w+)*` does."""
    import itertools

    documented = re.compile(r"\w+(\.?\w+)*")
    for length in range(1, 7):
        for chars in itertools.product("a.é 1-", repeat=length):
            text = "".join(chars)
            assert [m.span() for m in analysis._WORD.finditer(text)] == [m.span() for m in documented.finditer(text)]


def test_a_texts_written_tokens_are_counted_as_reading_them_one_by_one_counts_them():
    """`analysis.surfaces` (what the spelling vocabulary counts) against the tokens themselves."""
    from collections import Counter

    from hypothesis import given, settings, strategies as st

    words = "micro Micro MICRO micro-credentials credentials nano degree and the a x 3.5 e.g Éducation macro level".split()
    separators = [" ", "  ", ", ", ". ", "\n", "-", " - ", "; ", "e."]
    texts = st.lists(st.tuples(st.sampled_from(words), st.sampled_from(separators)), max_size=30).map(
        lambda parts: "".join(word + separator for word, separator in parts)
    )

    @settings(max_examples=2000, deadline=None)
    @given(texts)
    def check(text):
        expected = Counter(token.surface for token in analysis.tokens(text, frozenset(), parts=False))
        assert analysis.surfaces(text) == expected

    check()
