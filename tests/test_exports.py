"""Exports, citations and feeds read back by the parsers reference managers and feed readers use."""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import parse_qsl

import bibtexparser
import feedparser
import pytest
import rispy

from indexer.config import Settings
from support import DocServer
from web_world import HOSTILE_TITLE, PUBLICATIONS, build_world, page, query_of, result_ids
from webapp import create_app
from webapp import export
from webapp.export import bibtex, bibtex_entry, ris, ris_entry
from webapp.feed_views import MAX_SELECTED
from webapp.publication import publication

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
              "type_label": "Report", "section": "report", "regions": [],
              "url": "https://example.org/?a=}{@misc{x}\\", "authors": ["Jo \\ Doe"]}
    text = "".join(bibtex([publication(record), publication({**record, "id": "y"})]))
    entries = _parse_bib(text)
    assert list(entries) == ["x", "y"], "the first entry's url did not swallow or spawn entries"
    assert entries["x"]["url"].value == "https://example.org/?a=%7D%7B@misc%7Bx%7D%5C"
    assert entries["x"]["title"].value == r"{C:\textbackslash{}path \{unbalanced\} 100\% \& more}"


def test_ris_keeps_one_line_per_field():
    record = {"id": "x", "title": "Two\nlines", "year": 2020, "type": "report", "type_label": "Report",
              "section": "report", "regions": [], "summary": "A\r\nB"}
    entry = rispy.loads("".join(ris([publication(record)])))[0]
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
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
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
    rows = list(csv.DictReader(io.StringIO(client.get("/export.csv?q=badges").data.decode("utf-8-sig"))))
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
    # the issuing body is the author and is not repeated as the publisher
    assert f"OECD. (2021). <i>Quality and value of micro-credentials in higher education</i> [Report]. {source}" \
        in html
    assert f"OECD. 2021. <i>Quality and Value of Micro-credentials in Higher Education</i>. Report. {source}." in html
    assert ("OECD (2021) <i>Quality and value of micro-credentials in higher education</i>. Report. "
            f"Available at: {source} (Accessed: ") in html
    assert p.all("button", **{"data-copy": "cite-apa"}), "a copy button per style (shown by app.js)"
    results = page(client, "/?q=stackable")
    assert results.href("Cite: Quality and value of micro-credentials in higher education") == \
        "/doc/oecd-quality-and-value?q=stackable#cite"


def test_a_search_feed_lists_its_newest_matches_by_added_then_year(client):
    response = client.get("/search.atom?q=micro-credentials&region=Europe&sort=relevance")
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.bozo_exception
    pubs = [next(p for p in PUBLICATIONS if entry.link.endswith("/doc/" + p.id)) for entry in feed.entries]
    dated = [p.added for p in pubs if p.added]
    assert dated == sorted(dated, reverse=True) and len(pubs) >= 3
    assert [p.added for p in pubs[:len(dated)]] == dated, "dated additions first, newest first"
    assert "micro-credentials" in feed.feed.title
    search = page(client, "/?q=micro-credentials")
    follow = page(client, search.href("Follow this search"))
    assert search.href("Follow this search") == "/search/follow?q=micro-credentials"
    assert follow.all("input", id="feed-address", value="/search.atom?q=micro-credentials")
    assert follow.href("Open the feed itself (Atom XML)") == "/search.atom?q=micro-credentials"


def test_feeds_and_the_api_answer_conditional_requests_and_feed_errors_are_plain_text(client):
    for url in ("/feed.atom", "/search.atom?q=badges", "/api/search?q=badges", "/api/documents/oecd-quality-and-value"):
        first = client.get(url)
        assert first.headers["ETag"] and first.headers["Last-Modified"], url
        assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304, url
        assert client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]}).status_code == 304, url
    bad = client.get("/search.atom?sort=sideways")
    assert bad.status_code == 400 and bad.mimetype == "text/plain" and "sort must be one of" in bad.get_data(as_text=True)


