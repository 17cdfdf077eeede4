"""The facet panel: which values of a facet are in sight and which wait behind "more".

What a facet is (its parameter, labels, order) is `indexer.facets`'s table; this is presentation only.
"""
from __future__ import annotations

from dataclasses import dataclass

from indexer.facets import Facet


@dataclass(frozen=True)
class FacetView:
    """A facet ready for the template: the first values shown, the rest behind a "more" <details>."""

    spec: Facet
    shown: list[dict]
    more: list[dict]


#: Facets with many values of a few publications each start shorter: a panel of 40 issuing bodies
#: would push every other filter out of sight.
SHORT_FACETS = {"organisation": 5}


def facet_size(spec: Facet, default: int) -> int:
    return min(SHORT_FACETS.get(spec.key, default), default)


def facet_view(spec: Facet, values: list[dict], size: int) -> FacetView:
    """Selected values always stay in sight, so unticking one never means opening "more" first.

    A "more" that would hide only one or two values costs a click for nothing: those are shown.
    """
    if len(values) <= size + 2:
        return FacetView(spec, values, [])
    unselected = [v["value"] for v in values if not v["selected"]]
    keep = set(unselected[:max(size - (len(values) - len(unselected)), 0)])
    visible = [v["selected"] or v["value"] in keep for v in values]
    return FacetView(spec, [v for v, on in zip(values, visible) if on], [v for v, on in zip(values, visible) if not on])
