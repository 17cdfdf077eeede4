"""A publication: its page with metadata, matches and citations, its pages to read, its local file."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, send_file, url_for

from . import embedded, export
from .downloads import download, writer
from .links import FIRST_MATCH, absolute_url, search_url
from .position import position
from .publication import publication
from .reading import reflow
from .request_state import lenient_state
from .service import search_service

bp = Blueprint("documents", __name__)

#: How a local copy is served. A PDF viewer is a plugin that a CSP sandbox would block; anything else
#: is sandboxed so a curator's HTML file can never run script on this site's origin.
LOCAL_FILES = {
    "pdf": ("application/pdf", "frame-ancestors 'none'"),
    "html": ("text/html", "sandbox; default-src 'none'; frame-ancestors 'none'"),
    "text": ("text/plain", "sandbox; default-src 'none'; frame-ancestors 'none'"),
}


@bp.get("/doc/<doc_id>")
def document(doc_id: str):
    service = search_service()
    req = lenient_state()
    found = service.document(doc_id, q=req.q)
    if found is None:
        abort(404)
    doc = publication(found)
    canonical = absolute_url(url_for("documents.document", doc_id=doc_id))
    return render_template(
        "doc.html",
        doc=doc,
        req=req,
        similar=[publication(s) for s in service.similar(doc_id)],
        citations=export.citations(doc),
        back_url=search_url(req),
        canonical=canonical,
        highwire=embedded.highwire_tags(doc, canonical),
        json_ld=embedded.json_ld(doc, canonical),
        # none without a summary: Zotero would save the page's description as the item's abstract
        description=doc.summary or "",
        position=position(service, req, doc_id),
    )


@bp.get("/doc/<doc_id>/page/<int(max=2147483647):number>")  # the index's page numbers are 32-bit
def read(doc_id: str, number: int):
    """One page's text with the query marked: reading in place instead of opening a PDF at a page."""
    req = lenient_state()
    service = search_service()
    found = service.page(doc_id, number, q=req.q)
    if found is None:
        abort(404)
    return render_template(
        "page.html",
        page=found,
        doc=publication(found["record"]),
        req=req,
        position=position(service, req, doc_id),
        back_url=search_url(req),
        blocks=reflow(found["html"].replace("<mark>", f'<mark id="{FIRST_MATCH}">', 1)),
        canonical=absolute_url(url_for("documents.read", doc_id=doc_id, number=number)),
    )


@bp.get("/doc/<doc_id>/file")
def local_file(doc_id: str):
    """Only the file the build read a local record from is ever served."""
    service = search_service()
    doc = service.document(doc_id)
    if doc is None or doc.get("kind") not in LOCAL_FILES:
        abort(404)
    location = service.local_file(doc_id)
    if location is None or not location.is_file():
        abort(404)
    mimetype, policy = LOCAL_FILES[doc["kind"]]
    response = send_file(location, mimetype=mimetype, download_name=f"{doc_id}{location.suffix}", conditional=True)
    response.headers["Content-Security-Policy"] = policy
    return response


@bp.get("/doc/<doc_id>/cite.<any(ris, bib):fmt>")
def cite(doc_id: str, fmt: str):
    doc = search_service().document(doc_id)
    if doc is None:
        abort(404)
    return download(writer(fmt)([publication(doc)]), fmt, doc_id)
