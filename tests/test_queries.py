"""Queries mean what they say: phrases, exclusions, all/any words, and ranking of long reports."""
from __future__ import annotations

import math

import pytest

from indexer.build import build
from indexer.config import Settings
from indexer.search import InvalidRequest, SearchRequest, SearchService
from support import entry, make_pdf, write_catalog

FILLER = ("Providers describe their programmes, staff, governance, funding and partnerships with employers "
          "in the region, and list the courses they offer to adult learners each term.")

DOCS = {
    # The phrase stands on page 3 only; pages 1, 2 and 4 have some of its words.
    "half-life": ["Skills date quickly: some estimate a shelf life of ten years.",
                  "Three reasons why learners return after some years.",
                  "Technical skills have a half-life of roughly three years in fast-moving fields.",
                  "After three years, most graduates changed roles."],
    "badges": ["Digital badges and credentials for employers.", "Badges recognise short learning."],
    "credentials": ["Credentials for adult learners across Europe.", "Recognition of credentials by employers."],
    "neither": ["A study of apprenticeships in construction.", "Apprentices and employers."],
    # One report about stackability on a few pages; others name the word once in passing over many pages.
    "stack-report": [FILLER, "Stackability lets learners combine micro-credentials into a qualification.",
                     "Stackability needs shared credit values, and stackability rules across providers.",
                     "Designing for stackability: pathways, credit and recognition of stacked credentials.",
                     FILLER],
    **{f"passing-{n}": [FILLER] * 6 + [f"{FILLER} One annex mentions stackability once."] + [FILLER] * 5
       for n in range(4)},
}
AUTHORED = entry("authored", title="Annual review", authors=["Ada Lovelace"], summary="Portfolios of evidence.",
                 year=2020, regions=["Ireland"], type="report", section="report")


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    root = tmp_path_factory.mktemp("queries")
    files = root / "corpus" / "files"
    files.mkdir(parents=True)
    entries = [AUTHORED]
    for doc_id, pages in DOCS.items():
        (files / f"{doc_id}.pdf").write_bytes(make_pdf(pages))
        entries.append(entry(doc_id, title=f"Report {doc_id.replace('-', ' ')}", year=2021, regions=["Europe"],
                             type="report", section="report", path=f"files/{doc_id}.pdf"))
    settings = Settings.from_env(catalog=root / "corpus" / "catalog.yaml", index=root / "index", cache=root / "cache")
    write_catalog(settings.catalog, entries)
    build(settings, progress=False, jobs=2)
    return SearchService(settings.index_dir)


def search(service, q, **args):
    return service.search(SearchRequest.from_args({"q": q, **args}))


def ids(result) -> set[str]:
    return {hit["id"] for hit in result["results"]}


def test_a_phrase_lists_only_the_pages_that_contain_it(service):
    [hit] = search(service, '"half-life of roughly three years"')["results"]
    assert [snippet["page"] for snippet in hit["snippets"]] == [3]
    assert hit["phrase_pages"] == 1 and hit["other_pages"] == 3
    doc = service.document("half-life", q='"half-life of roughly three years"')
    assert [snippet["page"] for snippet in doc["snippets"]] == [3]


def test_plain_words_list_every_page_with_any_of_them(service):
    [hit] = [h for h in search(service, "half-life roughly three years")["results"] if h["id"] == "half-life"]
    assert len(hit["snippets"]) == 3 and hit["other_pages"] is None


def test_a_lone_exclusion_finds_everything_without_the_word(service):
    everything = search(service, "", per_page="100")["total"]
    result = search(service, "-badge", per_page="100")
    assert "badges" not in ids(result) and result["total"] == everything - 1


def test_not_means_and_not(service):
    credential = ids(search(service, "credential", per_page="100"))
    without = ids(search(service, "credential NOT badge", per_page="100"))
    assert "badges" in credential and without == credential - {"badges"}
    assert ids(search(service, "credential -badge", per_page="100")) == without


