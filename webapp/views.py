"""The HTML pages, exports and feed: each turns `SearchService` answers into something to read.

Every page is a GET of its full state, so any view can be bookmarked, shared and reached with the
back button; nothing is remembered between requests.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from feedgen.feed import FeedGenerator
from flask import (Blueprint, Response, abort, current_app, g, render_template, request, send_file,
                   stream_with_context, url_for)

from indexer import limits
from indexer.facets import FACET_BY_KEY, FACETS
from indexer.search import MAX_PER_PAGE, InvalidRequest, SearchRequest, SearchService
from indexer.spelling import spelling_wanted

from . import export
from .service import search_service
from .charts import bar_chart, line_chart, year_series
from .facets import facet_size, facet_view, full_list_url
from .urls import chips, clear_filters_url, page_window, state_url

bp = Blueprint("views", __name__)

SORT_LABELS = {"relevance": "Relevance", "newest": "Newest", "oldest": "Oldest", "title": "Title A–Z",
               "added": "Recently added"}
#: Ids ticked for "export selected" travel in the URL as repeated `sel` parameters (no session).
MAX_SELECTED = 500
#: The most series a trends chart draws: more lines than this cannot be told apart.
MAX_SERIES = 6
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
    """A state of the search page; the ticked results (`sel`) come along so paging keeps them."""
    url = state_url(url_for("views.search"), req or SearchRequest(), **changes)
    selected = g.get("selected", ())
    return url + ("&" if "?" in url else "?") + urlencode([("sel", d) for d in selected]) if selected else url


@bp.app_template_global()
def read_url(doc_id: str, page: int, q: str = "") -> str:
    """The reading view of one page; the query comes along to be highlighted there."""
    return url_for("views.read", doc_id=doc_id, number=page, **({"q": q} if q else {}))


@bp.app_template_global()
def external_url(path: str) -> str:
    """An absolute URL from the configured base (OBSERVATORY_BASE_URL), never from the request's Host
    header (which anyone can forge); without a base, the path itself (relative links still work)."""
    base = current_app.config["SETTINGS"].base_url
    return base.rstrip("/") + path if base else path


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


#: Video sites whose players start at a query parameter `t` rather than at the Media Fragments `#t=`.
_QUERY_TIME_HOSTS = {"youtube.com": "{}s", "m.youtube.com": "{}s", "youtu.be": "{}"}
_FRAGMENT_TIME_HOSTS = {"vimeo.com": "#t={}s", "player.vimeo.com": "#t={}s"}


@bp.app_template_global()
def moment_link(url: str | None, seconds: int | None) -> str | None:
    """A recording at the moment a transcript passage starts: YouTube's `t` parameter, Vimeo's
    `#t=…s`, and the Media Fragments `#t=N` that browsers' players honour for a media file."""
    if not url or seconds is None:
        return None
    parts = urlsplit(url)
    site = (parts.hostname or "").removeprefix("www.")
    if site in _QUERY_TIME_HOSTS:
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "t"]
        query.append(("t", _QUERY_TIME_HOSTS[site].format(seconds)))
        return urlunsplit(parts._replace(query=urlencode(query), fragment=""))
    return urlunsplit(parts._replace(fragment="")) + _FRAGMENT_TIME_HOSTS.get(site, "#t={}").format(seconds)


@bp.app_template_filter()
def clock(seconds: int) -> str:
    """754 -> "12:34", 3754 -> "1:02:34": a moment in a recording as players show it."""
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}:{rest // 60:02}:{rest % 60:02}" if hours else f"{rest // 60}:{rest % 60:02}"


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


def _selection() -> tuple[str, ...]:
    """The ticked result ids from the URL (unknown ids are simply not found later)."""
    return tuple(dict.fromkeys(v for v in request.values.getlist("sel") if v.strip()))[:MAX_SELECTED]


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
    g.selected = _selection()
    data = service.search(req, correct=spelling_wanted(request.args))
    req = replace(req, q=data["query"])  # results for a correction: its words fill the box and the links
    details = {r["id"]: r for r in service.records(r["id"] for r in data["results"])}
    results = [{**r, "authors": details.get(r["id"], {}).get("authors") or [],
                "summary": details.get(r["id"], {}).get("summary")} for r in data["results"]]
    base = url_for("views.search")
    active = chips(base, req)
    years = {v["value"]: v["count"] for v in data["facets"]["year"]}
    context = dict(
        req=req, data=data, results=results, error=error, chips=active, selected=g.selected,
        clear_url=clear_filters_url(base, req),
        facets=[facet_view(spec, data["facets"][spec.key], facet_size(spec, current_app.config["FACET_SIZE"]),
                           current_app.config["FACET_PANEL"], full_list_url(spec, req)) for spec in FACETS],
        chart=bar_chart(year_series(years)),
        year_links={year: search_url(req.with_selected("year", [year])) for year, count in years.items() if count},
        pages=page_window(data["page"], data["pages"]),
        sorts=[(key, label) for key, label in SORT_LABELS.items() if req.q or key != "relevance"],
        exports=[(label, state_url(url_for("views.export_results", fmt=fmt), req, page=1))
                 for fmt, (_, label) in EXPORTS.items()],
        feed_url=state_url(url_for("views.search_feed"), req, page=1, per_page=SearchRequest.per_page),
        trends_url=_trends_url(req),
        suggestions=_suggestions(service, req, active) if not data["total"] else [],
        first=(data["page"] - 1) * data["per_page"] + 1,
        title=_page_title(req, active, data["total"]),
    )
    return render_template("search.html", **context), 400 if error else 200


def _page_title(req: SearchRequest, active, total: int) -> str:
    """What a tab, a bookmark and a screen reader's first words say: the query, the filters, the count."""
    parts = [f"“{req.q}”"] if req.q else []
    parts += [f"{chip.kind}: {chip.label}" for chip in active if chip.kind != "Words"]
    count = f"{total:,} publication{'' if total == 1 else 's'}"
    return " – ".join([", ".join(parts), count] if parts else ["Search", count])


def _trends_url(req: SearchRequest) -> str:
    """The same words and filters over time (paging and sort mean nothing there)."""
    return state_url(url_for("views.trends"), req, page=1, sort="relevance", per_page=SearchRequest.per_page)


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
        citations=export.citations(doc),
        back_url=search_url(req),
        canonical=external_url(url_for("views.document", doc_id=doc_id)),
    )


