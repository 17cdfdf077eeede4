"""The reading view: one page's text with the query marked, and the way to the other matching pages."""
from __future__ import annotations

import pytest

from support import DocServer
from web_world import build_world, page
from webapp import create_app
from webapp.reading import reflow


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    server = DocServer()
    world = build_world(tmp_path_factory.mktemp("reading"), server)
    yield create_app(world.settings, TESTING=True).test_client()
    server.close()


def test_a_page_shows_its_text_with_the_query_marked_and_escaped(client):
    html = client.get("/doc/oecd-quality-and-value/page/3?q=stackable").get_data(as_text=True)
    assert "<mark id=\"first-match\">Stackable</mark> credentials let learners combine short courses into a degree." in html
    hostile = client.get("/doc/hostile-title/page/1?q=badges").get_data(as_text=True)
    assert "<mark id=\"first-match\">Badges</mark> can be &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; stacked." in hostile
    assert "<script>alert" not in hostile


def test_a_page_leads_to_its_neighbours_the_other_matching_pages_and_the_source_page(client):
    p = page(client, "/doc/oecd-quality-and-value/page/1?q=policy")
    assert p.href("Page 2 ›") == "/doc/oecd-quality-and-value/page/2?q=policy"
    assert "‹ Page 0" not in p.text
    assert p.href("Next matching page (p. 2) ›") == "/doc/oecd-quality-and-value/page/2?q=policy#first-match"
    assert p.href("Open the source at this page (PDF)").endswith("/docs/oecd-quality-and-value.pdf#page=1")
    last = page(client, "/doc/oecd-quality-and-value/page/4?q=policy")
    assert last.href("‹ Previous matching page (p. 2)") == "/doc/oecd-quality-and-value/page/2?q=policy#first-match"
    assert "Page 5 ›" not in last.text and "Page 4 of 4" in last.text
    assert "2 pages match “policy”" in last.text


def test_the_document_view_links_its_matching_pages_to_the_reading_view(client):
    p = page(client, "/doc/eu-council-recommendation?q=stackable")
    assert p.href("p. 2: read the page") == "/doc/eu-council-recommendation/page/2?q=stackable#first-match"


@pytest.mark.parametrize("url", ["/doc/oecd-quality-and-value/page/5", "/doc/oecd-quality-and-value/page/0",
                                 "/doc/no-such-doc/page/1", "/doc/ecs-webinar/page/1"])
def test_a_page_that_does_not_exist_is_a_404(client, url):
    assert client.get(url).status_code == 404


def test_without_a_query_the_page_is_plain_text(client):
    html = client.get("/doc/oecd-quality-and-value/page/3").get_data(as_text=True)
    assert "Stackable credentials let learners" in html and "<mark>" not in html


def test_pdf_lines_are_reflowed_into_paragraphs_with_headings_kept():
    text = ("1. Introduction\n\nMicro-credentials are short courses that lead to a recog-\nnised award and can be stacked\n"
            "towards a degree.\nA second paragraph starts here and runs on\n"
            "to the end.\n\nRECOMMENDATIONS\nMember states should act.")
    blocks = reflow(text)
    assert [(b.heading, str(b.html)) for b in blocks] == [
        (True, "1. Introduction"),
        (False, "Micro-credentials are short courses that lead to a recognised award and can be stacked towards a "
                "degree."),
        (False, "A second paragraph starts here and runs on to the end."),
        (True, "RECOMMENDATIONS"),
        (False, "Member states should act.")]


def test_the_reading_view_is_paragraphs_with_page_and_match_links_above_and_below(client):
    p = page(client, "/doc/oecd-quality-and-value/page/1?q=policy")
    assert len([href for label, href in p.links if label == "Page 2 ›"]) == 2, "top and bottom"
    assert len([href for label, href in p.links if label == "Next matching page (p. 2) ›"]) == 2
    assert p.all("div", id="page-text") and "<p>" in client.get("/doc/oecd-quality-and-value/page/1").get_data(
        as_text=True).split('id="page-text"')[1]


def test_a_link_to_a_match_opens_the_page_at_its_first_marked_word(client):
    html = client.get("/doc/oecd-quality-and-value/page/3?q=stackable").get_data(as_text=True)
    assert html.count('<mark id="first-match">') == 1 and html.count("<mark") >= 1
