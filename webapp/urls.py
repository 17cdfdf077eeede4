"""Every state of the search page is a URL; these helpers derive a state's neighbours from it.

Pure functions over `SearchRequest.to_args`, so links are shareable, the back button works and no
state lives in the client. Any change of query or filters goes back to page 1: page 7 of a
different result set means nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from indexer.facets import FACETS
from indexer.search import SearchRequest


def state_url(base: str, req: SearchRequest, **changes) -> str:
    args = req.to_args(**changes)
    return f"{base}?{urlencode(args)}" if args else base


@dataclass(frozen=True)
class Chip:
    """One active constraint, shown as a removable chip (and as a suggestion in the empty state)."""

    kind: str
    label: str
    without: SearchRequest
    remove_url: str


def chips(base: str, req: SearchRequest) -> list[Chip]:
    removals: list[tuple[str, str, dict[str, Any]]] = []  # (kind, label, what the chip's link changes)
    if req.q:
        removals.append(("Words", f"“{req.q}”", {"q": ""}))
    for spec in FACETS:
        selected = req.selected(spec.key)
        removals += [
            (
                spec.title,
                spec.label(value),
                {"filters": req.with_selected(spec.key, [v for v in selected if v != value]).filters},
            )
            for value in selected
        ]
    if req.year_from is not None:
        removals.append(("From", str(req.year_from), {"year_from": None}))
    if req.year_to is not None:
        removals.append(("Until", str(req.year_to), {"year_to": None}))
    found = []
    for kind, label, change in removals:
        without = replace(req, page=1, **change)
        found.append(Chip(kind, label, without, state_url(base, without)))
    return found


def clear_filters_url(base: str, req: SearchRequest) -> str:
    """Keeps the words and the sort order: 'clear filters' should not also forget what was asked."""
    return state_url(base, SearchRequest(q=req.q, sort=req.sort, per_page=req.per_page))


def page_window(page: int, pages: int, around: int = 2) -> list[int | None]:
    """Page numbers to offer, with None where a run of pages is elided: 1 … 4 5 [6] 7 8 … 20."""
    wanted = {1, pages, *range(page - around, page + around + 1)}
    numbers = sorted(n for n in wanted if 1 <= n <= pages)
    window: list[int | None] = []
    for n in numbers:
        if window and n - window[-1] == 2:
            window.append(n - 1)
        elif window and n - window[-1] > 2:
            window.append(None)
        window.append(n)
    return window
