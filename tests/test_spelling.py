"""Spelling help: "did you mean" corrections and search-box completions, through the search service,
the JSON API and the search page, over a small collection whose words are known."""
from __future__ import annotations

import json

import pytest

from indexer import spelling
from indexer.search import SearchRequest, SearchService
from web_world import Pub, page, query_of, result_ids, served_world
from webapp import create_app

# Each key word appears on several pages, so it is a word the collection uses, not a one-off.
PUBLICATIONS = [
    Pub("rpl-guide", "Recognition of prior learning for micro-credentials", 2023, "policy", "framework", ["Europe"],
        pages=["Recognition of prior learning lets adults turn what they know into credentials.",
               "Recognition of prior learning and stackability of micro-credentials in Europe."]),
    Pub("stack-report", "Stackability of micro-credentials in higher education", 2022, "report", "report",
        ["Australia"], pages=["Stackability means credentials add up to a degree.",
                              "Stackability across providers needs shared credit rules."]),
    Pub("badges-survey", "Digital badges and microcredentials", 2021, "report", "survey", ["Canada"],
        pages=["Digital badges are credentials issued online.", "Microcredentials and badges for employers."]),
    Pub("council", "Council recommendation on micro credentials", 2022, "policy", "framework", ["Europe"],
        pages=["Member states should support micro credentials and their portability.",
               "Portability of credentials across borders. " * 30]),
    Pub("typo", "A note on credit transfer", 2019, "article", "commentary", ["Ireland"],
        pages=["Credit transfer and portabilty (sic) between providers."]),
    Pub("quality", "Quality assurance of short courses", 2020, "report", "report", ["Ireland"],
        pages=["Quality assurance of short courses and of credentials.", "Quality reviews every five years."]),
]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with served_world(tmp_path_factory.mktemp("spelling"), PUBLICATIONS) as world:
        yield world


@pytest.fixture(scope="module")
def service(world):
    return SearchService(world.settings.index_dir)


@pytest.fixture(scope="module")
def client(world):
    return create_app(world.settings, TESTING=True).test_client()


def search(service, q: str, **options) -> dict:
    return service.search(SearchRequest(q=q), **options)


# ---------------------------------------------------------------- did you mean


@pytest.mark.parametrize("typed, meant", [
    ("credentails", "credentials"),
    ("stackabilty", "stackability"),
])
def test_a_query_finding_nothing_shows_the_results_of_its_correction(service, typed, meant):
    result = search(service, typed)
    assert (result["suggestion"], result["original_query"], result["query"]) == (meant, typed, meant)
    assert result["total"] and result["total"] == search(service, meant)["total"]


def test_a_query_finding_something_is_answered_as_written_with_the_correction_beside_it(service):
    typed = "recogntion of prior lerning"
    result = search(service, typed)
    assert result["total"] and (result["query"], result["original_query"]) == (typed, None)
    assert result["suggestion"] == "recognition of prior learning"


def test_spell_off_keeps_the_words_as_written_and_still_suggests(service):
    result = search(service, "credentails", correct=False)
    assert (result["total"], result["query"], result["original_query"]) == (0, "credentails", None)
    assert result["suggestion"] == "credentials"


def test_a_query_finding_enough_gets_no_suggestion(service):
    result = search(service, "credentials")
    assert result["total"] >= spelling.FEW_RESULTS
    assert (result["suggestion"], result["original_query"]) == (None, None)


def test_a_word_the_collection_lacks_is_suggested_even_when_the_other_words_find_plenty(service):
    assert search(service, "micro-credentials")["total"] >= spelling.FEW_RESULTS
    result = search(service, "micro-credentials credentails")
    assert (result["suggestion"], result["original_query"]) == ("micro-credentials credentials", None)


def test_a_rare_word_of_a_query_finding_little_gets_a_suggestion_beside_its_own_results(service):
    result = search(service, "portabilty")
    assert [hit["id"] for hit in result["results"]] == ["typo"]
    assert (result["suggestion"], result["original_query"]) == ("portability", None)


