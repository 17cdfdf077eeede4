"""What every reader returns or raises, kept apart so the readers and the package entry point share it."""

from __future__ import annotations

from dataclasses import dataclass

from ..failures import Failure


@dataclass(frozen=True)
class Extraction:
    """`paged` says whether pages[n-1] is page n of the document, i.e. whether a hit can cite a page number;
    web pages and text files are cut into sections only to keep highlighting fast and snippets local.

    `times`, for captions, gives the second at which each page starts, so a hit can link to that moment.
    `needs_ocr` says a PDF has a text layer too thin to stand for its content (a scan with a heading per
    page): its few words are indexed, but the curators should know it is not really full text.
    """

    pages: list[str]
    paged: bool
    engine: str
    encrypted: bool = False
    times: list[int] | None = None
    needs_ocr: bool = False
    image_pages: frozenset[int] = frozenset()  # PDFs: the (0-based) pages that show an image
    warning: str | None = None  # text kept, but not all of it as the bytes meant (undecodable bytes replaced)


class ExtractionError(Exception):
    """A document we cannot read. `reason` goes to the status report as is, so it stays short and human;
    `code` is the group the report lists it in.

    `encrypted` says the file is locked rather than broken, whatever else went wrong (an encrypted PDF
    without a text layer is still listed as encrypted). Both survive pickling (the default Exception
    pickling restores instance attributes), so they cross worker-process boundaries.
    """

    def __init__(self, reason: str, code: Failure = Failure.UNREADABLE, *, encrypted: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.encrypted = encrypted
        self.code = Failure.ENCRYPTED if encrypted else code


def describe(exc: BaseException, limit: int = 160) -> str:
    """Library exceptions often have an empty or enormous message; the type name keeps even those useful."""
    message = " ".join(str(exc).split())
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
