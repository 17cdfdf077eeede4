"""The catalog: what a publication record is, its vocabularies, and loading with precise errors.

Curators edit `corpus/catalog.yaml` by hand, so every mistake must be reported with the file, the
entry (its id, or its position when the id itself is wrong) and the field, and all mistakes of a
file are reported at once so one run of `observatory build` shows the whole to-do list.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import reprlib
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pycountry
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SECTIONS: dict[str, str] = {
    "policy": "Major policy initiatives",
    "report": "National & international reports",
    "article": "Journal articles, books & commentaries",
    "event": "Events, conferences & webinars",
}

DOCUMENT_TYPES: dict[str, str] = {
    "framework": "Framework or recommendation",
    "policy": "Policy, strategy or legislation",
    "report": "Report",
    "white-paper": "White paper",
    "survey": "Survey",
    "literature-review": "Literature review",
    "journal-article": "Journal article",
    "book": "Book or chapter",
    "commentary": "Commentary, blog or news",
    "guide": "Guide or toolkit",
    "position-paper": "Position paper or declaration",
    "thesis": "Thesis",
    "video": "Video",
    "podcast": "Podcast",
    "event": "Webinar or conference",
    "platform": "Platform or website",
}

#: Regions that are not countries: EU/EHEA-wide bodies, and global bodies.
SUPRANATIONAL_REGIONS = ("Europe", "International")

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: The earliest publication year a record (or a reader's suggestion) may have; the latest is next year.
EARLIEST_YEAR = 1990

#: C0 and C1 control characters and DEL, but tab and newline, which multi-line text may hold: escape
#: sequences in a title rewrite a curator's terminal, a NUL breaks every XML feed.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ONE_LINE_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
#: Fields whose text may run over several lines (tabs and newlines allowed).
MULTI_LINE_FIELDS = ("summary",)
#: Longest text per field: a catalog is typed by people, and a 100 MB title would cost every
#: search and page that shows it. (`id` has its own limit.)
MAX_CHARS = {
    "title": 1_000,
    "summary": 20_000,
    "organisation": 300,
    "jurisdiction": 300,
    "authors": 300,
    "url": 2_048,
    "path": 1_024,
    "document_url": 2_048,
    "transcript": 2_048,
}
MAX_AUTHORS = 200

#: Shows a curator's value in a message, shortened: a hostile value (deeply nested, or megabytes
#: long) must not make the message itself the problem.
_shortener = reprlib.Repr()
_shortener.maxlevel, _shortener.maxlist, _shortener.maxdict, _shortener.maxstring = 2, 4, 4, 80
_shown = _shortener.repr


def latest_year() -> int:
    return dt.date.today().year + 1


def year_problem(value: int) -> str | None:
    """Why `value` is not a plausible publication year, or None: the one rule for the catalog and
    the suggestion form."""
    if not EARLIEST_YEAR <= value <= latest_year():
        return f"{value} is not a plausible year ({EARLIEST_YEAR}-{latest_year()})"
    return None


def text_problem(value: str, *, multi_line: bool = False) -> str | None:
    """Why a text value is refused, or None: control characters (tab and newline only in multi-line
    text), or bytes that were not UTF-8 (decoded to U+FFFD when the file was read)."""
    control = (CONTROL_CHARACTERS if multi_line else _ONE_LINE_CONTROLS).search(value)
    if control:
        return (
            f"contains the control character U+{ord(control.group()):04X} at character {control.start() + 1}; remove it"
        )
    if "\ufffd" in value:
        return "contains bytes that are not UTF-8 (save the catalog as UTF-8)"
    return None


def _country_names() -> frozenset[str]:
    names = set()
    for country in pycountry.countries:
        names.add(country.name)
        names.update(filter(None, (getattr(country, "common_name", None),)))
    return frozenset(names)


REGIONS: frozenset[str] = _country_names() | frozenset(SUPRANATIONAL_REGIONS)
LANGUAGES: frozenset[str] = frozenset(lang.alpha_2 for lang in pycountry.languages if hasattr(lang, "alpha_2"))


class CatalogError(Exception):
    """One or more entries of a catalog file are invalid; `problems` lists each as a line."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: {len(problems)} problem(s)\n" + "\n".join(f"  {p}" for p in problems))


