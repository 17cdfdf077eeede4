"""Adding a publication from the curators' screens: by its link, or by uploading its file.

An upload is checked by what its bytes are, never by its name or the type the browser claims (the
same sniffing the build uses, `indexer.fetch.detect_kind`); a name claiming another kind is refused,
and the name is never a path: `add_record` copies the file to `files/<id>.<kind>` beside the catalog.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import flash, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from indexer.additions import AdditionError, DuplicateRecord, InvalidRecord, add_record, catalog_lock
from indexer.catalog import Record
from indexer.fetch import FetchError, detect_kind

from .blueprint import bp, changed, settings, upload_limit as _upload_limit
from .forms import NewRecordForm

#: What an upload may be: the kinds the extractor reads, by what their content says (never by name).
UPLOAD_SUFFIXES = {"pdf": ".pdf", "html": ".html", "text": ".txt"}
#: What a file's name may claim it is (no suffix claims nothing); the content must agree.
_CLAIMED_KINDS = {".pdf": "pdf", ".html": "html", ".htm": "html", ".txt": "text", "": None}
_KIND_NAMES = {"pdf": "a PDF", "html": "an HTML page", "text": "plain text"}


def add_new(form: NewRecordForm, source: str | None, upload) -> tuple[Record | None, list[str], DuplicateRecord | None]:
    """Add from a link or an uploaded file; (record, problems not about one field, duplicate)."""
    if upload is not None and upload.filename:
        return _add_upload(form, upload)
    if not source:
        form.url.errors = ["Give the publication’s link, or upload its file."]
        return None, [], None
    return _add(form, source)


def _add(form: NewRecordForm, source: str):
    try:
        with catalog_lock(settings().catalog):
            return add_record(settings().catalog, form.catalog_fields(), source), [], None
    except DuplicateRecord as err:
        return None, [], err
    except InvalidRecord as err:
        return None, form.show_problems(err.problems), None
    except AdditionError as err:
        return None, [str(err)], None


def _add_upload(form: NewRecordForm, upload):
    """The file's content decides its kind; a name that claims another kind is refused. The name is
    never used as a path: the copy is `files/<id>.<kind>` beside the catalog (`add_record`)."""
    content = upload.stream.read(_upload_limit() + 1)
    if len(content) > _upload_limit():
        form.file.errors = [f"The file is larger than {_upload_limit() // (1024 * 1024)} MB."]
        return None, [], None
    try:
        kind = detect_kind(content, upload.mimetype)
    except FetchError as err:
        shown = err.reason.removeprefix("unsupported content").strip(" ()") or err.reason
        form.file.errors = [f"Only PDF, HTML or plain text can be indexed; this file is {shown}."]
        return None, [], None
    claimed = Path(upload.filename.replace("\\", "/")).suffix.lower()
    if claimed not in _CLAIMED_KINDS:
        form.file.errors = [f"Only .pdf, .html or .txt files can be added, not {claimed}."]
        return None, [], None
    if _CLAIMED_KINDS[claimed] not in (None, kind):
        form.file.errors = [
            f"The file is named {claimed} but its content is {_KIND_NAMES[kind]}: upload the file "
            f"itself, named for what it is."
        ]
        return None, [], None
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / f"upload{UPLOAD_SUFFIXES[kind]}"
        copy.write_bytes(content)
        return _add(form, str(copy))


@bp.route("/add", methods=["GET", "POST"])
def add():
    form = NewRecordForm()
    general: list[str] = []
    duplicate = None
    if request.method == "POST":
        record, general, duplicate = add_new(form, (form.url.data or "").strip(), request.files.get("file"))
        if record is not None:
            changed("added", record.id, record.source)
            flash(f"Added “{record.title}”. The index is being updated.")
            return redirect(url_for("curate.edit", record_id=record.id), code=303)
    # A form shown again with messages is a page like any other (200), as the suggestion form's.
    return render_template(
        "curate/add.html", form=form, general=general, duplicate=duplicate, limit_mb=_upload_limit() // (1024 * 1024)
    )


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    return render_template(
        "error.html", error=RequestEntityTooLarge(f"The upload is larger than {_upload_limit() // (1024 * 1024)} MB.")
    ), 413
