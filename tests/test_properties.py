"""Hostile queries: whatever a visitor or a fuzzer sends, the answer is a result or a 400, never a 500.

Hypothesis draws random Unicode, query-syntax fragments (quotes, parentheses, AND/OR/NOT, +/-,
wildcards, ~, ^, field:, ranges), very long strings and garbage or out-of-range values for every
parameter, and sends them to request parsing, the search service and the web app's routes. Runs are
derandomized (the same examples every run, so CI is deterministic) and bounded in number.
"""
from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, event, given, settings, strategies as st

from indexer.facets import FACETS, InvalidRequest
from indexer.limits import QueryTooCostly
from indexer.search import MAX_QUERY_CHARS, SearchRequest, SearchService
from web_world import PUBLICATIONS, served_world
from webapp import SECURITY_HEADERS, create_app

DETERMINISTIC = settings(derandomize=True, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def fuzz(examples: int) -> settings:
    return settings(DETERMINISTIC, max_examples=examples)

#: Pieces of query syntax, valid and broken, that parsers trip over when combined.
SYNTAX = ['"', "'", "(", ")", "AND", "OR", "NOT", "and", "+", "-", "*", "?", "~", "~2", "^", "^3", ":", "title:",
          "year:", "regions:", "[", "]", "{", "}", "TO", "[2019 TO 2022]", "\\", "/", "&", "|", "!", "<", ">",
          "<script>", "%", "%00", "\x00", "\t", "\n", "\u200b", "\u202e", "é", "ﬁ", "İ", "𝔘", "😀", "٣"]
WORDS = ["micro-credentials", "stackable", "quality", "badges", "Europe", "the", "a", "C++", "learning"]

query_text = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(SYNTAX + WORDS), max_size=14).map(" ".join),
    st.lists(st.sampled_from(SYNTAX + WORDS), max_size=14).map("".join),
    st.builds(lambda piece, n: (piece + " ") * n, st.sampled_from(SYNTAX + WORDS),
              st.integers(MAX_QUERY_CHARS // 4, MAX_QUERY_CHARS)),   # near and past the length limit
)

#: Values that are almost numbers, are numbers out of range, or are not numbers at all.
odd_numbers = st.one_of(
    st.integers(-10**20, 10**20).map(str),
    st.sampled_from(["0", "-1", "1e3", "1.5", " 7 ", "٣", "²", "NaN", "inf", "0x10", "+5", "2_000", "", " "]),
    st.text(alphabet=string.digits + "-+. e", max_size=25),
)
VALID = {
    "sort": ["relevance", "newest", "oldest", "title", "added"], "match": ["any", "all"],
    "region": ["Europe", "Ireland", "International"], "type": ["report", "policy", "framework"],
    "section": ["policy", "report", "article"], "year": ["2020", "2022"], "language": ["en", "de"],
    "organisation": ["OECD", "UNESCO"], "by": ["region", "type", "year", "organisation"],
}
PARAMS = ["q", "sort", "match", "page", "per_page", "year_from", "year_to", "by", *(facet.param for facet in FACETS)]


def value_for(name: str):
    anything = st.one_of(st.text(max_size=30), odd_numbers, st.sampled_from(SYNTAX))
    valid = st.sampled_from(VALID.get(name, ["1", "2"]))
    if name == "q":
        return query_text
    return st.one_of(valid, valid, anything)


#: A GET query string's pairs: any parameter, repeated or not, plus an unknown one now and then.
query_args = st.lists(
    st.one_of(st.sampled_from(PARAMS).flatmap(lambda name: st.tuples(st.just(name), value_for(name))),
              st.tuples(st.text(max_size=10), st.text(max_size=10))),
    max_size=8)


def as_multidict(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    args: dict[str, list[str]] = {}
    for name, value in pairs:
        args.setdefault(name, []).append(value)
    return args


@given(query_args)
@fuzz(600)
def test_request_parsing_accepts_or_explains_and_round_trips(pairs):
    try:
        req = SearchRequest.from_args(as_multidict(pairs))
    except InvalidRequest as err:
        assert str(err)  # a message the 400 carries
        return
    assert 1 <= req.page and 1 <= req.per_page <= 100 and len(req.q) <= MAX_QUERY_CHARS
    assert SearchRequest.from_args(as_multidict(req.to_args())) == req   # links rebuild the same state


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with served_world(tmp_path_factory.mktemp("fuzz"), PUBLICATIONS) as world:
        yield world


@pytest.fixture(scope="module")
def service(world):
    return SearchService(world.settings.index_dir)


@pytest.fixture(scope="module")
def client(world):
    return create_app(world.settings, TESTING=True).test_client()


@given(query_args, st.booleans())
@fuzz(300)
def test_the_search_service_answers_every_valid_request(service, pairs, snippets):
    try:
        req = SearchRequest.from_args(as_multidict(pairs))
    except InvalidRequest:
        event("refused by parsing")
        return
    try:
        result = service.search(req, snippets=snippets)
    except QueryTooCostly:
        event("refused as too costly")
        return
    assert result["total"] >= len(result["results"]) and result["page"] == req.page


@given(st.one_of(st.sampled_from([p.id for p in PUBLICATIONS]), st.text(max_size=40)), query_text)
@fuzz(200)
def test_the_document_view_of_the_service_reads_any_query(service, doc_id, q):
    try:
        document = service.document(doc_id, q[:MAX_QUERY_CHARS])
    except QueryTooCostly:
        event("refused as too costly")
        return
    assert document is None or document["id"] == doc_id


ROUTES = ["/", "/api/search", "/export.csv", "/export.ris", "/export.bib", "/search.atom", "/trends", "/compare",
          "/api/compare", "/compare.csv", "/compare.md"]


def assert_answered(response, path):
    event(f"HTTP {response.status_code}")   # --hypothesis-show-statistics shows the mix
    assert all(response.headers[name] == value for name, value in SECURITY_HEADERS.items())
    if path == "/" and response.status_code == 303:  # empty fields dropped from the search page's URL
        assert response.headers["Location"].startswith("/")
        return
    assert response.status_code in (200, 400), (path, response.status_code, response.get_data(as_text=True)[:500])
    if response.status_code == 400:
        body = response.get_data(as_text=True)
        if path.startswith("/api/"):
            assert response.get_json()["error"]
        elif path.endswith(".atom"):  # a feed reader shows plain text
            assert response.mimetype == "text/plain" and body.startswith("Bad request: ")
        else:
            assert "<main" in body
    assert all(response.headers[name] == value for name, value in SECURITY_HEADERS.items())


@given(st.sampled_from(ROUTES), query_args)
@fuzz(500)
def test_no_search_route_answers_a_hostile_query_with_a_500(client, path, pairs):
    assert_answered(client.get(path, query_string=pairs), path)


@given(st.one_of(st.sampled_from([p.id for p in PUBLICATIONS]), st.text(min_size=1, max_size=40)),
       st.sampled_from(["", "/cite.ris", "/cite.bib"]), query_text)
@fuzz(200)
def test_no_document_route_answers_a_hostile_id_or_query_with_a_500(client, doc_id, suffix, q):
    response = client.get(f"/doc/{doc_id}{suffix}".replace("?", "%3F").replace("#", "%23"), query_string={"q": q})
    event(f"HTTP {response.status_code}")
    assert response.status_code in (200, 308, 400, 404), (doc_id, q, response.status_code)


#: Host headers as fuzzers send them: labels of any length (over 63 is invalid), odd ports, stray characters.
host_headers = st.one_of(
    st.lists(st.text(alphabet=string.ascii_letters + string.digits + "-_", max_size=80), min_size=1, max_size=4)
    .map(".".join),
    st.builds("{}:{}".format, st.sampled_from(["localhost", "a" * 64, "127.0.0.1", "[::1]", ""]), odd_numbers),
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=90),
)


@given(st.sampled_from(ROUTES + ["/doc/eu-council-recommendation", "/status.csv", "/no-such-page", "/doc//x"]),
       host_headers)
@fuzz(200)
def test_no_route_answers_a_hostile_host_header_with_a_500(client, path, host):
    response = client.get(path, headers={"Host": host})
    event(f"HTTP {response.status_code}")
    assert response.status_code in (200, 308, 400, 404), (path, host, response.status_code)
    assert host.lower() not in response.headers.get("Location", "").lower() or not host.strip(".")


@given(st.integers(-5, 10 ** 40))
@fuzz(100)
def test_any_page_number_is_a_page_or_a_404(client, number):
    response = client.get(f"/doc/eu-council-recommendation/page/{number}")
    assert response.status_code in (200, 404), (number, response.status_code)