class Record(BaseModel):
    """One publication, exactly as the curator wrote it (after validation)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=120)
    title: str = Field(min_length=1)
    year: int
    section: Literal["policy", "report", "article", "event"]
    type: str
    regions: tuple[str, ...] = Field(min_length=1)
    jurisdiction: str | None = None
    organisation: str | None = None
    authors: tuple[str, ...] = ()
    summary: str | None = None
    language: str | None = None
    url: str | None = None
    path: str | None = None
    link: Literal["missing"] | None = None
    document_url: str | None = None  # the document behind the landing page `url`, pinned by the curator
    follow: bool = True  # false: index the page at `url` itself, never a document it links to
    transcript: str | None = None  # URL or path (relative to the catalog) of WebVTT or SRT captions
    added: dt.date | None = None

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not ID_PATTERN.match(value):
            raise ValueError("must be a lower-case slug of letters, digits and single hyphens")
        return value

    @field_validator("year", mode="before")
    @classmethod
    def _year(cls, value):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be a four-digit year, not {_shown(value)}")
        problem = year_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator(*MAX_CHARS, mode="before")
    @classmethod
    def _text(cls, value, info):
        """Before any other check, so that a megabyte of text costs no more than its length test."""
        limit = MAX_CHARS[info.field_name]
        values = value if isinstance(value, (list, tuple)) else [value]
        if isinstance(value, (list, tuple)) and len(value) > MAX_AUTHORS:
            raise ValueError(f"lists {len(value):,} names; at most {MAX_AUTHORS}")
        for text in values:
            if not isinstance(text, str):
                continue  # the type check names it
            if len(text) > limit:
                raise ValueError(f"is {len(text):,} characters long; at most {limit:,}")
            problem = text_problem(text, multi_line=info.field_name in MULTI_LINE_FIELDS)
            if problem:
                raise ValueError(problem)
        return value

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        if value not in DOCUMENT_TYPES:
            raise ValueError(f"{_shown(value)} is not a document type; use one of {', '.join(DOCUMENT_TYPES)}")
        return value

    @field_validator("regions", mode="before")
    @classmethod
    def _regions(cls, value):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ValueError("must be a list of region names")
        unknown = [v for v in value if v not in REGIONS]
        if unknown:
            raise ValueError(
                f"unknown region(s) {', '.join(map(_shown, unknown))}: use country names "
                f"(ISO 3166, e.g. 'United Kingdom'), 'Europe' or 'International'"
            )
        if len(set(value)) != len(value):
            raise ValueError("lists a region twice")
        return tuple(value)

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        if value is not None and value not in LANGUAGES:
            raise ValueError(f"{_shown(value)} is not an ISO 639-1 language code (en, fr, es, ...)")
        return value

    @field_validator("url", "document_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not _is_http_url(value):
            raise ValueError(f"{_shown(value)} is not an http(s) URL")
        return value

    @field_validator("follow", mode="before")
    @classmethod
    def _boolean(cls, value):
        if not isinstance(value, bool):  # pydantic would take "no" or 0; YAML's own false is what is meant
            raise ValueError(f"must be true or false, not {_shown(value)}")
        return value

    @field_validator("transcript")
    @classmethod
    def _transcript(cls, value: str | None) -> str | None:
        if value is not None and re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", value) and not _is_http_url(value):
            raise ValueError(f"{_shown(value)} is neither an http(s) URL nor a path to a file beside the catalog")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> Record:
        given = [name for name in ("url", "path", "link") if getattr(self, name)]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of url, path or 'link: missing'" + (f" (found {', '.join(given)})" if given else "")
            )
        if self.document_url and not self.url:
            raise ValueError("document_url pins the document behind a landing page: it needs the page's url")
        if self.document_url and not self.follow:
            raise ValueError("give document_url or 'follow: false', not both")
        return self

    @property
    def source(self) -> str | None:
        """What the fetcher is asked for: a URL, a local path, or nothing."""
        return self.url or self.path

    def metadata_hash(self) -> str:
        """Changes whenever anything the index shows or matches by changes, so a rebuild knows to
        reindex: the record, and the type's label (indexed among the metadata words)."""
        payload = json.dumps({**self.model_dump(mode="json"), "type_label": DOCUMENT_TYPES[self.type]}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _is_http_url(value: str) -> bool:
    return bool(re.match(r"^https?://[^\s/]+\.[^\s]*$|^https?://(localhost|127\.0\.0\.1)(:\d+)?/\S*$", value))


def _describe(index: int, raw) -> str:
    ident = raw.get("id") if isinstance(raw, dict) else None
    return f"entry {index + 1}" + (f" (id {_shown(ident)})" if isinstance(ident, str) and ident else "")


def _aliased_fields(raw: dict, seen: set[int]) -> list[str]:
    """Fields whose value (or a part of it) is a list or mapping met before: a YAML alias.

    YAML loads `*name` as the very object `&name` made, so aliases nested in aliases (the
    "billion laughs") cost nothing to load but explode when anything walks the value. They are
    refused outright, by identity, which visits each object once.
    """
    found = []
    for name, value in raw.items():
        stack = [value]
        while stack:
            current = stack.pop()
            if not isinstance(current, (list, dict)):
                continue
            if id(current) in seen:
                found.append(str(name))
                break
            seen.add(id(current))
            stack.extend(current.values() if isinstance(current, dict) else current)
    return found


def _outside_folder(record: Record, catalog_path: Path) -> list[str]:
    """Why a local `path` or `transcript` is refused, if it is: it (or a symlink on the way) leads
    outside the catalog's folder, from where the web app would serve any file the server can read."""
    folder = catalog_path.parent.resolve()
    local = {"path": record.path, "transcript": None if _transcript_is_url(record) else record.transcript}
    return [
        f"field '{name}': {_shown(value)} leads outside the catalog's folder {folder}"
        for name, value in local.items()
        if value is not None and not _local_file(value, catalog_path).is_relative_to(folder)
    ]


def _field_name(loc: tuple) -> str:
    return ".".join(str(part) for part in loc) if loc else "(entry)"


def parse_records(raw_entries, path: Path) -> list[Record]:
    """Validate a list of plain mappings; raise one CatalogError listing every problem."""
    if raw_entries is None:
        return []
    if not isinstance(raw_entries, list):
        raise CatalogError(path, ["the file must be a YAML list of records (each starting with '- id: ...')"])
    records: list[Record] = []
    problems: list[str] = []
    seen_ids: dict[str, int] = {}  # id and source -> the index of the entry that has it first
    seen_sources: dict[str, int] = {}
    seen_objects = {id(raw_entries)}
    for index, raw in enumerate(raw_entries):
        where = _describe(index, raw)
        if not isinstance(raw, dict) or id(raw) in seen_objects:
            shown = "a YAML alias of another entry" if isinstance(raw, dict) else type(raw).__name__
            problems.append(f"{where}: must be a mapping of field: value, not {shown}")
            continue
        seen_objects.add(id(raw))
        aliased = _aliased_fields(raw, seen_objects)
        if aliased:
            problems.extend(
                f"{where}: field {_shown(name)}: YAML aliases (*name) are not allowed in the catalog; "
                f"write the value out"
                for name in aliased
            )
            continue
        try:
            record = Record.model_validate(raw)
        except ValidationError as err:
            for e in err.errors():
                message = e["msg"].removeprefix("Value error, ")
                if e["type"] == "extra_forbidden":
                    message = f"unknown field (allowed: {', '.join(Record.model_fields)})"
                elif e["type"] == "missing":
                    message = "is required"
                problems.append(f"{where}: field '{_field_name(e['loc'])}': {message}")
            continue
        if record.id in seen_ids:
            problems.append(f"{where}: field 'id': duplicate of entry {seen_ids[record.id] + 1}")
            continue
        seen_ids[record.id] = index
        outside = _outside_folder(record, path)
        if outside:
            problems.extend(f"{where}: {problem}" for problem in outside)
            continue
        if record.source in seen_sources:
            problems.append(
                f"{where}: field '{'url' if record.url else 'path'}': same source as "
                f"entry {seen_sources[record.source] + 1}"
            )
        elif record.source:
            seen_sources[record.source] = index
        records.append(record)
    if problems:
        raise CatalogError(path, problems)
    return records


if TYPE_CHECKING:  # the C loader has the same interface as the Python one it stands in for
    _SafeLoader = yaml.SafeLoader
else:
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's where available: 8x faster


class _Loader(_SafeLoader):
    """YAML's safe loader, except that dates stay text: YAML's own reading of `added: 2023-02-30`
    raises out of the parser, where the record's validation names the entry and field."""


def _timestamp_as_text(loader: _Loader, node: yaml.ScalarNode) -> str:
    return loader.construct_yaml_str(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def load_catalog(path: Path) -> list[Record]:
    """Read and validate a catalog file; nothing is written anywhere, so errors are harmless.

    A file that is not UTF-8 is still read (its bad bytes replaced), so that the message names the
    line and then each entry and field they are in, together with every other problem of the file.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CatalogError(path, ["file not found"]) from None
    except OSError as err:
        raise CatalogError(path, [f"cannot read it: {err.strerror or err}"]) from None
    problems = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        problems.append(f"line {line}: byte 0x{data[err.start]:02X} is not UTF-8 (save the file as UTF-8)")
        text = data.decode("utf-8", errors="replace")
    try:
        raw = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as err:
        raise CatalogError(path, [*problems, f"not valid YAML: {err}"]) from None
    try:
        records = parse_records(raw, path)
    except CatalogError as err:
        raise CatalogError(path, [*problems, *err.problems]) from None
    if problems:
        raise CatalogError(path, problems)
    return records


def resolve_path(record: Record, catalog_path: Path) -> Path:
    """A local file's real location (symlinks followed): `path` is relative to the catalog's folder,
    or absolute; `load_catalog` refuses any that lead outside that folder."""
    if record.path is None:
        raise ValueError(f"{record.id} has no local file (no `path`)")
    return _local_file(record.path, catalog_path)


def transcript_source(record: Record, catalog_path: Path) -> str:
    """What the fetcher is asked for a record's `transcript`: its URL, or its file's real location
    (resolved like `path`, and like it refused by `load_catalog` outside the catalog's folder)."""
    if record.transcript is None:
        raise ValueError(f"{record.id} has no `transcript`")
    return record.transcript if _is_http_url(record.transcript) else str(_local_file(record.transcript, catalog_path))


def _transcript_is_url(record: Record) -> bool:
    return record.transcript is not None and _is_http_url(record.transcript)


def _local_file(value: str, catalog_path: Path) -> Path:
    return (catalog_path.parent / Path(value).expanduser()).resolve()
