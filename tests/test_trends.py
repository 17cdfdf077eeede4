"""Following a topic: term trends against a hand-counted collection, the "Recently added" order,
and the speed-as-felt basics (fingerprinted static files, compression)."""
from __future__ import annotations

import gzip
from collections import Counter

import brotli
import pytest

from support import DocServer
from web_world import PUBLICATIONS, build_world, page, query_of
from webapp import create_app

#: The publications whose text has "stackable"/"stackability" (read off web_world's pages).
STACKABLE = {"eu-council-recommendation": 2022, "oecd-quality-and-value": 2021, "ireland-mc-framework": 2023,
             "mooc-journal-article": 2019}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    server = DocServer()
    world = build_world(tmp_path_factory.mktemp("trends"), server)
    yield create_app(world.settings, TESTING=True).test_client()
    server.close()


def _table(p) -> dict[str, list[str]]:
    """Rows of the trends table by year: each cell's text."""
    text = p.text.split("Matching publications and all publications per year")[1]
    rows = {}
    for year in sorted({pub.year for pub in PUBLICATIONS}):
        rest = text.split(f" {year} ", 1)[1]
        rows[str(year)] = rest.split(" ")[:5 * 2]
    return rows


def test_the_share_is_matches_over_that_years_publications(client):
    per_year = Counter(pub.year for pub in PUBLICATIONS)
    matches = Counter(STACKABLE.values())
    p = page(client, "/trends?q=stackable&q=badges")
    for year, total in per_year.items():
        share = matches[year] / total
        assert f"{year} {matches[year]} of {total} ({share:.0%})" in p.text, year
    assert p.all("svg", role="img") and "stackable: highest in 2019 (50%)" in p.text
    assert p.all("polyline") and len(p.all("g", **{"class": "series series-2"})) == 1
    assert p.href("1") == "/?q=stackable&year=2019", "a count leads to those publications"


def test_active_filters_apply_to_both_sides_of_the_share(client):
    europe = [pub for pub in PUBLICATIONS if "Europe" in pub.regions]
    p = page(client, "/trends?q=stackable&region=Europe")
    per_year = Counter(pub.year for pub in europe)
    assert f"2022 1 of {per_year[2022]} ({1 / per_year[2022]:.0%})" in p.text
    assert "2019" not in p.text.split("per year")[-1].split("A full-text")[0], "no European publication in 2019"


def test_by_splits_one_query_by_a_facets_values(client):
    p = page(client, "/trends?q=stackable&by=region&region=Europe&region=Ireland")
    assert p.all("g", **{"class": "series series-1"}) and p.all("g", **{"class": "series series-2"})
    assert not p.all("g", **{"class": "series series-3"})
    ireland = [pub for pub in PUBLICATIONS if "Ireland" in pub.regions]
    assert "Ireland (“stackable”) – 1 publication" in p.text
    row_2023 = p.text.split(" 2023 ")[-1].split(" 2024 ")[0]
    assert f"1 of {sum(pub.year == 2023 for pub in ireland)} (100%)" in row_2023
    assert client.get("/trends?q=x&by=nonsense").status_code == 400


def test_every_search_links_to_its_trend(client):
    p = page(client, "/?q=stackable&region=Europe&sort=oldest&page=1")
    assert query_of(p.href("This search over time")) == [("q", "stackable"), ("region", "Europe")]


def test_recently_added_sorts_dated_records_first_newest_first(client):
    data = client.get("/api/search?sort=added&per_page=100").get_json()
    added = [r["added"] for r in data["results"]]
    dated = sorted((a for a in added if a), reverse=True)
    assert added == dated + [None] * (len(added) - len(dated))
    p = page(client, "/?sort=added")
    assert p.href("Recently added").endswith("sort=added")


def test_static_files_are_fingerprinted_and_cached_for_a_year(client):
    p = page(client, "/")
    css = next(link["href"] for link in p.all("link", rel="stylesheet"))
    path, _, version = css.partition("?v=")
    assert path == "/static/style.css" and len(version) == 12
    response = client.get(css)
    assert "max-age=31536000" in response.headers["Cache-Control"] and "immutable" in response.headers["Cache-Control"]
    stale = client.get(path + "?v=000000000000")
    assert "max-age=31536000" not in stale.headers.get("Cache-Control", "")


def test_pages_and_exports_are_compressed_for_clients_that_accept_it(client):
    for url in ("/", "/feed.atom"):
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.headers.get("Content-Encoding") == "gzip", url
        assert gzip.decompress(response.data).strip(), url
    streamed = client.get("/export.csv", headers={"Accept-Encoding": "br, gzip"})  # streams: br/zstd/deflate
    assert streamed.headers.get("Content-Encoding") == "br"
    assert brotli.decompress(streamed.data).startswith("\ufeffid,title,year".encode())
    assert "Content-Encoding" not in client.get("/").headers