def test_crawlers_get_robots_a_sitemap_and_an_icon(world):
    BASE = "https://observatory.example/"  # with a base URL set, only its host is answered
    based = create_app(Settings(**{**world.settings.__dict__, "base_url": "https://observatory.example/"}),
                       TESTING=True).test_client()
    robots = based.get("/robots.txt", base_url=BASE).get_data(as_text=True)
    assert "Disallow: /export." in robots and "Sitemap: https://observatory.example/sitemap.xml" in robots
    sitemap = based.get("/sitemap.xml", base_url=BASE).get_data(as_text=True)
    assert sitemap.count("<loc>https://observatory.example/doc/") == len(PUBLICATIONS)
    assert based.get("/favicon.ico", base_url=BASE).status_code == 200
    opensearch = based.get("/opensearch.xml", base_url=BASE).get_data(as_text=True)
    assert "method=" not in opensearch and len(re.search(r"<ShortName>(.*)</ShortName>", opensearch)[1]) <= 16


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
    assert "<ShortName>Observatory</ShortName>" in response.get_data(as_text=True)


def _catalog_publications():
    from indexer.catalog import load_catalog
    from support import REAL_CATALOG
    return [publication(record.model_dump(mode="json")) for record in load_catalog(REAL_CATALOG)]


@pytest.mark.skipif(not shutil.which("biber") or not shutil.which("bibtex"), reason="apt-get install biber")
def test_the_whole_catalog_as_bibtex_passes_biber_s_data_model_and_bibtex_without_a_warning(tmp_path):
    (tmp_path / "catalog.bib").write_text("".join(bibtex(_catalog_publications())), encoding="utf-8")
    biber = subprocess.run(["biber", "--tool", "--validate-datamodel", "--output-directory", str(tmp_path),
                            "--output-file", "checked.bib", "catalog.bib"], capture_output=True, text=True,
                           cwd=tmp_path)
    assert biber.returncode == 0 and "WARN" not in biber.stdout + biber.stderr, biber.stdout[-3000:]
    (tmp_path / "check.aux").write_text("\\citation{*}\n\\bibstyle{plain}\n\\bibdata{catalog}\n")
    run = subprocess.run(["bibtex", "check"], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0 and "Warning--" not in run.stdout and "error" not in run.stdout, run.stdout[-3000:]


def test_bibtex_types_have_what_they_require_and_the_language_is_a_langid():
    thesis = publication({"id": "t", "title": "T", "year": 2020, "type": "thesis", "section": "article",
                          "authors": ["Ana Rossi"], "organisation": "Dublin City University", "language": "en"})
    entry = bibtex_entry(thesis)
    assert entry.entry_type == "phdthesis" and entry.fields_dict["school"].value == "Dublin City University"
    assert entry.fields_dict["langid"].value == "english" and "language" not in entry.fields_dict
    article = bibtex_entry(publication({**vars(thesis), "type": "journal-article"}))
    assert article.entry_type == "misc", "no journal title known: not an @article without journal"
    anonymous = bibtex_entry(publication({"id": "a", "title": "Untitled guide", "year": 2020, "type": "guide",
                                          "section": "report"}))
    assert anonymous.entry_type == "misc" and anonymous.fields_dict["key"].value == "Untitled guide"


def test_ris_records_start_with_their_type_and_use_zotero_s_types(client):
    response = client.get("/export.ris")
    assert response.headers["Content-Type"] == "application/x-research-info-systems; charset=utf-8"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0].startswith("TY  - ") and not [line for line in lines if re.fullmatch(r"\d+\.", line)]
    assert {ris_entry(publication({"id": "g", "title": "G", "year": 2020, "type": kind, "section": "report"}))
            ["type_of_reference"] for kind in ("guide", "position-paper")} == {"RPRT"}
    assert ris_entry(publication({"id": "e", "title": "E", "year": 2021, "type": "event", "section": "event"})) \
        ["date"] == "2021///"
    assert client.get("/export.bib").headers["Content-Type"] == "application/x-bibtex; charset=utf-8"


