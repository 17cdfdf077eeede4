"""The web app through Flask's test client, over an index built by the real build from a tiny world."""
from __future__ import annotations

import csv
import io
import logging
import os
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest
import requests

from indexer.config import Settings
from support import PROJECT, DocServer, free_port
from web_world import HOSTILE_TITLE, PUBLICATIONS, Page, Pub, build_world, page, query_of, result_ids
from webapp import create_app
from webapp.charts import bar_chart, year_series
from webapp.export import results_csv
from webapp.publication import publication
from webapp.urls import page_window



@pytest.fixture(scope="module")
def world(tmp_path_factory):
    server = DocServer()
    yield build_world(tmp_path_factory.mktemp("web"), server)
    server.close()


@pytest.fixture(scope="module")
def app(world):
    return create_app(world.settings, TESTING=True)


@pytest.fixture
def client(app):
    return app.test_client()


# ---------------------------------------------------------------- the search page


def test_an_empty_query_browses_the_whole_collection_newest_first(client):
    p = page(client, "/")
    assert f"{len(PUBLICATIONS)} publications" in p.text
    years = [pub.year for pub in PUBLICATIONS]
    ids = result_ids(p)
    assert len(ids) == 20
    assert [next(x.year for x in PUBLICATIONS if x.id == i) for i in ids] == sorted(years, reverse=True)[:20]


def test_plain_words_find_stemmed_forms_with_highlighted_snippets_linking_to_the_reading_view(client):
    p = page(client, "/?q=stackability")
    ids = result_ids(p)
    assert {"oecd-quality-and-value", "eu-council-recommendation", "ireland-mc-framework"} <= set(ids)
    html = client.get("/?q=stackability").get_data(as_text=True)
    assert "<mark>Stackable</mark> credentials let learners" in html
    assert p.href("p. 3: read the page") == "/doc/oecd-quality-and-value/page/3?q=stackability#first-match"


def test_publications_kept_as_local_files_link_to_a_copy_served_here(client):
    p = page(client, "/?q=recognition")
    assert "/doc/ireland-mc-framework/file" in [href for label, href in p.links if label == "Source (PDF)"]
    assert "/doc/ireland-mc-framework/page/2?q=recognition#first-match" in [href for label, href in p.links
                                                                 if label == "p. 2: read the page"]
    reading = page(client, "/doc/ireland-mc-framework/page/2?q=recognition")
    assert reading.href("Open the source at this page (PDF)") == "/doc/ireland-mc-framework/file#page=2"
    response = client.get("/doc/ireland-mc-framework/file")
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert client.get("/doc/oecd-quality-and-value/file").status_code == 404, "online sources are linked, not copied"
    assert client.get("/doc/ecs-webinar/file").status_code == 404


def test_query_syntax_phrase_exclusion_and_title(client):
    assert result_ids(page(client, '/?q="quality+assurance"')) == ["eu-council-recommendation"]
    assert "mooc-journal-article" in result_ids(page(client, "/?q=stackable"))
    without_moocs = result_ids(page(client, "/?q=stackable+-MOOCs"))
    assert without_moocs and "mooc-journal-article" not in without_moocs
    assert result_ids(page(client, "/?q=title:pilot")) == ["australia-mc-pilot"]


@pytest.mark.parametrize("q", ['"unclosed phrase', "title:", "((", "*", "AND OR NOT"])
def test_a_query_the_parser_cannot_read_still_gets_a_page_not_an_error(client, q):
    response = client.get("/", query_string={"q": q})
    assert response.status_code == 200
    assert "Traceback" not in response.get_data(as_text=True)
    assert client.get("/api/search", query_string={"q": q}).status_code == 200


def test_each_facet_value_is_a_labelled_checkbox_whose_value_is_the_slug(client):
    p = page(client, "/?type=framework")
    box = p.all("input", name="type", value="framework")[0]
    assert "checked" in box
    assert p.all("label", **{"for": box["id"]})
    assert "Framework or recommendation" in p.text
    assert "checked" not in p.all("input", name="type", value="report")[0]
    assert {"Year", "Region", "Document type", "Observatory list", "Organisation", "Language"} <= set(p.text_parts)