def test_words_without_a_close_known_word_are_left_alone(service):
    result = search(service, "zyxwvut")
    assert (result["total"], result["suggestion"], result["original_query"]) == (0, None, None)


@pytest.mark.parametrize("typed, meant", [
    ("micro credentails", "micro credentials"),
    ("micro-credentails", "micro-credentials"),
    ("microcredentails", "microcredentials"),
])
def test_a_micro_compound_is_corrected_as_the_user_wrote_it(service, typed, meant):
    assert search(service, typed)["suggestion"] == meant


def test_query_syntax_and_known_words_survive_a_correction(service):
    assert search(service, 'title:stackabilty -badges "prior lerning"')["suggestion"] == \
        'title:stackability -badges "prior learning"'


def test_the_build_stores_the_vocabulary_and_a_stale_one_is_counted_again(world, service, tmp_path):
    version = service.root.current()
    stored = json.loads((version / spelling.VOCABULARY_FILE).read_text())
    assert stored["counts"]["stackability"] >= 4 and stored["forms"]["microcredentials"] == "micro-credentials"
    # A vocabulary of another generation (an older build) is not trusted: the texts are counted again.
    (version / spelling.VOCABULARY_FILE).write_text(json.dumps({**stored, "generation": [0, 0],
                                                                "counts": {"stackabilty": 99}}))
    assert search(SearchService(world.settings.index_dir), "stackabilty")["suggestion"] == "stackability"


# ---------------------------------------------------------------- completion


def test_completion_offers_frequent_words_then_titles(service):
    found = service.completions("stac")
    assert found[0] == "stackability"
    assert "Stackability of micro-credentials in higher education" in found
    assert len(found) <= spelling.MAX_COMPLETIONS


def test_completion_completes_the_last_word_of_a_phrase_and_titles_with_all_the_words(service):
    found = service.completions("recognition of pri")
    assert found[0] == "recognition of prior"
    assert "Recognition of prior learning for micro-credentials" in found


def test_completion_offers_a_compound_as_the_texts_write_it(service):
    assert service.completions("micro")[0] == "micro-credentials"


@pytest.mark.parametrize("text", ["", "   ", "stac ", "zzzz"])
def test_nothing_to_complete_gives_an_empty_list(service, text):
    assert service.completions(text) == []


# ---------------------------------------------------------------- the API and the page


def test_api_suggest_returns_a_bounded_json_list(client):
    response = client.get("/api/suggest?q=stac")
    assert response.status_code == 200 and response.is_json
    assert response.get_json()[0] == "stackability"
    assert client.get("/api/suggest?q=" + "x" * 1001).status_code == 400


def test_api_search_reports_the_correction_and_spell_off_runs_the_words_as_written(client):
    corrected = client.get("/api/search?q=credentails").get_json()
    assert (corrected["suggestion"], corrected["original_query"]) == ("credentials", "credentails")
    assert corrected["total"] > 0
    exact = client.get("/api/search?q=credentails&spell=off").get_json()
    assert (exact["total"], exact["suggestion"], exact["original_query"]) == (0, "credentials", None)
    bad = client.get("/api/search?q=credentails&spell=maybe")
    assert bad.status_code == 400 and "spell" in bad.get_json()["error"]


def test_the_page_shows_results_for_the_correction_with_a_way_back_to_the_words_as_written(client):
    corrected = page(client, "/?q=credentails")
    assert "Showing results for credentials — search instead for credentails" in corrected.text
    assert result_ids(corrected) and corrected.all("input", id="q")[0]["value"] == "credentials"
    instead = corrected.href("credentails")
    assert ("spell", "off") in query_of(instead) and ("q", "credentails") in query_of(instead)
    exact = page(client, instead)
    assert not result_ids(exact)
    assert "Did you mean credentials" in exact.text
    assert query_of(exact.href("credentials")) == [("q", "credentials")]


def test_the_search_box_is_a_plain_field_until_script_makes_it_a_combobox(client):
    box = page(client, "/").all("input", id="q")[0]
    assert "role" not in box and box["data-suggest"] == "/api/suggest"
    assert page(client, "/").all("ul", id="q-suggestions")[0]["role"] == "listbox"
