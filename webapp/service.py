"""The search service of this process, created on first use (as the Flask tutorial's `get_db`).

One `SearchService` per process: it reopens the newest index version by itself after a rebuild,
so neither the development server nor gunicorn workers need a restart.
"""

from __future__ import annotations

from flask import current_app, has_request_context, request

from indexer.querylog import LoggedSearchService, QueryLog

_KEY = "observatory.search"


def search_service() -> LoggedSearchService:
    services = current_app.extensions
    if _KEY not in services:
        settings = current_app.config["SETTINGS"]
        # Readers' queries that find nothing are counted for the curators (docs/CURATORS.md).
        services[_KEY] = LoggedSearchService(
            settings.index_dir,
            QueryLog(settings.suggestion_db, settings.query_log_days),
            typed=lambda: request.args.get("q") if has_request_context() else None,
        )
    return services[_KEY]
