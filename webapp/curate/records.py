"""The dashboard and one record's screens: edit, add (by link or upload), retire, retry, paste a link.

Every change goes through `indexer.additions` (the catalog's one writer), is written to the audit
trail under the curator's name, and queues an incremental build whose progress the dashboard shows.
"""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for

from indexer.additions import AdditionError, InvalidRecord, entry_hash, replace_record, retire_record
from indexer.catalog import Record, load_catalog
from indexer.fetch import Fetcher, FetchError
from indexer.layout import IndexMissing, IndexUnreadable, read_manifest

from ..service import search_service
from .blueprint import bp, changed, settings, stores
from .forms import ActionForm, LinkForm, RecordForm
from .moderation import flagged_suggestions

#: Rows of the zero-result list on the dashboard; its own page shows all that are kept.
GAPS_ON_DASHBOARD = 10


def _record(record_id: str) -> Record:
    found = next((r for r in load_catalog(settings().catalog) if r.id == record_id), None)
    if found is None:
        abort(404, f"no record {record_id!r} in the catalog")
    return found


@bp.app_template_global()
def last_build_summary() -> dict | None:
    found = stores().builds.log.latest()
    return found[0].as_dict() if found else None


@bp.get("")
def dashboard():
    overview = search_service().overview()
    manifest = read_manifest(search_service().root.current())  # a build from the shell says when, too
    built = max((entry.get("checked") or "" for entry in manifest.values()), default="") or None
    return render_template(
        "curate/dashboard.html",
        overview=overview,
        built=built,
        groups=[g for g in overview["problems"] if g["count"]],
        suggestions=flagged_suggestions()[:5],
        pending=len(stores().suggestions.list()),
        builds=stores().builds.log.latest(3),
        gaps=stores().queries.gaps(limit=GAPS_ON_DASHBOARD),
        query_log_days=settings().query_log_days,
    )


@bp.get("/build.json")
def build_progress():
    """The latest web build's state, polled by the dashboard and the record pages while it runs."""
    found = stores().builds.log.latest()
    return jsonify(found[0].as_dict() if found else None)


@bp.get("/gaps")
def gaps():
    return render_template(
        "curate/gaps.html", gaps=stores().queries.gaps(limit=1000), query_log_days=settings().query_log_days
    )


@bp.get("/audit")
def audit():
    return render_template(
        "curate/audit.html",
        trail=stores().curators.trail(request.args.get("record"), limit=500),
        record_id=request.args.get("record"),
    )


@bp.route("/record/<record_id>", methods=["GET", "POST"])
def edit(record_id: str):
    catalog = settings().catalog
    record = _record(record_id)
    if request.method == "GET":
        form = RecordForm.for_record(record, meta={"csrf": True})
        form.entry_hash.data = entry_hash(catalog, record_id)
        return _edit_page(form, record)
    form = RecordForm()
    try:
        new = replace_record(catalog, record_id, form.catalog_fields(), form.entry_hash.data or "")
    except InvalidRecord as err:
        return _edit_page(form, record, general=form.show_problems(err.problems))
    except AdditionError as err:  # changed meanwhile, or retired: nothing was saved
        return _edit_page(form, record, general=[str(err)]), 409
    changed("edited", record_id, _difference(record, new))
    flash(f"Saved “{new.title}”. The index is being updated.")
    return redirect(url_for("curate.edit", record_id=record_id), code=303)


def _difference(before: Record, after: Record) -> str:
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    return ", ".join(name for name in new if old.get(name) != new.get(name)) or "nothing"


def _edit_page(form: RecordForm, record: Record, general: list[str] | None = None):
    try:
        built, problem = (
            search_service().document(record.id),
            next((row for row in search_service().overview()["failures"] if row["id"] == record.id), None),
        )
    except (IndexMissing, IndexUnreadable):
        built, problem = None, None
    return render_template(
        "curate/record.html",
        form=form,
        record=record,
        general=general or [],
        built=built,
        problem=problem,
        actions=ActionForm(entry_hash=form.entry_hash.data),
        trail=stores().curators.trail(record.id, limit=20),
    )


@bp.post("/record/<record_id>/retire")
def retire(record_id: str):
    record = _record(record_id)
    if request.form.get("confirm") != "yes":
        flash("Tick “Yes, take this record out of the collection” to retire it.", "error")
        return redirect(url_for("curate.edit", record_id=record_id), code=303)
    try:
        retire_record(settings().catalog, record_id, ActionForm().entry_hash.data or "")
    except AdditionError as err:
        flash(str(err), "error")
        return redirect(url_for("curate.edit", record_id=record_id), code=303)
    changed("retired", record_id, record.title)
    flash(f"Retired “{record.title}”: it leaves the index with this build; its files stay until a full build.")
    return redirect(url_for("curate.dashboard"), code=303)


@bp.post("/record/<record_id>/retry")
def retry(record_id: str):
    """Fetch the record's source now and say what happened; a success is indexed by the build it queues."""
    record = _record(record_id)
    if not record.source:
        abort(400, "this record has no link to fetch yet")
    try:
        fetched = Fetcher(settings()).fetch(record.source, settings().catalog.parent)
    except FetchError as err:
        flash(f"Fetched again: still failing ({err}).", "error")
    else:
        changed("retried", record_id, "fetched")
        flash(
            f"Fetched again: it works now ({fetched.kind}, {len(fetched.content):,} bytes). The index is being updated."
        )
    return redirect(url_for("curate.edit", record_id=record_id), code=303)


@bp.post("/record/<record_id>/link")
def paste_link(record_id: str):
    """The 'No link yet' rows' field: the record gets the link, nothing else of it changes."""
    record = _record(record_id)
    form = LinkForm()
    fields = {**record.model_dump(), "url": (form.url.data or "").strip(), "link": None}
    try:
        replace_record(
            settings().catalog, record_id, fields, form.entry_hash.data or entry_hash(settings().catalog, record_id)
        )
    except InvalidRecord as err:
        flash("The link was not saved: " + "; ".join(m for ms in err.problems.values() for m in ms), "error")
        return redirect(url_for("curate.edit", record_id=record_id), code=303)
    except AdditionError as err:
        flash(str(err), "error")
        return redirect(url_for("curate.edit", record_id=record_id), code=303)
    changed("linked", record_id, fields["url"])
    flash(f"Linked “{record.title}”. The index is being updated.")
    return redirect(url_for("curate.edit", record_id=record_id), code=303)
