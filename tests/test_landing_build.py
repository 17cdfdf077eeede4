"""Landing pages in a build: the report behind a publisher's page is indexed with its page numbers,
both addresses are recorded, and pages that are not about one document are indexed as they are."""
from __future__ import annotations

import json

import pytest

from indexer.catalog import CatalogError, load_catalog
from indexer.layout import IndexRoot, read_manifest
from indexer import engine
from support import entry, make_pdf, write_catalog
from test_build import world  # noqa: F401  (the fixture: a catalog served by a local document server)

REPORT = make_pdf(["Executive summary", "Stackability of short courses across providers", "Annex"])


def landing_page(body: str, head: str = "") -> str:
    return (f"<html><head><title>Micro-credentials report</title>{head}</head><body><nav><a href='/'>Home</a></nav>"
            f"<main><h1>Micro-credentials report</h1><p>This report studies how learners combine "
            f"certificates, published by the agency in 2023.</p>{body}</main></body></html>")


def manifest(world) -> dict:
    return read_manifest(IndexRoot(world.settings.index_dir, engine.SCHEMA).current())


def build_one(world, **fields) -> dict:
    world.write([entry("report", title="Micro-credentials report", **fields)])
    world.build()
    return manifest(world)["report"]


@pytest.mark.parametrize("head, body", [
    pytest.param("<meta name='citation_pdf_url' content='/files/report.pdf'>", "<p>About the report.</p>",
                 id="citation_pdf_url"),
    pytest.param("", "<p><a href='/files/report.pdf'>Download the full report</a> (PDF, 2 MB)</p>"
                     "<p><a href='/files/flyer.pdf'>Flyer</a></p>", id="full-report-link"),
])
def test_a_landing_page_is_followed_to_its_report_which_is_searchable_with_page_numbers(world, head, body):
    pdf = world.server.add("/files/report.pdf", REPORT)
    world.server.add("/files/flyer.pdf", make_pdf(["A flyer about stackability"]))
    page = world.server.add("/report", landing_page(body, head), "text/html")

    built = build_one(world, url=page)

    hits = world.search("stackability")["results"]
    assert [hit["id"] for hit in hits] == ["report"]
    assert hits[0]["snippets"][0]["page"] == 2
    assert (built["landing_url"], built["url"], built["kind"], built["pages"]) == (page, pdf, "pdf", 3)
    assert world.ids("learners combine certificates") == [], "the landing page's own text is replaced by the report"


@pytest.mark.parametrize("body", [
    pytest.param("<ul><li><a href='/files/a.pdf'>Annual report 2021</a></li>"
                 "<li><a href='/files/b.pdf'>Annual report 2022</a></li></ul>", id="several-unrelated-pdfs"),
    pytest.param("<p><a href='http://localhost:{port}/files/report.pdf'>Download the full report</a></p>",
                 id="off-site-link"),
])
def test_a_page_that_is_not_about_one_document_is_indexed_as_it_is(world, body):
    for name in ("a", "b", "report"):
        world.server.add(f"/files/{name}.pdf", REPORT)
    page = world.server.add("/report", landing_page(body.format(port=world.server.port)), "text/html")

    built = build_one(world, url=page)

    assert world.ids("learners combine certificates") == ["report"]
    assert world.ids("stackability") == []
    assert (built["landing_url"], built["url"], built["kind"]) == (None, page, "html")
    assert world.server.requests_for("/files/report.pdf") == [] and world.server.requests_for("/files/a.pdf") == []


def test_follow_false_keeps_the_page_itself(world):
    world.server.add("/files/report.pdf", REPORT)
    page = world.server.add("/report", landing_page("<a href='/files/report.pdf'>Download the full report</a>"),
                            "text/html")

    built = build_one(world, url=page, follow=False)

    assert world.ids("learners combine certificates") == ["report"] and world.ids("stackability") == []
    assert (built["landing_url"], built["url"]) == (None, page)
    assert world.server.requests_for("/files/report.pdf") == []


def test_a_pinned_document_url_is_indexed_even_where_the_page_links_elsewhere(world):
    pinned = world.server.add("/files/pinned.pdf", REPORT)
    world.server.add("/files/other.pdf", make_pdf(["Something else entirely"]))
    page = world.server.add("/report", landing_page("<a href='/files/other.pdf'>Download the full report</a>"),
                            "text/html")

    built = build_one(world, url=page, document_url=pinned)

    assert world.ids("stackability") == ["report"] and world.ids("entirely") == []
    assert (built["landing_url"], built["url"]) == (page, pinned)


@pytest.mark.parametrize("pdf_route", [
    pytest.param({"status": 404}, id="dead-link"),
    pytest.param({"body": b"%PDF-1.4 garbage that no reader can read"}, id="unreadable-pdf"),
])
def test_when_the_linked_document_fails_the_page_text_is_kept_with_a_warning(world, pdf_route):
    world.server.add("/files/report.pdf", pdf_route.get("body", b"%PDF"), status=pdf_route.get("status", 200))
    page = world.server.add("/report", landing_page("<a href='/files/report.pdf'>Download the full report</a>"),
                            "text/html")

    built = build_one(world, url=page)

    assert world.ids("learners combine certificates") == ["report"]
    assert (built["failure"], built["landing_url"], built["url"], built["kind"]) == (None, None, page, "html")
    assert "linked from the landing page was not indexed" in built["warning"]


def test_a_rebuild_of_an_unchanged_landing_page_and_report_writes_nothing(world):
    world.server.add("/files/report.pdf", REPORT)
    page = world.server.add("/report", landing_page("<a href='/files/report.pdf'>Download the full report</a>"),
                            "text/html")
    build_one(world, url=page)

    again = world.build()

    assert (again.written, again.unchanged, again.extractions) == (0, 1, 0)
    assert world.ids("stackability") == ["report"]


def test_the_web_page_of_a_followed_report_says_it_is_a_pdf_with_its_pages(world):
    world.server.add("/files/report.pdf", REPORT)
    page = world.server.add("/report", landing_page("<a href='/files/report.pdf'>Download the full report</a>"),
                            "text/html")
    build_one(world, url=page)

    document = json.loads(_client(world).get("/api/documents/report?q=stackability").get_data())

    assert (document["kind"], document["pages"], document["snippets"][0]["page"]) == ("pdf", 3, 2)


def _client(world):
    from webapp import create_app
    return create_app(world.settings).test_client()


@pytest.mark.parametrize("fields, message", [
    ({"link": "missing", "document_url": "https://example.org/r.pdf"}, "needs the page's url"),
    ({"url": "https://example.org/r", "document_url": "https://example.org/r.pdf", "follow": False}, "not both"),
    ({"url": "https://example.org/r", "document_url": "example.org/r.pdf"}, "not an http(s) URL"),
    ({"url": "https://example.org/r", "follow": "no"}, "must be true or false"),
])
def test_the_catalog_refuses_contradictory_or_malformed_landing_fields(tmp_path, fields, message):
    catalog = tmp_path / "catalog.yaml"
    write_catalog(catalog, [entry("report", **fields)])

    with pytest.raises(CatalogError, match="(?s)entry 1 \\(id 'report'\\).*" + message.replace("(", "\\(")
                       .replace(")", "\\)")):
        load_catalog(catalog)
