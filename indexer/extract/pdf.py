"""Text of a PDF, page by page, so a hit can say which page it is on.

PDFium comes first: it is fast and keeps reading order. pdfminer.six reads some damaged files that
PDFium refuses, and sometimes finds text where PDFium finds none, so it is the fallback; a file
without characters in either engine is most likely a scan.
"""

from __future__ import annotations

import io
import statistics
import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TypeVar

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfminer.converter import PDFPageAggregator
from pdfminer.layout import LAParams, LTFigure, LTTextContainer
from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser

from ..failures import Failure
from .furniture import strip_running_lines
from .model import Extraction, ExtractionError, describe
from .normalize import normalize

ENGINES = ("auto", "pdfium", "pdfminer")

NO_TEXT_LAYER = "no text layer (scanned?)"
PASSWORD_REQUIRED = "encrypted (password required)"

LITTLE_TEXT_CHARS = 200
"""Below this many characters on the median page (running lines removed), a PDF probably needs OCR. A page
of prose carries 1,500-3,500 characters and even a sparse slide a few hundred, while a scanned page
with a heading or a caption in its text layer carries a few dozen. The median, not the mean, so that a
typed cover page cannot hide a scanned body, nor a few blank pages flag a typed report. A thin page
counts only when it shows an image: a one-page flyer of two lines is short, not scanned."""

_PDFIUM_LOCK = threading.Lock()
"""PDFium is not thread-safe, not even across separate documents, and callers may extract from threads."""

_PDFIUM_NOT_ENCRYPTED = -1

_Page = TypeVar("_Page")


def extract_pdf(content: bytes, engine: str = "auto") -> Extraction:
    """engine "pdfium" or "pdfminer" forces that engine (benchmarks, comparisons); "auto" may fall back."""
    if b"%PDF-" not in content[:1024]:
        raise ExtractionError("not a valid PDF: no %PDF header")
    if engine == "pdfium":
        return _finish(_pdfium(content))
    if engine == "pdfminer":
        return _finish(_pdfminer(content))
    try:
        primary = _pdfium(content)
    except ExtractionError as refusal:
        if refusal.encrypted:
            raise
        try:
            fallback = _pdfminer(content)
        except ExtractionError:
            raise refusal from None  # PDFium's words: it is the engine that normally reads our files
        return _finish(fallback)
    if any(primary.pages):
        return _finish(primary)
    try:
        fallback = _pdfminer(content)
    except ExtractionError:
        return _finish(primary)
    return _finish(fallback if any(fallback.pages) else primary)


def _finish(result: Extraction) -> Extraction:
    if not result.pages:
        raise ExtractionError("not a valid PDF: no pages", encrypted=result.encrypted)
    if not any(result.pages):
        raise ExtractionError(NO_TEXT_LAYER, Failure.NEEDS_OCR, encrypted=result.encrypted)
    pages = strip_running_lines(result.pages)
    return replace(result, pages=pages, needs_ocr=_looks_scanned(pages, result.image_pages))


def _looks_scanned(pages: list[str], image_pages: frozenset[int]) -> bool:
    """The median page is thin, and most thin pages carry an image (the scan)."""
    chars = [sum(not ch.isspace() for ch in page) for page in pages]
    if statistics.median(chars) >= LITTLE_TEXT_CHARS:
        return False
    thin = [index for index, count in enumerate(chars) if count < LITTLE_TEXT_CHARS]
    return sum(index in image_pages for index in thin) * 2 > len(thin)


def _read_pages(pages: Iterable[_Page], read: Callable[[_Page], str], engine: str) -> list[str]:
    """A damaged page costs its own text, not the document's, and the other pages keep their numbers."""
    texts: list[str] = []
    failures: list[Exception] = []
    for page in pages:
        try:
            texts.append(normalize(read(page)))
        except Exception as exc:  # any library error on one page: the rest of the document is still worth having
            texts.append("")
            failures.append(exc)
    if failures and not any(texts):
        raise ExtractionError(f"{engine} could not read any page ({describe(failures[0])})")
    return texts


def _pdfium(content: bytes) -> Extraction:
    with _PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(content)
        except pdfium.PdfiumError as exc:
            raise _pdfium_refusal(exc) from None
        try:
            encrypted = pdfium_c.FPDF_GetSecurityHandlerRevision(document.raw) != _PDFIUM_NOT_ENCRYPTED
            pages = _read_pages(range(len(document)), lambda index: _pdfium_page_text(document, index), "pdfium")
            images = frozenset(index for index in range(len(document)) if _pdfium_has_image(document, index))
        finally:
            document.close()
    return Extraction(pages=pages, paged=True, engine="pdfium", encrypted=encrypted, image_pages=images)


def _pdfium_has_image(document: pdfium.PdfDocument, index: int) -> bool:
    page = document[index]
    try:
        return next(page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,)), None) is not None
    except pdfium.PdfiumError:
        return False
    finally:
        page.close()


def _pdfium_page_text(document: pdfium.PdfDocument, index: int) -> str:
    page = document[index]
    try:
        textpage = page.get_textpage()
        try:
            return textpage.get_text_range()
        finally:
            textpage.close()
    finally:
        page.close()


def _pdfium_refusal(exc: pdfium.PdfiumError) -> ExtractionError:
    if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
        return ExtractionError(PASSWORD_REQUIRED, encrypted=True)
    if exc.err_code == pdfium_c.FPDF_ERR_SECURITY:
        return ExtractionError("encrypted (unsupported security scheme)", encrypted=True)
    return ExtractionError(f"not a valid PDF: {_pdfium_error_text(exc)}")


def _pdfium_error_text(exc: pdfium.PdfiumError) -> str:
    """PDFium's own words ("Data format error") read better in a report than the wrapper's sentence."""
    message = str(exc)
    start, end = message.find("(PDFium: "), message.rfind(")")
    if start != -1 and end > start:
        return message[start + len("(PDFium: ") : end].lower()
    return describe(exc)


def _pdfminer(content: bytes) -> Extraction:
    """One parse serves the pages, the metadata and the encryption flag (high_level.extract_pages would re-parse)."""
    try:
        document = PDFDocument(PDFParser(io.BytesIO(content)), password="")
        pages = list(PDFPage.create_pages(document))
    except PDFPasswordIncorrect:
        raise ExtractionError(PASSWORD_REQUIRED, encrypted=True) from None
    except PDFEncryptionError as exc:
        raise ExtractionError(f"encrypted ({exc or 'unsupported security scheme'})", encrypted=True) from None
    except Exception as exc:  # pdfminer reports damage with anything from PDFSyntaxError to KeyError
        raise ExtractionError(f"not a valid PDF: {describe(exc)}") from None
    resources = PDFResourceManager()
    device = PDFPageAggregator(resources, laparams=LAParams())
    interpreter = PDFPageInterpreter(resources, device)

    images: set[int] = set()

    def page_text(page: PDFPage) -> str:
        interpreter.process_page(page)
        layout = device.get_result()
        if any(isinstance(box, LTFigure) for box in layout):
            images.add(layout.pageid - 1)  # the aggregator numbers the pages it is given from 1
        return "\n".join(box.get_text() for box in layout if isinstance(box, LTTextContainer))

    texts = _read_pages(pages, page_text, "pdfminer")
    return Extraction(
        pages=texts,
        paged=True,
        engine="pdfminer",
        encrypted=document.encryption is not None,
        image_pages=frozenset(images),
    )
