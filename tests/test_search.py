"""The search logic shared by the CLI and the web app, over a small collection with known contents."""
from __future__ import annotations

import pytest

from indexer.build import build
from indexer.config import Settings
from indexer.search import InvalidRequest, SearchRequest, SearchService
from support import entry, make_pdf, write_catalog

DOCS = [
    # id, year, regions, type, section, pages
    ("au-stack", 2023, ["Australia"], "report", "report",
     ["Introduction to the national framework", "The stackability of micro-credentials in Australia"]),
    ("au-quality", 2021, ["Australia", "New Zealand"], "framework", "policy",
     ["Quality assurance for short courses", "Providers must publish learning outcomes"]),
    ("eu-council", 2022, ["Europe"], "framework", "policy",
     ["Council recommendation on a European approach", "Stackable units and portability across borders"]),
    ("ca-survey", 2022, ["Canada"], "survey", "report", ["A survey of colleges in Ontario about digital badges"]),
    ("global-blog", 2020, ["International"], "commentary", "article",
     ["Hype or hope: are micro-credentials a passing fad? <script>alert('x')</script> learning outcomes"]),
]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    root = tmp_path_factory.mktemp("search")
    files = root / "corpus" / "files"
    files.mkdir(parents=True)
    entries = []
    for doc_id, year, regions, type_, section, pages in DOCS:
        (files / f"{doc_id}.pdf").write_bytes(make_pdf(pages))
        entries.append(entry(doc_id, title=f"Publication {doc_id}", year=year, regions=regions, type=type_,
                             section=section, path=f"files/{doc_id}.pdf"))
    entries.append(entry("hostile", title="<img src=x onerror=alert(1)> Hostile title", year=2019,
                         regions=["Ireland"], type="report", section="report"))
    settings = Settings.from_env(catalog=root / "corpus" / "catalog.yaml", index=root / "index", cache=root / "cache")
    write_catalog(settings.catalog, entries)
    build(settings, progress=False, jobs=2)
    return SearchService(settings.index_dir)


def run(service, **args):
    return service.search(SearchRequest.from_args(args))


def ids(result) -> list[str]:
    return [hit["id"] for hit in result["results"]]


def counts(result, facet) -> dict:
    return {v["value"]: v["count"] for v in result["facets"][facet]}


def test_an_empty_query_browses_everything_newest_first(service):
    result = run(service)
    assert result["total"] == 6
    assert [h["year"] for h in result["results"]] == sorted((h["year"] for h in result["results"]), reverse=True)
    assert counts(result, "year") == {2023: 1, 2022: 2, 2021: 1, 2020: 1, 2019: 1}
    assert counts(result, "regions")["Australia"] == 2
    assert counts(result, "section") == {"policy": 2, "report": 3, "article": 1}


def test_stemming_finds_related_forms_and_counts_follow_the_query(service):
    result = run(service, q="stackable")
    assert set(ids(result)) == {"au-stack", "eu-council"}
    assert counts(result, "regions") == {"Australia": 1, "Europe": 1}
    assert counts(result, "type") == {"report": 1, "framework": 1}


def test_values_of_one_facet_are_ORed_and_facets_are_ANDed(service):
    either = run(service, region=["Australia", "Canada"])
    assert set(ids(either)) == {"au-stack", "au-quality", "ca-survey"}
    both = run(service, region=["Australia", "Canada"], type=["framework"])
    assert ids(both) == ["au-quality"]
    # The region facet's counts ignore its own selection, so other regions stay choosable...
    assert counts(both, "regions")["Europe"] == 1
    # ...but respect the other facets' selections.
    assert counts(both, "regions")["Canada"] == 0, "a selected value stays listed"
    assert {v["value"] for v in both["facets"]["regions"] if v["selected"]} == {"Australia", "Canada"}


def test_a_multi_region_publication_counts_once_in_each_region(service):
    result = run(service, region=["New Zealand"])
    assert ids(result) == ["au-quality"]
    assert counts(run(service), "regions")["New Zealand"] == 1


def test_year_range_and_year_values(service):
    assert set(ids(run(service, year_from="2021", year_to="2022"))) == {"au-quality", "eu-council", "ca-survey"}
    assert set(ids(run(service, year=["2020", "2023"]))) == {"au-stack", "global-blog"}
    ranged = run(service, year_from="2022")
    assert set(counts(ranged, "year")) == {2022, 2023}


