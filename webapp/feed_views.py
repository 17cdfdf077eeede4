"""What leaves the site for other tools: exports, Atom feeds, the OpenSearch description."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import replace

from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, abort, current_app, render_template, request, stream_with_context, url_for

from indexer.search import MAX_PER_PAGE, InvalidRequest, SearchRequest, SearchService

from . import export
from .conditional import conditional
from .downloads import download, writer
from .links import absolute_url, document_link, site_base
from .publication import Publication, publication
from .request_state import MAX_SELECTED, selection
from .service import search_service
from .urls import state_url

bp = Blueprint("feeds", __name__)


@bp.route("/export.<any(csv, ris, bib):fmt>", methods=["GET", "POST"])
def export_results(fmt: str):
    """The ticked publications (`sel`) or else every publication of the result set, in the order shown.

    A selection too long for a URL comes by POST (the search page's "download the ticked ones").
    Either the export is complete or it is refused before it starts: a result set over
    `export.MAX_RECORDS` is asked to be narrowed, never cut off by the worker's timeout.
    """
    req = SearchRequest.from_args(request.values)
    ticked = [v for v in request.values.getlist("sel") if v.strip()]
    if len(ticked) > MAX_SELECTED:
        abort(
            400,
            f"{len(ticked)} publications are ticked; a download holds at most {MAX_SELECTED}. "
            "Untick some, or narrow the search and download all its results.",
        )
    selected = selection()
    if request.values.get("selection") and not selected:
        abort(400, "No publications are ticked: tick the ones to download, or download all results.")
    service = search_service()
    docs = map(publication, service.records(selected)) if selected else _all_records(service, req)
    return download(
        stream_with_context(writer(fmt)(docs)), fmt, "observatory-selected" if selected else "observatory-results"
    )


def _all_records(service: SearchService, req: SearchRequest):
    """Full records of every match, a batch at a time, or a 400 when there are too many to export.

    The search runs before the response starts, so a search that cannot be answered (an
    unreadable index, too many matches) gets its error status instead of a cut-off 200 download.
    """
    data = service.search(replace(req, page=1, per_page=export.MAX_RECORDS), snippets=False)
    if data["total"] > export.MAX_RECORDS:
        abort(
            400,
            f"{data['total']:,} publications match; a download holds at most {export.MAX_RECORDS:,}. "
            "Narrow the search (more words, a filter or a range of years) and download again.",
        )
    ids = [r["id"] for r in data["results"]]

    def batches():
        for start in range(0, len(ids), MAX_PER_PAGE):
            yield from map(publication, service.records(ids[start : start + MAX_PER_PAGE]))

    return batches()


@bp.get("/feed.atom")
def feed():
    """Recent additions by the date curators added them, for readers and newsletters."""
    return _atom(
        "Observatory Search: recently added publications",
        SearchRequest(sort="added"),
        url_for("feeds.feed"),
        url_for("search.search", sort="added"),
    )


@bp.get("/search.atom")
def search_feed():
    """Any search as a feed of its newest matches (by `added`, then year), whatever order the page had:
    a new match ranked low must still reach the subscribers."""
    try:
        req = replace(SearchRequest.from_args(request.args), sort="relevance", page=1)
    except InvalidRequest as error:  # a feed reader shows plain text; an HTML page is unreadable there
        return Response(f"Bad request: {error}\n", status=400, mimetype="text/plain")
    label = f"“{req.q}”" if req.q else "all publications"
    return _atom(
        f"Observatory Search: {label}",
        replace(req, sort="added"),
        state_url(url_for("feeds.search_feed"), req),
        state_url(url_for("search.search"), req),
    )


@bp.get("/search/follow")
def follow():
    """What "Follow this search" opens: how to subscribe, in words, with the feed's address to copy."""
    req = replace(SearchRequest.from_args(request.args), sort="relevance", page=1)
    feed = absolute_url(state_url(url_for("feeds.search_feed"), req), required=True)  # to paste into a reader
    return render_template("follow.html", req=req, feed=feed, search=state_url(url_for("search.search"), req))


bp.after_request(conditional)  # feed readers poll


@bp.get("/robots.txt")
def robots():
    """Crawlers read the documents, not every export and facet combination of every search."""
    lines = [
        "User-agent: *",
        "Disallow: /export.",
        "Disallow: /search.atom",
        "Disallow: /facet/",
        "Disallow: /api/",
        "Disallow: /*?*sel=",
        "Disallow: /*?*&",
        "Allow: /$",
    ]
    sitemap = absolute_url(url_for("feeds.sitemap"))
    lines += [f"Sitemap: {sitemap}"] if site_base() else []
    return Response("\n".join(lines) + "\n", mimetype="text/plain")


@bp.get("/sitemap.xml")
def sitemap():
    """Every document page, absolute as the sitemap protocol requires (relative without a base URL)."""
    service = search_service()
    ids = [
        r["id"] for r in service.search(SearchRequest(sort="added", per_page=MAX_PER_PAGE), snippets=False)["results"]
    ]
    data = service.search(SearchRequest(sort="added", per_page=1), snippets=False)
    pages = -(-data["total"] // MAX_PER_PAGE)
    for page in range(2, pages + 1):
        ids += [
            r["id"]
            for r in service.search(SearchRequest(sort="added", page=page, per_page=MAX_PER_PAGE), snippets=False)[
                "results"
            ]
        ]
    body = render_template("sitemap.xml", urls=[document_link(doc_id) for doc_id in ids])
    return Response(body, mimetype="application/xml")


@bp.get("/favicon.ico")
def favicon():
    """Browsers and feed readers ask for /favicon.ico whatever the page says: the site's icon."""
    return current_app.send_static_file("favicon.svg")


def _atom(title: str, req: SearchRequest, self_path: str, page_path: str) -> Response:
    """An Atom feed of the first FEED_SIZE results of `req` (only those records are read)."""
    service = search_service()
    data = service.search(
        replace(req, page=1, per_page=min(current_app.config["FEED_SIZE"], MAX_PER_PAGE)), snippets=False
    )
    # a record without `added` is dated by its build check, which only the document (with the manifest) has
    docs = [
        publication(export.xml_safe(r if r.get("added") else service.document(r["id"]) or r))
        for r in service.records(r["id"] for r in data["results"])
    ]
    fg = FeedGenerator()
    fg.id(_atom_id(page_path))
    fg.title(export.xml_safe(title))
    fg.link(href=absolute_url(self_path, required=True), rel="self")  # Atom readers resolve nothing else
    fg.link(href=absolute_url(page_path), rel="alternate")
    fg.language("en")
    fg.author(name="Micro-credential Observatory")
    fg.updated(max((_updated(d) for d in docs), default=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)))
    for doc in reversed(docs):  # feedgen prepends each entry: add the last first to keep the order
        entry = fg.add_entry()
        entry.id(_atom_id(url_for("documents.document", doc_id=doc.id)))
        entry.title(doc.title)
        entry.link(href=document_link(doc.id), rel="alternate")  # the page here leads on to the source
        entry.published(_feed_date(doc))
        entry.updated(_updated(doc))
        # as escaped HTML: a URL's `&utm_…=` in a text summary reads to validators as a stray entity
        entry.summary(html.escape(doc.summary or export.citation(doc), quote=False), type="html")
        for name in doc.creators:
            entry.author(name=name)
        for label in (doc.type_label, doc.section_label, *doc.regions):
            entry.category(term=label)
    return Response(fg.atom_str(pretty=True), mimetype="application/atom+xml")


def _atom_id(path: str) -> str:
    """Atom ids must be absolute IRIs: the site's base URL's, or a tag: URI that needs no host."""
    return absolute_url(path) if site_base() else f"tag:observatory-search,2024:{path}"


def _feed_date(doc: Publication) -> dt.datetime:
    """An entry's `published`: the day a record was added; without `added`, the moment the build
    last wrote it into the index (or else checked it); never built, its year."""
    if doc.added_date:
        return dt.datetime.combine(doc.added_date, dt.time(), dt.UTC)
    return doc.changed_at or doc.checked_at or dt.datetime(doc.year, 1, 1, tzinfo=dt.UTC)


def _updated(doc: Publication) -> dt.datetime:
    """An entry's `updated`: the moment the build last wrote the record into the index (its metadata or
    text changed), which no two records share, unlike the day several were added; never before
    `published`."""
    return max(_feed_date(doc), doc.changed_at or _feed_date(doc))


@bp.get("/opensearch.xml")
def opensearch():
    """Lets browsers offer this site as a search engine (the <link rel="search"> on every page)."""
    body = render_template(
        "opensearch.xml",
        search=absolute_url(url_for("search.search"), required=True),
        feed=absolute_url(url_for("feeds.search_feed"), required=True),
        me=absolute_url(url_for("feeds.opensearch"), required=True),
    )
    return Response(body, mimetype="application/opensearchdescription+xml")
