"""The facet panel: which values of a facet are in sight and which wait behind "more".

What a facet is (its parameter, labels, order) is `indexer.facets`'s table; this is presentation only.
"""

from __future__ import annotations

from dataclasses import dataclass

from indexer.facets import Facet
from indexer.search import SearchRequest

from .links import facet_page_url


@dataclass(frozen=True)
class FacetView:
    """A facet ready for the template: the first values shown, more behind a "more" <details>, and when
    even that would be too many, a link to the facet's full list (`full_list`, with `total` values)."""

    spec: Facet
    shown: list[dict]
    more: list[dict]
    total: int = 0
    full_list: str | None = None


#: Facets with many values of a few publications each start shorter: a panel of 40 issuing bodies
#: would push every other filter out of sight.
SHORT_FACETS = {"organisation": 5}


def facet_size(spec: Facet, default: int) -> int:
    return min(SHORT_FACETS.get(spec.key, default), default)


def full_list_url(spec: Facet, req: SearchRequest) -> str:
    """The page listing every value of one facet for this search (its filters and words kept)."""
    return facet_page_url(spec.key, req)


def facet_view(spec: Facet, values: list[dict], size: int, panel: int, full_list: str) -> FacetView:
    """Selected values always stay in sight, so unticking one never means opening "more" first.

    A "more" that would hide only one or two values costs a click for nothing: those are shown. A
    panel carries at most `panel` values (the top ones by count, and the selected): a large collection
    has thousands of issuing bodies, which made every search page a megabyte; all are at `full_list`.
    """
    total = len(values)
    if total > panel:
        values = [v for v, on in zip(values, _first_with_selected(values, panel), strict=True) if on]
    if len(values) <= size + 2:
        shown, more = values, []
    else:
        visible = _first_with_selected(values, size)
        shown, more = (
            [v for v, on in zip(values, visible, strict=True) if on],
            [v for v, on in zip(values, visible, strict=True) if not on],
        )
    return FacetView(spec, shown, more, total, full_list if total > panel else None)


def _first_with_selected(values: list[dict], n: int) -> list[bool]:
    """Per value: is it among the first `n`, counting every selected value first and then the others in order?"""
    unselected = [v["value"] for v in values if not v["selected"]]
    keep = set(unselected[: max(n - (len(values) - len(unselected)), 0)])
    return [v["selected"] or v["value"] in keep for v in values]
