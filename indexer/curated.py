"""The curated fields a publication is found by besides its title and text: one list for the index,
the spelling vocabulary and the "matches the authors, summary" line of a result."""

from __future__ import annotations

from .facets import labelled

#: Record fields whose words match as metadata, in the order a result names them; "type" is
#: matched by its label ("Report"), as people read it.
CURATED_FIELDS = ("authors", "organisation", "summary", "jurisdiction", "regions", "type")


def curated_texts(record: dict) -> dict[str, str]:
    """The words of each curated field of a record (a dict as stored), fields without words left out."""
    values = {**record, "type": labelled(record)["type_label"]}
    found = {}
    for name in CURATED_FIELDS:
        value = values.get(name)
        text = " ".join(value) if isinstance(value, (list, tuple)) else value
        if text:
            found[name] = text
    return found


def curated_text(record: dict) -> str:
    """All the curated words of a record, as one text."""
    return " ".join(curated_texts(record).values())
