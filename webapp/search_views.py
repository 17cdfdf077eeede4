"""The search page: the box, the facets, the results and their paging, sorting and selection."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for

from indexer.facets import FACETS
from indexer.search import MAX_QUERY_CHARS, InvalidRequest, SearchRequest, SearchService
from indexer.spelling import spelling_wanted

from . import query_builder
from .charts import bar_chart, year_series
from .embedded import coins
from .facets import facet_size, facet_view, full_list_url
from .links import search_url
from .publication import publication
from .request_state import reversed_range, selection
from .service import search_service
from .urls import chips, clear_filters_url, page_window, state_url

bp = Blueprint("search", __name__)

SORT_LABELS = {
    "relevance": "Relevance",
    "newest": "Newest",
    "oldest": "Oldest",
    "title": "Title A–Z",
    "added": "Recently added",
}
EXPORT_LABELS = {"csv": "CSV", "ris": "RIS", "bib": "BibTeX"}


@bp.get("/")
def search():
    if any(not value.strip() for value in request.args.values()):
        # a form without script sends its empty fields (year_from=&year_to=): not in a URL to share
        return redirect(_without_empty(request.args, url_for("search.search")), code=303)
    service = search_service()
    error = notice = None
    try:
        req = SearchRequest.from_args(request.args)
    except InvalidRequest as err:
        error = str(err)
        try:
            req = SearchRequest.from_args({"q": request.args.get("q", "")})
        except InvalidRequest:
            req = SearchRequest()
    if reversed_range(req):
        notice = f"“From {req.year_from} to {req.year_to}” runs backwards: showing {req.year_to} to {req.year_from}."
        req = replace(req, year_from=req.year_to, year_to=req.year_from)
    g.selected = selection()
    data = service.search(req, correct=spelling_wanted(request.args))
    req = replace(req, q=data["query"])  # results for a correction: its words fill the box and the links
    details = {r["id"]: r for r in service.records(r["id"] for r in data["results"])}
    results = [publication({**details.get(r["id"], {}), **r}) for r in data["results"]]
    base = url_for("search.search")
    active = chips(base, req)
    years = {v["value"]: v["count"] for v in data["facets"]["year"]}
    context = dict(
        req=req,
        data=data,
        results=results,
        error=error,
        notice=notice,
        coins=coins,
        chips=active,
        selected=g.selected,
        clear_url=clear_filters_url(base, req),
        unticked_url=state_url(base, req),
        facets=[
            facet_view(
                spec,
                data["facets"][spec.key],
                facet_size(spec, current_app.config["FACET_SIZE"]),
                current_app.config["FACET_PANEL"],
                full_list_url(spec, req),
            )
            for spec in FACETS
        ],
        chart=bar_chart(year_series(years)),
        year_links={year: search_url(req.with_selected("year", [year])) for year, count in years.items() if count},
        pages=page_window(data["page"], data["pages"]),
        sorts=[(key, label) for key, label in SORT_LABELS.items() if req.q or key != "relevance"],
        exports=[
            (label, state_url(url_for("feeds.export_results", fmt=fmt), req, page=1))
            for fmt, label in EXPORT_LABELS.items()
        ],
        feed_url=state_url(
            url_for("feeds.search_feed"), req, page=1, sort="relevance", per_page=SearchRequest.per_page
        ),
        follow_url=state_url(url_for("feeds.follow"), req, page=1, sort="relevance", per_page=SearchRequest.per_page),
        trends_url=_trends_url(req),
        suggestions=_suggestions(service, req, active) if not data["total"] else [],
        first=(data["page"] - 1) * data["per_page"] + 1,
        title=_page_title(req, active, data["total"]),
    )
    return render_template("search.html", **context), 400 if error else 200


#: How the full list of a facet's values can be ordered.
FACET_ORDERS = {"count": "Most publications", "az": "A–Z"}


@bp.get("/facet/<param>")
def facet_values(param: str):
    """A facet's every value for the current search, A–Z or by count, narrowed by a filter box: the
    "N more" of a long facet (Blacklight's facet "more" view), usable without script."""
    # by its GET parameter ("region") or its key in the JSON ("regions"): links may use either
    spec = next((f for f in FACETS if param in (f.param, f.key)), None)
    if spec is None:
        abort(404, f"no facet {param!r}")
    req = SearchRequest.from_args(request.args)
    order = request.args.get("order", "az")
    if order not in FACET_ORDERS:
        raise InvalidRequest(f"order must be one of {', '.join(FACET_ORDERS)}, got {order!r}")
    needle = request.args.get("filter", "").strip()[:200]
    values = search_service().search(replace(req, page=1, per_page=1), snippets=False)["facets"][spec.key]
    shown = [v for v in values if needle.casefold() in str(v["label"]).casefold()]
    if order == "az":
        shown.sort(key=lambda v: str(v["label"]).casefold())
    keep = [(k, v) for k, v in replace(req, page=1).to_args() if k != spec.param]
    return render_template(
        "facet.html",
        spec=spec,
        req=req,
        values=shown,
        total=len(values),
        order=order,
        orders=FACET_ORDERS,
        needle=needle,
        keep=keep,
        back_url=search_url(req),
    )


@bp.get("/advanced")
def advanced():
    """The advanced search form; filled in, it becomes a search whose box shows the query syntax."""
    wanted = {name: request.args.get(name, "")[:MAX_QUERY_CHARS] for name, _, _ in query_builder.FIELDS}
    if not any(v.strip() for v in request.args.values()):
        overview = search_service().overview()
        return render_template(
            "advanced.html", fields=query_builder.FIELDS, organisations=overview["facets"]["organisation"]
        )
    req = SearchRequest.from_args(
        {
            "q": query_builder.compose(wanted),
            "organisation": request.args.getlist("organisation"),
            "year_from": request.args.get("year_from", ""),
            "year_to": request.args.get("year_to", ""),
        }
    )
    return redirect(state_url(url_for("search.search"), req), code=303)


def _without_empty(args, base: str) -> str:
    """`base` with the non-empty parameters of `args`, in their order."""
    kept = [(key, value) for key, value in args.items(multi=True) if value.strip()]
    return f"{base}?{urlencode(kept)}" if kept else base


def _page_title(req: SearchRequest, active, total: int) -> str:
    """What a tab, a bookmark and a screen reader's first words say: the query, the filters, the count."""
    parts = [f"“{req.q}”"] if req.q else []
    parts += [f"{chip.kind}: {chip.label}" for chip in active if chip.kind != "Words"]
    count = f"{total:,} publication{'' if total == 1 else 's'}"
    return " – ".join([", ".join(parts), count] if parts else ["Search", count])


def _trends_url(req: SearchRequest) -> str:
    """The same words and filters over time (paging and sort mean nothing there)."""
    return state_url(url_for("collection.trends"), req, page=1, sort="relevance", per_page=SearchRequest.per_page)


def _suggestions(service: SearchService, req: SearchRequest, active) -> list[tuple]:
    """For an empty result: what dropping each constraint alone would give, best first."""
    found = []
    for chip in active:
        total = service.search(replace(chip.without, page=1, per_page=1))["total"]
        if total:
            found.append((chip, total))
    return sorted(found, key=lambda pair: -pair[1])
