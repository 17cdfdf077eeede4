"""What leaves the site for other tools: exports, Atom feeds, the OpenSearch description."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, abort, current_app, render_template, request, stream_with_context, url_for

from indexer.search import MAX_PER_PAGE, SearchRequest, SearchService

from . import export
from .downloads import download, writer
from .links import absolute_url, document_link, site_base
from .publication import Publication, publication
from .request_state import selection
from .service import search_service
from .urls import state_url

bp = Blueprint("feeds", __name__)


@bp.get("/export.<any(csv, ris, bib):fmt>")
def export_results(fmt: str):
    """The ticked publications (`sel`) or else every publication of the result set, in the order shown.

    Streamed a batch at a time, so exporting a large collection never holds it all in memory.
    """
    req = SearchRequest.from_args(request.args)
    selected = selection()
    if request.args.get("selection") and not selected:
        abort(400, "No publications are ticked: tick the ones to download, or download all results.")
    service = search_service()
    docs = map(publication, service.records(selected)) if selected else _all_records(service, req)
    return download(stream_with_context(writer(fmt)(docs)), fmt,
                    "observatory-selected" if selected else "observatory-results")


def _all_records(service: SearchService, req: SearchRequest):
    """Full records of every match, one page of results at a time.

    The first page is searched before the response starts, so a search that cannot be answered
    (an unreadable index) gets its error status instead of a cut-off 200 download.
    """
    def search(page: int) -> dict:
        return service.search(replace(req, page=page, per_page=MAX_PER_PAGE), snippets=False)

    def pages(data: dict):
        page = 1
        while True:
            yield from map(publication, service.records(r["id"] for r in data["results"]))
            if page >= data["pages"]:
                return
            page += 1
            data = search(page)
    return pages(search(1))


@bp.get("/feed.atom")
def feed():
    """Recent additions by the date curators added them, for readers and newsletters."""
    return _atom("Observatory Search: recently added publications", SearchRequest(sort="added"),
                 url_for("feeds.feed"), url_for("search.search", sort="added"))


@bp.get("/search.atom")
def search_feed():
    """Any search as a feed: its newest N in the search's own order (follow a topic in a feed reader)."""
    req = SearchRequest.from_args(request.args)
    label = f"“{req.q}”" if req.q else "all publications"
    return _atom(f"Observatory Search: {label}", req, state_url(url_for("feeds.search_feed"), req),
                 state_url(url_for("search.search"), req))


def _atom(title: str, req: SearchRequest, self_path: str, page_path: str) -> Response:
    """An Atom feed of the first FEED_SIZE results of `req` (only those records are read)."""
    service = search_service()
    data = service.search(replace(req, page=1, per_page=min(current_app.config["FEED_SIZE"], MAX_PER_PAGE)),
                          snippets=False)
    docs = [publication(r) for r in service.records(r["id"] for r in data["results"])]
    fg = FeedGenerator()
    fg.id(_atom_id(page_path))
    fg.title(title)
    fg.link(href=absolute_url(self_path), rel="self")
    fg.link(href=absolute_url(page_path), rel="alternate")
    fg.language("en")
    fg.author(name="Micro-credential Observatory")
    fg.updated(max((_feed_date(d) for d in docs), default=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)))
    for doc in reversed(docs):  # feedgen prepends each entry: add the last first to keep the order
        entry = fg.add_entry()
        entry.id(_atom_id(url_for("documents.document", doc_id=doc.id)))
        entry.title(doc.title)
        entry.link(href=document_link(doc.id), rel="alternate")  # the page here leads on to the source
        entry.updated(_feed_date(doc))
        entry.summary(doc.summary or export.citation(doc))
        for name in doc.creators:
            entry.author(name=name)
        for label in (doc.type_label, doc.section_label, *doc.regions):
            entry.category(term=label)
    return Response(fg.atom_str(pretty=True), mimetype="application/atom+xml")


def _atom_id(path: str) -> str:
    """Atom ids must be absolute IRIs: the site's base URL's, or a tag: URI that needs no host."""
    return absolute_url(path) if site_base() else f"tag:observatory-search,2024:{path}"


def _feed_date(doc: Publication) -> dt.datetime:
    """Atom needs a timestamp; a record without `added` is dated to the start of its year."""
    day = doc.added_date or dt.date(doc.year, 1, 1)
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


@bp.get("/opensearch.xml")
def opensearch():
    """Lets browsers offer this site as a search engine (the <link rel="search"> on every page)."""
    body = render_template("opensearch.xml", search=absolute_url(url_for("search.search")),
                           feed=absolute_url(url_for("feeds.search_feed")),
                           me=absolute_url(url_for("feeds.opensearch")))
    return Response(body, mimetype="application/opensearchdescription+xml")
