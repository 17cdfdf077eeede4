"""Language of a text, for records whose catalog entry does not say."""

from __future__ import annotations

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

# langdetect samples at random: without a fixed seed the same text can get a different answer per run.
DetectorFactory.seed = 0

MIN_LETTERS = 20
"""Below this, langdetect guesses (a title or a table of numbers is not evidence of a language)."""
MIN_PROBABILITY = 0.5
"""The winner must be likelier than all other candidates together, or the text is mixed or undecidable."""
SAMPLE_CHARS = 10_000
"""langdetect reads no further than this anyway; cutting first spares it cleaning the rest."""


def detect_language(text: str) -> str | None:
    """ISO 639-1 code ("en", "es"), or None when the text is too short or too ambiguous to tell."""
    sample = text[:SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return None
    try:
        best = detect_langs(sample)[0]
    except LangDetectException:
        return None
    if best.prob < MIN_PROBABILITY:
        return None
    return best.lang.split("-")[0]  # langdetect's only regional codes are zh-cn and zh-tw