@bp.get("/doc/<doc_id>/page/<int(max=2147483647):number>")  # the index's page numbers are 32-bit
def read(doc_id: str, number: int):
    """One page's text with the query marked: reading in place instead of opening a PDF at a page."""
    req = _lenient_state()
    found = search_service().page(doc_id, number, q=req.q)
    if found is None:
        abort(404)
    return render_template("page.html", page=found, doc=found["record"], req=req,
                           canonical=external_url(url_for("views.read", doc_id=doc_id, number=number)))


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
    return _download(_writer(fmt)([doc]), fmt, doc_id)


def _writer(fmt: str):
    if fmt == "csv":
        return lambda docs: export.results_csv(docs, lambda r: external_url(url_for("views.document", doc_id=r["id"])))
    return export.ris if fmt == "ris" else export.bibtex


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
        abort(400, f"{len(ticked)} publications are ticked; a download holds at most {MAX_SELECTED}. "
                   "Untick some, or narrow the search and download all its results.")
    selected = _selection()
    if request.values.get("selection") and not selected:
        abort(400, "No publications are ticked: tick the ones to download, or download all results.")
    service = search_service()
    docs = service.records(selected) if selected else _all_records(service, req)
    return _download(stream_with_context(_writer(fmt)(docs)), fmt,
                     "observatory-selected" if selected else "observatory-results")


def _all_records(service: SearchService, req: SearchRequest):
    """Full records of every match, a batch at a time, or a 400 when there are too many to export.

    The search runs before the response starts, so a search that cannot be answered (an
    unreadable index, too many matches) gets its error status instead of a cut-off 200 download.
    """
    data = service.search(replace(req, page=1, per_page=export.MAX_RECORDS), snippets=False)
    if data["total"] > export.MAX_RECORDS:
        abort(400, f"{data['total']:,} publications match; a download holds at most {export.MAX_RECORDS:,}. "
                   "Narrow the search (more words, a filter or a range of years) and download again.")
    ids = [r["id"] for r in data["results"]]

    def batches():
        for start in range(0, len(ids), MAX_PER_PAGE):
            yield from service.records(ids[start:start + MAX_PER_PAGE])
    return batches()


def _download(body, fmt: str, name: str) -> Response:
    mimetype, _ = EXPORTS[fmt]
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


@bp.get("/feed.atom")
def feed():
    """Recent additions by the date curators added them, for readers and newsletters."""
    return _atom("Observatory Search: recently added publications", SearchRequest(sort="added"),
                 url_for("views.feed"), url_for("views.search", sort="added"))


@bp.get("/search.atom")
def search_feed():
    """Any search as a feed: its newest N in the search's own order (follow a topic in a feed reader)."""
    req = SearchRequest.from_args(request.args)
    label = f"“{req.q}”" if req.q else "all publications"
    return _atom(f"Observatory Search: {label}", req, state_url(url_for("views.search_feed"), req),
                 state_url(url_for("views.search"), req))


