"""Plain-text documents, and the decoding that web pages share with them."""

from __future__ import annotations

import codecs

import charset_normalizer

from ..failures import Failure
from .model import Extraction, ExtractionError
from .normalize import normalize, split_sections

_WEB_LATIN_1 = frozenset({"iso-8859-1", "iso8859-1", "latin-1", "latin1", "us-ascii", "ascii"})


def extract_text(content: bytes) -> Extraction:
    decoded, warning = decode(content)
    text = normalize(decoded)
    if not text:
        raise ExtractionError("no text (empty document)", Failure.NOT_A_DOCUMENT)
    return Extraction(pages=split_sections(text), paged=False, engine="text", warning=warning)


def decode(content: bytes, declared: str | None = None) -> tuple[str, str | None]:
    """The text, and a warning when some bytes could not be decoded and were replaced.

    A byte-order mark decides first (UTF-16 captions carry one); valid UTF-8 is taken as UTF-8
    whatever a page declares (mislabelled pages are common, false UTF-8 is rare); then the declared
    charset; then UTF-8 with the few bad bytes replaced, for text that is UTF-8 but for them (one
    broken character must not make a page undecodable, nor turn all its accents to mojibake); then
    charset_normalizer's guess."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = content.decode("utf-16", errors="replace")
        return text, _replaced(text)
    try:
        return content.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    utf8_declared = bool(declared and _codec_name(declared) == "utf-8")
    if declared and not utf8_declared:
        # Browsers read a declared Latin-1 or ASCII as Windows-1252 (WHATWG Encoding), and so do authors.
        encoding = "cp1252" if declared.strip().lower() in _WEB_LATIN_1 else declared
        try:
            return content.decode(encoding), None
        except (LookupError, UnicodeDecodeError):
            pass
    text = content.decode("utf-8-sig", errors="replace")
    bad = text.count(_REPLACEMENT)
    multibyte = sum(1 for char in text if ord(char) > 127) - bad
    if bad * 100 <= len(text) and (utf8_declared or multibyte >= bad):
        return text, _replaced(text)
    matches = charset_normalizer.from_bytes(content)
    best = matches.best()
    if best is None:
        raise ExtractionError("undecodable text (unknown character encoding)")
    # charset_normalizer cannot tell Windows-1252 from 1250 or 1257 on most Western text (same scores) and
    # then picks 1250, turning "España" into "Espańa"; 1252 is by far the commoner legacy encoding.
    for match in matches:
        if match.encoding == "cp1252" and match.chaos <= best.chaos and match.coherence >= best.coherence:
            return str(match), None
    return str(best), None


_REPLACEMENT = "\ufffd"


def _replaced(text: str) -> str | None:
    bad = text.count(_REPLACEMENT)
    return f"{bad} undecodable byte sequence(s) replaced" if bad else None


def _codec_name(label: str) -> str | None:
    """Python's name of a declared charset ("UTF8", "utf-8" → "utf-8"), or None if unknown."""
    try:
        return codecs.lookup(label.strip()).name
    except LookupError:
        return None
