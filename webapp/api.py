"""The JSON API: `SearchService` answers unchanged, so the page, the CLI and API clients agree.

Bad parameters raise `InvalidRequest`, which the app turns into 400 {"error": ...} under /api/.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from indexer.search import MAX_QUERY_CHARS, InvalidRequest, SearchRequest
from indexer.spelling import spelling_wanted

from .conditional import conditional
from .request_state import checked_range
from .service import search_service

bp = Blueprint("api", __name__, url_prefix="/api")
bp.after_request(conditional)  # clients that poll get 304 for an unchanged answer


@bp.get("/search")
def search():
    """`spell=off` runs the words as written, never replaced by their correction."""
    req = checked_range(SearchRequest.from_args(request.args))
    return jsonify(search_service().search(req, correct=spelling_wanted(request.args)))


@bp.get("/suggest")
def suggest():
    """Completions for the search box as a JSON list of strings (at most `spelling.MAX_COMPLETIONS`)."""
    q = request.args.get("q", "")
    if len(q) > MAX_QUERY_CHARS:
        raise InvalidRequest(f"q is too long ({len(q)} characters; at most {MAX_QUERY_CHARS})")
    return jsonify(search_service().completions(q))


@bp.get("/documents/<doc_id>")
def document(doc_id: str):
    """`q` (validated like a search's) selects the matching pages returned with the record."""
    q = SearchRequest.from_args({"q": request.args.getlist("q")}).q
    doc = search_service().document(doc_id, q=q)
    if doc is None:
        abort(404, f"no publication with id {doc_id!r}")
    return jsonify(doc)
