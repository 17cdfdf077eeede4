"""Bulk import from a reference manager: RIS, BibTeX or CSV (Zotero's columns) mapped to records.

Each entry is previewed as the record it would become, with the catalog's own problems and the
publications it duplicates (same link, same DOI, a near-identical title, in the catalog or earlier
in the same file); the curator ticks which to append. The mapped entries travel in the preview form
and are validated again when appended, so nothing unchecked reaches the catalog.
"""

from __future__ import annotations

import csv
import io
import json
import re

from flask import flash, redirect, render_template, request, url_for

from indexer.additions import AdditionError, add_record, catalog_lock, find_duplicate, normalise_url, slug
from indexer.catalog import CatalogError, load_catalog, parse_records

from .blueprint import bp, curator_name, settings, stores
from .forms import ActionForm, ImportForm

#: Reference types (RIS `TY`, BibTeX entry types, Zotero's item types) as the catalog's document types.
TYPES = {
    "rprt": "report",
    "report": "report",
    "techreport": "report",
    "govdoc": "policy",
    "bill": "policy",
    "stat": "policy",
    "legal": "policy",
    "jour": "journal-article",
    "jfull": "journal-article",
    "mgzn": "journal-article",
    "article": "journal-article",
    "journalarticle": "journal-article",
    "magazinearticle": "journal-article",
    "cpaper": "journal-article",
    "inproceedings": "journal-article",
    "conferencepaper": "journal-article",
    "book": "book",
    "ebook": "book",
    "chap": "book",
    "echap": "book",
    "inbook": "book",
    "incollection": "book",
    "booksection": "book",
    "thes": "thesis",
    "phdthesis": "thesis",
    "mastersthesis": "thesis",
    "thesis": "thesis",
    "blog": "commentary",
    "news": "commentary",
    "newspaperarticle": "commentary",
    "blogpost": "commentary",
    "elec": "platform",
    "webpage": "platform",
    "online": "platform",
    "video": "video",
    "mpct": "video",
    "videorecording": "video",
    "sound": "podcast",
    "podcast": "podcast",
    "conf": "event",
    "presentation": "event",
}
#: Where each document type is listed; a type missing here takes the section the curator chose.
SECTION_OF_TYPE = {
    "policy": "policy",
    "framework": "policy",
    "journal-article": "article",
    "book": "article",
    "commentary": "article",
    "thesis": "article",
    "video": "event",
    "podcast": "event",
    "event": "event",
    "report": "report",
}
DOI = re.compile(r"\b(10\.\d{4,9}/\S+)", re.IGNORECASE)
MAX_ENTRIES = 1000


class ReferenceError(ValueError):
    """The file is not RIS, BibTeX or CSV that can be read; the message says what was wrong."""


def _ris(text: str) -> list[dict]:
    import rispy  # the reference parsers load on the first import, not in every worker

    return [
        {
            "type": ref.get("type_of_reference"),
            "title": ref.get("title") or ref.get("primary_title"),
            "authors": ref.get("authors") or ref.get("first_authors") or [],
            "year": ref.get("year") or ref.get("publication_year") or ref.get("date"),
            "url": (ref.get("urls") or [None])[0],
            "doi": ref.get("doi"),
            "summary": ref.get("abstract") or ref.get("notes_abstract"),
            "organisation": ref.get("publisher"),
        }
        for ref in rispy.loads(text)
    ]


def _bibtex(text: str) -> list[dict]:
    import bibtexparser
    from bibtexparser.middlewares import LatexDecodingMiddleware, SeparateCoAuthors

    library = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware(), SeparateCoAuthors()])
    found = []
    for item in library.entries:
        value = {key: field.value for key, field in item.fields_dict.items()}
        authors = value.get("author") or []
        found.append(
            {
                "type": item.entry_type,
                "title": value.get("title"),
                "authors": authors if isinstance(authors, list) else [authors],
                "year": value.get("year"),
                "url": value.get("url"),
                "doi": value.get("doi"),
                "summary": value.get("abstract"),
                "organisation": value.get("institution") or value.get("organization") or value.get("publisher"),
            }
        )
    return found


def _csv(text: str) -> list[dict]:
    rows = list(csv.DictReader(io.StringIO(text)))
    if rows and "Title" not in rows[0]:
        raise ReferenceError(
            "the CSV has no 'Title' column (Zotero's export has Title, Author, Publication Year, Url, DOI)"
        )
    return [
        {
            "type": row.get("Item Type"),
            "title": row.get("Title"),
            "authors": [a.strip() for a in (row.get("Author") or "").split(";") if a.strip()],
            "year": row.get("Publication Year") or row.get("Date"),
            "url": row.get("Url"),
            "doi": row.get("DOI"),
            "summary": row.get("Abstract Note"),
            "organisation": row.get("Publisher") or row.get("Institution"),
        }
        for row in rows
    ]


