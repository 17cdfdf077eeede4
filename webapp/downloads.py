"""Exports as HTTP downloads: one writer per format, and the response that names the file."""

from __future__ import annotations

from flask import Response

from . import export
from .links import document_link

#: format -> (media type with its charset, label). Reference managers read the charset, not a guess.
EXPORTS = {
    "csv": ("text/csv; charset=utf-8", "CSV"),
    "ris": ("application/x-research-info-systems; charset=utf-8", "RIS"),
    "bib": ("application/x-bibtex; charset=utf-8", "BibTeX"),
}


def writer(fmt: str):
    """The writer of a format: publications in, text out (CSV rows link back to each document page)."""
    if fmt == "csv":
        return lambda docs: export.results_csv(docs, lambda p: document_link(p.id))
    return export.ris if fmt == "ris" else export.bibtex


def download(body, fmt: str, name: str) -> Response:
    content_type, _ = EXPORTS[fmt]
    return Response(
        body, content_type=content_type, headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
    )
