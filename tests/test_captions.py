"""Captions of recordings: what was said, found in windows of time that link to the moment."""
from __future__ import annotations

import pytest

from indexer.extract import ExtractionError, extract
from indexer.extract.captions import WINDOW_SECONDS, sniff


def vtt(*cues: tuple[int, str]) -> bytes:
    """A WebVTT file with one two-second cue per (start second, text)."""
    blocks = [f"{_stamp(start, '.')} --> {_stamp(start + 2, '.')}\n{text}" for start, text in cues]
    return ("WEBVTT - webinar on micro-credentials\n\nNOTE made by the tests\n\n" + "\n\n".join(blocks) + "\n").encode()


def srt(*cues: tuple[int, str]) -> bytes:
    blocks = [f"{n}\n{_stamp(start, ',')} --> {_stamp(start + 2, ',')}\n{text}" for n, (start, text) in enumerate(cues, 1)]
    return ("\n\n".join(blocks) + "\n").encode()


def _stamp(seconds: int, separator: str) -> str:
    return f"{seconds // 3600:02}:{seconds // 60 % 60:02}:{seconds % 60:02}{separator}250"


def test_webvtt_cues_become_pages_of_a_minute_with_their_start_second():
    content = vtt((5, "Welcome to the webinar."), (40, "Stackability comes first."),
                  (70, "Portability is next."), (754, "Questions from the audience."))

    result = extract(content, "vtt")

    assert (result.engine, result.paged) == ("vtt", False)
    assert result.pages == ["Welcome to the webinar.\nStackability comes first.", "Portability is next.",
                            "Questions from the audience."]
    assert result.times == [5, 70, 754]


def test_a_window_starts_at_its_first_cue_and_lasts_a_minute():
    content = vtt(*((second, f"word{second}") for second in range(0, 3 * WINDOW_SECONDS, 10)))

    result = extract(content, "vtt")

    assert result.times == [0, WINDOW_SECONDS, 2 * WINDOW_SECONDS]
    assert all(len(page.split("\n")) == WINDOW_SECONDS // 10 for page in result.pages)


def test_srt_reads_like_webvtt():
    cues = ((1, "Micro-credentials in Europe."), (3661, "An hour later."))

    assert extract(srt(*cues), "srt").pages == extract(vtt(*cues), "vtt").pages
    assert extract(srt(*cues), "srt").times == [1, 3661]


def test_cue_markup_is_stripped_and_speakers_are_named_once_per_turn():
    content = vtt((1, "<v Roger Bingham>We are in <b>New York</b> &amp; <c.yellow>Dublin</c>"),
                  (3, "<v Roger Bingham><00:00:03.500>and online"),
                  (5, "<v.loud Mary>Thank you, <i>Roger</i>."))

    assert extract(content, "vtt").pages == ["Roger Bingham: We are in New York & Dublin\nand online\n"
                                             "Mary: Thank you, Roger."]


def test_srt_styling_is_stripped():
    assert extract(srt((1, "<i>Learners</i> <font color=\"red\">value</font> stackability")), "srt").pages == \
        ["Learners value stackability"]


def test_rolling_live_captions_do_not_repeat_their_lines():
    content = vtt((1, "micro-credentials are"), (3, "micro-credentials are\nshort courses"),
                  (5, "short courses\nwith credit"))

    assert extract(content, "vtt").pages == ["micro-credentials are\nshort courses\nwith credit"]


@pytest.mark.parametrize("content, kind", [
    pytest.param(vtt((1, "Hello")), "vtt", id="webvtt"),
    pytest.param(b"\xef\xbb\xbf" + vtt((1, "Hello")), "vtt", id="webvtt-with-bom"),
    pytest.param(srt((1, "Hello")), "srt", id="srt"),
    pytest.param(srt((1, "Hello")).replace(b"\n", b"\r\n"), "srt", id="srt-crlf"),
    pytest.param(b"WEBVTTX is not a header", None, id="not-webvtt"),
    pytest.param(b"1\nThe first point of the minutes.\n", None, id="numbered-text"),
    pytest.param(b"<html><body>WEBVTT</body></html>", None, id="html"),
])
def test_captions_are_recognised_by_their_content(content, kind):
    assert sniff(content) == kind


def test_a_caption_file_fetched_as_text_is_read_as_captions():
    result = extract(srt((90, "Recognition of prior learning.")), "text")

    assert (result.engine, result.pages, result.times) == ("srt", ["Recognition of prior learning."], [90])


def test_captions_without_words_are_a_reason():
    with pytest.raises(ExtractionError, match=r"no text \(empty captions\)"):
        extract(vtt((1, "<v Mary></v>"), (3, "")), "vtt")


def test_broken_captions_are_a_reason():
    with pytest.raises(ExtractionError, match="not valid SRT captions"):
        extract(b"1\nno timing line here\n", "srt")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_captions_with_a_byte_order_mark_are_read_as_captions(encoding):
    text = "WEBVTT\n\n00:00.000 --> 00:04.000\nStackable badges, naïvely explained.\n"
    content = "\ufeff".encode(encoding) + text.encode(encoding)
    assert sniff(content) == "vtt"
    result = extract(content, "text")
    assert (result.engine, result.pages, result.times) == ("vtt", ["Stackable badges, naïvely explained."], [0])
