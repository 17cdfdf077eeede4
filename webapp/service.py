"""The search service of this process, created on first use (as the Flask tutorial's `get_db`).

One `SearchService` per process: it reopens the newest index version by itself after a rebuild,
so neither the development server nor gunicorn workers need a restart.
"""
from __future__ import annotations

from flask import current_app

from indexer.search import SearchService

_KEY = "observatory.search"


def search_service() -> SearchService:
    services = current_app.extensions
    if _KEY not in services:
        services[_KEY] = SearchService(current_app.config["SETTINGS"].index_dir)
    return services[_KEY]
