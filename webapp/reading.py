"""A page's text as paragraphs to read: a PDF's line breaks are where its column ended, not where the
author broke the text, so in a column of another width they make lines that alternate long and short.

Works on the highlighted HTML (escaped text with only `<mark>` tags), line by line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup

_TAGS = re.compile(r"</?mark>")
#: A line ending in a hyphen after a lower-case letter, continued by a lower-case word: "educa-" "tion".
_HYPHENATED = re.compile(r"(?<=[a-zà-ÿ])-((?:</mark>)?)$")
_NUMBERED_HEADING = re.compile(r"^(\d+(\.\d+)*\.?|[IVX]+\.|Chapter \d+|Annex [A-Z0-9]+|Appendix [A-Z0-9]+)\s+\S")
_SENTENCE_END = re.compile(r"[.:;?!”\")]$")


@dataclass(frozen=True)
class Block:
    heading: bool
    html: Markup


def _plain(line: str) -> str:
    return _TAGS.sub("", line).strip()


def _is_heading(line: str, alone: bool) -> bool:
    """A short line standing on its own, without closing punctuation, numbered or in capitals."""
    text = _plain(line)
    if not text or len(text) > 80 or _SENTENCE_END.search(text) or not text[0].isalnum():
        return False
    words = [w for w in re.findall(r"[^\W\d_]+", text)]
    if not words:
        return False
    capitals = text.isupper() and len(text) > 3
    return bool(
        _NUMBERED_HEADING.match(text)
        or capitals
        or (alone and len(words) <= 8 and all(w[0].isupper() or len(w) <= 3 for w in words))
    )


def reflow(page_html: str) -> list[Block]:
    """Lines joined into paragraphs (a hyphen at a line's end joined to the next word), headings kept
    apart. A paragraph ends at a blank line, at a heading, or at a line that ends a sentence well short
    of the column's width."""
    lines = [line.rstrip() for line in str(page_html).split("\n")]
    width = max((len(_plain(line)) for line in lines), default=0)
    blocks: list[Block] = []
    current: list[str] = []

    def close():
        if current:
            blocks.append(Block(False, Markup(" ".join(current).replace("\x00 ", ""))))
            current.clear()

    for i, line in enumerate(lines):
        text = _plain(line)
        if not text:
            close()
            continue
        before_blank = i + 1 >= len(lines) or not _plain(lines[i + 1])
        if _is_heading(line, alone=not current and before_blank) and (not current or before_blank):
            close()
            blocks.append(Block(True, Markup(line.strip())))
            continue
        hyphen = _HYPHENATED.search(line)
        next_text = _plain(lines[i + 1]) if i + 1 < len(lines) else ""
        if hyphen and next_text[:1].islower():
            current.append(_HYPHENATED.sub(r"\1", line.strip()) + "\x00")
        else:
            current.append(line.strip())
        if _SENTENCE_END.search(text) and len(text) < 0.75 * width:
            close()
    close()
    return blocks
