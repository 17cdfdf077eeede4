"""The speed bench's Whoosh yardstick answers the same page as our search, or its ratio means nothing."""
from __future__ import annotations

import json

import pytest
from support import entry, make_pdf, write_catalog

from bench.yardstick import answer, create_app, open_yardstick, plain_top
from indexer.build import build
from indexer.config import Settings
from indexer.search import SearchRequest, SearchService

DOCS = [
    ("au-stack", 2023, ["Australia"], "report", ["Stackable micro-credentials in Australia", "Quality of providers"]),
    ("au-quality", 2021, ["Australia", "New Zealand"], "framework", ["Quality assurance for short courses"]),
    ("eu-council", 2022, ["Europe"], "framework", ["A European approach to quality and portability"]),
    ("ca-survey", 2022, ["Canada"], "survey", ["Colleges in Ontario and digital badges"]),
]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("yardstick")
    (root / "files").mkdir()
    entries = []
    for doc_id, year, regions, type_, pages in DOCS:
        (root / "files" / f"{doc_id}.pdf").write_bytes(make_pdf(pages))
        entries.append(entry(doc_id, title=f"Publication {doc_id}", year=year, regions=regions, type=type_,
                             section="report", path=f"files/{doc_id}.pdf"))
    settings = Settings.from_env(catalog=root / "catalog.yaml", index=root / "index", cache=root / "cache")
    write_catalog(settings.catalog, entries)
    build(settings, progress=False, jobs=1)
    stick = open_yardstick(settings.index_dir)
    yield SearchService(settings.index_dir), stick.reader, stick, settings.index_dir
    stick.reader.close()


def both(world, **args):
    service, reader, stick, _ = world
    req = SearchRequest.from_args(args)
    ours = service.search(req, correct=False)
    theirs = stick.page(reader.parse(req.q), dict(req.filters), None)
    return ours, theirs


def ours_counts(result, facet) -> dict:
    return {b["value"]: b["count"] for b in result["facets"][facet] if b["count"]}


@pytest.mark.parametrize("args", [{"q": "quality"}, {"q": "quality", "region": "Australia"}, {"region": "Australia"},
                                  {"q": "quality", "year": "2021"}])
def test_the_yardstick_counts_the_same_matches_and_facets(world, args):
    ours, theirs = both(world, **args)
    assert theirs["total"] == ours["total"]
    assert {r["id"] for r in theirs["results"]} == {r["id"] for r in ours["results"]}
    for facet in ("year", "regions", "type", "section", "language"):
        assert dict(theirs["facets"][facet]) == ours_counts(ours, facet), facet


def test_a_selected_facet_is_counted_without_its_own_filter_as_ours_is(world):
    ours, theirs = both(world, q="quality", region="Australia")
    assert dict(theirs["facets"]["regions"])["Europe"] == ours_counts(ours, "regions")["Europe"] == 1


def test_the_yardstick_highlights_the_best_pages_of_the_shown_publications(world):
    _, theirs = both(world, q="quality")
    snippets = {r["id"]: r["snippets"] for r in theirs["results"]}
    assert snippets["au-quality"] and all("<mark" in s and "Quality" in s for s in snippets["au-quality"])


def test_plain_whoosh_ranks_the_same_matches_with_whooshs_own_filter(world):
    _, reader, _, _ = world
    assert set(plain_top(reader, reader.parse("quality"), {"regions": "Australia"})) == {"au-stack", "au-quality"}
    assert plain_top(reader, reader.parse("quality"), {"year": (2022, 2022)}) == ["eu-council"]


def test_the_yardstick_served_as_a_flask_route_answers_the_same_page(world, monkeypatch):
    """`bench speed` asks it over HTTP beside `/api/search`, so both pay for HTTP alike."""
    _, _, stick, index_dir = world
    monkeypatch.setenv("OBSERVATORY_INDEX", str(index_dir))
    got = create_app().test_client().get("/search?q=quality&region=Australia")
    assert got.status_code == 200 and got.mimetype == "application/json"
    assert got.get_json() == json.loads(answer(stick, {"q": "quality", "region": "Australia"}))
    assert got.get_json()["total"] == 2
