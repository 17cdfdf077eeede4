"""Spelling help from the collection's own words: "did you mean" corrections and search-box completions.

Both are shown to people, so they are made of words as the texts spell them ("credentials"), never
of index terms (the stem "credenti"). The vocabulary counts the words (`analysis.tokens`) of every
title, the curated metadata and every page; a word is keyed by its lower-case spelling with
micro-/nano-/meso-/macro- compounds joined as the analysis joins them, so "micro credentails" is
corrected like "microcredentails" and the correction keeps the user's own way of writing the
compound. Completions offer one form of a term: the one the texts use most ("providers", not also
"provider").

The build writes the vocabulary next to the index version (`write_vocabulary`); a version without
it (or with one of an older generation) is counted when first needed, so spelling help is never
wrong about what the index holds, only slower once.

Edit distances come from rapidfuzz (already a dependency, actively released, C++): its optimal
string alignment distance counts a swap of two letters ("credentails") as one edit, and scanning
tens of thousands of words with a distance cut-off takes a few milliseconds. symspellpy answers a
lookup faster but precomputes every deletion of every word (memory and start-up time grow with the
vocabulary) for a speed that only matters when a query finds almost nothing.
"""

from __future__ import annotations

import bisect
import functools
import heapq
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import OSA

from . import analysis
from .curated import curated_text
from .engine import Reader
from .facets import InvalidRequest
from .layout import atomic_write

VOCABULARY_FILE = "vocabulary.json"
#: A query finding fewer publications than this gets spelling help.
FEW_RESULTS = 3
#: A word the collection has is still corrected when a close word is this many times as frequent
#: (a typo the texts happen to share, such as "credentails" once in a report, should not block help).
DOMINANCE = 20
#: A correction is a word the texts use at least this often: one seen once is as likely a typo or a
#: name. Titles are curated, so their words count this much from the start. A query that finds
#: nothing is still offered a word seen once if that word finds something (a rare name).
MIN_CORRECTION_COUNT = 2
#: Completions offered at most (words first, then titles).
#: Words looked at per completion offered, to gather the forms of each term.
COMPLETION_POOL = 8
MAX_COMPLETIONS = 8
MAX_TITLE_COMPLETIONS = 3
#: The `spell` parameter: "off" runs a query exactly as written (the "search instead for" link).
SPELL_VALUES = ("on", "off")


def _key(token: analysis.Token) -> str:
    """A word as the vocabulary keys it: lower case, a compound joined ("micro credentials" ->
    "microcredentials"); "" for what is not a word of letters (numbers, "e.g")."""
    return _surface_key(token.surface)[0]


@functools.lru_cache(maxsize=200_000)
def _surface_key(surface: str) -> tuple[str, bool]:
    """(`_key` of a written token, whether it is a compound's): pages repeat their words."""
    key = analysis.joined(surface).lower()
    return (key, analysis.prefix_of(key) is not None) if key.isalpha() else ("", False)


def _words(text: str):
    """The words of `text` (tokens without parts, stop words included: they are words people write)."""
    return (token for token in analysis.tokens(text, frozenset(), parts=False) if _key(token))


def max_edits(word: str) -> int:
    """Short words have many close neighbours: one edit up to five letters, two beyond."""
    return 0 if len(word) < 3 else 1 if len(word) <= 5 else 2


@dataclass(frozen=True)
class Correction:
    query: str
    #: A replaced word is nowhere in the collection: the query as written cannot mean what it says.
    unknown: bool


