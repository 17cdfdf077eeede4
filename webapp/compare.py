"""Compare passages: the evidence table of `indexer.compare` as a page, as JSON, as CSV and as Markdown.

The page is a GET of its whole state (a search's parameters plus `by` and `sel`), so a table can be
bookmarked, shared and exported as shown; it needs no script.
"""

from __future__ import annotations

import csv
import html
import io
import re
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, render_template, request, url_for

from indexer.compare import GROUP_ROWS, CompareRequest, compare, without_grouping
from indexer.facets import FACET_BY_KEY, FACETS
from indexer.search import SearchRequest
from indexer.spelling import spelling_wanted

from .export import _cell
from .links import document_link
from .service import search_service
from .urls import chips, page_window

bp = Blueprint("compare", __name__)

CSV_COLUMNS = (
    "group",
    "id",
    "title",
    "year",
    "organisation",
    "type",
    "regions",
    "matching_pages",
    "page",
    "time",
    "passage",
    "matched_in",
    "link",
)
#: What a matched_in field is called where people read it.
FIELD_NAMES = {"organisation": "issuing organisation"}


def _state_url(endpoint: str, req: CompareRequest, fmt: str | None = None, **changes) -> str:
    """`fmt`: which download of `/compare.<fmt>`; `changes` change the state (see `CompareRequest.to_args`)."""
    args = req.to_args(**changes)
    base = url_for(endpoint, fmt=fmt) if fmt else url_for(endpoint)
    return f"{base}?{urlencode(args)}" if args else base


@bp.app_template_global()
def compare_url(req: SearchRequest | None = None, by: str | None = None, sel=(), **changes) -> str:
    """The compare page of a search state: from a result page, that page's publications; `by` a
    facet parameter to group by; `sel` publication ids to compare instead of the search's results."""
    search = req or SearchRequest()
    state = CompareRequest(search, next((f for f in FACETS if f.param == by), None), tuple(sel))
    return _state_url("compare.page", state, **changes)


def _answer() -> tuple[CompareRequest, dict]:
    req = CompareRequest.from_args(request.args)
    return req, compare(search_service(), req, correct=spelling_wanted(request.args))


@bp.get("/api/compare")
def api():
    """Same parameters as the page; bad ones answer 400 {"error": ...} like `/api/search`."""
    return jsonify(_answer()[1])


@bp.get("/compare")
def page():
    req, data = _answer()
    rows = [row for group in data["groups"] for row in group["rows"]]
    records = {r["id"]: r for r in search_service().records(dict.fromkeys(row["id"] for row in rows))}
    search = req.search
    first = (search.page - 1) * search.per_page + 1
    shown = len(dict.fromkeys(row["id"] for row in rows))
    pages = max(1, -(-data["total"] // search.per_page))
    more = {
        group["value"]: _state_url("compare.page", without_grouping(req, group["value"]))
        for group in data["groups"]
        if req.by and group["total"] > len(group["rows"])
    }
    return render_template(
        "compare.html",
        req=req,
        search=search,
        data=data,
        records=records,
        first=first,
        shown=shown,
        pages=page_window(search.page, pages),
        last_page=pages,
        more=more,
        group_rows=GROUP_ROWS,
        facets=FACETS,
        why=_why,
        chips=chips(url_for("compare.page"), search),
        page_url=lambda n: _state_url("compare.page", req, page=n),
        exports=[
            (label, _state_url(endpoint, req, **args))
            for label, endpoint, args in (
                ("CSV", "compare.download", {"fmt": "csv"}),
                ("Markdown", "compare.download", {"fmt": "md"}),
                ("JSON", "compare.api", {}),
            )
        ],
        search_link=url_for("search.search") + (f"?{urlencode(search.to_args())}" if search.to_args() else ""),
    )


@bp.get("/compare.<any(csv, md):fmt>")
def download(fmt: str):
    """The table as shown on the page (same rows, same passages) for a spreadsheet or a report."""
    _, data = _answer()
    if fmt == "csv":
        body, mimetype = "\ufeff" + table_csv(data, document_link), "text/csv"
    else:
        body, mimetype = table_markdown(data, document_link), "text/markdown"
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="observatory-compare.{fmt}"'}
    )


# ---------------------------------------------------------------- the exports


def _plain(passage_html: str) -> str:
    """A passage as text: the only markup of passage HTML is <mark>, the rest is escaped text."""
    return html.unescape(re.sub(r"</?mark>", "", passage_html))


def _where(passage: dict) -> str:
    if passage["page"]:
        return f"p. {passage['page']}"
    if passage["time"] is not None:
        minutes, seconds = divmod(int(passage["time"]), 60)
        return f"{minutes}:{seconds:02}"
    return ""


def table_csv(data: dict, link) -> str:
    """One line per row and passage (a row without passages gets one line, saying why it matched)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for group in data["groups"]:
        for row in group["rows"]:
            base = {
                "group": group["label"],
                "id": row["id"],
                "title": row["title"],
                "year": row["year"],
                "organisation": row["organisation"],
                "type": FACET_BY_KEY["type"].label(row["type"]),
                "regions": "; ".join(row["regions"]),
                "matching_pages": row["pages"],
                "matched_in": "; ".join(row["matched_in"]),
                "link": link(row["id"]),
            }
            for passage in row["passages"] or [None]:
                line = {
                    **base,
                    **(
                        {"page": passage["page"], "time": passage["time"], "passage": _plain(passage["html"])}
                        if passage
                        else {}
                    ),
                }
                writer.writerow([_cell(line.get(column)) for column in CSV_COLUMNS])
    return out.getvalue()


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


def _md(text) -> str:
    """Text for a Markdown table cell: one line, Markdown's and HTML's special characters escaped."""
    return _md_inline(" ".join(str(text).split()))


def _md_inline(text: str) -> str:
    """Part of a cell: special characters escaped, spaces at its ends kept (they separate it from a hit)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _md_passage(passage: dict) -> str:
    """Hits in bold: the marks of the page, kept where the table is pasted."""
    parts = re.split(r"<mark>(.*?)</mark>", passage["html"])
    text = "".join(
        f"**{_md_inline(html.unescape(part))}**" if i % 2 else _md_inline(html.unescape(part))
        for i, part in enumerate(parts)
    )
    where = _where(passage)
    return f"{where}: {text}" if where else text


def table_markdown(data: dict, link) -> str:
    """One table line per row; its passages in one cell, separated by <br> (GitHub and Pandoc read it)."""
    grouped = data["by"] is not None
    head = (["Group"] if grouped else []) + [
        "Publication",
        "Year",
        "Organisation",
        "Type",
        "Regions",
        "Matching pages",
        "Passages",
    ]
    align = (["---"] if grouped else []) + ["---", "---:", "---", "---", "---", "---:", "---"]
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join(align) + " |"]
    for group in data["groups"]:
        for row in group["rows"]:
            said = "<br>".join(_md_passage(p) for p in row["passages"]) or _md(_why(row))
            cells = ([_md(group["label"])] if grouped else []) + [
                f"[{_md(row['title'])}]({link(row['id'])})",
                str(row["year"]),
                _md(row["organisation"] or ""),
                _md(FACET_BY_KEY["type"].label(row["type"])),
                _md(", ".join(row["regions"])),
                str(row["pages"]),
                said,
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _why(row: dict) -> str:
    if row["matched_in"]:
        return "Matches the " + ", ".join(FIELD_NAMES.get(name, name) for name in row["matched_in"])
    return "No sentence of its text holds the words"
