"""Adding, changing and retiring a publication in the catalog without disturbing anything else.

The catalog is hand-edited: comments, blank lines and long unwrapped titles carry meaning, so a
YAML round trip (which rewraps and re-quotes) is never used. A new record is rendered alone in the
file's own style and appended as text, after the whole catalog plus the record has been validated;
a changed record's lines (found by YAML's own parser, which knows where each entry starts and ends)
are replaced by its new rendering, and a retired record's lines are cut out. `add_record` is the one
code path for `observatory add`, accepting a reader's suggestion and the curators' screens.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import os
import re
import shutil
import tempfile
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


class InvalidRecord(AdditionError):
    """The record breaks the catalog's rules; `problems` maps each field to the catalog's messages for it
    ("(entry)" for a rule about the record as a whole, such as its one source)."""

    def __init__(self, message: str, problems: dict[str, list[str]]):
        self.problems = problems
        super().__init__(message)


class ConcurrentEdit(AdditionError):
    """The entry changed in the file since the curator opened it: their change would overwrite another's."""


class DuplicateRecord(AdditionError):
    """The catalog already holds this publication; `existing` is the record it duplicates."""

    def __init__(self, existing: Record, reason: str):
        self.existing, self.reason = existing, reason
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
    _Quoted, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
)
_CatalogDumper.add_representer(
    _Flow, lambda dumper, value: dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)
)


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


def find_duplicate(
    existing: list[Record], *, url: str | None = None, title: str | None = None
) -> tuple[Record, str] | None:
    """The catalogued record that a publication with this link or title would duplicate, and why."""
    if url:
        wanted = normalise_url(url)
        for record in existing:
            if record.url and normalise_url(record.url) == wanted:
                return record, "same URL"
    if title:
        match = process.extractOne(
            title,
            {r.id: r.title for r in existing},
            scorer=fuzz.ratio,
            processor=utils.default_process,
            score_cutoff=TITLE_SIMILARITY,
        )
        if match:
            return next(r for r in existing if r.id == match[2]), f"title {match[1]:.0f}% similar"
    return None


def _find_duplicate(new: Record, existing: list[Record], catalog_path: Path, local_file: Path | None) -> None:
    found = find_duplicate(existing, url=new.url)
    if found:
        raise DuplicateRecord(*found)
    if local_file is not None:
        digest = _sha256(local_file)
        for record in existing:
            if record.path and (other := resolve_path(record, catalog_path)).is_file() and _sha256(other) == digest:
                raise DuplicateRecord(record, "same file content")
    found = find_duplicate(existing, title=new.title)
    if found:
        raise DuplicateRecord(*found)


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