def test_values_of_one_facet_combine_with_or_and_different_facets_with_and(client):
    one = client.get("/api/search?region=France&region=Germany").get_json()
    assert {r["id"] for r in one["results"]} == {"france-cpf", "germany-continuing-ed"}
    both = client.get("/api/search?region=France&region=Germany&type=policy").get_json()
    assert [r["id"] for r in both["results"]] == ["france-cpf"]
    regions = {v["value"]: v["count"] for v in both["facets"]["regions"]}
    assert regions["Spain"] == 1, "a facet's counts ignore its own selection, so other values stay choosable"


def test_facet_counts_follow_the_query(client):
    counts = {v["value"]: v["count"] for v in client.get("/api/search?q=stackable").get_json()["facets"]["section"]}
    assert counts == {"policy": 2, "report": 1, "article": 1}


def test_long_facets_show_the_top_values_and_the_rest_behind_more(client):
    html = client.get("/").get_data(as_text=True)
    region_facet = html[html.index('id="facet-region"'):html.index('id="facet-type"')]
    visible, hidden = region_facet.split('<details class="facet-more">')
    assert visible.count('name="region"') == 8
    assert hidden.count('name="region"') > 0
    assert "more" in Page(hidden).text


def test_selected_values_are_removable_chips_that_keep_the_rest_of_the_state(client):
    p = page(client, "/?q=credentials&region=Europe&type=framework&year_from=2020&sort=title&page=1")
    chips = {a["href"]: a for a in p.all("a", **{"class": "chip"})}
    assert len(chips) == 4
    removing_region = p.href("Region: Europe (remove)")
    assert query_of(removing_region) == [("q", "credentials"), ("type", "framework"), ("year_from", "2020"),
                                         ("sort", "title")]
    assert query_of(p.href("From: 2020 (remove)")) == [("q", "credentials"), ("region", "Europe"),
                                                         ("type", "framework"), ("sort", "title")]
    assert ("q", "credentials") not in query_of(p.href("Words: “credentials” (remove)"))


def test_a_year_range_limits_results_and_shows_as_chips(client):
    data = client.get("/api/search?year_from=2021&year_to=2022").get_json()
    assert data["total"] == 8 and {r["year"] for r in data["results"]} == {2021, 2022}
    p = page(client, "/?year_from=2021&year_to=2022")
    assert "From: 2021" in p.text and "Until: 2022" in p.text
    assert p.all("input", name="year_from", value="2021")


def test_sorting_and_pagination_are_links_with_the_whole_state(client):
    p = page(client, "/?region=Europe&per_page=2")
    assert "Showing 1–2, page 1 of 2" in p.text
    next_page = p.href("Next ›")
    assert query_of(next_page) == [("region", "Europe"), ("page", "2"), ("per_page", "2")]
    second = page(client, next_page)
    assert "Showing 3–4, page 2 of 2" in second.text
    assert not set(result_ids(second)) & set(result_ids(p))
    by_title = second.href("Title A–Z")
    assert query_of(by_title) == [("region", "Europe"), ("sort", "title"), ("per_page", "2")]
    europe = sorted((x for x in PUBLICATIONS if "Europe" in x.regions), key=lambda x: x.title.casefold())
    assert result_ids(page(client, by_title)) == [x.id for x in europe[:2]]


def test_relevance_is_only_offered_when_there_are_words_to_rank_by(client):
    assert "Relevance" not in [text for text, _ in page(client, "/").links]
    assert "Relevance" in page(client, "/?q=credentials").text


def test_an_empty_result_suggests_which_filter_to_remove(client):
    p = page(client, "/?q=stackable&region=France")
    assert "No publications match “stackable” with these filters." in p.text
    suggestion = p.href("Remove region France")
    assert query_of(suggestion) == [("q", "stackable")]
    assert "Remove region France – 4 publications" in p.text


def test_metadata_only_publications_are_marked_quietly_without_failure_reasons(client):
    p = page(client, "/?q=webinar")
    assert result_ids(p) == ["ecs-webinar"]
    assert "metadata only" in p.text
    dead = page(client, "/?q=died")
    assert "metadata only" in dead.text and "404" not in dead.text and not dead.all("span", **{"class": "badge"})


def test_a_page_past_the_end_offers_the_last_page(client):
    p = page(client, "/?page=9")
    assert "past the end" in p.text
    assert query_of(p.href("Go to the last page (2)")) == [("page", "2")]


# ---------------------------------------------------------------- the document view


