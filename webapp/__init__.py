"""The web app: it presents what `indexer.search.SearchService` returns and decides nothing about ranking.

Production: ``gunicorn -c gunicorn.conf.py 'webapp:create_app()'``.
"""
from __future__ import annotations

import secrets

from flask import Flask, current_app, jsonify, render_template, request
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError, ServiceUnavailable

from indexer.config import Settings
from indexer.search import IndexMissing, InvalidRequest

from . import api, suggest, views

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}

def create_app(settings: Settings | None = None, **config) -> Flask:
    """`config` overrides Flask settings (tests pass TESTING=True, FACET_SIZE, ...)."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        SETTINGS=settings,
        # No sessions or cookies are used yet; a random key is safe until something signs with it.
        SECRET_KEY=settings.secret_key or secrets.token_hex(32),
        FACET_SIZE=8,
        FEED_SIZE=50,
    )
    app.config.update(config)
    app.json.sort_keys = False  # keep the documented key order of the JSON shape

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(suggest.bp)
    app.after_request(_secure)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InvalidRequest, lambda error: _http_error(BadRequest(str(error))))
    app.register_error_handler(IndexMissing, _no_index)
    app.register_error_handler(Exception, _unexpected_error)
    return app


def _secure(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _http_error(error: HTTPException):
    if _wants_json():
        return jsonify(error=error.description), error.code
    return render_template("error.html", error=error), error.code


def _no_index(error: IndexMissing):
    """Before the first build the app still starts and says what to do, instead of failing."""
    current_app.logger.warning("%s", error)
    return _http_error(ServiceUnavailable("the search index has not been built yet (run `observatory build`)"))


def _unexpected_error(error: Exception):
    """Logged with its traceback for the operator; the visitor sees a plain apology."""
    current_app.logger.exception("unhandled error on %s %s", request.method, request.full_path)
    return _http_error(InternalServerError())
