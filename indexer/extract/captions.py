"""Captions and transcripts of recordings (WebVTT, SubRip): what was said, in windows of time.

A recording has no pages; its cue times stand in for page numbers, so a hit can link to the moment it
was said. webvtt-py reads both formats (and strips cue markup: voices, classes, styling, timestamps);
it is maintained, and one parser for both keeps the two formats' pages alike.
"""

from __future__ import annotations

import codecs
import html
import io
import re

import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from ..failures import Failure
from .model import Extraction, ExtractionError
from .normalize import normalize
from .text import decode

KINDS = ("vtt", "srt")

WINDOW_SECONDS = 60
"""Length of a "page": about 150 spoken words, enough for a snippet's context, and a link to its start
lands the listener at most a minute before the words."""


def clock(seconds: int) -> str:
    """754 -> "12:34", 3754 -> "1:02:34": a moment in a recording as players show it."""
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}:{rest // 60:02}:{rest % 60:02}" if hours else f"{rest // 60}:{rest % 60:02}"


_SNIFF_CHARS = 1024
_WEBVTT_HEADER = re.compile(r"\AWEBVTT(?:[ \t]|$)", re.MULTILINE)
_SRT_FIRST_CUE = re.compile(
    r"\A\s*\d+[ \t]*\r?\n\d{1,2}:\d{2}:\d{2}[,.]\d{3}[ \t]+-->[ \t]+\d{1,2}:\d{2}:\d{2}[,.]\d{3}"
)


def sniff(content: bytes) -> str | None:
    """ "vtt" or "srt" when the bytes are captions (servers label them text/plain or octet-stream), else None."""
    start = content[: _SNIFF_CHARS * 2]  # UTF-16 takes two bytes a character
    encoding = "utf-16" if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8"
    head = start.decode(encoding, errors="ignore").lstrip("\ufeff")
    if _WEBVTT_HEADER.match(head):
        return "vtt"
    if _SRT_FIRST_CUE.match(head):
        return "srt"
    return None


def extract_captions(content: bytes, kind: str) -> Extraction:
    """Pages are windows of WINDOW_SECONDS; times[n] is the whole second at which page n+1 starts."""
    text, warning = decode(content)
    try:
        captions = webvtt.from_buffer(io.StringIO(text), format=kind)
    except (MalformedFileError, MalformedCaptionError) as exc:
        raise ExtractionError(f"not valid {kind.upper()} captions ({exc})") from None
    pages: list[list[str]] = []
    times: list[int] = []
    speaker = last_line = None
    for caption in captions.captions:
        lines = [line for line in normalize(html.unescape(caption.text)).split("\n") if line]
        if not lines:
            continue
        start = int(caption.start_in_seconds)
        if not times or start - times[-1] >= WINDOW_SECONDS:
            pages.append([])
            times.append(start)
        if caption.voice and caption.voice != speaker:
            lines[0] = f"{caption.voice}: {lines[0]}"
        speaker = caption.voice
        for line in lines:
            # Live captions roll: each cue repeats the previous cue's last line before adding its own.
            if line != last_line:
                pages[-1].append(line)
            last_line = line
    if not pages:
        raise ExtractionError("no text (empty captions)", Failure.NOT_A_DOCUMENT)
    return Extraction(pages=["\n".join(page) for page in pages], paged=False, engine=kind, times=times, warning=warning)