def test_the_document_view_shows_metadata_source_status_matching_pages_and_similar(client, world):
    p = page(client, "/doc/oecd-quality-and-value?q=stackable")
    assert "Quality and value of micro-credentials in higher education" in p.text
    for fact in ("Organisation OECD", "Year 2021", "Type Report", "Observatory list National & international reports",
                 "Regions International", "Language English", "full text, 4 pages (PDF)"):
        assert fact in p.text
    assert p.href("Open the source (PDF)") == world.url("oecd-quality-and-value")
    assert p.href("p. 3: read the page") == "/doc/oecd-quality-and-value/page/3?q=stackable#first-match"
    assert "Where “stackable” appears" in p.text
    similar = p.text.split("More like this")[1]
    assert "Council Recommendation" in similar or "Micro-credentials" in similar
    assert query_of(p.href("‹ Back to results")) == [("q", "stackable")]


def test_the_document_view_says_full_text_is_missing_and_leaves_the_reason_to_the_status_page(client):
    p = page(client, "/doc/dead-link-report")
    assert "metadata only" in p.text
    assert "HTTP 404 Not Found" not in p.text
    assert p.href("details for curators") == "/status"


def test_an_unknown_document_is_a_404_page_and_json_404(client):
    p = page(client, "/doc/no-such-thing", status=404)
    assert "Not Found" in p.text and "Traceback" not in p.text
    response = client.get("/api/documents/no-such-thing")
    assert response.status_code == 404
    assert "no-such-thing" in response.get_json()["error"]


def test_a_document_can_be_cited_in_text_ris_and_bibtex(client):
    p = page(client, "/doc/digital-badges-review")
    assert "Rossi, A., & Wei, L. (2020). Digital badges and open recognition: A literature review" in p.text \
        or "Rossi, A., & Wei, L. (2020). Digital badges and open recognition: a literature review" in p.text
    ris = client.get("/doc/digital-badges-review/cite.ris")
    assert ris.mimetype == "application/x-research-info-systems"
    assert "AU  - Rossi, Ana" in ris.get_data(as_text=True)
    bib = client.get(p.href("BibTeX")).get_data(as_text=True)
    assert bib.startswith("@misc{digital-badges-review,"), "no issuing body: a @techreport would lack its institution"
    assert "author = {Rossi, Ana and Wei, Li}" in bib


# ---------------------------------------------------------------- the API


def test_api_search_returns_the_documented_json_shape(client):
    data = client.get("/api/search?q=stackable&per_page=2").get_json()
    assert list(data)[:5] == ["total", "page", "per_page", "pages", "query"]
    assert data["total"] == 4 and data["pages"] == 2 and len(data["results"]) == 2
    assert set(data["facets"]) == {"year", "regions", "type", "section", "organisation", "language"}
    assert {"id", "title", "year", "section", "type", "regions", "organisation", "url", "score", "snippets"} \
        <= set(data["results"][0])


@pytest.mark.parametrize("args", ["year=abc", "page=-1", "per_page=100000", "page=0", "sort=random",
                                  "type=novel", "year_from=20x", "per_page=abc"])
def test_invalid_parameters_are_a_400_with_a_json_error(client, args):
    response = client.get(f"/api/search?{args}")
    assert response.status_code == 400
    assert response.get_json()["error"]


def test_exports_refuse_invalid_parameters_like_the_api(client):
    response = client.get("/export.csv?year=abc")
    assert response.status_code == 400
    assert "year must be a whole number" in response.get_data(as_text=True)


def test_an_unreadable_parameter_on_the_page_is_explained_and_the_search_still_runs(client):
    p = page(client, "/?q=stackable&year=abc", status=400)
    assert "could not be read" in p.text and "year must be a whole number" in p.text
    assert "4 publications for “stackable”" in p.text


def test_api_documents_returns_one_record(client):
    doc = client.get("/api/documents/oecd-quality-and-value?q=stackable").get_json()
    assert doc["title"] == "Quality and value of micro-credentials in higher education"
    assert doc["snippets"][0]["page"] == 3


# ---------------------------------------------------------------- exports and feed


def test_results_export_as_csv_with_every_match_not_just_the_page(client):
    response = client.get("/export.csv?region=Europe&per_page=2&page=2")
    assert response.mimetype == "text/csv"
    assert 'filename="observatory-results.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert {row["id"] for row in rows} == {p.id for p in PUBLICATIONS if "Europe" in p.regions}
    assert rows[0]["link"].startswith("/doc/"), "no base URL configured: relative, never from the Host header"


