"""`/suggest`: readers propose a publication; it waits in the curators' queue, never fetched by itself.

The form is the site's only write from the public, so it is guarded: a CSRF token (Flask-WTF, in the
session cookie signed with the app's secret key), a per-address rate limit (Flask-Limiter; in memory
unless RATELIMIT_STORAGE_URI names a shared store), validation on the server with a message per field,
and a honeypot field that people never see and form-filling bots fill in.
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, StringField, TextAreaField, URLField
from wtforms.validators import URL, DataRequired, Email, InputRequired, Length, NumberRange, Optional

from indexer.additions import find_duplicate
from indexer.catalog import CatalogError, load_catalog
from indexer.suggestions import SuggestionQueue

bp = Blueprint("suggest", __name__)

#: Per address: enough for a reader with a list, too few for a flood.
RATE_LIMIT = "5 per minute; 30 per day"
_LIMITER = "observatory.suggest.limiter"
_QUEUE = "observatory.suggest.queue"


class SuggestionForm(FlaskForm):
    title = StringField("Title", validators=[
        DataRequired("Enter the publication’s title."), Length(max=500, message="Keep the title under 500 characters.")])
    url = URLField("Web address (URL)", description="Where the publication itself can be read or downloaded.",
                   validators=[DataRequired("Enter the address where the publication can be found."),
                               Length(max=2000, message="That address is too long."),
                               URL(message="Enter a full web address starting with http:// or https://.")])
    year = IntegerField("Year of publication", invalid_value_message="Enter the year as a number, e.g. 2023.",
                        validators=[InputRequired("Enter the year the publication came out, e.g. 2023."),
        NumberRange(min=1900, max=dt.date.today().year + 1,
                    message=f"Enter a year between 1900 and {dt.date.today().year + 1}.")])
    note = TextAreaField("Note for the curators (optional)", description="Why it belongs in the collection, "
                         "or anything else that helps.", validators=[
                             Optional(), Length(max=2000, message="Keep the note under 2,000 characters.")])
    email = EmailField("Your e-mail (optional)", description="Only if you would like to hear what became of it; "
                       "curators see it, nobody else.", validators=[
                           Optional(), Length(max=254, message="That e-mail address is too long."),
                           Email("Enter an e-mail address like name@example.org, or leave it empty.")])
    website = StringField("Leave this field empty")  # the honeypot; see the module docstring

    def clean(self) -> dict:
        return {"title": self.title.data.strip(), "url": self.url.data.strip(), "year": self.year.data,
                "note": (self.note.data or "").strip() or None, "email": (self.email.data or "").strip() or None}


@bp.record_once
def _set_up(state) -> None:
    """Per app: the queue where the settings say, and a limiter with its own counters."""
    app = state.app
    app.config.setdefault("SUGGEST_RATE_LIMIT", RATE_LIMIT)
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.extensions[_QUEUE] = SuggestionQueue(app.config["SETTINGS"].suggestion_db)
    app.extensions[_LIMITER] = Limiter(get_remote_address, app=app)
    if app.config["SETTINGS"].secret_key is None and not app.testing:
        app.logger.warning("OBSERVATORY_SECRET_KEY is not set: each worker process signs CSRF tokens with its own "
                           "random key, so with several workers the suggestion form fails for some visitors")


@bp.route("/suggest", methods=["GET", "POST"])
def form():
    form = SuggestionForm()
    if request.method == "POST":
        with current_app.extensions[_LIMITER].limit(current_app.config["SUGGEST_RATE_LIMIT"]):
            if form.validate_on_submit():
                if form.website.data:
                    current_app.logger.info("suggestion from %s dropped: honeypot filled", get_remote_address())
                    return redirect(url_for("suggest.form", sent=1), code=303)
                current_app.extensions[_QUEUE].submit(**form.clean())
                known = _catalogued(form.url.data)
                return redirect(url_for("suggest.form", sent=1, known=known.id if known else None), code=303)
    fields = [form.title, form.url, form.year, form.note, form.email]
    expired = bool(form.csrf_token.errors)
    # A form shown again with messages is a page like any other (200); only a forged or stale post is refused.
    known = next((r for r in _records() if r.id == request.args["known"]), None) if request.args.get("known") else None
    return render_template("suggest.html", form=form, fields=fields, expired=expired, known=known,
                           sent=request.args.get("sent") == "1"), 400 if expired else 200


def _records():
    try:
        return load_catalog(current_app.config["SETTINGS"].catalog)
    except CatalogError:
        return []


def _catalogued(url: str):
    """The catalogued record a suggested link already names: the reader is told at once (and curators see it)."""
    found = find_duplicate(_records(), url=url.strip())
    return found[0] if found else None
