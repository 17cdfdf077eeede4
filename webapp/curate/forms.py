"""The curators' forms. Flask-WTF gives each its CSRF token; a record's fields are checked by the
catalog's own rules (`indexer.catalog.Record`), whose messages are shown beside each field, so the
form and the file can never disagree about what is valid."""

from __future__ import annotations

import datetime as dt
import re

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from indexer.catalog import DOCUMENT_TYPES, SECTIONS, Record


class SignInForm(FlaskForm):
    name = StringField(
        "Curator name",
        validators=[DataRequired("Enter your curator name."), Length(max=40)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password.")], render_kw={"autocomplete": "current-password"}
    )


class ActionForm(FlaskForm):
    """A button that changes something: only its CSRF token (and the entry's hash where it edits one)."""

    entry_hash = HiddenField()


class LinkForm(ActionForm):
    url = StringField("Link to the publication", render_kw={"type": "url", "inputmode": "url"})


class RejectForm(FlaskForm):
    reason = StringField(
        "Reason for rejecting",
        validators=[DataRequired("Give a reason: it is kept with the suggestion."), Length(max=500)],
    )


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class RecordForm(FlaskForm):
    """Every catalog field. Values go to the catalog as typed (a year "20x3" included), so that its
    validation, not the form's, says what is wrong."""

    title = StringField("Title")
    year = StringField("Year", render_kw={"inputmode": "numeric"})
    section = SelectField("Section", choices=[("", "Choose a section")] + list(SECTIONS.items()))
    type = SelectField("Document type", choices=[("", "Choose a type")] + list(DOCUMENT_TYPES.items()))
    regions = StringField(
        "Regions", description="Country names, Europe or International; separate several with commas."
    )
    jurisdiction = StringField("Jurisdiction (optional)", description="A province or state, for sub-national items.")
    organisation = StringField("Organisation (optional)")
    authors = TextAreaField("Authors (optional)", description="One per line, in the publication’s order.")
    summary = TextAreaField("Summary (optional)", description="Searchable; a few sentences.")
    language = StringField(
        "Language (optional)", description="ISO 639-1 code such as en or fr; detected from the text when empty."
    )
    url = StringField(
        "Link (URL)",
        description="Where the publication can be read; empty with no file: “link: missing”.",
        render_kw={"type": "url", "inputmode": "url"},
    )
    path = StringField("Local file", description="A file beside the catalog, e.g. files/report.pdf.")
    document_url = StringField(
        "Document behind the page (optional)",
        description="Pins the report behind a landing page given as the link.",
        render_kw={"type": "url"},
    )
    follow = BooleanField("Follow the link to the document behind a landing page", default=True)
    transcript = StringField(
        "Transcript (optional)",
        description="WebVTT or SRT captions of a recording: a URL or a file beside the catalog.",
    )
    added = StringField("Added", description="When it joined the collection, YYYY-MM-DD.")
    entry_hash = HiddenField()

    #: The order fields are shown in, and the catalog's field each one fills.
    CATALOG_FIELDS: tuple[str, ...] = (
        "title",
        "year",
        "section",
        "type",
        "regions",
        "jurisdiction",
        "organisation",
        "authors",
        "summary",
        "language",
        "url",
        "path",
        "document_url",
        "follow",
        "transcript",
        "added",
    )

    @classmethod
    def for_record(cls, record: Record, **kw) -> RecordForm:
        data = record.model_dump()
        data.update(
            regions=", ".join(record.regions),
            authors="\n".join(record.authors),
            added=record.added.isoformat() if record.added else "",
            year=str(record.year),
        )
        return cls(data={k: v for k, v in data.items() if v is not None}, **kw)

    def catalog_fields(self) -> dict:
        """The record the form describes, as the catalog would hold it (empty fields left out)."""
        text = {name: (getattr(self, name).data or "").strip() for name in self.CATALOG_FIELDS if name != "follow"}
        fields: dict = {k: v for k, v in text.items() if v}
        if re.fullmatch(r"\d{1,4}", text["year"]):
            fields["year"] = int(text["year"])
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text["added"]):
            try:
                fields["added"] = dt.date.fromisoformat(text["added"])
            except ValueError:
                pass  # the catalog says what is wrong with it
        fields["regions"] = [r.strip() for r in text["regions"].split(",") if r.strip()]
        fields["authors"] = _lines(text["authors"])
        fields["follow"] = bool(self.follow.data)
        if not fields.get("url") and not fields.get("path"):
            fields["link"] = "missing"
        return fields

    def show_problems(self, problems: dict[str, list[str]]) -> list[str]:
        """Put the catalog's messages beside their fields; returns those about the record as a whole."""
        general = []
        for name, messages in problems.items():
            field = getattr(self, name, None) if name in self.CATALOG_FIELDS else None
            if field is None:
                general.extend(messages)
            else:
                field.errors = list(messages)
        return general

    def shown_fields(self) -> list:
        return [getattr(self, name) for name in self.CATALOG_FIELDS]


class NewRecordForm(RecordForm):
    url = StringField(
        "Link (URL)",
        description="Where the publication can be read; or upload its file below.",
        render_kw={"type": "url", "inputmode": "url"},
    )
    id = StringField("Id (optional)", description="A stable slug; made from the title and year when empty.")
    file = FileField("Or upload the file", description="PDF, HTML or plain text; its content decides, not its name.")

    CATALOG_FIELDS = ("id", *(name for name in RecordForm.CATALOG_FIELDS if name != "path"))

    def catalog_fields(self) -> dict:
        fields = super().catalog_fields()
        fields.pop("link", None)  # the source is given apart: a link or an upload
        fields.pop("url", None)
        return fields


class ImportForm(FlaskForm):
    file = FileField("Reference file", description="RIS, BibTeX or CSV, as Zotero, EndNote or Mendeley export it.")
    section = SelectField(
        "Section for entries whose type does not say", choices=list(SECTIONS.items()), default="report"
    )
    regions = StringField(
        "Regions for every entry",
        default="International",
        description="Reference managers do not record them; correct single records afterwards.",
    )
