"""Never lose your place: the document and reading views know the search they were opened from."""
from __future__ import annotations

import pytest

from support import DocServer
from web_world import build_world, page, query_of, result_ids
from webapp import create_app


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    server = DocServer()
    yield build_world(tmp_path_factory.mktemp("place"), server)
    server.close()


@pytest.fixture(scope="module")
def client(world):
    return create_app(world.settings, TESTING=True).test_client()


@pytest.fixture
def world_client(world):
    return lambda **config: create_app(world.settings, TESTING=True, **config).test_client()


def test_a_document_says_which_result_it_is_and_leads_to_its_neighbours_across_pages(client):
    search = "/?q=micro-credentials&per_page=2&page=2"
    ids = result_ids(page(client, search))
    first_page = result_ids(page(client, "/?q=micro-credentials&per_page=2"))
    doc = page(client, f"/doc/{ids[0]}?q=micro-credentials&per_page=2&page=2")
    assert "Result 3 of" in doc.text
    assert query_of(doc.href("‹ Back to results")) == [("q", "micro-credentials"), ("page", "2"), ("per_page", "2")]
    previous = doc.href("‹ Previous result")
    assert previous.startswith(f"/doc/{first_page[-1]}?") and ("page", "2") not in query_of(previous), \
        "the previous result is on page 1"
    assert doc.href("Next result ›").startswith(f"/doc/{ids[1]}?")


def test_reading_links_carry_the_whole_search_and_lead_back_to_it(client):
    doc = page(client, "/doc/eu-council-recommendation?q=stackable&region=Europe&page=1")
    read = doc.href("p. 2: read the page")
    assert query_of(read) == [("q", "stackable"), ("region", "Europe")]
    reading = page(client, read)
    assert query_of(reading.href("‹ Back to results")) == [("q", "stackable"), ("region", "Europe")]
    assert "Result 1 of" in reading.text


def test_empty_form_fields_never_reach_a_shared_url(client):
    response = client.get("/?q=badges&year_from=&year_to=&region=Europe")
    assert response.status_code == 303 and response.headers["Location"] == "/?q=badges&region=Europe"


def test_a_reversed_year_range_is_explained_and_searched_the_right_way_round(client):
    p = page(client, "/?year_from=2023&year_to=2021")
    assert "runs backwards: showing 2021 to 2023" in p.text and result_ids(p)
    api = client.get("/api/search?year_from=2023&year_to=2021")
    assert api.status_code == 400 and "year_from (2023) is after year_to (2021)" in api.get_json()["error"]


def test_a_facet_s_full_list_is_a_page_a_to_z_with_a_filter_box(world_client):
    client = world_client(FACET_SIZE=1)
    search = page(client, "/?q=micro-credentials&sort=newest")
    full = next(href for label, href in search.links if label.startswith("All ") and "organisation values" in label)
    assert query_of(full) == [("q", "micro-credentials"), ("sort", "newest")]
    p = page(client, full)
    labels = [box["value"] for box in p.all("input", name="organisation")]
    assert labels == sorted(labels, key=str.casefold) and len(labels) >= 2
    assert ("sort", "newest") in [(box["name"], box["value"]) for box in p.all("input", type="hidden")]
    narrowed = page(client, full + "&filter=council")
    assert [box["value"] for box in narrowed.all("input", name="organisation")] == ["Council of the European Union",
                                                                               "Nordic Council"]
    assert client.get("/facet/nonsense").status_code == 404
    assert client.get("/facet/regions").status_code == client.get("/facet/region").status_code == 200
    assert client.get("/facet/organisation?order=sideways").status_code == 400


def test_the_advanced_form_writes_the_query_syntax_into_the_box(client):
    form = page(client, "/advanced")
    assert form.all("input", name="phrase") and form.all("select", name="organisation")
    response = client.get("/advanced?all=quality&phrase=stackable+credentials&any=europe+ireland&none=badge"
                          "&title=framework&author=&organisation=&year_from=2020&year_to=")
    assert response.status_code == 303
    target = response.headers["Location"]
    assert query_of(target) == [("q", '+quality "stackable credentials" (europe OR ireland) title:framework -badge'),
                                ("year_from", "2020")]
    assert page(client, target).all("input", id="q", value='+quality "stackable credentials" (europe OR ireland) '
                                                           'title:framework -badge')
    hostile = client.get('/advanced?phrase=a"+OR+b:c').headers["Location"]
    assert query_of(hostile) == [("q", '"a OR b c"')], "a field's own quotes and colons never escape it"
