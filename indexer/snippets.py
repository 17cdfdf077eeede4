"""Hits shown: passages around a query's hits, whole texts with hits marked, and phrase checks.

Every function here marks or counts exactly `analysis.hits(text, terms)`, the tokens whose term is
one of the query's terms, so a snippet, a title, a metadata line and the reading view can never
disagree about what matched. Output is HTML-escaped text with only `<mark>` tags added. The
interface (for the search page, the reading view and any view comparing texts):

- `analysis.hits(text, terms) -> list[Token]`: the hits themselves, with offsets;
- `passages(text, terms, width, limit) -> list[str]`: the `limit` densest excerpts, best first;
- `snippet(text, terms, width) -> str`: the best one ("" without hits);
- `highlight(text, terms) -> str`: all of `text`, hits marked;
- `marked(text, hits, begin, end) -> str`: a stretch of `text`, the hits inside it marked;
- `says_phrase(text, phrase) -> bool`: whether `text` holds a phrase's terms in order.
"""

from __future__ import annotations

import html
from typing import NamedTuple

from .analysis import Token, hits, token_end, tokens


class Snippet(NamedTuple):
    """Where a passage is (page number, or 0 when it has none; a transcript's start second, or None)
    and the passage itself, escaped, its hits in <mark>."""

    page: int
    time: int | None
    html: str


def highlight(text: str, terms: frozenset) -> str:
    """All of `text`, escaped, with every hit in <mark>."""
    return marked(text, hits(text, terms), 0, len(text))


def snippet(text: str, terms: frozenset, width: int = 220) -> str:
    """An escaped excerpt of `text` around the densest run of hits, hits in <mark> ("" without hits)."""
    found = passages(text, terms, width, 1)
    return found[0] if found else ""


def passages(text: str, terms: frozenset, width: int = 220, limit: int = 3) -> list[str]:
    """Up to `limit` excerpts of about `width` characters, the one around the densest run of hits
    first, each next one around hits the earlier ones do not show; cut at spaces, with "…" where
    the text goes on."""
    found = hits(text, terms)
    out: list[str] = []
    taken: list[tuple[int, int]] = []
    while found and len(out) < limit:
        free = [hit for hit in found if not any(begin <= hit.start < end for begin, end in taken)]
        if not free:
            break
        begin, end = _window(text, free, width)
        taken.append((begin, end))
        out.append(("… " if begin else "") + marked(text, found, begin, end) + (" …" if end < len(text) else ""))
    return [" ".join(passage.split()) for passage in out]


def _window(text: str, found: list[Token], width: int) -> tuple[int, int]:
    """The stretch of `text` to show around the densest window of hits, cut at spaces, never
    before the end of the window's first hit."""
    first = _densest_window(found, width)
    begin = max(0, text.rfind(" ", 0, max(0, first.start - width // 4)) + 1) if first.start > width // 4 else 0
    end = min(len(text), begin + width)
    if end < len(text):
        space = text.rfind(" ", first.end, end)
        end = space if space > first.end else max(end, first.end)
    return begin, end


def _densest_window(found: list[Token], width: int) -> Token:
    """The first hit of the window of `width` characters holding the most hits (sliding window)."""
    best, best_count, left = found[0], 0, 0
    for right, hit in enumerate(found):
        while hit.start - found[left].start > width:
            left += 1
        if right - left + 1 > best_count:
            best, best_count = found[left], right - left + 1
    return best


def marked(text: str, found: list[Token], begin: int, end: int) -> str:
    """`text[begin:end]` escaped, the hits that lie wholly inside it in <mark>."""
    parts, cursor = [], begin
    for hit in found:
        if hit.start >= cursor and hit.end <= end:
            parts += [html.escape(text[cursor : hit.start]), "<mark>", html.escape(hit.surface), "</mark>"]
            cursor = hit.end
    parts.append(html.escape(text[cursor:end]))
    return "".join(parts)


def says_phrase(text: str, phrase: tuple) -> bool:
    """Whether `text` holds the phrase's terms at consecutive positions, as the index counts them
    (stop words and punctuation between words do not count; a compound's part stands where the
    compound does). The definition `analysis.phrase_in` answers from a page's stored terms; read
    here where only the text is at hand (a passage cut from a page).

    Only the phrase's own tokens are found (`tokens(..., only=)`); two of them stand at consecutive
    positions when the text between them has no token: both ends of that stretch are token
    boundaries, so its tokens are the same read alone as in the whole text.
    """
    if not phrase:
        return False
    at: dict[int, tuple[int, set]] = {}  # where a position's token starts -> (where it ends, phrase terms there)
    for token in tokens(text, only=frozenset(phrase)):
        end = token_end(text, token.start) if token.part else token.end
        at.setdefault(token.start, (end, set()))[1].add(token.term)
    starts = sorted(at)
    for i, start in enumerate(starts):
        if phrase[0] not in at[start][1]:
            continue
        j, end = i, at[start][0]
        for term in phrase[1:]:
            j += 1
            if j == len(starts) or term not in at[starts[j]][1] or next(tokens(text[end : starts[j]]), None):
                break
            end = at[starts[j]][0]
        else:
            return True
    return False
