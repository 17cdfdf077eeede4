"""Curators' acronyms and equivalent words (`synonyms.yaml` beside the catalog), applied at query time.

The field writes its key terms both ways ("RPL" and "recognition of prior learning", "ECTS" and
the credit system's full name): a search for one misses reports that only use the other. The file
is validated by `observatory build` like the catalog and copied into the index version it builds,
so what the site expands always matches the index it serves and changes with the next build.
Expansions are searched beside the words the user typed, at a lower weight, so documents using
the user's own words come first; the answer says what was added, and `expand=off` turns it off.

`suggest` reads a collection's own text for definitions written as "Long Form (LF)", for a curator
to copy into the file: nothing found there is applied by itself.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from abbreviations import schwartz_hearst

from .analysis import index_terms
from .config import Settings
from .engine import SCHEMA, Reader
from .layout import IndexMissing, IndexRoot, atomic_write

FILE_NAME = "synonyms.yaml"
#: An acronym as curators write one: a letter, then letters, digits, "&" or "-" (ECTS, EQF, K-12).
_ACRONYM = re.compile(r"^[A-Za-z][A-Za-z0-9&-]{0,15}$")


class SynonymsError(Exception):
    """The synonyms file is not valid; `problems` lists each, naming the entry and what is wrong."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: {len(problems)} problem(s)\n" + "\n".join(f"  {p}" for p in problems))


@dataclass(frozen=True)
class Synonyms:
    """Acronym -> long form, and groups of words that mean the same, as the curators wrote them."""

    acronyms: dict[str, str] = field(default_factory=dict)
    equivalents: tuple[tuple[str, ...], ...] = ()

    def alternatives(self) -> dict[str, list[str]]:
        """What each index term is also searched as: an acronym's long form, a word's equivalents."""
        found: dict[str, list[str]] = defaultdict(list)
        for acronym, long_form in self.acronyms.items():
            found[index_terms(acronym)].append(long_form)
        for group in self.equivalents:
            for word in group:
                term = index_terms(word)
                if " " in term or not term:
                    continue  # a phrase is searched as an alternative, never looked up as a word
                found[term] += [other for other in group if index_terms(other) != term and other not in found[term]]
        return {term: alternatives for term, alternatives in found.items() if term and alternatives}


def path_for(catalog: Path) -> Path:
    """Where the curators keep the file: beside the catalog."""
    return catalog.parent / FILE_NAME


def load(path: Path) -> Synonyms:
    """Read and validate a synonyms file; no file means no synonyms."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Synonyms()
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise SynonymsError(path, [f"not valid YAML: {err}"]) from None
    return parse(raw, path)


def parse(raw, path: Path) -> Synonyms:
    """Validate the file's content; raise one SynonymsError listing every problem."""
    if raw is None:
        return Synonyms()
    if not isinstance(raw, dict):
        raise SynonymsError(path, ["the file must be a mapping with the keys 'acronyms' and/or 'equivalents'"])
    problems = [
        f"'{key}': unknown section (allowed: acronyms, equivalents)"
        for key in raw
        if key not in ("acronyms", "equivalents")
    ]
    acronyms = _acronyms(raw.get("acronyms") or {}, problems)
    equivalents = _equivalents(raw.get("equivalents") or [], problems)
    if problems:
        raise SynonymsError(path, problems)
    return Synonyms(acronyms, equivalents)


def _acronyms(raw, problems: list[str]) -> dict[str, str]:
    if not isinstance(raw, dict):
        problems.append("acronyms: must be a mapping of ACRONYM: long form")
        return {}
    found = {}
    for acronym, long_form in raw.items():
        where = f"acronyms: entry {acronym!r}"
        if not isinstance(acronym, str) or not _ACRONYM.match(acronym):
            problems.append(f"{where}: an acronym is one word of letters and digits (like ECTS)")
        elif not isinstance(long_form, str) or not long_form.strip():
            problems.append(f"{where}: the long form must be text, not {_kind(long_form)}")
        elif not index_terms(long_form):
            problems.append(f"{where}: the long form {long_form!r} has only very common words")
        elif index_terms(long_form) == index_terms(acronym):
            problems.append(f"{where}: the long form is the acronym itself")
        else:
            found[acronym] = " ".join(long_form.split())
    return found


