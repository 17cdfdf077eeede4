"""The collection as a whole: trends over time, its shape in charts, and the curators' status list."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for

from indexer import limits
from indexer.facets import FACET_BY_KEY, FACETS
from indexer.search import InvalidRequest, SearchRequest, SearchService

from . import export
from .charts import bar_chart, line_chart, year_series
from .links import document_link, facet_url
from .service import search_service
from .urls import chips, page_window, state_url

bp = Blueprint("collection", __name__)

#: The most series a trends chart draws: more lines than this cannot be told apart.
MAX_SERIES = 6
#: Rows of each group shown on the status overview; its own page (?reason=) lists them all, paged.
STATUS_PREVIEW = 5
#: Rows a page of one group: 50,000 problems must not make one 18 MB page.
STATUS_PAGE_SIZE = 100


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
    return render_template(
        "trends.html",
        req=req,
        queries=queries,
        by=by,
        series=series,
        rows=rows,
        zip=zip,
        chart=line_chart(series),
        split_facets=[f for f in FACETS if f.key != "year"],
        chips=chips(url_for("collection.trends"), req),
        search_link=_search_link_for,
    )


def _search_link_for(req: SearchRequest, q: str, year: int | None = None) -> str:
    narrowed = req.with_selected("year", [year]) if year else req
    # The publications the count counted: with all the words of a term of several.
    return state_url(url_for("search.search"), replace(narrowed, q=q, match="all" if len(q.split()) > 1 else "any"))


def _trend_series(service: SearchService, req: SearchRequest, queries: list[str], spec) -> list[dict]:
    """Each series: a label, its query and request, and per year (matches, publications, share).

    A term of several words counts the publications with all of them (a quoted term: the phrase),
    as written, never a spelling correction's. Split by a facet, each term gets a line per value
    (the values most publications match, MAX_SERIES lines in all). The share's denominator is that
    year's publications under the same filters (and, split by a facet, the same facet value), so a
    region that publishes more does not look keener for it.
    """
    if spec is None:
        wanted = [(q, q, req) for q in queries]
    else:
        terms = queries or [""]
        values = (
            req.selected(spec.key)
            or [
                b["value"]
                for b in service.search(
                    replace(req, q=terms[0] if len(terms) == 1 else "", per_page=1), snippets=False, correct=False
                )["facets"][spec.key]
                if b["count"]
            ][: max(1, MAX_SERIES // len(terms))]
        )
        wanted = [
            (f"{spec.label(v)}: {q}" if len(terms) > 1 else spec.label(v), q, req.with_selected(spec.key, [v]))
            for q in terms
            for v in values
        ][:MAX_SERIES]
    series = []
    for label, q, narrowed in wanted:
        matches = _year_counts(service, replace(narrowed, q=q, match="all"))
        totals = _year_counts(service, replace(narrowed, q=""))
        points = [
            (year, matches.get(year, 0), total, matches.get(year, 0) / total)
            for year, total in sorted(totals.items())
            if total
        ]
        series.append({"label": label, "q": q, "req": narrowed, "points": points, "matches": sum(matches.values())})
    return series


def _year_counts(service: SearchService, req: SearchRequest) -> dict[int, int]:
    facets = service.search(replace(req, page=1, per_page=1), snippets=False, correct=False)["facets"]["year"]
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
    return render_template(
        "status.html",
        overview=overview,
        group=group,
        page=page,
        pages=page_window(page, pages),
        last_page=pages,
        rows=group["rows"][(page - 1) * size : page * size],
        first=(page - 1) * size + 1,
    )


@bp.get("/status.csv")
def status_csv():
    """Every problem (or one group's), for a spreadsheet to share out the work."""
    overview = search_service().overview()
    reason = request.args.get("reason")
    groups = [_status_group(overview, reason)] if reason else overview["problems"]
    body = export.problems_csv([row for group in groups for row in group["rows"]], lambda r: document_link(r["id"]))
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="observatory-status{"-" + reason if reason else ""}.csv"'
        },
    )


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
    return render_template(
        "about.html",
        overview=overview,
        chart=chart,
        facets=FACET_BY_KEY,
        year_links={year: facet_url("year", year) for year, count in years.items() if count},
    )
