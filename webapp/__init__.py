"""The web app: it presents what `indexer.search.SearchService` returns and decides nothing about ranking.

Production: ``gunicorn -c gunicorn.conf.py 'webapp:create_app()'``.
"""

from __future__ import annotations

import hashlib
import secrets
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from flask.globals import request_ctx
from flask.json.provider import DefaultJSONProvider
from flask_compress import Compress
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    InternalServerError,
    RequestEntityTooLarge,
    ServiceUnavailable,
    TooManyRequests,
)
from werkzeug.middleware.proxy_fix import ProxyFix

from indexer import limits
from indexer.config import Settings
from indexer.search import IndexMissing, IndexUnreadable, InvalidRequest

from . import api, collection_views, compare, curate, document_views, feed_views, links, search_views, suggest
from .service import search_service

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}

#: The largest request body any route reads: a suggestion is ~5 KB, an export of 500 ticked ids ~40 KB.
#: Anything larger is refused (413) before it is parsed.
MAX_CONTENT_LENGTH = 256 * 1024


class _JSONProvider(DefaultJSONProvider):
    sort_keys = False  # keep the documented key order of the JSON shapes


def create_app(settings: Settings | None = None, **config) -> Flask:
    """`config` overrides Flask settings (tests pass TESTING=True, FACET_SIZE, ...)."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        SETTINGS=settings,
        # Signs the suggestion form's CSRF token: without OBSERVATORY_SECRET_KEY each process makes its own
        # (fine for one process; several gunicorn workers need the shared setting, and suggest.py warns).
        SECRET_KEY=settings.secret_key or secrets.token_hex(32),
        MAX_CONTENT_LENGTH=MAX_CONTENT_LENGTH,
        # Only the configured site's host name is answered (400 for any other Host header, which
        # anyone can forge); without OBSERVATORY_BASE_URL (development) any host is.
        TRUSTED_HOSTS=[urlsplit(settings.base_url).hostname] if settings.base_url else None,
        FACET_SIZE=8,
        FACET_PANEL=30,  # values a facet panel carries at most; the rest are on the facet's own page
        FEED_SIZE=50,
        # Pages, feeds and exports are text that shrinks 4-8x; flask-compress picks br/gzip by Accept-Encoding.
        COMPRESS_MIMETYPES=[
            "text/html",
            "text/css",
            "text/javascript",
            "application/javascript",
            "application/json",
            "application/atom+xml",
            "application/opensearchdescription+xml",
            "image/svg+xml",
            "text/csv",
            "application/x-research-info-systems",
            "application/x-bibtex",
        ],
    )
    app.config.update(config)
    app.json = _JSONProvider(app)
    if settings.trusted_proxies:
        # The client's address (rate limits, logs) and scheme as the reverse proxy in front reports them;
        # only that many proxies' headers are believed, so a client cannot forge its own address.
        # Flask's documented way to add WSGI middleware; its type hints declare wsgi_app a method only.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies
        )

    for blueprint in (links.bp, search_views.bp, document_views.bp, feed_views.bp, collection_views.bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(api.bp)
    app.register_blueprint(suggest.bp)
    app.register_blueprint(compare.bp)
    app.register_blueprint(curate.bp)  # signed-in curators only; sets up Flask-Login
    app.url_defaults(_fingerprint_static)
    app.after_request(_cache_fingerprinted)
    app.after_request(_secure)
    app.after_request(_own_redirects)
    app.before_request(_long_searches_take_turns)
    app.teardown_request(_end_long_search)
    Compress(app)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InvalidRequest, lambda error: _http_error(BadRequest(str(error))))
    app.register_error_handler(
        RequestEntityTooLarge,
        lambda error: _http_error(
            RequestEntityTooLarge(
                f"The request sent more than {app.config['MAX_CONTENT_LENGTH'] // 1024} KB, more than any form of this "
                "site needs; nothing of it was read."
            )
        ),
    )
    app.register_error_handler(limits.Busy, _busy)
    app.register_error_handler(IndexMissing, _no_index)
    app.register_error_handler(IndexUnreadable, _unreadable_index)
    app.register_error_handler(Exception, _unexpected_error)
    return app


#: A year: a fingerprinted static URL names one version of the file forever.
STATIC_MAX_AGE = 365 * 24 * 3600


@lru_cache(maxsize=64)
def _digest(path: Path, mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def _static_digest(filename: str) -> str | None:
    if current_app.static_folder is None:
        return None
    path = Path(current_app.static_folder, filename)
    try:
        return _digest(path, path.stat().st_mtime_ns)
    except OSError:
        return None


def _fingerprint_static(endpoint: str, values: dict) -> None:
    """Every `url_for('static', ...)` carries the file's content hash (?v=...), so it can be cached
    for a year and a changed file is a new URL."""
    if endpoint == "static" and "filename" in values and "v" not in values:
        digest = _static_digest(values["filename"])
        if digest:
            values["v"] = digest


def _cache_fingerprinted(response):
    """Long-lived caching only when the URL names the current version (an old ?v= gets revalidated)."""
    if (
        request.endpoint == "static"
        and response.status_code == 200
        and request.args.get("v") == _static_digest((request.view_args or {}).get("filename", ""))
    ):
        response.headers["Cache-Control"] = f"public, max-age={STATIC_MAX_AGE}, immutable"
    return response


def _secure(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _own_redirects(response):
    """Werkzeug's own redirects (`/doc//x` -> `/doc/x`, a missing trailing slash) are absolute URLs on
    the request's Host (however it was spelled or encoded): they are made from the configured base URL
    instead, or left a path. The site never redirects elsewhere, so no other absolute Location is meant."""
    location = urlsplit(response.headers.get("Location", ""))
    if location.netloc:
        response.headers["Location"] = links.absolute_url(urlunsplit(location._replace(scheme="", netloc="")))
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _http_error(error: HTTPException):
    if request_ctx.url_adapter is None:
        # The Host header could not be read or is not this site's: no page (its links) can be made.
        return Response(
            f"{error.code} {error.name}: this server does not answer for that host name.\n",
            error.code,
            mimetype="text/plain",
        )
    if _wants_json():
        return jsonify(error=error.description), error.code
    return render_template("error.html", error=error), error.code


def _long_searches_take_turns() -> None:
    """A long search (`limits.is_long`: its words, in the query string) holds the server's one slot for
    long searches while it runs, or is answered at once (`limits.Busy`), its worker free again."""
    texts = [q for q in request.args.getlist("q") if q.strip()]
    if texts and limits.is_long(texts):
        for text in texts:  # what its text alone refuses is the 400, whoever holds the slot
            limits.check_text(text)
        slot = limits.long_search_slot(current_app.config["SETTINGS"].index_dir, texts)
        slot.__enter__()
        g.long_search = slot


def _end_long_search(_error: BaseException | None = None) -> None:
    slot = g.pop("long_search", None)
    if slot is not None:
        slot.__exit__(None, None, None)


def _busy(error: limits.Busy):
    """429 with Retry-After, and the typed text in the message saying how to be answered at once."""
    response = current_app.make_response(_http_error(TooManyRequests(str(error))))
    response.headers["Retry-After"] = str(limits.Busy.RETRY_SECONDS)
    return response


def _no_index(error: IndexMissing):
    """Before the first build the app still starts and says what to do, instead of failing."""
    current_app.logger.warning("%s", error)
    return _http_error(ServiceUnavailable("the search index has not been built yet (run `observatory build`)"))


def _unreadable_index(error: IndexUnreadable):
    """A damaged or unreadable index is the operator's to fix, not a crash: each request tries to open
    it again, so the site comes back by itself once the files are readable or a build replaces them.
    The visitor is not shown file paths; the log has them. Retry-After tells clients and proxies
    when to ask again."""
    current_app.logger.error("the search index cannot be read: %s", error)
    response = current_app.make_response(
        _http_error(
            ServiceUnavailable(
                "the search index cannot be read: its files are damaged or not readable; "
                "the operator can repair it with `observatory build --full`"
            )
        )
    )
    response.headers["Retry-After"] = "30"
    return response


def _unexpected_error(error: Exception):
    """Logged with its traceback for the operator; the visitor sees a plain apology. Unless the live
    index's files turn out damaged (read in full: damage between a file's ends fails only the reads
    that reach it, with whatever error the bytes cause): then it is the unreadable index's 503."""
    current_app.logger.exception("unhandled error on %s %s", request.method, request.full_path)
    problem = search_service().damaged()
    if problem:
        return _unreadable_index(IndexUnreadable(problem))
    return _http_error(InternalServerError())