def test_csv_cells_cannot_smuggle_spreadsheet_formulas():
    text = "".join(results_csv([publication({"id": "x", "title": "=HYPERLINK(\"http://evil\")", "year": 2020,
                                             "regions": ["France"], "type": "report", "section": "report"})],
                       lambda r: "/doc/x"))
    assert text.startswith("\ufeffid,"), "a UTF-8 BOM for spreadsheets"
    assert next(csv.DictReader(io.StringIO(text[1:])))["title"].startswith("'=")


def test_results_export_as_ris_and_bibtex(client):
    ris = client.get("/export.ris?q=stackable").get_data(as_text=True)
    assert ris.count("TY  - ") == 4
    bib = client.get("/export.bib?type=journal-article").get_data(as_text=True)
    assert bib.startswith("@misc{mooc-journal-article,"), "the catalog keeps no journal title, which @article requires"
    assert "type = {Journal article}" in bib


def test_the_atom_feed_lists_recent_additions_first(client):
    response = client.get("/feed.atom")
    assert response.mimetype == "application/atom+xml"
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = ET.fromstring(response.data).findall("a:entry", ns)
    titles = [entry.findtext("a:title", namespaces=ns) for entry in entries]
    assert titles[:3] == ["Microcredentials pilot in higher education: evaluation",
                          "Micro-credentials in Irish higher education: a national framework",
                          "Council Recommendation on a European approach to micro-credentials"]
    assert len(entries) == len(PUBLICATIONS)
    assert entries[0].find("a:link", ns).get("href") == "/doc/australia-mc-pilot"


# ---------------------------------------------------------------- status and about


def test_the_status_page_lists_failures_with_reasons_and_urls(client, world):
    p = page(client, "/status")
    assert f"{len(PUBLICATIONS)} publications" in p.text
    row = p.text.split("A report whose link has died")[1]
    assert row.lstrip().startswith("dead-link-report HTTP 404 Not Found")
    assert p.href(world.url("dead-link-report")) == world.url("dead-link-report")
    assert "no source link (catalog says link: missing)" in p.text


def test_the_about_page_draws_publications_per_year_without_scripts_or_styles(client):
    html = client.get("/about").get_data(as_text=True)
    p = Page(html)
    bars = [a for a in p.all("rect") if "bar" in a.get("class", "")]
    years = [pub.year for pub in PUBLICATIONS]
    assert len(bars) == max(years) - min(years) + 1
    assert p.all("svg", role="group")
    assert "most in 2020 (4)" in p.text
    assert p.all("a", href="/?year=2020", **{"aria-label": "2020: 4 publications"}), "each bar links to its year"


def test_year_series_fills_gaps_and_bars_scale_to_the_peak():
    series = year_series({2018: 2, 2021: 4})
    assert series == [("2018", 2), ("2019", 0), ("2020", 0), ("2021", 4)]
    chart = bar_chart(series, width=200, height=100, label_room=10)
    assert [bar.height for bar in chart.bars] == [45.0, 0.0, 0.0, 90.0]
    assert [tick.label for tick in chart.ticks][0::len(chart.ticks) - 1] == ["2018", "2021"]


def test_page_window_elides_long_runs():
    assert page_window(1, 1) == [1]
    assert page_window(6, 20) == [1, None, 4, 5, 6, 7, 8, None, 20]
    assert page_window(3, 20) == [1, 2, 3, 4, 5, None, 20]


# ---------------------------------------------------------------- safety


def test_hostile_titles_and_queries_are_escaped_everywhere(client):
    q = "<script>alert(1)</script>"
    for url in ("/?q=badges", "/doc/hostile-title", "/status", f"/?q={q}", f"/doc/hostile-title?q={q}"):
        html = client.get(url, query_string=None).get_data(as_text=True)
        assert "<script>alert" not in html, url
        assert "<b>bold</b>" not in html and "<i>Evil</i>" not in html
    html = client.get("/", query_string={"q": q}).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Badges &amp; &lt;b&gt;bold&lt;/b&gt;" in \
        client.get("/doc/hostile-title").get_data(as_text=True)
    assert HOSTILE_TITLE in client.get("/api/documents/hostile-title").get_json()["title"]


