"""What runs inside the extraction processes of a build.

The processes are forked from a fork server, which is single-threaded (forking the build itself,
whose fetch threads may hold locks, can deadlock a child) and has run `ready()` once through
`worker_preload`: the libraries' one-time set-up (language profiles, HTML cleaners, ~1 s) is
inherited, so no document's time limit is spent on it.
"""
from __future__ import annotations

import contextlib
import logging
import multiprocessing

from .extract import ExtractionError, detect_language, extract
from .engine import index_terms


#: pdfminer.six logs every oddity of a broken PDF as a warning; the outcome is what counts, and it
#: is recorded against the entry, so its chatter would only bury the progress bar.
logging.getLogger("pdfminer").setLevel(logging.ERROR)


def extract_job(content: bytes, kind: str, engine: str) -> dict:
    """Plain data to pickle back: pages, their index terms, language; or the failure reason."""
    try:
        result = extract(content, kind, engine=engine)
    except ExtractionError as err:
        return {"error": err.reason}
    sample = "\n".join(result.pages)[:20000]
    return {"pages": result.pages, "terms": [index_terms(page) for page in result.pages], "paged": result.paged,
            "engine": result.engine, "language": detect_language(sample)}


def ready() -> bool:
    """Extract a small sample: afterwards the libraries' set-up is paid in this process."""
    sample = b"<html><body><p>Micro-credentials certify short courses of learning.</p></body></html>"
    with contextlib.suppress(ExtractionError):
        extract_job(sample, "html", "auto")
    return True


def context():
    """The multiprocessing context extraction pools use."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([f"{__package__}.worker_preload"])
    return ctx
