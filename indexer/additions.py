"""Adding a publication to the catalog without disturbing anything the curators wrote.

The catalog is hand-edited: comments, blank lines and long unwrapped titles carry meaning, so a
YAML round trip (which rewraps and re-quotes) is never used. The new record is rendered alone in the
file's own style and appended as text, after the whole catalog plus the record has been validated.
`add_record` is the one code path for `observatory add` and for accepting a reader's suggestion.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import yaml
from rapidfuzz import fuzz, process, utils

from .catalog import CatalogError, Record, load_catalog, parse_records, resolve_path

#: Titles at least this similar (rapidfuzz ratio on lower-cased, punctuation-free text) are one publication.
TITLE_SIMILARITY = 95

#: Where local files are copied, relative to the catalog's folder.
FILES_DIR = "files"


class AdditionError(Exception):
    """The record was not added; the message says why and what to do."""


class DuplicateRecord(AdditionError):
    """The catalog already holds this publication; `existing` is the record it duplicates."""

    def __init__(self, existing: Record, reason: str):
        self.existing = existing
        super().__init__(f"already in the catalog ({reason}): {existing.id} \u2014 {existing.title}")


def slug(title: str, year: int) -> str:
    """A readable default id: the title's first eight ASCII words and the year."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    return "-".join([*re.findall(r"[a-z0-9]+", ascii_title)[:8], str(year)])


def normalise_url(url: str) -> str:
    """Scheme and host are case-insensitive and a trailing slash names the same page."""
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, ""))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


#: Fields whose values are slugs or vocabulary codes, written bare as in the catalog; other strings are quoted.
_BARE_FIELDS = frozenset({"id", "section", "type", "language", "link"})


class _Quoted(str):
    """A free-text value, double-quoted as the catalog writes titles, names and addresses."""


class _Flow(list):
    """A list written on one line (`regions: ["Canada"]`), as the catalog writes lists."""


class _CatalogDumper(yaml.SafeDumper):
    pass


_CatalogDumper.add_representer(
    _Quoted, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"'))
_CatalogDumper.add_representer(
    _Flow, lambda dumper, value: dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True))


def render_entry(fields: dict) -> str:
    """One record as the catalog writes it: fields in model order, quoted text, one-line lists."""
    ordered = {}
    for name in Record.model_fields:
        value = fields.get(name)
        if value is None or value == () or value == [] or value == Record.model_fields[name].default:
            continue  # a default (`follow: true`) is what every entry says by saying nothing
        if isinstance(value, (list, tuple)):
            value = _Flow(_Quoted(v) for v in value)
        elif isinstance(value, str) and name not in _BARE_FIELDS:
            value = _Quoted(value)
        ordered[name] = value
    return yaml.dump([ordered], Dumper=_CatalogDumper, sort_keys=False, allow_unicode=True, width=float("inf"))


def _find_duplicate(new: Record, existing: list[Record], catalog_path: Path, local_file: Path | None) -> None:
    if new.url:
        wanted = normalise_url(new.url)
        for record in existing:
            if record.url and normalise_url(record.url) == wanted:
                raise DuplicateRecord(record, "same URL")
    if local_file is not None:
        digest = _sha256(local_file)
        for record in existing:
            if record.path and (other := resolve_path(record, catalog_path)).is_file() and _sha256(other) == digest:
                raise DuplicateRecord(record, "same file content")
    match = process.extractOne(new.title, {r.id: r.title for r in existing}, scorer=fuzz.ratio,
                               processor=utils.default_process, score_cutoff=TITLE_SIMILARITY)
    if match:
        record = next(r for r in existing if r.id == match[2])
        raise DuplicateRecord(record, f"title {match[1]:.0f}% similar")


def _read_catalog(catalog_path: Path, create: bool) -> tuple[str, list, list[Record]]:
    if not catalog_path.exists():
        if not create:
            raise AdditionError(f"{catalog_path}: no such catalog (check the path, or pass --create to start one)")
        return "", [], []
    try:
        existing = load_catalog(catalog_path)
    except CatalogError as err:
        raise AdditionError(f"the catalog is invalid; fix it before adding:\n{err}") from None
    text = catalog_path.read_text(encoding="utf-8")
    return text, yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or [], existing


def add_record(catalog_path: Path, fields: dict, source: str, *, create: bool = False) -> Record:
    """Validate, refuse duplicates, copy a local file into `files/` and append the record.

    `fields` are the record's fields except the source; `id` defaults to a slug of the title and
    `added` to today. A local file is copied as `files/<id><suffix>`: named by id because the id is
    unique and stable and tells a curator browsing the folder what the file is (identical content is
    refused as a duplicate anyway, so content addressing would add nothing). Raises AdditionError
    (DuplicateRecord for duplicates); on any error nothing is written.
    """
    text, raw_entries, existing = _read_catalog(catalog_path, create)
    entry = {key: value for key, value in fields.items() if value not in (None, (), [])}
    entry.setdefault("id", slug(entry.get("title", ""), entry.get("year", 0)))
    entry.setdefault("added", dt.date.today())
    local_file = None
    if re.match(r"^https?://", source, re.IGNORECASE):
        entry["url"] = source
    else:
        local_file = Path(source).expanduser()
        if not local_file.is_file():
            raise AdditionError(f"file not found: {source}")
        entry["path"] = f"{FILES_DIR}/{entry['id']}{local_file.suffix.lower()}"
    try:
        new = parse_records([entry], catalog_path)[0]
        _find_duplicate(new, existing, catalog_path, local_file)
        parse_records([*raw_entries, entry], catalog_path)  # what only the whole file shows, e.g. a taken id
    except CatalogError as err:
        raise AdditionError(f"not added:\n{err}") from None

    copied = None
    if local_file is not None:
        copied = catalog_path.parent / new.path
        if copied.exists():
            raise AdditionError(f"{copied} already exists but no record uses it; move it away first")
        copied.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(local_file, copied)
    separator = "" if not text else ("\n" if text.endswith("\n") else "\n\n")
    catalog_path.parent.mkdir(parents=True, exist_ok=True)
    # Appending (not rewriting) keeps the file's bytes, mode and owner; a failed write is cut back.
    with catalog_path.open("ab") as handle:
        size = handle.tell()
        try:
            handle.write((separator + render_entry(entry)).encode("utf-8"))
            handle.flush()
        except OSError:
            handle.truncate(size)
            if copied is not None:
                copied.unlink(missing_ok=True)
            raise
    return new