@pytest.mark.parametrize("q", ["NOT NOT a", "NOT", "-", "--x", "(((", "title:", '"', "a AND"])  # "* NOT *": test_query_limits
def test_odd_syntax_never_fails(service, q):
    result = search(service, q)
    assert result["total"] >= 0


def test_several_words_say_how_many_have_all_of_them_and_match_all_shows_only_those(service):
    anywords = search(service, "credentials employers")
    assert anywords["total"] > anywords["all_words_total"] >= 2
    allwords = search(service, "credentials employers", match="all")
    assert allwords["total"] == anywords["all_words_total"] and allwords["all_words_total"] is None
    assert {"badges", "credentials"} <= ids(allwords) and "neither" not in ids(allwords)
    assert ("match", "all") in SearchRequest.from_args({"q": "x", "match": "all"}).to_args()
    with pytest.raises(InvalidRequest, match="match must be one of"):
        SearchRequest.from_args({"match": "some"})


def test_matched_words_are_marked_in_titles_and_metadata_matches_say_where(service):
    [hit] = search(service, "stackability report")["results"][:1]
    assert "<mark>report</mark>" in hit["title_html"].lower()
    [authored] = search(service, "lovelace portfolios")["results"]
    assert authored["id"] == "authored" and set(authored["matched_in"]) == {"authors", "summary"}
    assert search(service, "<b>")["query"] == "<b>"


def test_a_report_about_the_topic_outranks_reports_that_mention_it_in_passing(service):
    result = search(service, "stackability")
    assert result["results"][0]["id"] == "stack-report"
    assert {f"passing-{n}" for n in range(4)} <= ids(result)


def test_snippets_stay_right_when_the_cache_is_full(service, monkeypatch):
    from cachetools import LRUCache

    snap = service._current()
    monkeypatch.setattr(snap, "snippets", LRUCache(maxsize=3))
    first = search(service, "credentials employers")
    again = search(service, "badges employers")
    assert len(first["results"]) > 3 and len(again["results"]) > 3
    assert all("snippets" in hit for hit in again["results"])


@pytest.mark.parametrize("text, says", [
    ("skills have a half-life of roughly three years here", True),
    ("a half life, of roughly three years", True),            # punctuation and stop words between
    ("a half-life of nearly three years", False),             # another word between
    ("three years, roughly a half-life", False),              # the words, not in order
])
def test_a_page_says_a_phrase_only_with_its_words_in_order(text, says):
    from indexer import analysis, snippets

    phrase = tuple(analysis.terms("half-life of roughly three years", analysis.STOP_WORDS))
    assert snippets.says_phrase(text, phrase) is says


def test_a_phrase_with_a_micro_compound_is_found_however_it_is_spelled():
    from indexer import analysis
    from indexer.snippets import says_phrase

    phrase = tuple(analysis.terms("stackable micro-credentials", analysis.STOP_WORDS))
    assert says_phrase("Stackable micro credentials in Europe", phrase)
    assert says_phrase("stackable microcredentials", phrase)
    assert not says_phrase("stackable units and micro-credentials", phrase)


def test_a_word_said_again_weighs_one_plus_ln_n_whatever_punctuation_the_question_has():
    """A pasted question's brackets and colons are not syntax among plain words: they change no weight."""
    from indexer.engine.query import parse, parser

    asked = parse(parser(), "credentials for adults (credentials, badges): credentials")
    assert dict(asked.weights) == pytest.approx({"credenti": 1 + math.log(3), "adult": 1.0, "badg": 1.0})
    assert asked.weights == parse(parser(), "credentials for adults credentials badges credentials").weights


def test_punctuation_in_a_question_ranks_as_the_same_words_without_it(service):
    def scores(q):
        return [(hit["id"], round(hit["score"], 9)) for hit in service.search(SearchRequest(q=q))["results"]]

    assert scores("stackability: credentials (stackability), employers") == scores(
        "stackability credentials stackability employers"
    )
