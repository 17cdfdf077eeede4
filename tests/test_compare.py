"""Comparing what the documents say: the evidence table of /compare, /api/compare and its exports,
over three countries' frameworks, a framework of two countries, a report whose running header alone
says the query word, a record known by its metadata only and a title that looks like a formula."""
from __future__ import annotations

import csv
import html
import io
import re

import pytest
from compare_world import HEADER, PUBLICATIONS
from support import DocServer
from web_world import build_world, page, query_of

from indexer import compare as compare_module
from indexer.compare import MAX_PASSAGE_CHARS, passages
from indexer.analysis import index_terms
from indexer.engine import Page
from webapp import create_app


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    server = DocServer()
    world = build_world(tmp_path_factory.mktemp("compare"), server, PUBLICATIONS)
    yield create_app(world.settings, TESTING=True).test_client()
    server.close()


def api(client, query: str) -> dict:
    response = client.get("/api/compare?" + query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def plain(passage_html: str) -> str:
    return html.unescape(re.sub(r"</?mark>", "", passage_html))


def rows_of(data: dict) -> list[tuple]:
    """(group label, id, passage text or None) per row and passage, as the CSV has them."""
    return [(group["label"], row["id"], plain(p["html"]) if p else None)
            for group in data["groups"] for row in group["rows"] for p in row["passages"] or [None]]


def terms(text: str) -> frozenset:
    return frozenset(index_terms(text).split())


def test_grouping_by_region_puts_each_framework_under_its_country(client):
    data = api(client, "q=stackable&by=region")

    groups = {g["value"]: [row["id"] for row in g["rows"]] for g in data["groups"]}
    assert data["by"] == "region" and data["query"] == "stackable"
    assert set(groups["Ireland"]) == {"catalogue-only", "ireland-framework"}
    assert set(groups["Australia"]) == {"australia-framework", "trans-tasman"}
    assert set(groups["New Zealand"]) == {"new-zealand-framework", "trans-tasman"}, "under each of its regions"
    totals = {g["value"]: g["total"] for g in data["groups"]}
    counts = [totals[v] for v in totals]
    assert counts == sorted(counts, reverse=True), "groups in the region facet's order (most first)"
    assert data["total"] == 6


def test_the_passages_are_the_sentences_that_hold_the_words(client):
    data = api(client, "q=stackable")
    [group] = data["groups"]
    assert group["value"] is None and group["label"] is None
    said = {row["id"]: [(p["page"], p["html"]) for p in row["passages"]] for row in group["rows"]}

    assert said["ireland-framework"] == [
        (2, "Awards are <mark>stackable</mark> towards a major award on the national framework.")]
    assert said["australia-framework"] == [
        (1, "Microcredentials may be <mark>stackable</mark> into qualifications under the AQF.")]
    assert said["new-zealand-framework"] == [(1, "A micro-credential is not <mark>stackable</mark> by default.")]
    ireland = next(row for row in group["rows"] if row["id"] == "ireland-framework")
    assert ireland["pages"] == 1 and ireland["type"] == "framework" and ireland["regions"] == ["Ireland"]
    assert said["formula-title"] == [
        (1, "Pathways that are <mark>stackable</mark> | piped and *starred* &lt;b&gt;words&lt;/b&gt;.")], \
        "the page's text is escaped; only <mark> is markup"


def test_an_abbreviation_ends_no_sentence_and_a_line_break_is_a_space(client):
    row = next(r for r in api(client, "q=universities")["groups"][0]["rows"] if r["id"] == "ireland-framework")
    assert [plain(p["html"]) for p in row["passages"]] == [
        "Quality assurance is required of every provider, e.g. in universities."]


def test_the_running_header_never_appears(client):
    stackable = api(client, "q=stackable")
    assert "header-report" not in {row["id"] for row in stackable["groups"][0]["rows"]}

    [report] = api(client, "q=apprenticeships")["groups"][0]["rows"]
    assert report["id"] == "header-report" and report["pages"] == 4
    assert len(report["passages"]) == 3
    for passage in report["passages"]:
        assert HEADER not in plain(passage["html"]) and "Page" not in plain(passage["html"])
        assert "<mark>Apprenticeships</mark>" in passage["html"] or "<mark>apprenticeships</mark>" in passage["html"]


def test_a_phrase_keeps_only_its_pages_and_passages(client):
    data = api(client, "q=" + "%22quality+assurance%22")
    rows = {row["id"]: row for row in data["groups"][0]["rows"]}

    assert set(rows) == {"ireland-framework"}, "Australia says quality and assurance, but apart"
    ireland = rows["ireland-framework"]
    assert ireland["pages"] == 1, "page 3 has both words, not the phrase"
    assert [plain(p["html"]) for p in ireland["passages"]] == [
        "Quality assurance is required of every provider, e.g. in universities."]
    words = api(client, "q=quality+assurance")["groups"][0]["rows"]
    assert next(row for row in words if row["id"] == "ireland-framework")["pages"] == 2


def test_a_publication_known_by_its_metadata_says_where_it_matched(client):
    rows = {row["id"]: row for row in api(client, "q=stackable")["groups"][0]["rows"]}
    assert rows["catalogue-only"]["passages"] == [] and rows["catalogue-only"]["matched_in"] == ["summary"]
    assert rows["catalogue-only"]["pages"] == 0

    p = page(client, "/compare?q=stackable")
    assert "Matches the summary (metadata only: the text could not be searched)" in p.text


def test_the_same_passage_is_not_shown_twice_and_none_is_cut_inside_a_word():
    sentence = "Credits are stackable across providers."
    long_one = " ".join(["Providers agree that"] + ["short courses and longer programmes"] * 15
                        + ["remain stackable", "within the national framework"] * 3) + "."
    pages = [Page(1, None, f"Intro.\n{sentence}"), Page(2, None, f"{sentence} {long_one}"),
             Page(3, None, sentence)]

    found = passages(pages, terms("stackable"))

    texts = [plain(p["html"]) for p in found]
    assert texts.count(sentence) == 1, texts
    cut = next(t for t in texts if t.startswith("…") or t.endswith("…"))
    assert len(cut) <= MAX_PASSAGE_CHARS + 4
    words = set(long_one.replace(".", " ").split())
    assert set(cut.strip("… .").split()) <= words, "only whole words of the sentence"


def test_a_recording_passage_cites_its_moment():
    [passage] = passages([Page(0, 754, "We discussed stackable badges at length.")], terms("stackable"))
    assert passage == {"page": None, "time": 754, "html": "We discussed <mark>stackable</mark> badges at length."}


def test_each_group_shows_at_most_its_best_rows_with_a_link_to_the_rest(client, monkeypatch):
    monkeypatch.setattr(compare_module, "GROUP_ROWS", 1)
    data = api(client, "q=stackable&by=region")
    australia = next(g for g in data["groups"] if g["value"] == "Australia")
    assert australia["total"] == 2 and len(australia["rows"]) == 1

    p = page(client, "/compare?q=stackable&by=region")
    rest = p.href("All 2 publications in Australia ›")
    assert sorted(query_of(rest)) == [("q", "stackable"), ("region", "Australia")]
    ungrouped = api(client, rest.split("?", 1)[1])
    assert {row["id"] for row in ungrouped["groups"][0]["rows"]} == {"australia-framework", "trans-tasman"}


def test_a_selected_facet_value_is_the_only_group_of_that_facet(client):
    data = api(client, "q=stackable&by=region&region=New+Zealand")
    assert [g["value"] for g in data["groups"]] == ["New Zealand"]
    assert {row["id"] for row in data["groups"][0]["rows"]} == {"new-zealand-framework", "trans-tasman"}


def test_the_csv_parses_back_to_the_rows_of_the_json(client):
    data = api(client, "q=stackable&by=region")
    response = client.get("/compare.csv?q=stackable&by=region")
    body = response.get_data()

    assert response.mimetype == "text/csv" and body.startswith(b"\xef\xbb\xbf")
    lines = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [(line["group"], line["id"], line["passage"] or None) for line in lines] == rows_of(data)
    formula = next(line for line in lines if line["id"] == "formula-title")
    assert formula["title"].startswith("'=HYPERLINK"), "a formula is neutralised"
    catalogue = next(line for line in lines if line["id"] == "catalogue-only")
    assert catalogue["matched_in"] == "summary" and catalogue["link"].endswith("/doc/catalogue-only")


MARKDOWN_ROW = re.compile(
    r"^\| (?P<group>(?:[^|\\]|\\.)+) \| \[(?P<title>(?:[^\]\\]|\\.)+)\]\((?P<link>[^)\s]+)\) \| (?P<year>\d{4}) \| "
    r"(?P<org>(?:[^|\\]|\\.)*) \| (?P<type>(?:[^|\\]|\\.)+) \| (?P<regions>(?:[^|\\]|\\.)+) \| (?P<pages>\d+) \| "
    r"(?P<passages>(?:[^|\\]|\\.)+) \|$")


def _unmarkdown(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text.replace("**", ""))


def test_the_markdown_table_parses_back_to_the_rows_of_the_json(client):
    data = api(client, "q=stackable&by=region")
    text = client.get("/compare.md?q=stackable&by=region").get_data(as_text=True)

    head, rule, *lines = text.rstrip("\n").split("\n")
    assert head == "| Group | Publication | Year | Organisation | Type | Regions | Matching pages | Passages |"
    assert rule == "| --- | --- | ---: | --- | --- | --- | ---: | --- |"
    parsed = [MARKDOWN_ROW.match(line) for line in lines]
    assert all(parsed), [line for line, m in zip(lines, parsed) if not m]
    expected = [(g["label"], row["title"], row["pages"], [plain(p["html"]) for p in row["passages"]])
                for g in data["groups"] for row in g["rows"]]
    got = [(_unmarkdown(m["group"]), _unmarkdown(m["title"]), int(m["pages"]),
            [] if m["pages"] == "0" else [_unmarkdown(re.sub(r"^p\. \d+: ", "", cell))
                                          for cell in m["passages"].split("<br>")])
           for m in parsed]
    assert got == expected
    formula = next(line for line in lines if "formula-title" in line)
    assert r"\| piped and \*starred\* \<b\>words\</b\>" in formula and "**stackable**" in formula


def test_the_page_shows_the_table_with_linked_titles_and_page_references(client):
    p = page(client, "/compare?q=stackable&by=region")
    assert p.href("Micro-credentials in Ireland: a national framework").startswith("/doc/ireland-framework?q=stackable")
    assert "/doc/ireland-framework/page/2?q=stackable#first-match" in [href for _, href in p.links]
    headings = [a.get("id") for a in p.all("h3")]
    assert len(headings) == len(api(client, "q=stackable&by=region")["groups"])
    assert "Australia – 2 publications" in p.text
    assert p.href("CSV").startswith("/compare.csv?q=stackable&by=region")
    assert p.href("Markdown").startswith("/compare.md?q=stackable&by=region")


def test_every_result_page_trends_and_the_document_view_lead_here(client):
    search = page(client, "/?q=stackable&region=Ireland")
    assert sorted(query_of(search.href("Compare passages"))) == [("q", "stackable"), ("region", "Ireland")]
    trends = page(client, "/trends?q=stackable&by=region")
    assert sorted(query_of(trends.href("Compare passages for “stackable” by region"))) == [
        ("by", "region"), ("q", "stackable")]
    doc = page(client, "/doc/ireland-framework?q=stackable")
    link = doc.href("Compare passages: this publication’s best sentences for “stackable”")
    assert sorted(query_of(link)) == [("q", "stackable"), ("sel", "ireland-framework")]
    [row] = api(client, link.split("?", 1)[1])["groups"][0]["rows"]
    assert row["id"] == "ireland-framework" and row["passages"]


def test_without_words_the_page_asks_for_them_instead_of_a_table_of_nothing(client):
    p = page(client, "/compare?region=Ireland")
    assert "Which words should the publications be compared on?" in p.text
    assert not p.all("table") and p.href("stackable, by region") == "/compare?q=stackable&by=region"


def test_bad_parameters_are_answered_400_with_a_message(client):
    response = client.get("/api/compare?q=stackable&by=colour")
    assert response.status_code == 400 and "by must be one of" in response.get_json()["error"]
    assert client.get("/compare?by=colour").status_code == 400
    assert client.get("/compare.csv?region=Atlantis").status_code == 400
    too_many = "&".join(f"sel=p{n}" for n in range(101))
    assert "at most 100" in client.get("/api/compare?" + too_many).get_json()["error"]
    hostile = page(client, "/compare?q=%3Cscript%3Ealert(1)%3C/script%3E")
    assert not hostile.all("script", src=None), "the query is escaped, never markup"