def _atom(title: str, req: SearchRequest, self_path: str, page_path: str) -> Response:
    """An Atom feed of the first FEED_SIZE results of `req` (only those records are read)."""
    service = search_service()
    data = service.search(replace(req, page=1, per_page=min(current_app.config["FEED_SIZE"], MAX_PER_PAGE)),
                          snippets=False)
    docs = export.xml_safe(service.records(r["id"] for r in data["results"]))
    fg = FeedGenerator()
    fg.id(_atom_id(page_path))
    fg.title(export.xml_safe(title))
    fg.link(href=external_url(self_path), rel="self")
    fg.link(href=external_url(page_path), rel="alternate")
    fg.language("en")
    fg.author(name="Micro-credential Observatory")
    fg.updated(max((_feed_date(d) for d in docs), default=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)))
    for doc in reversed(docs):  # feedgen prepends each entry: add the last first to keep the order
        entry = fg.add_entry()
        path = url_for("views.document", doc_id=doc["id"])
        entry.id(_atom_id(path))
        entry.title(doc["title"])
        entry.link(href=external_url(path), rel="alternate")  # the page here leads on to the source
        entry.updated(_feed_date(doc))
        entry.summary(doc.get("summary") or export.citation(doc))
        for name in doc.get("authors") or ([doc["organisation"]] if doc.get("organisation") else []):
            entry.author(name=name)
        for label in (doc["type_label"], doc["section_label"], *doc["regions"]):
            entry.category(term=label)
    return Response(fg.atom_str(pretty=True), mimetype="application/atom+xml")


def _atom_id(path: str) -> str:
    """Atom ids must be absolute IRIs: the configured base URL's, or a tag: URI that needs no host."""
    return external_url(path) if current_app.config["SETTINGS"].base_url else f"tag:observatory-search,2024:{path}"


def _feed_date(doc: dict) -> dt.datetime:
    """Atom needs a timestamp; a record without `added` is dated to the start of its year."""
    day = dt.date.fromisoformat(doc["added"]) if doc.get("added") else dt.date(doc["year"], 1, 1)
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


@bp.get("/opensearch.xml")
def opensearch():
    """Lets browsers offer this site as a search engine (the <link rel="search"> on every page)."""
    body = render_template("opensearch.xml", search=external_url(url_for("views.search")),
                           feed=external_url(url_for("views.search_feed")), me=external_url(url_for("views.opensearch")))
    return Response(body, mimetype="application/opensearchdescription+xml")


@bp.get("/trends")
def trends():
    """How many of each year's publications match each query (or one query per value of a facet)."""
    service = search_service()
    queries = [q.strip() for q in request.args.getlist("q") if q.strip()][:MAX_SERIES]
    limits.check_trend_queries(queries)
    service.check_cost(queries)  # before any of them runs
    req = SearchRequest.from_args({key: request.args.getlist(key) for key in request.args if key not in ("q", "by")})
    by = request.args.get("by") or None
    spec = next((f for f in FACETS if f.param == by and f.key != "year"), None)
    if by and spec is None:
        raise InvalidRequest(f"by must be one of {', '.join(f.param for f in FACETS if f.key != 'year')}, got {by!r}")
    series = _trend_series(service, req, queries, spec)
    years = sorted({point[0] for s in series for point in s["points"]})
    by_year = [{point[0]: point for point in s["points"]} for s in series]
    rows = [(year, [points.get(year) for points in by_year]) for year in years]
    return render_template("trends.html", req=req, queries=queries, by=by, series=series, rows=rows, zip=zip,
                           chart=line_chart(series), split_facets=[f for f in FACETS if f.key != "year"],
                           chips=chips(url_for("views.trends"), req), search_link=_search_link_for)


def _search_link_for(req: SearchRequest, q: str, year: int | None = None) -> str:
    narrowed = req.with_selected("year", [year]) if year else req
    return state_url(url_for("views.search"), replace(narrowed, q=q))


def _trend_series(service: SearchService, req: SearchRequest, queries: list[str], spec) -> list[dict]:
    """Each series: a label, its query and request, and per year (matches, publications, share).

    The share's denominator is that year's publications under the same filters (and, split by a
    facet, the same facet value), so a region that publishes more does not look keener for it.
    """
    if spec is None:
        wanted = [(q, q, req) for q in queries]
    else:
        q = queries[0] if queries else ""
        values = req.selected(spec.key) or [b["value"] for b in service.search(replace(req, q=q, per_page=1),
                                                                               snippets=False)["facets"][spec.key]
                                            if b["count"]][:MAX_SERIES]
        wanted = [(spec.label(v), q, req.with_selected(spec.key, [v])) for v in values]
    series = []
    for label, q, narrowed in wanted:
        matches = _year_counts(service, replace(narrowed, q=q))
        totals = _year_counts(service, replace(narrowed, q=""))
        points = [(year, matches.get(year, 0), total, matches.get(year, 0) / total)
                  for year, total in sorted(totals.items()) if total]
        series.append({"label": label, "q": q, "req": narrowed, "points": points,
                       "matches": sum(matches.values())})
    return series


def _year_counts(service: SearchService, req: SearchRequest) -> dict[int, int]:
    facets = service.search(replace(req, page=1, per_page=1), snippets=False)["facets"]["year"]
    return {b["value"]: b["count"] for b in facets if b["count"]}


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
                               lambda r: external_url(url_for("views.document", doc_id=r["id"])))
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
    return render_template("about.html", overview=overview, chart=chart, facets=FACET_BY_KEY,
                           year_links={year: facet_url("year", year) for year, count in years.items() if count})
