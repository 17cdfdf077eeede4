"""The JSON API: `SearchService` answers unchanged, so the page, the CLI and API clients agree.

Bad parameters raise `InvalidRequest`, which the app turns into 400 {"error": ...} under /api/.
"""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from indexer.search import SearchRequest

from .service import search_service

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/search")
def search():
    return jsonify(search_service().search(SearchRequest.from_args(request.args)))


@bp.get("/documents/<doc_id>")
def document(doc_id: str):
    """`q` (validated like a search's) selects the matching pages returned with the record."""
    q = SearchRequest.from_args({"q": request.args.getlist("q")}).q
    doc = search_service().document(doc_id, q=q)
    if doc is None:
        abort(404, f"no publication with id {doc_id!r}")
    return jsonify(doc)