@dataclass
class Vocabulary:
    """Word (key) counts, the usual written form of compounds, and the counts of the index terms
    the words make (a word is known when its term is: "credentialing" is known through "credentials")."""

    counts: dict[str, int]
    forms: dict[str, str]
    terms: dict[str, int]

    def __post_init__(self) -> None:
        # Every query that finds little has each of its words checked by a scan of the whole
        # vocabulary, and queries share their words: a word's correction is kept with the
        # vocabulary, which lives as long as one index generation.
        self.correct_word = functools.lru_cache(maxsize=20_000)(self.correct_word)  # type: ignore[method-assign]

    # What corrections and completions look words up in, made on first use: a build that only
    # counts, merges and writes a vocabulary never needs them.

    @functools.cached_property
    def _sorted(self) -> list[str]:
        return sorted(self.counts)

    @functools.cached_property
    def _by_length(self) -> dict[int, list[str]]:
        """A word within n edits of another differs from it in length by at most n, and a correction
        must be used at least so often: a correction scans only the words of about its length that
        are used often enough (each length's words, most used first), not the whole vocabulary."""
        by_length: dict[int, list[str]] = {}
        for word in sorted(self._sorted, key=lambda word: -self.counts[word]):
            by_length.setdefault(len(word), []).append(word)
        return by_length

    @functools.cached_property
    def _uses_by_length(self) -> dict[int, list[int]]:
        """Each length's words' counts, negated: ascending, for bisect."""
        return {length: [-self.counts[word] for word in words] for length, words in self._by_length.items()}

    @staticmethod
    def term(word: str) -> str:
        """The index term of a word; "" for a stop word."""
        return " ".join(analysis.terms(word, analysis.STOP_WORDS))

    @classmethod
    def count(cls, texts) -> Vocabulary:
        """`texts`: (text, weight) pairs; a word counts `weight` times for each time it occurs."""
        counts: Counter = Counter()
        spellings: dict[str, Counter] = {}
        for text, weight in texts:
            for surface, times in analysis.surfaces(text).items():
                key, compound = _surface_key(surface)
                if not key:
                    continue
                counts[key] += weight * times
                if compound:
                    spellings.setdefault(key, Counter())[" ".join(surface.lower().split())] += weight * times
        forms = {key: seen.most_common(1)[0][0] for key, seen in spellings.items()}
        terms: Counter = Counter()
        for word, count in counts.items():
            terms[cls.term(word)] += count
        return cls(dict(counts), forms, dict(terms))

    # -- did you mean

    def correct_word(self, word: str, rare_too: bool, least: int = MIN_CORRECTION_COUNT) -> str | None:
        """The most frequent close word (used at least `least` times) when `word` is unknown to the
        collection or (`rare_too`) a rare variant of a common word."""
        limit = max_edits(word)
        term = self.term(word)
        if not limit or not term:  # short words and stop words are left alone
            return None
        own = self.terms.get(term, 0)
        if own and not rare_too:
            return None
        least = max(least, own * DOMINANCE + 1)
        near = [
            other
            for length in range(len(word) - limit, len(word) + limit + 1)
            for other in self._by_length.get(length, [])[
                : bisect.bisect_right(self._uses_by_length.get(length, []), -least)
            ]
        ]
        found = process.extract(word, near, scorer=OSA.distance, score_cutoff=limit, limit=None)
        best = min(
            (
                (distance, -self.counts[candidate], candidate)
                for candidate, distance, _ in found
                if self.term(candidate) != term
            ),
            default=None,
        )
        return best[2] if best else None

    def correct(self, query: str, rare_too: bool, least: int = MIN_CORRECTION_COUNT) -> Correction | None:
        """`query` with its misspelt words replaced (syntax, case of the rest and spacing kept), or
        None when nothing needs correcting. Words the collection lacks are always looked at, rare
        ones only if `rare_too` (a query that found little); corrections are words used at least
        `least` times."""
        parts, cursor, unknown = [], 0, False
        for token in _words(query):
            if analysis.operator(token.surface, query) or query[token.end : token.end + 1] == ":":
                continue
            key = _key(token)
            better = self.correct_word(key, rare_too, least)
            if better is None:
                continue
            unknown = unknown or not self.terms.get(self.term(key))
            prefix = analysis.prefix_of(key)
            if prefix and better.startswith(prefix):  # keep the user's way of writing the compound
                written = token.surface[: len(token.surface) - len(key) + len(prefix)]  # prefix and joiner
                better = written + better[len(prefix) :]
            parts += [query[cursor : token.start], better]
            cursor = token.end
        if not parts:
            return None
        return Correction("".join(parts) + query[cursor:], unknown)

    # -- completion

    def complete_word(self, start: str, limit: int) -> list[str]:
        """The most frequent words beginning with `start`, one per term (its most used form, as the
        texts usually write it), most used terms first."""
        key = start.lower()
        begin = bisect.bisect_left(self._sorted, key)
        end = bisect.bisect_left(self._sorted, key + "\U0010ffff")
        # The most frequent few are enough to fill `limit` terms: a one-letter start has thousands.
        words = heapq.nlargest(COMPLETION_POOL * (limit + 1), self._sorted[begin:end], key=self.counts.__getitem__)
        by_term: dict[str, list[str]] = {}
        for word in words:  # most frequent first, so each term's first word is its most used form
            by_term.setdefault(self.term(word) or word, []).append(word)
        ranked = sorted(by_term.values(), key=lambda same: -sum(self.counts[word] for word in same))
        return [self.forms.get(same[0], same[0]) for same in ranked if key not in same][:limit]

    # -- storage

    def merged(self, other: Vocabulary) -> Vocabulary:
        """The counts of both; a compound keeps the written form it had."""
        counts, terms = Counter(self.counts), Counter(self.terms)
        counts.update(other.counts)
        terms.update(other.terms)
        return Vocabulary(dict(counts), {**other.forms, **self.forms}, dict(terms))

    def to_json(self, generation) -> str:
        return json.dumps(
            {"generation": list(generation), "counts": self.counts, "forms": self.forms, "terms": self.terms}
        )


