"""What a request says about the search it belongs to: the search state and the ticked results.

Every page is a GET of its full state, so any view can be bookmarked, shared and reached with the
back button; nothing is remembered between requests.
"""

from __future__ import annotations

from flask import request

from indexer.search import InvalidRequest, SearchRequest

#: Ids ticked for "export selected" travel in the URL as repeated `sel` parameters (no session).
MAX_SELECTED = 500


def lenient_state() -> SearchRequest:
    """The search state a document page was reached from; a broken one is simply forgotten."""
    try:
        return SearchRequest.from_args(request.args)
    except InvalidRequest:
        return SearchRequest()


def selection() -> tuple[str, ...]:
    """The ticked result ids from the URL (unknown ids are simply not found later)."""
    return tuple(dict.fromkeys(v for v in request.values.getlist("sel") if v.strip()))[:MAX_SELECTED]


def reversed_range(req: SearchRequest) -> bool:
    """A year range that ends before it starts (2023 to 2021): a slip to point out, not an empty result."""
    return req.year_from is not None and req.year_to is not None and req.year_from > req.year_to


def checked_range(req: SearchRequest) -> SearchRequest:
    """For the API, where there is no one to show a message to: a reversed range is a 400."""
    if reversed_range(req):
        raise InvalidRequest(f"year_from ({req.year_from}) is after year_to ({req.year_to})")
    return req