def test_csv_has_a_bom_and_every_row_its_status(client):
    response = client.get("/export.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8" and response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert {row["status"] for row in rows} == {"full text", "metadata only"}


def test_a_document_page_describes_itself_to_zotero_and_search_engines(client, world):
    p = page(client, "/doc/oecd-quality-and-value")
    meta = {}
    for tag in p.all("meta"):
        if tag.get("name", "").startswith("citation_"):
            meta.setdefault(tag["name"], []).append(tag["content"])
    assert meta["citation_title"] == ["Quality and value of micro-credentials in higher education"]
    assert "citation_author" not in meta, "Zotero would split a body's name into given and family name"
    assert meta["citation_publication_date"] == ["2021"]
    assert meta["citation_technical_report_institution"] == ["OECD"], "Zotero then saves a report"
    assert meta["citation_pdf_url"] == [world.url("oecd-quality-and-value")]
    html = client.get("/doc/oecd-quality-and-value").get_data(as_text=True)
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert data["@type"] == "Report" and data["name"] == meta["citation_title"][0]
    assert data["author"] == [{"@type": "Organization", "name": "OECD"}] and data["datePublished"] == "2021"
    hostile = client.get("/doc/hostile-title").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in hostile, "JSON-LD and meta tags escape the title"
    assert page(client, "/doc/hostile-title").all("meta", name="citation_title")[0]["content"] == HOSTILE_TITLE


def test_every_result_carries_a_coins_span(client):
    p = page(client, "/?q=micro-credentials")
    spans = p.all("span", **{"class": "Z3988"})
    assert len(spans) == len(result_ids(p)) > 1
    fields = dict(parse_qsl(next(s["title"] for s in spans if "Quality+and+value" in s["title"]
                                 or "Quality and value" in s["title"])))
    assert fields["ctx_ver"] == "Z39.88-2004" and fields["rft.genre"] == "report"
    assert fields["rft.btitle"] == "Quality and value of micro-credentials in higher education"
    assert fields["rft.aucorp"] == "OECD" and fields["rft.date"] == "2021"


def test_feed_entries_without_added_are_dated_by_the_build_s_check(client):
    feed = feedparser.parse(client.get("/feed.atom").data)
    undated = {p.id for p in PUBLICATIONS if not p.added}
    entries = [e for e in feed.entries if e.link.rsplit("/", 1)[-1] in undated]
    assert entries and all(e.updated_parsed.tm_year >= 2026 for e in entries), "the check, not 1 January"


@pytest.mark.skipif(not shutil.which("node") or not (Path(__file__).parent / "node_modules" / "@citation-js").is_dir(),
                    reason="citation-js not installed (npm ci --prefix tests)")
@pytest.mark.parametrize("writer, form", [(ris, "@ris/file"), (bibtex, "@biblatex/text")])
def test_citation_js_reads_every_catalog_record_back_with_its_title_year_and_creator(writer, form):
    publications = _catalog_publications()
    run = subprocess.run(["node", str(Path(__file__).parent / "citation_js_parse.js"), form],
                         input="".join(writer(publications)), capture_output=True, text=True, check=True)
    items = {item["id"]: item for item in json.loads(run.stdout)}
    assert set(items) == {p.id for p in publications}
    for p in publications:
        item = items[p.id]
        assert item["issued"]["date-parts"][0][0] == p.year, (p.id, item.get("issued"))
        assert " ".join(str(item["title"]).split()).replace("{", "").replace("}", "") == " ".join(p.title.split())
        if p.creators:
            assert item.get("author"), p.id


def test_a_doi_link_gives_zotero_the_doi():
    from webapp.embedded import highwire_tags
    article = publication({"id": "a", "title": "T", "year": 2023, "type": "journal-article", "section": "article",
                           "authors": ["Mark Brown"], "url": "https://doi.org/10.5334/jime.801"})
    assert ("citation_doi", "10.5334/jime.801") in highwire_tags(article, "/doc/a")
    report = publication({**vars(article), "url": "https://example.org/10.5334/report.pdf"})
    assert not [name for name, _ in highwire_tags(report, "/doc/a") if name == "citation_doi"]
