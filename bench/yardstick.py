"""Whoosh used directly on our index: what the speed bench holds `/api/search` against.

The one bench module that imports `whoosh` (pyproject.toml's import contracts allow it, nothing
else outside `indexer.engine`): a yardstick has to be written the way a Whoosh user would write
it, not through our facade. It reads the facade's open searchers (`Reader.pubs`, `Reader.pages`)
and parsed queries, so both sides search the same index with the same query.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from whoosh import highlight, query as wq, sorting

from indexer.engine import ParsedQuery, Reader
from indexer.engine.schema import Analyzed

#: The facets of our search page; organisation and language are not indexed fields.
FACET_KEYS = ("year", "regions", "type", "section", "organisation", "language")


def plain_top(reader: Reader, parsed: ParsedQuery, restrict: dict, limit: int = 20) -> list[str]:
    """Whoosh alone: the best `limit` ids of `parsed` with `restrict` ({field: value}, "year" an int
    pair (low, high)) as Whoosh's own filter. Nothing of ours on top, and less than our page."""
    parts = [
        wq.NumericRange("year", *value) if isinstance(value, tuple) else wq.Term(field, value)
        for field, value in restrict.items()
    ]
    hits = reader.pubs.search(parsed.pubs or wq.Every(), limit=limit, filter=wq.And(parts) if parts else None)
    return [hit["id"] for hit in hits]


class Yardstick:
    """The page a competent Whoosh user would write for our `/api/search`: `searcher.search` of the
    same parsed query with the same filters, the six facets by `groupedby` counts (one more grouped
    search per facet with a selection, counted without its own filter, as multi-select facets
    need), the top `shown` publications' stored records, their three best pages by `collapse`, and
    Whoosh's highlighter (over our analysis) on each of those pages.

    `columns` holds the values of the facets the schema does not index (organisation, language) by
    publication id, read once as a user would keep them. `highlighted=False` leaves the
    highlighter out: its share of the yardstick's time, and the stricter bar.
    """

    def __init__(self, reader: Reader, columns: dict[str, dict[str, object]]):
        self.reader = reader
        self.columns = columns
        self.ids = {docnum: fields["id"] for docnum, fields in reader.pubs.reader().iter_docs()}
        self.analyzer = Analyzed()

    def _facet(self, key: str):
        if key in self.columns:
            values, ids = self.columns[key], self.ids
            return sorting.FunctionFacet(lambda searcher, docnum: values.get(ids[docnum]))
        return sorting.FieldFacet(key, allow_overlap=key == "regions")

    @staticmethod
    def _restriction(selected: dict, keys, year_range: tuple | None):
        parts = [
            wq.Or([wq.NumericRange("year", v, v) if key == "year" else wq.Term(key, str(v)) for v in selected[key]])
            for key in keys
        ]
        parts += [wq.NumericRange("year", *year_range)] if year_range else []
        return wq.And(parts) if parts else None

    def page(
        self, parsed: ParsedQuery, selected: dict, year_range: tuple | None, shown: int = 20, highlighted: bool = True
    ) -> dict:
        """`selected` maps a facet key to its selected values; `year_range` is (low, high) or None."""
        pubs, pages = self.reader.pubs, self.reader.pages
        q = parsed.pubs or wq.Every()
        sort = sorting.FieldFacet("year", reverse=True) if parsed.pubs is None else None
        hits = pubs.search(
            q,
            limit=shown,
            filter=self._restriction(selected, selected, year_range),
            sortedby=sort,
            groupedby={k: self._facet(k) for k in FACET_KEYS if k not in selected},
            maptype=sorting.Count,
        )
        counts = {k: hits.groups(k) for k in FACET_KEYS if k not in selected}
        for key in selected:
            others = [k for k in selected if k != key]
            counts[key] = pubs.search(
                q,
                limit=1,
                filter=self._restriction(selected, others, year_range),
                groupedby={key: self._facet(key)},
                maptype=sorting.Count,
            ).groups(key)
        records = [json.loads(hit["record"]) for hit in hits[:shown]]
        found: dict[str, list] = {record["id"]: [] for record in records}
        if parsed.pages is not None and records and pages.doc_count():
            mine = wq.And([wq.Or([wq.Term("pub_id", pub_id) for pub_id in found]), parsed.pages])
            terms = sorted(parsed.terms)
            fragmenter, formatter = highlight.ContextFragmenter(maxchars=220), highlight.HtmlFormatter(tagname="mark")
            for hit in pages.search(mine, limit=None, collapse="pub_id", collapse_limit=3):
                found[hit["pub_id"]].append(
                    highlight.highlight(hit["raw"], terms, self.analyzer, fragmenter, formatter, top=1)
                    if highlighted
                    else hit["page"]
                )
        return {
            "total": len(hits),
            "facets": counts,
            "results": [{**record, "snippets": found[record["id"]]} for record in records],
        }


def open_yardstick(index_dir: Path) -> Yardstick:
    """A yardstick over the live version of `index_dir`, with the record columns a user would keep."""
    from indexer import engine
    from indexer.layout import IndexRoot
    from indexer.search import SearchService

    reader = engine.Reader(IndexRoot(index_dir, engine.SCHEMA).current())
    # organisation and language are not indexed fields: read once as columns, as a user would keep them
    records = SearchService(index_dir).records(list(reader.records()))
    return Yardstick(reader, {key: {r["id"]: r.get(key) for r in records} for key in ("organisation", "language")})


def answer(stick: Yardstick, params, highlighted: bool = True) -> str:
    """The yardstick's JSON page for the arguments of one `/api/search` request."""
    from indexer.search import SearchRequest

    req = SearchRequest.from_args(params)
    year_range = (
        (req.year_from or 0, req.year_to or 9999) if req.year_from is not None or req.year_to is not None else None
    )
    page = stick.page(stick.reader.parse(req.q), dict(req.filters), year_range, highlighted=highlighted)
    return json.dumps(page)


def create_app():
    """The yardstick served as a Whoosh user would serve it: one Flask route over one open reader of
    `OBSERVATORY_INDEX`. `bench speed` runs it under the same gunicorn as our site and asks it the
    same requests, so both answers pay for HTTP alike."""
    from flask import Flask, Response, request

    stick = open_yardstick(Path(os.environ["OBSERVATORY_INDEX"]))
    app = Flask(__name__)

    @app.get("/search")
    def search():
        return Response(answer(stick, request.args), mimetype="application/json")

    return app
