"""Running headers, footers and page numbers: lines a layout repeats on every page, not the author's text.

Left in, they land in snippets ("…Credentials Page 58 providers…") and make every page of a report match
its own title. Only the lines at a page's edges are candidates, and only when the same line (numbers
aside, so "Page 7" and "Page 58" are one line) stands there on a clear majority of a long enough
document's pages: a sentence that happens to open two pages is the author's and stays.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from .normalize import BLANK_LINES

EDGE_LINES = 3
"""Lines looked at from the top and from the bottom of a page: a header and a page number, or a footer of
two lines, with one line of slack for the engine's reading order."""
MIN_PAGES = 4
"""With fewer pages with text, a repeat is as likely to be the author's as the layout's."""
MIN_SHARE = 0.6
"""A clear majority: a cover page or chapter openers without a header must not hide the header, and a
line shared by half the pages (a left-page header of a two-sided layout) is not certain enough."""
MAX_LINE_CHARS = 120
"""Headers are short; a long line is body text even if a template repeats it."""

_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")


def strip_running_lines(pages: list[str]) -> list[str]:
    """The pages without the lines their layout repeats at the edges; pages keep their places and count."""
    with_text = sum(1 for page in pages if page.strip())
    if with_text < MIN_PAGES:
        return pages
    lines = [page.split("\n") for page in pages]
    edges = [_edge_positions(page_lines) for page_lines in lines]
    seen = Counter(
        key
        for page_lines, positions in zip(lines, edges, strict=True)
        for key in {_key(page_lines[i]) for i in positions}
        if key
    )
    needed = max(2, math.ceil(MIN_SHARE * with_text))
    running = {key for key, count in seen.items() if count >= needed}
    if not running:
        return pages
    return [_without(page_lines, positions, running) for page_lines, positions in zip(lines, edges, strict=True)]


def _edge_positions(lines: list[str]) -> set[int]:
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return set(filled[:EDGE_LINES] + filled[-EDGE_LINES:])


def _key(line: str) -> str | None:
    """The line as a layout repeats it: numbers (page numbers, years of a footer) and case do not count."""
    text = _SPACES.sub(" ", line).strip()
    if not text or len(text) > MAX_LINE_CHARS:
        return None
    return _DIGITS.sub("#", text).casefold()


def _without(lines: list[str], positions: set[int], running: set[str]) -> str:
    """A page made of nothing but running lines keeps them: furniture frames text, and without any the
    repeated lines are the page's content (a scan's only words, a title page of a series)."""
    kept = [line for i, line in enumerate(lines) if i not in positions or _key(line) not in running]
    if not any(line.strip() for line in kept):
        return "\n".join(lines)
    return BLANK_LINES.sub("\n\n", "\n".join(kept)).strip()