def read_references(name: str, content: bytes) -> list[dict]:
    """The file's entries as plain fields, by its format (its content decides, its name only breaks a tie)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ReferenceError("the file is not UTF-8 text (export it again as UTF-8)") from None
    start = text.lstrip()[:200]
    try:
        if re.match(r"TY  - ", start):
            found = _ris(text)
        elif start.startswith("@") or name.lower().endswith(".bib"):
            found = _bibtex(text)
        elif name.lower().endswith(".csv") or start.startswith(('"Key"', "Key,", '"Item Type"', "Title")):
            found = _csv(text)
        else:
            raise ReferenceError("the file is neither RIS (TY  - …), BibTeX (@…{) nor CSV with a header")
    except (ValueError, KeyError, csv.Error) as err:
        raise ReferenceError(f"the file could not be read: {err}") from None
    if len(found) > MAX_ENTRIES:
        raise ReferenceError(f"the file has {len(found)} entries; import at most {MAX_ENTRIES} at a time")
    return found


def to_fields(ref: dict, section: str, regions: list[str]) -> dict:
    """A reference as a catalog record's fields; what the file lacks is left for validation to name."""
    kind = TYPES.get(re.sub(r"[^a-z]", "", (ref.get("type") or "").lower()), "report")
    year = re.search(r"\d{4}", str(ref.get("year") or ""))
    doi = DOI.search(ref.get("doi") or "")
    url = (ref.get("url") or "").strip() or (f"https://doi.org/{doi[1]}" if doi else None)
    title = re.sub(r"\s+", " ", (ref.get("title") or "").replace("{", "").replace("}", "")).strip()
    year_number = int(year[0]) if year else None
    fields = {
        "title": title,
        "year": year_number,
        "type": kind,
        "section": SECTION_OF_TYPE.get(kind, section),
        "regions": regions,
        "authors": [a.strip() for a in ref.get("authors") or [] if a.strip()],
        "summary": (ref.get("summary") or "").strip() or None,
        "organisation": (ref.get("organisation") or "").strip() or None,
        "url": url,
    }
    fields["id"] = slug(title, year_number or 0)
    return {key: value for key, value in fields.items() if value not in (None, [], "")}


def _doi_of(url: str | None) -> str | None:
    found = DOI.search(url or "")
    return found[1].lower().rstrip(".") if found else None


def preview(refs: list[dict], section: str, regions: list[str]) -> list[dict]:
    """Each entry with its record fields, the catalog's problems and what it duplicates."""
    catalog_path = settings().catalog
    catalog = load_catalog(catalog_path)
    dois = {_doi_of(r.url): r for r in catalog if _doi_of(r.url)}
    shown: list[dict] = []
    seen: list[tuple[int, dict]] = []  # (number, fields) of the entries before
    for number, ref in enumerate(refs, start=1):
        fields = to_fields(ref, section, regions)
        try:
            parse_records([{**fields} if "url" in fields else {**fields, "link": "missing"}], catalog_path)
            problems = []
        except CatalogError as err:
            problems = [p.split(": ", 1)[1] for p in err.problems]
        duplicate = None
        if _doi_of(fields.get("url")) in dois:
            duplicate = (dois[_doi_of(fields.get("url"))], "same DOI")
        duplicate = duplicate or find_duplicate(catalog, url=fields.get("url"), title=fields.get("title"))
        earlier = next(
            (
                n
                for n, other in seen
                if fields.get("url")
                and other.get("url")
                and normalise_url(other["url"]) == normalise_url(fields["url"])
            ),
            None,
        )
        shown.append(
            {
                "number": number,
                "fields": fields,
                "problems": problems,
                "duplicate": duplicate,
                "earlier": earlier,
                "chosen": not (problems or duplicate or earlier),
            }
        )
        seen.append((number, fields))
    return shown


@bp.route("/import", methods=["GET", "POST"])
def import_references():
    form = ImportForm()
    entries, error = None, None
    if request.method == "POST":
        upload = request.files.get("file")
        regions = [r.strip() for r in (form.regions.data or "").split(",") if r.strip()]
        if upload is None or not upload.filename:
            error = "Choose a RIS, BibTeX or CSV file to import."
        else:
            try:
                entries = preview(read_references(upload.filename, upload.read()), form.section.data, regions)
            except ReferenceError as err:
                error = f"Nothing imported: {err}."
            if entries == []:
                error, entries = "The file holds no references.", None
    return render_template(
        "curate/import.html",
        form=form,
        entries=entries,
        error=error,
        append=ActionForm(),
        chosen_json=json.dumps([e["fields"] for e in entries or []]),
    )


@bp.post("/import/append")
def append_references():
    """Append the ticked entries, one validated `add_record` each; then one build for all of them."""
    try:
        entries = json.loads(request.form.get("entries", "[]"))
        chosen = sorted({int(n) for n in request.form.getlist("chosen")})
    except ValueError:
        entries, chosen = [], []
    added, refused = [], []
    catalog = settings().catalog
    for number in chosen:
        if not 1 <= number <= len(entries) or not isinstance(entries[number - 1], dict):
            continue
        fields = dict(entries[number - 1])
        source = fields.pop("url", None)
        try:
            with catalog_lock(catalog):
                record = add_record(catalog, fields, source)
        except AdditionError as err:
            refused.append(f"entry {number}: {str(err).splitlines()[-1].strip()}")
            continue
        stores().curators.record(curator_name(), "imported", record.id, source)
        added.append(record.id)
    if added:
        stores().builds.request(curator_name(), f"imported {len(added)} record(s)")
    flash(f"Appended {len(added)} record(s) to the catalog." + (" The index is being updated." if added else ""))
    for problem in refused:
        flash(f"Not appended, {problem}", "error")
    return redirect(url_for("curate.dashboard"), code=303)
