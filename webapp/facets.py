"""Facets as small plain objects: what a facet is called in the JSON, the request and the URL.

The search returns slugs and counts; people read labels. URLs keep the slugs so links stay stable
when a label is reworded.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from indexer.catalog import DOCUMENT_TYPES, SECTIONS


@dataclass(frozen=True)
class FacetSpec:
    key: str          # in the JSON "facets"
    attr: str         # SearchRequest attribute
    param: str        # GET parameter
    title: str
    labels: Mapping[str, str] = field(default_factory=dict)

    def label(self, value) -> str:
        return self.labels.get(str(value), str(value))


FACETS = (
    FacetSpec("year", "years", "year", "Year"),
    FacetSpec("regions", "regions", "region", "Region"),
    FacetSpec("type", "types", "type", "Document type", DOCUMENT_TYPES),
    FacetSpec("section", "sections", "section", "Section", SECTIONS),
)
FACET_BY_KEY = {spec.key: spec for spec in FACETS}


@dataclass(frozen=True)
class FacetView:
    """A facet ready for the template: the first values shown, the rest behind a "more" <details>."""

    spec: FacetSpec
    shown: list[dict]
    more: list[dict]


def facet_view(spec: FacetSpec, values: list[dict], size: int) -> FacetView:
    """Selected values always stay in sight, so unticking one never means opening "more" first.

    A "more" that would hide only one or two values costs a click for nothing: those are shown.
    """
    if len(values) <= size + 2:
        return FacetView(spec, values, [])
    unselected = [v["value"] for v in values if not v["selected"]]
    keep = set(unselected[:max(size - (len(values) - len(unselected)), 0)])
    visible = [v["selected"] or v["value"] in keep for v in values]
    return FacetView(spec, [v for v, on in zip(values, visible) if on], [v for v, on in zip(values, visible) if not on])