@pytest.mark.parametrize("url", ["/", "/?q=stackable", "/doc/oecd-quality-and-value?q=stackable", "/status",
                                 "/about", "/doc/missing", "/?year=abc"])
def test_pages_need_no_inline_script_or_style(client, url):
    html = client.get(url).get_data(as_text=True)
    p = Page(html)
    assert all(a.get("src") or a.get("type") == "application/ld+json" for a in p.all("script")), \
        "every script is a file (CSP script-src 'self'); JSON-LD is data, never run"
    assert "<style" not in html
    assert not any("style" in attrs or any(k.startswith("on") for k in attrs) for _, attrs in p.tags)


@pytest.mark.parametrize("url", ["/", "/api/search", "/doc/missing", "/static/style.css", "/feed.atom"])
def test_security_headers_on_every_response(client, url):
    headers = client.get(url).headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_an_unexpected_error_is_logged_and_shown_as_a_plain_500(app, caplog, monkeypatch):
    from webapp.service import search_service

    with app.app_context():
        service = search_service()

    def broken(req, **options):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(service, "search", broken)
    client = app.test_client()
    with caplog.at_level(logging.ERROR):
        page_response = client.get("/?q=x")
        api_response = client.get("/api/search?q=x")
    assert page_response.status_code == 500
    assert "disk on fire" not in page_response.get_data(as_text=True)
    assert "Something went wrong" in page_response.get_data(as_text=True)
    assert api_response.status_code == 500 and api_response.get_json()["error"]
    assert "disk on fire" in caplog.text


def test_before_the_first_build_the_app_explains_instead_of_failing(tmp_path):
    client = create_app(Settings.from_env(index=tmp_path / "none"), TESTING=True).test_client()
    response = client.get("/")
    assert response.status_code == 503
    assert "has not been built yet" in response.get_data(as_text=True)
    assert client.get("/api/search").get_json()["error"]


# ---------------------------------------------------------------- rebuilding while serving


@pytest.mark.parametrize("full", [False, True], ids=["incremental", "full"])
def test_a_rebuild_is_picked_up_by_the_running_app_without_restart(tmp_path, full):
    server = DocServer()
    try:
        first = [Pub("alpha", "Alpha framework", 2020, "policy", "framework", ["France"], pages=["zebra crossing"])]
        world = build_world(tmp_path, server, first)
        app = create_app(world.settings, TESTING=True)
        client = app.test_client()
        assert [r["id"] for r in client.get("/api/search?q=zebra").get_json()["results"]] == ["alpha"]

        answers, done = [], threading.Event()

        def keep_asking():
            asking = app.test_client()
            while not done.is_set():
                response = asking.get("/api/search?q=zebra")
                answers.append((response.status_code, response.get_json()["total"]))

        reader = threading.Thread(target=keep_asking)
        reader.start()
        second = [replace(first[0], title="Alpha framework, revised"),
                  Pub("beta", "Beta report", 2021, "report", "report", ["Spain"], pages=["zebra stripes"])]
        try:
            world.rebuild(second, full=full)
        finally:
            done.set()
            reader.join()

        data = client.get("/api/search?q=zebra").get_json()
        assert sorted(r["title"] for r in data["results"]) == ["Alpha framework, revised", "Beta report"]
        assert "Beta report" in client.get("/").get_data(as_text=True)
        assert answers and set(answers) <= {(200, 1), (200, 2)}, "during the build: the old index or the new one"
    finally:
        server.close()


# ---------------------------------------------------------------- production command


def test_the_documented_gunicorn_command_serves_the_api(world):
    port = free_port()
    env = {**os.environ, "OBSERVATORY_CATALOG": str(world.settings.catalog),
           "OBSERVATORY_INDEX": str(world.settings.index_dir), "OBSERVATORY_CACHE": str(world.settings.cache_dir)}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-w", "2", "-b", f"127.0.0.1:{port}",
         "webapp:create_app()"],
        cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/api/search?q=stackable", timeout=5)
                break
            except requests.ConnectionError:
                assert process.poll() is None, process.stdout.read().decode()
                assert time.monotonic() < deadline, "gunicorn did not start within 30 s"
                time.sleep(0.2)
        assert response.status_code == 200
        assert response.json()["total"] == 4
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert requests.get(f"http://127.0.0.1:{port}/api/search?page=-1", timeout=5).status_code == 400
    finally:
        process.terminate()
        process.wait(timeout=10)
