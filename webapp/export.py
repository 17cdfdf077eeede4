"""Results and records in the formats people take elsewhere: CSV for spreadsheets, RIS and BibTeX for
reference managers, and a plain citation to paste.

The catalogue's document types are mapped to the nearest citation type; anything unusual becomes
the generic one rather than a guess.
"""
from __future__ import annotations

import csv
import io
import re


CSV_COLUMNS = ("id", "title", "year", "section", "type", "regions", "organisation", "jurisdiction",
               "language", "url", "full_text", "status", "failure", "link")

RIS_TYPES = {"journal-article": "JOUR", "book": "BOOK", "thesis": "THES", "report": "RPRT",
             "white-paper": "RPRT", "survey": "RPRT", "literature-review": "RPRT", "framework": "GOVDOC",
             "policy": "GOVDOC", "video": "VIDEO", "podcast": "SOUND", "platform": "ELEC", "event": "CONF",
             "commentary": "ELEC", "guide": "GEN", "position-paper": "GEN"}

BIBTEX_TYPES = {"journal-article": "article", "book": "book", "thesis": "phdthesis", "report": "techreport",
                "white-paper": "techreport", "survey": "techreport", "literature-review": "techreport"}


def results_csv(results: list[dict], link) -> str:
    """`link(record)` gives the record's page in this app, so a spreadsheet row leads back here."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in results:
        row = {**r, "regions": "; ".join(r.get("regions") or ()), "link": link(r),
               "section": r["section_label"], "type": r["type_label"]}
        writer.writerow([_cell(row.get(column)) for column in CSV_COLUMNS])
    return out.getvalue()


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


def ris(records: list[dict]) -> str:
    lines = []
    for r in records:
        lines.append(f"TY  - {RIS_TYPES.get(r.get('type'), 'GEN')}")
        lines.append(f"TI  - {_line(r['title'])}")
        lines += [f"AU  - {_line(author)}" for author in r.get("authors") or ()]
        if r.get("organisation"):
            lines.append(f"{'A2' if r.get('authors') else 'AU'}  - {_line(r['organisation'])}")
        lines.append(f"PY  - {r['year']}")
        lines += [f"KW  - {_line(region)}" for region in r.get("regions") or ()]
        if r.get("summary"):
            lines.append(f"AB  - {_line(r['summary'])}")
        if r.get("language"):
            lines.append(f"LA  - {r['language']}")
        if r.get("url"):
            lines.append(f"UR  - {r['url']}")
        lines.append(f"ID  - {r['id']}")
        lines.append("ER  - ")
        lines.append("")
    return "\r\n".join(lines)


def _line(text: str) -> str:
    return " ".join(str(text).split())


def bibtex(records: list[dict]) -> str:
    entries = []
    for r in records:
        kind = BIBTEX_TYPES.get(r.get("type"), "misc")
        fields = {"title": "{" + _bib(r["title"]) + "}", "year": str(r["year"])}
        if r.get("authors"):
            fields["author"] = " and ".join(_bib(a) for a in r["authors"])
        elif r.get("organisation"):
            fields["author"] = "{" + _bib(r["organisation"]) + "}"
        if r.get("organisation"):
            fields["institution" if kind == "techreport" else "publisher" if kind == "book" else "organization"] = \
                _bib(r["organisation"])
        if r.get("url"):
            fields["url"] = r["url"]
        fields["note"] = _bib(r["type_label"])
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields.items())
        entries.append(f"@{kind}{{{r['id']},\n{body}\n}}\n")
    return "\n".join(entries)


_BIB_SPECIAL = re.compile(r"([&%$#_{}])")


def _bib(text: str) -> str:
    return _BIB_SPECIAL.sub(r"\\\1", _line(text)).replace("~", r"\textasciitilde{}").replace("^", r"\^{}")


def citation(r: dict) -> str:
    """Author-date style: 'Authors or Organisation (Year). Title. Type. URL'."""
    who = "; ".join(r.get("authors") or ()) or r.get("organisation") or ""
    parts = [f"{who} ({r['year']})." if who else f"({r['year']}).", f"{_line(r['title']).rstrip('.')}."]
    parts.append(f"{r['type_label']}.")
    if r.get("organisation") and r.get("authors"):
        parts.append(f"{r['organisation']}.")
    if r.get("url"):
        parts.append(r["url"])
    return " ".join(parts)
