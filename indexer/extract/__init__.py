"""Text out of fetched documents: PDFs page by page, web pages and plain text in sections, captions in
windows of time.

Whatever goes wrong inside a document surfaces as `ExtractionError` with a short reason, so one bad
file costs one line in the status report, never the build.
"""

from __future__ import annotations

from ..failures import Failure
from . import captions, html, pdf, text
from .language import detect_language
from .model import Extraction, ExtractionError, describe

__all__ = ["ENGINES", "Extraction", "ExtractionError", "detect_language", "extract"]

ENGINES = pdf.ENGINES


def extract(content: bytes, kind: str, engine: str = "auto") -> Extraction:
    """`kind` is fetch's "pdf" | "html" | "text", or "vtt" | "srt" for captions; `engine` (auto | pdfium |
    pdfminer) concerns PDFs only. Text that turns out to be captions is read as captions: fetch sees
    only a text file, and cue timings read as text would bury what was said.

    An unknown engine is the caller's mistake and raises ValueError; an unknown kind is the document's
    and raises ExtractionError like any other unreadable content.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    try:
        if kind == "pdf":
            return pdf.extract_pdf(content, engine)
        if kind == "html":
            return html.extract_html(content)
        if kind == "text":
            kind = captions.sniff(content) or kind
        if kind in captions.KINDS:
            return captions.extract_captions(content, kind)
        if kind == "text":
            return text.extract_text(content)
    except ExtractionError:
        raise
    except Exception as exc:  # a library bug on a strange file must not stop the build
        raise ExtractionError(f"extraction failed: {describe(exc)}") from exc
    raise ExtractionError(f"unsupported content ({kind})", Failure.NOT_A_DOCUMENT)
