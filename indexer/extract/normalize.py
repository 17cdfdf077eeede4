"""One normal form for text, whatever engine or source produced it, so that words match words.

PDF engines hand back ligature glyphs, `(cid:NN)` placeholders for glyphs without a Unicode mapping,
words broken at line ends, soft hyphens and page-break characters; web pages add odd spaces. A search
for "stackability" must find a page that printed "stack-" at the end of one line and "ability" on the
next, and snippets must not show control characters.
"""

from __future__ import annotations

import re
import unicodedata

SECTION_CHARS = 4000
"""Size of an HTML or plain-text section: long enough for context, short enough for whole-text highlighting."""

_CID_PLACEHOLDER = re.compile(r"\(cid:\d+\)")
_BREAKS = str.maketrans(
    {
        "\ufffe": "-\n",  # PDFium's mark for a hyphen it found at a line end (the line break itself is dropped)
        "\x0c": "\n\n",  # form feed: pdfminer ends every page with one
        "\x0b": "\n",
        "\u2028": "\n",
        "\u2029": "\n\n",
    }
)
_INVISIBLE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\u200b\u2060\ufeff\uffff]")
_SPACES = re.compile(r"[^\S\n]+")
_SPACES_AROUND_NEWLINE = re.compile(r" ?\n ?")
_SOFT_HYPHEN_AT_LINE_END = re.compile("\u00ad\n")
_HYPHEN_AT_LINE_END = re.compile(r"(?<=[^\W\d_])[-\u2010]\n(?=([^\W\d_]))")
BLANK_LINES = re.compile(r"\n{3,}")
"""Runs of blank lines; one blank line is the paragraph break every reader produces."""


def normalize(text: str) -> str:
    """Lines are kept (they help snippets); paragraphs stay separated by exactly one blank line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFKC", text)
    text = _CID_PLACEHOLDER.sub("", text)
    text = text.translate(_BREAKS)
    text = _INVISIBLE.sub("", text)
    text = _SPACES.sub(" ", text)
    text = _SPACES_AROUND_NEWLINE.sub("\n", text)
    text = _SOFT_HYPHEN_AT_LINE_END.sub("", text).replace("\u00ad", "")
    text = _HYPHEN_AT_LINE_END.sub(_join_if_word_continues, text)
    text = BLANK_LINES.sub("\n\n", text)
    return text.strip()


def _join_if_word_continues(match: re.Match) -> str:
    """A lower-case letter after the break means one word ("stack-/ability"); "Anglo-/Saxon" keeps its hyphen."""
    return "" if match.group(1).islower() else match.group(0)


def split_sections(text: str, size: int = SECTION_CHARS) -> list[str]:
    """Cut at paragraph breaks where possible, else at line breaks, else between words, so no section exceeds size."""
    return _pack(text, size, ("\n\n", "\n", " "))


def _pack(text: str, size: int, separators: tuple[str, ...]) -> list[str]:
    if len(text) <= size:
        return [text] if text else []
    if not separators:
        return [text[start : start + size] for start in range(0, len(text), size)]
    separator, finer = separators[0], separators[1:]
    sections: list[str] = []
    current = ""
    for part in text.split(separator):
        if len(part) > size:
            if current:
                sections.append(current)
            sections.extend(_pack(part, size, finer))
            current = ""
        elif not current:
            current = part
        elif len(current) + len(separator) + len(part) <= size:
            current += separator + part
        else:
            sections.append(current)
            current = part
    if current:
        sections.append(current)
    return sections