def test_sorting(service):
    assert [h["year"] for h in run(service, sort="oldest")["results"]] == [2019, 2020, 2021, 2022, 2022, 2023]
    titles = [h["title"] for h in run(service, sort="title")["results"]]
    assert titles == sorted(titles, key=str.casefold)
    assert run(service, q="outcomes", sort="newest")["results"][0]["id"] == "au-quality"


def test_paging_keeps_the_total(service):
    first, second, beyond = (run(service, per_page="4", page=str(n)) for n in (1, 2, 3))
    assert (first["total"], first["pages"], len(first["results"]), len(second["results"])) == (6, 2, 4, 2)
    assert not set(ids(first)) & set(ids(second))
    assert beyond["results"] == [] and beyond["total"] == 6


def test_snippets_say_which_page_and_mark_the_words(service):
    hit = run(service, q="stackability")["results"][0]
    assert hit["id"] == "au-stack"
    assert hit["snippets"][0]["page"] == 2
    assert "<mark>stackability</mark>" in hit["snippets"][0]["html"]


def test_query_syntax_phrases_exclusion_or_and_fields(service):
    assert ids(run(service, q='"learning outcomes"')) != []
    assert set(ids(run(service, q='"learning outcomes"'))) == {"au-quality", "global-blog"}
    assert set(ids(run(service, q="outcomes -hype"))) == {"au-quality"}
    assert set(ids(run(service, q="badges OR portability"))) == {"ca-survey", "eu-council"}
    assert ids(run(service, q="title:ca-survey")) == ["ca-survey"]


def test_metadata_only_publications_are_found_and_marked(service):
    hit = run(service, q="hostile")["results"][0]
    assert hit["id"] == "hostile" and hit["full_text"] is False and hit["snippets"] == []


def test_snippet_html_is_escaped_except_the_marks(service):
    html = run(service, q="fad")["results"][0]["snippets"][0]["html"]
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<mark>fad</mark>" in html


@pytest.mark.parametrize("query", ['"unbalanced', "stray: colons:", "*", "(((", "title:", "AND", "NOT OR",
                                   "a" * 900, "<script>alert(1)</script>", "micro-credentials?", "~^[]{}",
                                   "year:[2020 TO", "what is the future of micro-credentials?"])
def test_odd_queries_never_raise(service, query):
    result = run(service, q=query)
    assert isinstance(result["total"], int)
    assert result["message"] is None or isinstance(result["message"], str)


def test_a_question_mark_is_punctuation_not_a_wildcard(service):
    assert "au-stack" in ids(run(service, q="what about stackability?"))


@pytest.mark.parametrize("args, message", [
    ({"year": "abc"}, "year must be a whole number"),
    ({"page": "-1"}, "page must be between 1"),
    ({"per_page": "100000"}, "per_page must be between 1 and 100"),
    ({"sort": "random"}, "sort must be one of"),
    ({"type": "pamphlet"}, "unknown type 'pamphlet'"),
    ({"section": "<b>"}, "unknown section"),
    ({"region": "Atlantis"}, "unknown region"),
    ({"q": "x" * 5000}, "q is too long"),
])
def test_invalid_parameters_are_refused_with_a_reason(args, message):
    with pytest.raises(InvalidRequest, match=message):
        SearchRequest.from_args(args)


def test_a_request_round_trips_through_its_url_parameters():
    req = SearchRequest(q="stack", filters={"year": (2021, 2022), "regions": ("Canada",), "type": ("report",)},
                        year_from=2020, sort="newest", page=3, per_page=50)
    args = req.to_args()
    multi = {}
    for key, value in args:
        multi.setdefault(key, []).append(value)
    assert SearchRequest.from_args(multi) == req
    assert ("page", "1") not in req.to_args(page=1)


def test_documents_and_similar_publications(service):
    doc = service.document("au-stack", q="stackability")
    assert doc["pages"] == 2 and doc["snippets"][0]["page"] == 2
    assert service.document("nope") is None
    similar = [d["id"] for d in service.similar("au-stack")]
    assert similar and "au-stack" not in similar


def test_overview_counts_the_whole_collection(service):
    overview = service.overview()
    assert overview["publications"] == 6
    assert (overview["full_text"], overview["metadata_only"]) == (5, 1)
    assert overview["failures"][0]["id"] == "hostile"
