"""Conditional answers for clients that poll (feed readers, API scripts): an unchanged answer is a 304."""

from __future__ import annotations

import datetime as dt

from flask import Response, request

from .service import search_service


def conditional(response: Response) -> Response:
    """A strong ETag from the body (and Last-Modified from the index version), then 304 if unchanged."""
    if response.status_code != 200 or response.is_streamed or request.method != "GET":
        return response
    response.add_etag()
    changed = _index_changed()
    if changed:
        response.last_modified = changed
    response.headers.setdefault("Cache-Control", "no-cache")
    response.make_conditional(request)  # in place: werkzeug types its result as its own Response class
    return response


def _index_changed() -> dt.datetime | None:
    """When the live index version was last written (its manifest), for Last-Modified."""
    version = search_service().root.current()
    try:
        mtime = (version / "manifest.json").stat().st_mtime if version else None
    except OSError:
        return None
    return dt.datetime.fromtimestamp(int(mtime), dt.UTC) if mtime else None