def add_record(catalog_path: Path, fields: dict, source: str | None, *, create: bool = False) -> Record:
    """Validate, refuse duplicates, copy a local file into `files/` and append the record.

    `fields` are the record's fields except the source (None: `link: missing`); `id` defaults to a slug of the title and
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
    if source is None:
        entry["link"] = "missing"
    elif re.match(r"^https?://", source, re.IGNORECASE):
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
        raise InvalidRecord(f"not added:\n{err}", _problems_of(err, len(raw_entries) + 1)) from None

    copied = None
    if local_file is not None and new.path is not None:
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


def _problems_of(err: CatalogError, position: int) -> dict[str, list[str]]:
    """The catalog's messages about the entry at `position` (1-based), by field; any other entry's
    problem (there is none in a valid catalog but the new entry's own, e.g. a taken id) goes under "(entry)"."""
    found: dict[str, list[str]] = {}
    for problem in err.problems:
        where, _, rest = problem.partition(": field '")
        name, _, message = rest.partition("': ")
        mine = re.match(rf"entry (1|{position})\b", where)  # a lone entry validated alone is entry 1
        if not (mine and message):
            name, message = "(entry)", problem
        found.setdefault(name.split(".")[0], []).append(message)
    return found


# ---------------------------------------------------------------- changing and retiring one entry


@contextlib.contextmanager
def catalog_lock(catalog_path: Path):
    """One change to the catalog at a time, across the web app's workers and threads (an flock on the
    catalog's folder: the file itself is replaced by each change, so a lock on it would not hold)."""
    folder = os.open(catalog_path.parent, os.O_RDONLY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        yield
    finally:
        os.close(folder)  # closing releases the lock


def _content_end(node: yaml.Node) -> yaml.Mark:
    """Where a value's own text ends: a block collection's end mark lies at the next entry (after any
    comments and blank lines between), so its last item's end is taken instead."""
    while isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and not node.flow_style and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(node, yaml.MappingNode) else last
    return node.end_mark


def entry_lines(text: str) -> dict[str, tuple[int, int]]:
    """Each entry's id and its lines [first, last + 1) in `text`: from its `- ` line to its last value's."""
    root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    spans = {}
    for item in root.value if isinstance(root, yaml.SequenceNode) else []:
        if not isinstance(item, yaml.MappingNode) or not item.value:
            continue
        ids = [value.value for key, value in item.value if key.value == "id" and isinstance(value, yaml.ScalarNode)]
        end = _content_end(item)
        if ids:
            spans[ids[0]] = (item.start_mark.line, end.line + (1 if end.column else 0))
    return spans


def _entry(text: str, record_id: str) -> tuple[list[str], int, int]:
    lines = text.splitlines(keepends=True)
    span = entry_lines(text).get(record_id)
    if span is None:
        raise AdditionError(f"no record {record_id!r} in the catalog (it may have been retired meanwhile)")
    if not lines[span[0]].startswith("- "):
        raise AdditionError(f"record {record_id!r} is written in a layout this form cannot change; edit the file")
    return lines, *span


def entry_hash(catalog_path: Path, record_id: str) -> str:
    """A fingerprint of the entry's lines as they are now: a form keeps the one it was opened with."""
    lines, first, end = _entry(catalog_path.read_text(encoding="utf-8"), record_id)
    return hashlib.sha256("".join(lines[first:end]).encode()).hexdigest()[:16]


def _replace_text(catalog_path: Path, text: str) -> None:
    """Write the whole file at once (a temporary file renamed over it), keeping its mode."""
    handle = tempfile.NamedTemporaryFile("wb", dir=catalog_path.parent, prefix=".catalog-", delete=False)
    try:
        with handle:
            handle.write(text.encode("utf-8"))
        shutil.copymode(catalog_path, handle.name)
        os.replace(handle.name, catalog_path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def _checked_entry(catalog_path: Path, record_id: str, expected_hash: str) -> tuple[str, list[str], int, int]:
    text = catalog_path.read_text(encoding="utf-8")
    lines, first, end = _entry(text, record_id)
    if hashlib.sha256("".join(lines[first:end]).encode()).hexdigest()[:16] != expected_hash:
        raise ConcurrentEdit(
            f"record {record_id!r} was changed by someone else after you opened it; "
            f"nothing was saved: open it again to see their change"
        )
    return text, lines, first, end


def replace_record(catalog_path: Path, record_id: str, fields: dict, expected_hash: str) -> Record:
    """Replace one entry's lines by `fields` rendered in the catalog's style; every other byte stays.

    Refused (ConcurrentEdit) when the entry is no longer what the curator saw (`entry_hash`), and
    (InvalidRecord) when the new record or the file with it breaks the catalog's rules.
    """
    entry = {key: value for key, value in fields.items() if value not in (None, (), [], "")}
    entry["id"] = record_id
    with catalog_lock(catalog_path):
        text, lines, first, end = _checked_entry(catalog_path, record_id, expected_hash)
        raw_entries = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        position = next(n for n, raw in enumerate(raw_entries) if isinstance(raw, dict) and raw.get("id") == record_id)
        raw_entries[position] = entry
        try:
            new = parse_records(raw_entries, catalog_path)[position]
        except CatalogError as err:
            raise InvalidRecord(f"not saved:\n{err}", _problems_of(err, position + 1)) from None
        _replace_text(catalog_path, "".join([*lines[:first], render_entry(entry), *lines[end:]]))
    return new


def retire_record(catalog_path: Path, record_id: str, expected_hash: str) -> None:
    """Cut one entry out of the catalog with the comment lines right above it (its `# Link:` notes) and
    one of the blank lines around it; local files and cached downloads stay (a full build drops them)."""
    with catalog_lock(catalog_path):
        _, lines, first, end = _checked_entry(catalog_path, record_id, expected_hash)
        while first > 0 and lines[first - 1].startswith("#"):
            first -= 1
        if end < len(lines) and not lines[end].strip() and (first == 0 or not lines[first - 1].strip()):
            end += 1
        _replace_text(catalog_path, "".join([*lines[:first], *lines[end:]]))
