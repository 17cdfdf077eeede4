"""Exports, citations and feeds read back by the parsers reference managers and feed readers use."""
from __future__ import annotations

import csv
import io

import bibtexparser
import feedparser
import pytest
import rispy

from indexer.config import Settings
from support import DocServer
from web_world import PUBLICATIONS, build_world, page, query_of
from webapp import create_app
from webapp import export
from webapp.export import bibtex, ris
from webapp.views import MAX_SELECTED

EVIL = {"Host": "evil.example"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    server = DocServer()
    yield build_world(tmp_path_factory.mktemp("exports"), server)
    server.close()


@pytest.fixture(scope="module")
def client(world):
    return create_app(world.settings, TESTING=True).test_client()


def _parse_bib(text: str):
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks, library.failed_blocks
    return {entry.key: entry.fields_dict for entry in library.entries}


def test_every_publication_round_trips_through_rispy_with_names_last_first(client):
    entries = {e["id"]: e for e in rispy.loads(client.get("/export.ris").get_data(as_text=True))}
    assert set(entries) == {p.id for p in PUBLICATIONS}
    for pub in PUBLICATIONS:
        entry = entries[pub.id]
        assert entry["title"] == pub.title and entry["year"] == str(pub.year)
        assert entry.get("keywords") == pub.regions
        if pub.authors:
            assert entry["authors"] == [f"{a.split()[-1]}, {' '.join(a.split()[:-1])}" for a in pub.authors]
        elif pub.organisation:
            assert entry["authors"] == [pub.organisation], "grey literature: the issuing body is the author"
    assert entries["digital-badges-review"]["authors"] == ["Rossi, Ana", "Wei, Li"]
    assert entries["digital-badges-review"]["type_of_reference"] == "RPRT"
    assert entries["mooc-journal-article"]["type_of_reference"] == "JOUR"


def test_every_publication_round_trips_through_bibtexparser(client, world):
    entries = _parse_bib(client.get("/export.bib").get_data(as_text=True))
    assert set(entries) == {p.id for p in PUBLICATIONS}
    for pub in PUBLICATIONS:
        fields = entries[pub.id]
        assert fields["year"].value == str(pub.year)
        if pub.served:
            assert fields["url"].value == world.url(pub.id)
    assert entries["digital-badges-review"]["author"].value == "Rossi, Ana and Wei, Li"
    assert entries["oecd-quality-and-value"]["author"].value == "{OECD}"
    assert entries["hostile-title"]["title"].value == (
        r"{<script>alert(1)</script> Badges \& <b>bold</b> claims}")


def test_hostile_bibtex_values_cannot_break_out_of_their_entry():
    record = {"id": "x", "title": "C:\\path {unbalanced} 100% & more", "year": 2020, "type": "report",
              "type_label": "Report", "section_label": "Reports", "regions": [],
              "url": "https://example.org/?a=}{@misc{x}\\", "authors": ["Jo \\ Doe"]}
    text = "".join(bibtex([record, {**record, "id": "y"}]))
    entries = _parse_bib(text)
    assert list(entries) == ["x", "y"], "the first entry's url did not swallow or spawn entries"
    assert entries["x"]["url"].value == "https://example.org/?a=%7D%7B@misc%7Bx%7D%5C"
    assert entries["x"]["title"].value == r"{C:\textbackslash{}path \{unbalanced\} 100\% \& more}"


def test_ris_keeps_one_line_per_field():
    record = {"id": "x", "title": "Two\nlines", "year": 2020, "type": "report", "type_label": "Report",
              "section_label": "Reports", "regions": [], "summary": "A\r\nB"}
    entry = rispy.loads("".join(ris([record])))[0]
    assert entry["title"] == "Two lines" and entry["abstract"] == "A B"


def test_ticked_results_export_alone_and_stay_ticked_across_pages(client):
    response = client.get("/export.ris?q=micro-credentials&sel=oecd-quality-and-value&sel=nordic-micro&selection=1")
    assert 'filename="observatory-selected.ris"' in response.headers["Content-Disposition"]
    assert [e["id"] for e in rispy.loads(response.get_data(as_text=True))] == ["oecd-quality-and-value", "nordic-micro"]
    p = page(client, "/?sel=nordic-micro")
    assert [box for box in p.all("input", name="sel", value="nordic-micro") if "checked" in box]
    assert ("sel", "nordic-micro") in query_of(p.href("Next ›")), "paging keeps the ticks"
    assert client.get("/export.csv?selection=1").status_code == 400, "nothing ticked: say so"


def test_exports_are_streamed(client):
    response = client.get("/export.csv")
    assert response.is_streamed
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == len(PUBLICATIONS)


def test_a_large_selection_goes_by_post_and_comes_back_complete(client):
    wanted = ["oecd-quality-and-value", "nordic-micro", "skills-podcast"]
    ids = wanted + [f"no-such-publication-with-a-long-id-{n}" for n in range(MAX_SELECTED - len(wanted))]
    response = client.post("/export.ris", data={"q": "badges", "sel": ids, "selection": "1"})
    assert response.status_code == 200
    assert [e["id"] for e in rispy.loads(response.get_data(as_text=True))] == wanted
    too_many = client.post("/export.csv", data={"sel": ids + ["one-more"], "selection": "1"})
    assert too_many.status_code == 400 and f"at most {MAX_SELECTED}" in too_many.get_data(as_text=True)
    p = page(client, "/?q=badges&sel=nordic-micro")
    buttons = [b for b in p.all("button", name="selection") if "/export." in b.get("formaction", "")]
    assert len(buttons) == 3 and all(b.get("formmethod") == "post" for b in buttons)


def test_an_export_over_the_cap_is_refused_up_front_and_one_under_it_is_complete(client, monkeypatch):
    monkeypatch.setattr(export, "MAX_RECORDS", 5)
    refused = client.get("/export.csv")
    assert refused.status_code == 400
    text = page(client, "/export.csv", status=400).text
    assert f"{len(PUBLICATIONS)} publications match; a download holds at most 5" in text and "Narrow the search" in text
    assert client.get("/api/search?q=badges").get_json()["total"] <= 5
    rows = list(csv.DictReader(io.StringIO(client.get("/export.csv?q=badges").get_data(as_text=True))))
    assert [r["id"] for r in rows] == [r["id"] for r in client.get("/api/search?q=badges").get_json()["results"]]


def test_a_facet_panel_carries_its_top_values_and_links_to_the_full_list(world):
    client = create_app(world.settings, TESTING=True, FACET_PANEL=6).test_client()
    p = page(client, "/?q=micro-credentials&type=report")
    regions = [box for box in p.all("input", name="region")]
    assert len(regions) == 6
    link = p.href("All " + str(len(client.get("/api/search?q=micro-credentials&type=report").get_json()
                                    ["facets"]["regions"])) + " region values")
    assert link.startswith("/facet/regions?")
    assert query_of(link) == [("q", "micro-credentials"), ("type", "report")]
    assert not [href for _, href in p.links if href and href.startswith("/facet/section")], "a short facet needs no list"


def test_citations_in_three_csl_styles_with_corporate_author_url_and_access_date(client, world):
    html = client.get("/doc/oecd-quality-and-value").get_data(as_text=True)
    p = page(client, "/doc/oecd-quality-and-value")
    source = world.url("oecd-quality-and-value")
    assert f"OECD. (2021). <i>Quality and value of micro-credentials in higher education</i> [Report]. OECD. {source}" \
        in html
    assert "OECD. 2021. <i>Quality and Value of Micro-credentials in Higher Education</i>. Report. OECD." in html
    assert ("OECD (2021) <i>Quality and value of micro-credentials in higher education</i>. Report. OECD. "
            f"Available at: {source} (Accessed: ") in html
    assert p.all("button", **{"data-copy": "cite-apa"}), "a copy button per style (shown by app.js)"
    results = page(client, "/?q=stackable")
    assert results.href("Cite: Quality and value of micro-credentials in higher education") == \
        "/doc/oecd-quality-and-value?q=stackable#cite"


def test_any_search_is_a_valid_feed_in_the_searchs_order(client):
    response = client.get("/search.atom?q=micro-credentials&region=Europe&sort=newest")
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.bozo_exception
    years = [next(p.year for p in PUBLICATIONS if entry.link.endswith("/doc/" + p.id)) for entry in feed.entries]
    assert years == sorted(years, reverse=True) and len(years) >= 3
    assert "micro-credentials" in feed.feed.title
    search = page(client, "/?q=micro-credentials")
    assert search.href("Follow this search (Atom feed)") == "/search.atom?q=micro-credentials"


def test_the_additions_feed_is_valid_and_newest_added_first(client):
    feed = feedparser.parse(client.get("/feed.atom").data)
    assert not feed.bozo, feed.bozo_exception
    assert [e.title for e in feed.entries[:2]] == ["Microcredentials pilot in higher education: evaluation",
                                                   "Micro-credentials in Irish higher education: a national framework"]


def test_the_feed_reads_only_the_newest_n_records(world, monkeypatch):
    app = create_app(world.settings, TESTING=True, FEED_SIZE=3)
    from indexer.search import SearchService
    asked = []
    original = SearchService.records
    monkeypatch.setattr(SearchService, "records", lambda self, ids: asked.append(list(ids)) or original(self, asked[-1]))
    feed = feedparser.parse(app.test_client().get("/feed.atom").data)
    assert len(feed.entries) == 3 and [len(ids) for ids in asked] == [3]


def test_absolute_urls_never_come_from_the_host_header(world):
    plain = create_app(world.settings, TESTING=True).test_client()
    based = create_app(Settings(**{**world.settings.__dict__, "base_url": "https://observatory.example/"}),
                       TESTING=True).test_client()
    for client in (plain, based):
        for url in ("/feed.atom", "/search.atom?q=badges", "/export.csv", "/opensearch.xml", "/doc/oecd-quality-and-value",
                    "/doc/oecd-quality-and-value/page/1"):
            body = client.get(url, headers=EVIL).get_data(as_text=True)
            assert "evil.example" not in body, url
    own = {"Host": "observatory.example"}  # with a base URL, only its host is answered
    assert "https://observatory.example/doc/" in based.get("/export.csv", headers=own).get_data(as_text=True)
    assert '<link rel="canonical" href="https://observatory.example/doc/oecd-quality-and-value">' in \
        based.get("/doc/oecd-quality-and-value", headers=own).get_data(as_text=True)
    opensearch = based.get("/opensearch.xml", headers=own).get_data(as_text=True)
    assert 'template="https://observatory.example/?q={searchTerms}"' in opensearch


def test_every_page_offers_the_site_as_a_search_engine(client):
    for url in ("/", "/about", "/status", "/trends", "/doc/oecd-quality-and-value",
                "/doc/oecd-quality-and-value/page/1", "/no-such-page"):
        p = page(client, url, status=404 if url == "/no-such-page" else 200)
        assert p.all("link", rel="search", type="application/opensearchdescription+xml", href="/opensearch.xml"), url
    response = client.get("/opensearch.xml")
    assert response.mimetype == "application/opensearchdescription+xml"
    assert "<ShortName>Observatory Search</ShortName>" in response.get_data(as_text=True)
