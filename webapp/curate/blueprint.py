"""The curators' blueprint and what every curator route shares: signed in, CSRF-checked, stores.

Every route under /curate but the sign-in form needs a signed-in curator: signed out, a page asks
for the sign-in form (a redirect back afterwards), anything else (a POST, JSON) answers 401. Every
POST carries a valid CSRF token (checked here once, before any view runs), and a session ends
`CURATE_SESSION_HOURS` after signing in, however busy it was.
"""

from __future__ import annotations

import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user, logout_user
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from werkzeug.exceptions import RequestEntityTooLarge, ServiceUnavailable
from wtforms import ValidationError

from indexer.catalog import CatalogError
from indexer.curators import CuratorStore
from indexer.querylog import QueryLog
from indexer.status import network_outage
from indexer.suggestions import SuggestionQueue

from .builds import BuildLog, BuildRunner

bp = Blueprint("curate", __name__, url_prefix="/curate")

SESSION_HOURS = 8
#: The largest file a curator may upload; a request much larger is refused before it is read.
UPLOAD_MAX_BYTES = 50 * 1024 * 1024
#: Sign-in attempts per address, and per account name from anywhere: enough for typos, not for guessing.
SIGN_IN_LIMIT = "5 per minute; 30 per hour"
SIGN_IN_LIMIT_PER_NAME = "10 per hour"
_KEY = "observatory.curate"
#: Routes a signed-out visitor may use.
OPEN_ENDPOINTS = {"curate.sign_in"}


class Stores:
    """What the curators' routes keep per app: the database's stores, the build runner, the limiter."""

    def __init__(self, app):
        settings = app.config["SETTINGS"]
        self.curators = CuratorStore(settings.suggestion_db)
        self.suggestions = SuggestionQueue(settings.suggestion_db)
        self.queries = QueryLog(settings.suggestion_db, settings.query_log_days)
        self.builds = BuildRunner(settings, BuildLog(settings.suggestion_db))
        self.limiter = Limiter(get_remote_address, app=app, key_prefix="curate")


def stores() -> Stores:
    return current_app.extensions[_KEY]


def settings():
    return current_app.config["SETTINGS"]


def curator_name() -> str:
    return current_user.name


def changed(action: str, record_id: str, detail: str | None = None) -> None:
    """The audit trail, then a build, so the change is searchable in seconds."""
    stores().curators.record(curator_name(), action, record_id, detail)
    stores().builds.request(curator_name(), f"{action} {record_id}")


@bp.record_once
def _set_up(state) -> None:
    app = state.app
    settings = app.config["SETTINGS"]
    app.config.setdefault("CURATE_SESSION_HOURS", SESSION_HOURS)
    app.config.setdefault("CURATE_SIGN_IN_LIMIT", SIGN_IN_LIMIT)
    app.config.setdefault("CURATE_SIGN_IN_LIMIT_PER_NAME", SIGN_IN_LIMIT_PER_NAME)
    # The session cookie signs the curator in: never readable by script, never sent by another site's
    # form or image, and over https only when the site is served over https.
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(settings.base_url and settings.base_url.startswith("https://")),
    )
    app.extensions[_KEY] = Stores(app)
    app.jinja_env.globals["csrf_token"] = generate_csrf  # for the forms that are only a button
    app.jinja_env.globals["network_outage"] = network_outage  # said once on /status and the dashboard
    manager = LoginManager(app)
    manager.session_protection = "strong"  # a session cookie used from another browser is dropped
    manager.unauthorized_handler(_signed_out)


def _signed_out():
    if request.method == "GET" and not request.path.endswith(".json"):
        return redirect(url_for("curate.sign_in", next=request.full_path.rstrip("?")))
    abort(401, "sign in as a curator first")


def upload_limit() -> int:
    return current_app.config.get("CURATE_UPLOAD_MAX_BYTES", UPLOAD_MAX_BYTES)


@bp.before_request
def _guard():
    if (request.content_length or 0) > upload_limit() + 1024 * 1024:
        raise RequestEntityTooLarge(f"The upload is larger than {upload_limit() // (1024 * 1024)} MB.")
    if request.method == "POST":
        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError as err:
            raise CSRFError(f"The form had expired or came from another page ({err}). Please send it again.") from err
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return _signed_out()
    hours = current_app.config["CURATE_SESSION_HOURS"]
    if time.time() - session.get("signed_in_at", 0) > hours * 3600:
        logout_user()
        session.clear()
        flash(f"Your session ended {hours} hours after signing in: sign in again.")
        return _signed_out()
    return None


@bp.errorhandler(CatalogError)
def _invalid_catalog(error: CatalogError):
    """A hand edit broke the file: say so, with its problems, instead of failing; nothing is written then."""
    problems = "; ".join(error.problems[:5]) + (" …" if len(error.problems) > 5 else "")
    described = ServiceUnavailable(
        f"The catalog is not valid, so these screens cannot change it until it is "
        f"fixed ({problems}); `observatory build` lists every problem."
    )
    return render_template("error.html", error=described), 503


@bp.after_request
def _private(response):
    """Curators' pages hold e-mail addresses and unsaved work: never kept by a shared cache or the back button."""
    response.headers["Cache-Control"] = "no-store"
    return response
