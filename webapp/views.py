"""The HTML pages, exports and feed: each turns `SearchService` answers into something to read.

Every page is a GET of its full state, so any view can be bookmarked, shared and reached with the
back button; nothing is remembered between requests.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, abort, current_app, render_template, request, send_file, url_for

from indexer.facets import FACET_BY_KEY, FACETS
from indexer.search import MAX_PER_PAGE, InvalidRequest, SearchRequest, SearchService

from . import export
from .service import search_service
from .charts import bar_chart, year_series
from .facets import facet_view
from .urls import chips, clear_filters_url, page_window, state_url

bp = Blueprint("views", __name__)

SORT_LABELS = {"relevance": "Relevance", "newest": "Newest", "oldest": "Oldest", "title": "Title A–Z"}
#: How a local copy is served. A PDF viewer is a plugin that a CSP sandbox would block; anything else
#: is sandboxed so a curator's HTML file can never run script on this site's origin.
LOCAL_FILES = {"pdf": ("application/pdf", "frame-ancestors 'none'"),
               "html": ("text/html", "sandbox; default-src 'none'; frame-ancestors 'none'"),
               "text": ("text/plain", "sandbox; default-src 'none'; frame-ancestors 'none'")}
#: Rows of each group shown on the status overview; its own page (?reason=) lists them all, paged.
STATUS_PREVIEW = 5
#: Rows a page of one group: 50,000 problems must not make one 18 MB page.
STATUS_PAGE_SIZE = 100
EXPORTS = {"csv": ("text/csv", "CSV"), "ris": ("application/x-research-info-systems", "RIS"),
           "bib": ("application/x-bibtex", "BibTeX")}


@bp.app_template_global()
def search_url(req: SearchRequest | None = None, **changes) -> str:
    return state_url(url_for("views.search"), req or SearchRequest(), **changes)


@bp.app_template_global()
def facet_url(key: str, value) -> str:
    """The whole collection narrowed to one value of one facet."""
    return search_url(SearchRequest().with_selected(key, [value]))


@bp.app_template_global()
def doc_url(doc_id: str, req: SearchRequest | None = None) -> str:
    """Carries the search state along, so the document view highlights the query and leads back."""
    base = url_for("views.document", doc_id=doc_id)
    args = req.to_args() if req else []
    return f"{base}?{urlencode(args)}" if args else base


@bp.app_template_global()
def source_url(record: dict) -> str | None:
    """The online source, or for a publication the curators keep as a local file, that file here.

    Search results carry no `path`; a record without a URL whose content was fetched (it has a
    `kind`) can only have come from a local file.
    """
    if record.get("url"):
        return record["url"]
    return url_for("views.local_file", doc_id=record["id"]) if record.get("kind") else None


@bp.app_template_global()
def page_link(url: str | None, kind: str | None, page: int | None) -> str | None:
    """PDF viewers open `#page=N`; other sources have no pages to point at."""
    if not url or page is None:
        return None
    return f"{url}#page={page}" if kind == "pdf" else url


@bp.app_template_filter()
def host(url: str | None) -> str:
    return (urlsplit(url).hostname or "").removeprefix("www.") if url else ""


@bp.app_template_filter()
def language_name(code: str | None) -> str:
    return FACET_BY_KEY["language"].label(code) if code else ""


def _lenient_state() -> SearchRequest:
    """The search state a document page was reached from; a broken one is simply forgotten."""
    try:
        return SearchRequest.from_args(request.args)
    except InvalidRequest:
        return SearchRequest()


@bp.get("/")
def search():
    service = search_service()
    error = None
    try:
        req = SearchRequest.from_args(request.args)
    except InvalidRequest as err:
        error = str(err)
        try:
            req = SearchRequest.from_args({"q": request.args.get("q", "")})
        except InvalidRequest:
            req = SearchRequest()
    data = service.search(req)
    base = url_for("views.search")
    active = chips(base, req)
    years = {v["value"]: v["count"] for v in data["facets"]["year"]}
    context = dict(
        req=req, data=data, error=error, chips=active,
        clear_url=clear_filters_url(base, req),
        facets=[facet_view(spec, data["facets"][spec.key], current_app.config["FACET_SIZE"]) for spec in FACETS],
        chart=bar_chart(year_series(years)),
        pages=page_window(data["page"], data["pages"]),
        sorts=[(key, label) for key, label in SORT_LABELS.items() if req.q or key != "relevance"],
        exports=[(label, state_url(url_for("views.export_results", fmt=fmt), req, page=1))
                 for fmt, (_, label) in EXPORTS.items()],
        suggestions=_suggestions(service, req, active) if not data["total"] else [],
        first=(data["page"] - 1) * data["per_page"] + 1,
    )
    return render_template("search.html", **context), 400 if error else 200


def _suggestions(service: SearchService, req: SearchRequest, active) -> list[tuple]:
    """For an empty result: what dropping each constraint alone would give, best first."""
    found = []
    for chip in active:
        total = service.search(replace(chip.without, page=1, per_page=1))["total"]
        if total:
            found.append((chip, total))
    return sorted(found, key=lambda pair: -pair[1])


@bp.get("/doc/<doc_id>")
def document(doc_id: str):
    service = search_service()
    req = _lenient_state()
    doc = service.document(doc_id, q=req.q)
    if doc is None:
        abort(404)
    return render_template(
        "doc.html", doc=doc, req=req, similar=service.similar(doc_id),
        citation=export.citation(doc),
        back_url=search_url(req),
        canonical=url_for("views.document", doc_id=doc_id, _external=True),
    )


@bp.get("/doc/<doc_id>/file")
def local_file(doc_id: str):
    """Only the file the build read a local record from is ever served."""
    service = search_service()
    doc = service.document(doc_id)
    if doc is None or doc.get("kind") not in LOCAL_FILES:
        abort(404)
    location = service.local_file(doc_id)
    if location is None or not location.is_file():
        abort(404)
    mimetype, policy = LOCAL_FILES[doc["kind"]]
    response = send_file(location, mimetype=mimetype, download_name=f"{doc_id}{location.suffix}", conditional=True)
    response.headers["Content-Security-Policy"] = policy
    return response


@bp.get("/doc/<doc_id>/cite.<any(ris, bib):fmt>")
def cite(doc_id: str, fmt: str):
    doc = search_service().document(doc_id)
    if doc is None:
        abort(404)
    body = export.ris([doc]) if fmt == "ris" else export.bibtex([doc])
    return _download(body, fmt, doc_id)


@bp.get("/export.<any(csv, ris, bib):fmt>")
def export_results(fmt: str):
    """Every publication of the current result set (not just the shown page), in the order shown."""
    req = SearchRequest.from_args(request.args)
    docs = _all_documents(search_service(), req)
    if fmt == "csv":
        body = export.results_csv(docs, lambda r: url_for("views.document", doc_id=r["id"], _external=True))
    else:
        body = export.ris(docs) if fmt == "ris" else export.bibtex(docs)
    return _download(body, fmt, "observatory-results")


def _all_documents(service: SearchService, req: SearchRequest) -> list[dict]:
    """Full records (authors and summary are not in search results) of every match, page by page."""
    ids, page = [], 1
    while True:
        data = service.search(replace(req, page=page, per_page=MAX_PER_PAGE), snippets=False)
        ids += [r["id"] for r in data["results"]]
        if page >= data["pages"]:
            break
        page += 1
    return [doc for doc in map(service.document, ids) if doc is not None]


def _download(body: str, fmt: str, name: str) -> Response:
    mimetype, _ = EXPORTS[fmt]
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


@bp.get("/feed.atom")
def feed():
    """Recent additions by the date curators added them (then by year), for readers and newsletters."""
    service = search_service()
    docs = _all_documents(service, SearchRequest())
    docs.sort(key=lambda d: (d.get("added") or "", d["year"]), reverse=True)
    docs = docs[:current_app.config["FEED_SIZE"]]

    fg = FeedGenerator()
    fg.id(url_for("views.search", _external=True))
    fg.title("Observatory Search: recently added publications")
    fg.link(href=url_for("views.feed", _external=True), rel="self")
    fg.link(href=url_for("views.search", _external=True), rel="alternate")
    fg.language("en")
    fg.author(name="Micro-credential Observatory")
    fg.updated(max((_feed_date(d) for d in docs), default=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)))
    for doc in reversed(docs):  # feedgen prepends each entry: add oldest first to list newest first
        entry = fg.add_entry()
        link = url_for("views.document", doc_id=doc["id"], _external=True)
        entry.id(link)
        entry.title(doc["title"])
        entry.link(href=link, rel="alternate")
        if doc.get("url"):
            entry.link(href=doc["url"], rel="related")
        entry.updated(_feed_date(doc))
        entry.summary(doc.get("summary") or export.citation(doc))
        if doc.get("organisation"):
            entry.author(name=doc["organisation"])
        for label in (doc["type_label"], doc["section_label"], *doc["regions"]):
            entry.category(term=label)
    return Response(fg.atom_str(pretty=True), mimetype="application/atom+xml")


def _feed_date(doc: dict) -> dt.datetime:
    """Atom needs a timestamp; a record without `added` is dated to the start of its year."""
    day = dt.date.fromisoformat(doc["added"]) if doc.get("added") else dt.date(doc["year"], 1, 1)
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


@bp.get("/status")
def status():
    """The curators' to-do list: every group with its newest problems, or one group (?reason=) page by page."""
    overview = search_service().overview()
    reason = request.args.get("reason")
    if reason is None:
        return render_template("status.html", overview=overview, group=None, preview=STATUS_PREVIEW)
    group = _status_group(overview, reason)
    size = current_app.config.get("STATUS_PAGE_SIZE", STATUS_PAGE_SIZE)
    pages = max(1, -(-group["count"] // size))
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        abort(400, "page must be a whole number")
    if not 1 <= page <= pages:
        abort(404, f"there are {pages} page(s) of {group['label'].lower()}")
    return render_template("status.html", overview=overview, group=group, page=page, pages=page_window(page, pages),
                           last_page=pages, rows=group["rows"][(page - 1) * size:page * size], first=(page - 1) * size + 1)


@bp.get("/status.csv")
def status_csv():
    """Every problem (or one group's), for a spreadsheet to share out the work."""
    overview = search_service().overview()
    reason = request.args.get("reason")
    groups = [_status_group(overview, reason)] if reason else overview["problems"]
    body = export.problems_csv([row for group in groups for row in group["rows"]],
                               lambda r: url_for("views.document", doc_id=r["id"], _external=True))
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="observatory-status{"-" + reason if reason else ""}.csv"'})


def _status_group(overview: dict, reason: str) -> dict:
    group = next((g for g in overview["problems"] if g["reason"] == reason), None)
    if group is None:
        abort(404, f"no such problem group: {reason}")
    return group


@bp.get("/about")
def about():
    overview = search_service().overview()
    years = {v["value"]: v["count"] for v in overview["facets"]["year"]}
    # Axis labels get room for the larger type the phone layout uses (the picture scales down there).
    chart = bar_chart(year_series(years), width=640, height=200, label_room=22, tick_room=64)
    return render_template("about.html", overview=overview, chart=chart, facets=FACET_BY_KEY)