def _equivalents(raw, problems: list[str]) -> tuple[tuple[str, ...], ...]:
    if not isinstance(raw, list):
        problems.append("equivalents: must be a list of groups, each a list of words ([a, b, c])")
        return ()
    groups = []
    for number, group in enumerate(raw, start=1):
        where = f"equivalents: entry {number}"
        if not isinstance(group, list) or len(group) < 2:
            problems.append(f"{where}: must be a list of at least two words, not {_kind(group)}")
        elif not all(isinstance(word, str) and index_terms(word) for word in group):
            bad = next(word for word in group if not (isinstance(word, str) and index_terms(word)))
            problems.append(f"{where}: {bad!r} is not a word to search for")
        else:
            groups.append(tuple(" ".join(word.split()) for word in group))
    return tuple(groups)


def _kind(value) -> str:
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)}"
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"


def keep_with(version: Path, catalog: Path) -> None:
    """Copy the validated file into the index version (or remove an old copy when there is none)."""
    source = path_for(catalog)
    target = version / FILE_NAME
    if source.exists():
        atomic_write(target, source.read_bytes())
    else:
        target.unlink(missing_ok=True)


def of_version(version: Path) -> Synonyms:
    """The synonyms kept with an index version (validated when it was built)."""
    try:
        return load(version / FILE_NAME)
    except SynonymsError:
        return Synonyms()  # a copy damaged after the build: search without expansions


# ---------------------------------------------------------------- suggestions from the collection's text


@dataclass(frozen=True)
class Suggestion:
    acronym: str
    long_form: str
    count: int  # pages that define it so
    publications: tuple[str, ...]  # where, in index order


def suggest(pages: Iterable[tuple[str, str]], known: Synonyms = Synonyms()) -> list[Suggestion]:
    """Acronym definitions ("Long Form (LF)", found by the Schwartz-Hearst algorithm) in (publication
    id, page text) pairs, the most often written first; acronyms the file already has are left out."""
    pages_of: Counter = Counter()
    where: dict[tuple[str, str], dict[str, None]] = defaultdict(dict)
    spelled: dict[tuple[str, str], Counter] = defaultdict(Counter)
    have = {acronym.upper() for acronym in known.acronyms}
    for pub_id, text in pages:
        if "(" not in text:
            continue
        for acronym, found in schwartz_hearst.extract_abbreviation_definition_pairs(doc_text=text).items():
            if acronym.upper() in have or acronym.upper().removesuffix("S") in have:
                continue
            key = (acronym, " ".join(found.lower().split()))
            pages_of[key] += 1
            spelled[key][" ".join(found.split())] += 1
            where[key][pub_id] = None
    return [
        Suggestion(key[0], spelled[key].most_common(1)[0][0], n, tuple(where[key]))
        for key, n in sorted(pages_of.items(), key=lambda item: (-item[1], item[0]))
    ]


def suggestions_for(settings: Settings) -> list[Suggestion]:
    """`suggest` over every page of the live index, leaving out what the curators' file has."""
    version = IndexRoot(settings.index_dir, SCHEMA).current()
    if version is None:
        raise IndexMissing(f"no index at {settings.index_dir}: run `observatory build` first")
    reader = Reader(version)
    try:
        return suggest(reader.publication_pages(), load(path_for(settings.catalog)))
    finally:
        reader.close()


def as_yaml_line(found: Suggestion) -> str:
    """One suggestion as a line to paste under `acronyms:`, where it was found as a comment."""
    plain = not re.search(r"[:#'\"{}\[\],&*!|>%@`]", found.long_form)
    shown = found.long_form if plain else json.dumps(found.long_form)
    where = ", ".join(found.publications[:5]) + (", ..." if len(found.publications) > 5 else "")
    return f"  {found.acronym}: {shown}  # {found.count} page(s): {where}"