def _texts(reader: Reader):
    """What people read: titles and curated metadata of every record, and every page."""
    for record in reader.records().values():
        yield from _record_texts(record, ())
    for text in reader.page_texts():
        yield text, 1


def _record_texts(record: dict, pages):
    """A record's title (curated: it counts as much as the rarest word a correction may suggest),
    its other curated words, and its pages; as (text, weight) pairs."""
    yield record["title"], MIN_CORRECTION_COUNT
    yield curated_text(record), 1
    for text in pages:
        yield text, 1


def write_vocabulary(version: Path, written: list[tuple[dict, list[str]]] | None = None) -> None:
    """Count the words of an index version into it (the build calls this after writing the version).

    `written`, from an incremental build, holds the publications it wrote: their words are added to
    the previous vocabulary instead of recounting every page (at 60,000 pages a recount took 22 s of
    an add-one build). Words of removed or rewritten publications then linger in the counts until the
    next full build; for suggesting spellings, a count slightly too high does no harm.
    """
    reader = Reader(version)
    try:
        generation = reader.generation()
        if _stored(version, generation) is not None:
            return
        previous = _stored(version, None) if written is not None else None
        if previous is None or written is None:
            vocabulary = Vocabulary.count(_texts(reader))
        else:
            vocabulary = previous.merged(
                Vocabulary.count(text for record, pages in written for text in _record_texts(record, pages))
            )
        atomic_write(version / VOCABULARY_FILE, vocabulary.to_json(generation))
    finally:
        reader.close()


def _stored(version: Path, generation) -> Vocabulary | None:
    """The vocabulary file of `version` if it was counted at `generation` (any, for None)."""
    try:
        data = json.loads((version / VOCABULARY_FILE).read_text(encoding="utf-8"))
        if generation is None or data["generation"] == list(generation):
            return Vocabulary(data["counts"], data["forms"], data["terms"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def vocabulary(reader: Reader) -> Vocabulary:
    """The vocabulary of the reader's generation: the build's file, or counted now if it has none."""
    return _stored(reader.version, reader.generation()) or Vocabulary.count(_texts(reader))


# ---------------------------------------------------------------- completions


@dataclass
class Titles:
    """Titles found by the words they contain, the last word by its beginning (as it is typed)."""

    titles: list[str]
    _words: list[tuple[str, int]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._words = sorted(
            {(word.lower(), i) for i, title in enumerate(self.titles) for word in re.findall(r"\w+", title)}
        )

    def complete(self, words: list[str], limit: int) -> list[str]:
        if not words:
            return []
        *whole, start = [word.lower() for word in words]
        begin = bisect.bisect_left(self._words, (start, -1))
        end = bisect.bisect_left(self._words, (start + "\U0010ffff", -1))
        found = {i for _, i in self._words[begin:end]}
        for word in whole:
            found &= {
                i
                for w, i in self._words[
                    bisect.bisect_left(self._words, (word, -1)) : bisect.bisect_left(
                        self._words, (word, len(self.titles))
                    )
                ]
            }
        start_matches = sorted(
            found,
            key=lambda i: (not self.titles[i].lower().startswith(" ".join(words).lower()), self.titles[i].casefold()),
        )
        return [self.titles[i] for i in start_matches[:limit]]


def completions(vocab: Vocabulary, titles: Titles, text: str) -> list[str]:
    """What the search box offers for `text`: the query with its last word completed (frequent words
    first), then titles containing the words."""
    words = re.findall(r"\w+", text)
    if not words or not text[-1:].isalnum():
        return []
    head = text[: text.rfind(words[-1])]
    found = [head + word for word in vocab.complete_word(words[-1], MAX_COMPLETIONS - MAX_TITLE_COMPLETIONS)]
    found += [title for title in titles.complete(words, MAX_TITLE_COMPLETIONS) if title not in found]
    return found[:MAX_COMPLETIONS]


def spelling_wanted(args) -> bool:
    """The `spell` parameter (on by default); "off" is how "search instead for" runs the words as written."""
    value = (args.get("spell") or "on").strip().lower()
    if value not in SPELL_VALUES:
        raise InvalidRequest(f"spell must be one of {', '.join(SPELL_VALUES)}, got {value!r}")
    return value == "on"
