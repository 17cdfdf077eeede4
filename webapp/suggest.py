"""`/suggest`: readers propose a publication; it waits in the curators' queue, never fetched by itself.

The form is the site's only write from the public, so it is guarded: a CSRF token (Flask-WTF, in the
session cookie signed with the app's secret key), a per-address rate limit checked before the body is
parsed (`ratelimit.Limit`: counted in the suggestion store itself, so shared by every worker and kept
across restarts, unless RATELIMIT_STORAGE_URI names another store), validation on the server with a
message per field (control characters refused: curators read suggestions in a terminal), and a
honeypot field that people never see and form-filling bots fill in. Whatever goes wrong after the
reader typed (too many posts, a store that cannot be written), the form comes back with their text.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from limits.errors import StorageError
from wtforms import EmailField, IntegerField, StringField, TextAreaField, URLField
from wtforms.validators import URL, DataRequired, Email, InputRequired, Length, NumberRange, Optional, Regexp

from indexer.additions import find_duplicate
from indexer.catalog import EARLIEST_YEAR, CatalogError, load_catalog
from indexer.suggestions import SuggestionQueue

from .ratelimit import Limit

bp = Blueprint("suggest", __name__)

#: Per address: enough for a reader with a list, too few for a flood.
RATE_LIMIT = "5 per minute; 30 per day"
_LIMITER = "observatory.suggest.limiter"
_QUEUE = "observatory.suggest.queue"
#: Seconds a reader is asked to wait when the store cannot be written (the operator is told in the log).
STORE_RETRY_AFTER = 300

#: C0 and C1 control characters: a title with ESC sequences would rewrite a curator's terminal.
_CONTROLS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_NO_CONTROLS = Regexp(
    f"^[^\t\n\r{_CONTROLS}]*$",
    message="Remove the control characters (such as tabs or line breaks pasted with the text).",
)
_NO_CONTROLS_BUT_LINES = Regexp(f"^[^{_CONTROLS}]*$", message="Remove the control characters pasted with the text.")


def _latest_year() -> int:
    return dt.date.today().year + 1


class SuggestionForm(FlaskForm):
    title = StringField(
        "Title",
        validators=[
            DataRequired("Enter the publication’s title."),
            Length(max=500, message="Keep the title under 500 characters."),
            _NO_CONTROLS,
        ],
    )
    url = URLField(
        "Web address (URL)",
        description="Where the publication itself can be read or downloaded.",
        validators=[
            DataRequired("Enter the address where the publication can be found."),
            Length(max=2000, message="That address is too long."),
            _NO_CONTROLS,
            URL(message="Enter a full web address starting with http:// or https://."),
        ],
    )
    # types-WTForms 3.2 predates WTForms 3.3's `invalid_value_message`
    year = IntegerField(
        "Year of publication",
        invalid_value_message="Enter the year as a number, e.g. 2023.",  # type: ignore[call-arg]
        validators=[
            InputRequired("Enter the year the publication came out, e.g. 2023."),
            # The catalog's own bounds, so an accepted suggestion is always a valid record.
            NumberRange(
                min=EARLIEST_YEAR,
                max=_latest_year(),
                message=f"Enter a year between {EARLIEST_YEAR} and {_latest_year()}.",
            ),
        ],
    )
    note = TextAreaField(
        "Note for the curators (optional)",
        description="Why it belongs in the collection, or anything else that helps.",
        validators=[
            Optional(),
            Length(max=2000, message="Keep the note under 2,000 characters."),
            _NO_CONTROLS_BUT_LINES,
        ],
    )
    email = EmailField(
        "Your e-mail (optional)",
        description="Only if you would like to hear what became of it; curators see it, nobody else.",
        validators=[
            Optional(),
            Length(max=254, message="That e-mail address is too long."),
            _NO_CONTROLS,
            Email("Enter an e-mail address like name@example.org, or leave it empty."),
        ],
    )
    website = StringField("Leave this field empty")  # the honeypot; see the module docstring

    def clean(self) -> dict:
        # `or ""`: a field's data is None until the form is filled; `clean` is called once it validated
        return {
            "title": (self.title.data or "").strip(),
            "url": (self.url.data or "").strip(),
            "year": self.year.data,
            "note": (self.note.data or "").strip() or None,
            "email": (self.email.data or "").strip() or None,
        }


@bp.record_once
def _set_up(state) -> None:
    """Per app: the queue where the settings say, and the rate limit counted beside it (or where configured)."""
    app = state.app
    app.config.setdefault("SUGGEST_RATE_LIMIT", RATE_LIMIT)
    app.extensions[_QUEUE] = queue = SuggestionQueue(app.config["SETTINGS"].suggestion_db)
    app.config.setdefault("RATELIMIT_STORAGE_URI", f"sqlite://{queue.path.absolute()}")
    app.extensions[_LIMITER] = Limit(app.config["SUGGEST_RATE_LIMIT"], app.config["RATELIMIT_STORAGE_URI"])
    if app.config["SETTINGS"].secret_key is None and not app.testing:
        app.logger.warning(
            "OBSERVATORY_SECRET_KEY is not set: each worker process signs CSRF tokens with its own "
            "random key, so with several workers the suggestion form fails for some visitors"
        )


@bp.route("/suggest", methods=["GET", "POST"])
def form():
    if request.method == "GET":
        known = (
            next((r for r in _records() if r.id == request.args["known"]), None) if request.args.get("known") else None
        )
        return _page(SuggestionForm(), sent=request.args.get("sent") == "1", known=known)
    limit, client = current_app.extensions[_LIMITER], request.remote_addr or "unknown"
    try:
        if not limit.allows(client):  # before the body is parsed; only accepted posts were counted
            wait = limit.retry_after(client)
            return _page(
                SuggestionForm(),
                status=429,
                retry_after=wait,
                notice=(
                    f"You have sent several suggestions in a short time. Please try again in {_duration(wait)}: "
                    "what you typed is kept below."
                ),
            )
        form = SuggestionForm()
        if not form.validate_on_submit():
            # A form shown again with messages is a page like any other (200); only a forged or stale post is refused.
            return _page(form, status=400 if form.csrf_token.errors else 200)
        if form.website.data:
            current_app.logger.info("suggestion from %s dropped: honeypot filled", client)
            known = None
        else:
            fields = form.clean()
            current_app.extensions[_QUEUE].submit(**fields)
            known = _catalogued(fields["url"])
        limit.hit(client)
    except (StorageError, sqlite3.Error, OSError):
        current_app.logger.exception(
            "the suggestion store %s cannot be written", current_app.config["SETTINGS"].suggestion_db
        )
        return _page(
            SuggestionForm(),
            status=503,
            retry_after=STORE_RETRY_AFTER,
            notice=(
                "Suggestions cannot be saved at the moment. Nothing was lost: what you typed is kept below, "
                f"please send it again in {_duration(STORE_RETRY_AFTER)}."
            ),
        )
    return redirect(url_for("suggest.form", sent=1, known=known.id if known else None), code=303)


def _page(
    form: SuggestionForm,
    status: int = 200,
    retry_after: int | None = None,
    notice: str | None = None,
    sent: bool = False,
    known=None,
):
    fields = [form.title, form.url, form.year, form.note, form.email]
    response = current_app.make_response(
        (
            render_template(
                "suggest.html",
                form=form,
                fields=fields,
                expired=bool(form.csrf_token.errors),
                sent=sent,
                notice=notice,
                known=known,
            ),
            status,
        )
    )
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _duration(seconds: int) -> str:
    minutes = -(-seconds // 60)
    return f"{seconds} second{'s' * (seconds != 1)}" if seconds < 60 else f"{minutes} minute{'s' * (minutes != 1)}"


def _records():
    try:
        return load_catalog(current_app.config["SETTINGS"].catalog)
    except CatalogError:
        return []


def _catalogued(url: str):
    """The catalogued record a suggested link already names: the reader is told at once (and curators see it)."""
    found = find_duplicate(_records(), url=url.strip())
    return found[0] if found else None
