"""The facets: one table says what each one is, and everything else reads it.

Request parsing and URLs, the filters, the counts, the web app's facet panel, the chips and the
exports all go through `FACETS`, so adding a facet is one entry here. A facet is a small object
(as datasette's `Facet` classes are): where its values live in a record, how it is asked for in a
URL, how its values are validated, ordered and labelled.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

import pycountry

from .catalog import DOCUMENT_TYPES, REGIONS, SECTIONS


class InvalidRequest(ValueError):
    """A parameter the user (or a client) got wrong; the web layer answers 400 with the message."""


def whole_numbers(values: list[str], name: str, low: int, high: int) -> list[int]:
    out = []
    for value in values:
        try:
            number = int(str(value).strip())
        except ValueError:
            raise InvalidRequest(f"{name} must be a whole number, got {value!r}") from None
        if not low <= number <= high:
            raise InvalidRequest(f"{name} must be between {low} and {high}, got {number}")
        out.append(number)
    return out


def _language_name(code: str) -> str:
    language = pycountry.languages.get(alpha_2=code)
    return language.name if language else code


@dataclass(frozen=True)
class Facet:
    key: str  # the record field, and the key in the JSON "facets"
    attr: str  # the SearchRequest attribute holding the selected values
    param: str  # the GET parameter (repeated for several values)
    title: str  # what people read above the values
    order: str = "count"  # "count" (most first), "newest" (years), or "vocabulary" (labels' order)
    labels: Mapping[str, str] | Callable[[str], str] = field(default_factory=dict)
    vocabulary: Collection[str] | None = None  # the allowed values, when there is a closed list
    numeric: bool = False

    def values(self, record: dict) -> tuple:
        """The record's values for this facet (none, one or several)."""
        value = record.get(self.key)
        if value is None:
            return ()
        return tuple(value) if isinstance(value, (list, tuple)) else (value,)

    def label(self, value) -> str:
        if callable(self.labels):
            return self.labels(str(value))
        return self.labels.get(str(value), str(value))

    def parse(self, raw: list[str]) -> tuple:
        """The selected values from a request, validated; duplicates dropped, order kept."""
        if self.numeric:
            return tuple(sorted(set(whole_numbers(raw, self.param, 1000, 9999))))
        if self.vocabulary is not None:
            unknown = [v for v in raw if v not in self.vocabulary]
            if unknown:
                hint = f" (one of {', '.join(self.vocabulary)})" if len(self.vocabulary) < 30 else ""
                raise InvalidRequest(f"unknown {self.param} {unknown[0]!r}{hint}")
        return tuple(dict.fromkeys(raw))

    def ordered(self, counts: Counter) -> list:
        if self.order == "newest":
            return sorted(counts, reverse=True)
        if self.order == "vocabulary":
            return [v for v in self.vocabulary or () if v in counts]
        return sorted(counts, key=lambda v: (-counts[v], str(v)))

    def buckets(self, counts: Counter, selected: tuple = ()) -> list[dict]:
        """The JSON shape of a facet: every value with a count (selected ones even at zero)."""
        counts = Counter(counts)
        for value in selected:
            counts.setdefault(value, 0)
        return [
            {"value": v, "label": self.label(v), "count": counts[v], "selected": v in selected}
            for v in self.ordered(counts)
        ]


FACETS: tuple[Facet, ...] = (
    Facet("year", "years", "year", "Year", order="newest", numeric=True),
    Facet("regions", "regions", "region", "Region", vocabulary=REGIONS),
    Facet("type", "types", "type", "Document type", labels=DOCUMENT_TYPES, vocabulary=tuple(DOCUMENT_TYPES)),
    Facet(
        "section",
        "sections",
        "section",
        "Observatory list",
        order="vocabulary",
        labels=SECTIONS,
        vocabulary=tuple(SECTIONS),
    ),
    Facet("organisation", "organisations", "organisation", "Organisation"),
    Facet("language", "languages", "language", "Language", labels=_language_name),
)
FACET_BY_KEY: dict[str, Facet] = {facet.key: facet for facet in FACETS}


def labelled(record: dict) -> dict:
    """Display labels for a record's coded values, made at presentation time from this one table."""
    return {
        "type_label": FACET_BY_KEY["type"].label(record["type"]),
        "section_label": FACET_BY_KEY["section"].label(record["section"]),
    }
