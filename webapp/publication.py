"""The one shape of a publication the pages, exports, feeds and citations read.

`SearchService` answers with several dicts for a record (a search result, a full record, a document
with its build state, a page's record); `publication()` turns any of them into this view model, so a
template or a writer never has to know which one it was given, and what is derived from a record
(its status, the date it was last read, who to credit) is derived here only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields

from indexer.facets import labelled


@dataclass(frozen=True)
class Publication:
    id: str
    title: str
    year: int
    section: str
    type: str
    type_label: str
    section_label: str
    regions: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    organisation: str | None = None
    jurisdiction: str | None = None
    language: str | None = None
    summary: str | None = None
    url: str | None = None
    kind: str | None = None
    added: str | None = None
    full_text: bool = False
    failure: str | None = None
    warning: str | None = None
    pages: int = 0
    paged: bool = True
    build: dict = field(default_factory=dict)
    changed: str | None = None  # when the build last wrote the record into the index
    # what a search adds: the title with its words marked, the passages, why it matched
    title_html: str = ""
    snippets: tuple[dict, ...] = ()
    matched_in: tuple[str, ...] = ()
    phrase_pages: int | None = None
    other_pages: int | None = None
    message: str | None = None

    @property
    def status(self) -> str:
        return "full text" if self.full_text else "metadata only"

    @property
    def page_snippets(self) -> tuple[dict, ...]:
        """Passages of the text (pages, or a recording's landing page), best first."""
        return tuple(s for s in self.snippets if s.get("time") is None)

    @property
    def moments(self) -> tuple[dict, ...]:
        """A recording's matching passages in the order they were said, as one listens."""
        return tuple(sorted((s for s in self.snippets if s.get("time") is not None), key=lambda s: s["time"]))

    @property
    def creators(self) -> tuple[str, ...]:
        """Who a citation credits: the authors, or else the issuing body (grey literature)."""
        return self.authors or ((self.organisation,) if self.organisation else ())

    @property
    def checked_at(self) -> dt.datetime | None:
        """When the build last read the source (a feed entry's date when the record has no `added`)."""
        return _moment((self.build or {}).get("checked"))

    @property
    def changed_at(self) -> dt.datetime | None:
        """When the record's metadata or text last changed in the index (a feed entry's `updated`)."""
        return _moment(self.changed)

    @property
    def checked(self) -> dt.date | None:
        """The day of `checked_at` (a citation's "accessed")."""
        return self.checked_at.date() if self.checked_at else None

    @property
    def added_date(self) -> dt.date | None:
        return dt.date.fromisoformat(self.added) if self.added else None


def _moment(value: str | None) -> dt.datetime | None:
    """An ISO timestamp of the manifest, in UTC when it says no zone; None when absent or unreadable."""
    try:
        moment = dt.datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    return moment.replace(tzinfo=moment.tzinfo or dt.UTC) if moment else None


_FIELDS = {f.name for f in fields(Publication)}
_TUPLES = ("regions", "authors", "snippets", "matched_in")


def publication(record: dict | Publication) -> Publication:
    """Any of the service's record dicts (or a Publication) as the view model; unknown keys are ignored."""
    if isinstance(record, Publication):
        return record
    values = {**labelled(record), **{k: v for k, v in record.items() if k in _FIELDS and v is not None}}
    for name in _TUPLES:
        if name in values:
            values[name] = tuple(values[name])
    values.setdefault("title_html", "")
    return Publication(**values)
