"""Requests a fuzzer or an attacker sends get a 4xx, never a 500, and never make the site name their host:
odd Host headers, huge page numbers, oversized bodies, control characters in what feeds carry."""
from __future__ import annotations

import dataclasses

import feedparser
import pytest

from indexer.search import SearchService
from support import DocServer
from web_world import PUBLICATIONS, build_world
from webapp import MAX_CONTENT_LENGTH, create_app

ROUTES = ("/", "/?q=badges", "/api/search?q=badges", "/doc/eu-council-recommendation", "/feed.atom", "/status.csv",
          "/static/style.css", "/no-such-page", "/doc//eu-council-recommendation")
BASE = "https://observatory.example"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    server = DocServer()
    yield build_world(tmp_path_factory.mktemp("hostile"), server,
                      PUBLICATIONS[:4] + [p for p in PUBLICATIONS if p.id in ("dead-link-report", "ecs-webinar")])
    server.close()


@pytest.fixture
def plain(world):
    return create_app(world.settings, TESTING=True).test_client()


@pytest.fixture
def based(world):
    return create_app(dataclasses.replace(world.settings, base_url=BASE + "/"), TESTING=True).test_client()


@pytest.mark.parametrize("route", ROUTES)
def test_a_host_label_over_63_characters_is_a_400_on_any_route(plain, based, route):
    for client in (plain, based):
        response = client.get(route, headers={"Host": "a" * 64 + ".example"})
        assert response.status_code == 400, route
        assert "a" * 64 not in response.get_data(as_text=True)


@pytest.mark.parametrize("route", ROUTES)
def test_with_a_base_url_only_its_host_is_answered(based, route):
    assert based.get(route, headers={"Host": "evil.example"}).status_code == 400
    assert based.get(route, headers={"Host": "observatory.example"}).status_code in (200, 308, 404)


def test_redirects_never_name_the_requests_host(plain, based):
    assert plain.get("/doc//eu-council-recommendation", headers={"Host": "evil.example"}).headers["Location"] == \
        "/doc/eu-council-recommendation"
    assert based.get("/doc//eu-council-recommendation", headers={"Host": "observatory.example"}).headers["Location"] \
        == BASE + "/doc/eu-council-recommendation"


def test_status_csv_links_come_from_the_base_url(plain, based):
    assert "evil.example" not in plain.get("/status.csv", headers={"Host": "evil.example"}).get_data(as_text=True)
    csv = based.get("/status.csv", headers={"Host": "observatory.example"}).get_data(as_text=True)
    assert BASE + "/doc/" in csv


def test_a_page_number_past_the_indexes_range_is_a_404(plain):
    for number in (2 ** 31, 2 ** 31 + 1, 10 ** 30):
        assert plain.get(f"/doc/eu-council-recommendation/page/{number}").status_code == 404
    assert plain.get("/doc/eu-council-recommendation/page/1").status_code == 200


def test_a_body_over_the_limit_is_refused_with_a_413_page_before_it_is_parsed(plain):
    response = plain.post("/suggest", data={"title": "x" * (MAX_CONTENT_LENGTH + 1)})
    assert response.status_code == 413
    assert "x" * 1000 not in response.get_data(as_text=True)
    assert "<html" in response.get_data(as_text=True) and "more than 256 KB" in response.get_data(as_text=True)


def test_control_characters_in_records_and_queries_make_valid_feeds(world, plain, monkeypatch):
    original = SearchService.records
    monkeypatch.setattr(SearchService, "records", lambda self, ids: [
        {**r, "title": "Bad\x00title \x1b]0;pwned\x07\x1b[2J", "summary": "nul\x00", "authors": ["A\x1bB"]}
        for r in original(self, ids)])
    for url in ("/feed.atom", "/search.atom?q=badges", "/search.atom?q=%00", "/search.atom?q=%1b%5b2J"):
        response = plain.get(url)
        assert response.status_code == 200, url
        feed = feedparser.parse(response.data)
        assert not feed.bozo, url
    titles = [e.title for e in feedparser.parse(plain.get("/feed.atom").data).entries]
    assert "Bad\ufffdtitle \ufffd]0;pwned\ufffd\ufffd[2J" in titles
    assert not any(c in t for t in titles for c in "\x00\x1b\x07")
