"""Plain-text documents, and the decoding that web pages share with them."""
from __future__ import annotations

import charset_normalizer

from .model import Extraction, ExtractionError
from .normalize import normalize, split_sections

_WEB_LATIN_1 = frozenset({"iso-8859-1", "iso8859-1", "latin-1", "latin1", "us-ascii", "ascii"})


def extract_text(content: bytes) -> Extraction:
    text = normalize(decode(content))
    if not text:
        raise ExtractionError("no text (empty document)")
    return Extraction(pages=split_sections(text), paged=False, engine="text")


def decode(content: bytes, declared: str | None = None) -> str:
    """Valid UTF-8 is taken as UTF-8 whatever a page declares (mislabelled pages are common, false UTF-8 is
    rare); then the declared charset; then charset_normalizer's guess."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if declared:
        # Browsers read a declared Latin-1 or ASCII as Windows-1252 (WHATWG Encoding), and so do authors.
        encoding = "cp1252" if declared.strip().lower() in _WEB_LATIN_1 else declared
        try:
            return content.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            pass
    matches = charset_normalizer.from_bytes(content)
    best = matches.best()
    if best is None:
        raise ExtractionError("undecodable text (unknown character encoding)")
    # charset_normalizer cannot tell Windows-1252 from 1250 or 1257 on most Western text (same scores) and
    # then picks 1250, turning "España" into "Espańa"; 1252 is by far the commoner legacy encoding.
    for match in matches:
        if match.encoding == "cp1252" and match.chaos <= best.chaos and match.coherence >= best.coherence:
            return str(match)
    return str(best)
