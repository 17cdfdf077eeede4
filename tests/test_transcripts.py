"""Recordings: a record's `transcript:` (WebVTT or SRT) is searchable, and a hit links to the moment."""
from __future__ import annotations

import json

import pytest

from indexer.catalog import CatalogError, load_catalog
from indexer.layout import IndexRoot, read_manifest
from indexer import engine
from support import entry, make_pdf, write_catalog
from test_build import world  # noqa: F401  (the fixture: a catalog served by a local document server)
from test_captions import srt, vtt
from webapp import create_app
from webapp.links import clock, moment_link

CUES = ((5, "Welcome to the webinar."), (40, "Our topic today is portability."),
        (754, "Stackability was the first question from the audience."))


def webinar(world, **fields) -> dict:
    world.write([entry("webinar", title="Webinar on credentials", section="event", type="event", **fields)])
    world.build()
    return read_manifest(IndexRoot(world.settings.index_dir, engine.SCHEMA).current())["webinar"]


def client(world):
    return create_app(world.settings).test_client()


@pytest.mark.parametrize("captions, name", [(vtt, "talk.vtt"), (srt, "talk.srt")])
def test_a_local_caption_file_makes_a_recording_searchable_by_the_second(world, captions, name):
    folder = world.settings.catalog.parent
    (folder / "files").mkdir(parents=True)
    (folder / "files" / name).write_bytes(captions(*CUES))

    built = webinar(world, url=world.server.add("/video", "<html><body><main><p>A recorded webinar page "
                                                          "with a player.</p></main></body></html>", "text/html"),
                    transcript=f"files/{name}")

    hit = world.search("stackability")["results"][0]
    assert hit["id"] == "webinar"
    assert hit["snippets"][0]["page"] is None and hit["snippets"][0]["time"] == 754
    assert "<mark>Stackability</mark>" in hit["snippets"][0]["html"]
    assert (built["windows"], built["pages"], built["transcript_url"]) == (2, 1, str(folder / "files" / name))
    assert world.ids("recorded webinar page") == ["webinar"], "the page's own text is indexed before the transcript"


def test_a_transcript_url_with_link_missing_is_the_record_s_full_text(world):
    built = webinar(world, link="missing", transcript=world.server.add("/talk.vtt", vtt(*CUES), "text/vtt"))

    assert world.ids("portability") == ["webinar"]
    assert (built["status"], built["kind"], built["failure"]) == ("full_text", "vtt", None)
    snippet = json.loads(client(world).get("/api/search?q=portability").get_data())["results"][0]["snippets"][0]
    assert (snippet["page"], snippet["time"]) == (None, 5)


def test_the_result_links_a_transcript_hit_to_the_moment_in_the_recording(world):
    recording = world.server.add("/talk.mp4", make_pdf(["A recorded webinar"]))  # any document: the link is what counts
    webinar(world, url=recording, transcript=world.server.add("/talk.srt", srt(*CUES), "text/plain"))

    page = client(world).get("/?q=stackability").get_data(as_text=True)
    document = client(world).get("/doc/webinar?q=stackability").get_data(as_text=True)

    for html in (page, document):
        assert f'href="{recording}#t=754"' in html and ">12:34<" in html


def test_a_transcript_that_is_not_captions_leaves_the_document_indexed_with_a_warning(world):
    report = world.server.add("/report.pdf", make_pdf(["Stackability of short courses"]))

    built = webinar(world, url=report, transcript=world.server.add("/notes.txt", "Just some notes.", "text/plain"))

    assert world.ids("stackability") == ["webinar"]
    assert built["failure"] is None and "transcript not indexed (not WebVTT or SRT captions)" in built["warning"]
    assert built["windows"] == 0


@pytest.mark.parametrize("url, seconds, expected", [
    ("https://www.youtube.com/watch?v=abc123", 754, "https://www.youtube.com/watch?v=abc123&t=754s"),
    ("https://youtu.be/abc123?t=5", 754, "https://youtu.be/abc123?t=754"),
    ("https://vimeo.com/12345", 754, "https://vimeo.com/12345#t=754s"),
    ("https://example.org/talk.mp4#t=1", 754, "https://example.org/talk.mp4#t=754"),
    (None, 754, None),
])
def test_a_moment_link_uses_the_player_s_own_time_parameter(url, seconds, expected):
    assert moment_link(url, seconds) == expected


@pytest.mark.parametrize("seconds, shown", [(5, "0:05"), (754, "12:34"), (3754, "1:02:34")])
def test_a_moment_reads_as_a_player_shows_it(seconds, shown):
    assert clock(seconds) == shown


@pytest.mark.parametrize("transcript, message", [
    ("../elsewhere/talk.vtt", "field 'transcript': '../elsewhere/talk.vtt' leads outside the catalog's folder"),
    ("ftp://example.org/talk.vtt", "neither an http\\(s\\) URL nor a path"),
])
def test_the_catalog_refuses_a_transcript_it_could_not_safely_read(tmp_path, transcript, message):
    catalog = tmp_path / "corpus" / "catalog.yaml"
    write_catalog(catalog, [entry("webinar", link="missing", transcript=transcript)])

    with pytest.raises(CatalogError, match=message):
        load_catalog(catalog)


def test_a_recording_s_matches_are_in_time_order_with_the_page_text_apart(world):
    # the later, the more often said: ranked by score the passages come latest first
    cues = ((30, "Credentials early on."), (900, "Credentials and credentials midway."),
            (2400, "Credentials, credentials and more credentials late in the talk."))
    webinar(world, url=world.server.add("/video2", "<html><body><main><p>Credentials webinar page with a player."
                                                   "</p></main></body></html>", "text/html"),
            transcript=world.server.add("/talk2.vtt", vtt(*cues), "text/vtt"))
    document = client(world).get("/doc/webinar?q=credentials").get_data(as_text=True)
    recording, _, landing = document.partition("On the page about it")
    assert [recording.index(t) for t in (">0:30<", ">15:00<", ">40:00<")] == sorted(
        recording.index(t) for t in (">0:30<", ">15:00<", ">40:00<")), "in the order said"
    assert "webinar page with a player" in landing and "webinar page with a player" not in recording


def test_the_cli_prints_a_transcript_passage_s_moment(world, capsys):
    from indexer.cli import _where
    assert _where({"page": None, "time": 754, "html": ""}) == "12:34" and _where({"page": 3, "time": None}) == "p. 3"
