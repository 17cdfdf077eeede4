"""Readers' suggestions in the browser: accept through a pre-filled record form, or reject with a reason.

A suggestion whose link or title is already in the catalog is flagged beside it (and the reader is
told so when they send it), so a duplicate is seen before anyone decides.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from indexer.additions import DuplicateRecord, find_duplicate
from indexer.catalog import load_catalog
from indexer.suggestions import SuggestionError

from .adding import add_new
from .blueprint import bp, curator_name, settings, stores
from .forms import NewRecordForm, RejectForm


def _catalog():
    return load_catalog(settings().catalog)


def flagged_suggestions() -> list[dict]:
    """Pending suggestions, oldest first, each with the catalogued record it duplicates (or None)."""
    catalog = _catalog()
    return [
        {"suggestion": s, "duplicate": find_duplicate(catalog, url=s.url, title=s.title)}
        for s in stores().suggestions.list()
    ]


@bp.get("/suggestions")
def suggestions():
    return render_template("curate/suggestions.html", flagged=flagged_suggestions(), reject=RejectForm())


@bp.route("/suggestions/<int:suggestion_id>/accept", methods=["GET", "POST"])
def accept(suggestion_id: int):
    try:
        suggestion = stores().suggestions.get(suggestion_id)
    except SuggestionError as err:
        abort(404, str(err))
    if request.method == "GET":
        form = NewRecordForm(data={"title": suggestion.title, "year": str(suggestion.year), "url": suggestion.url})
        duplicate = find_duplicate(_catalog(), url=suggestion.url, title=suggestion.title)
        return render_template(
            "curate/accept.html",
            form=form,
            suggestion=suggestion,
            general=[],
            duplicate=duplicate and DuplicateRecord(*duplicate),
        )
    form = NewRecordForm()
    outcome: dict = {}

    def add(_suggestion) -> str:
        record, general, duplicate = add_new(form, (form.url.data or "").strip(), None)
        outcome.update(record=record, general=general, duplicate=duplicate)
        if record is None:
            raise SuggestionError("not added")  # the suggestion stays pending; the form says why
        return record.id

    try:
        accepted = stores().suggestions.accept(suggestion_id, add)
    except SuggestionError as err:
        if "record" not in outcome:  # decided meanwhile by another curator
            flash(str(err), "error")
            return redirect(url_for("curate.suggestions"), code=303)
        return render_template(
            "curate/accept.html",
            form=form,
            suggestion=suggestion,
            general=outcome["general"],
            duplicate=outcome["duplicate"],
        )
    stores().curators.record(curator_name(), "added", accepted.record_id, f"suggestion {suggestion_id}")
    stores().builds.request(curator_name(), f"added {accepted.record_id}")
    flash(f"Accepted suggestion {suggestion_id} as “{outcome['record'].title}”. The index is being updated.")
    return redirect(url_for("curate.edit", record_id=accepted.record_id), code=303)


@bp.post("/suggestions/<int:suggestion_id>/reject")
def reject(suggestion_id: int):
    form = RejectForm()
    if not form.validate_on_submit():
        flash(form.reason.errors[0] if form.reason.errors else "Give a reason.", "error")
        return redirect(url_for("curate.suggestions"), code=303)
    try:
        stores().suggestions.reject(suggestion_id, form.reason.data or "")
    except SuggestionError as err:
        flash(str(err), "error")
    else:
        stores().curators.record(curator_name(), "rejected", None, f"suggestion {suggestion_id}: {form.reason.data}")
        flash(f"Rejected suggestion {suggestion_id}.")
    return redirect(url_for("curate.suggestions"), code=303)
