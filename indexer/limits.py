"""What one search may cost: checked before it runs, and a time budget while it runs.

A public search box meets queries written to be expensive (`a* b* … z*` stands for the whole
vocabulary; `*ion` makes the engine read every word it knows). What the text alone shows is refused
before any parsing or index work (`check_text`: a refusal must cost less than the cheapest search,
or a flood of refusals starves the site as the queries would); the engine adapter then measures the
parsed query against the index's term dictionary (`engine.Reader.parse`) and stops a search that
runs past its budget (`engine.Reader.match`). Each refuses with `QueryTooCostly`, an
`InvalidRequest`, so the page and the API answer 400 with its message, which says how to narrow.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import re
import tempfile
import time
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from .facets import InvalidRequest

#: Words (index terms) one query may name. A question pasted whole, up to the box's 1,000
#: characters, must be answered: real ones name up to ~75 distinct words (CISI's research requests;
#: at 40, 40 of its 112 questions were refused). 1,000 characters of prose hold about 165 words in
#: all, so 200 refuses only word lists made to be long; the time budget and the long searches'
#: turns (below) bound what an accepted one costs.
MAX_TERMS = 200
#: Index terms all the wildcards and ranges of one query may stand for together: `credential*` is
#: a handful, `a*` is every word starting with a (thousands in a large collection).
MAX_EXPANSIONS = 300
#: Wildcard characters in one word: each one multiplies the work of matching every candidate word.
MAX_WILDCARDS_PER_WORD = 3
#: Words with a wildcard in one query (or in all the lines of a trends chart): each is a walk through
#: the term dictionary, and a reader's truncations are one or two.
MAX_WILDCARD_WORDS = 8
#: Seconds one search may spend collecting its matches before it is stopped (a normal search takes
#: milliseconds; gunicorn kills a worker at 30 s).
SEARCH_SECONDS = 2.0
#: A search naming more words than this, or more than one quoted phrase, is a long one: within every
#: bound above it can still take seconds (each word adds to the pages read for snippets, each phrase
#: to the page text checked), so long searches run one at a time across the server's processes
#: (`long_search_slot`), and the others' workers stay free for the rest.
LONG_WORDS = 12
LONG_PHRASES = 1
#: Seconds the one long search allowed to wait for its turn waits before it is answered 429 (about one
#: search's budget: the one running is done by then, or stopped).
LONG_SEARCH_WAIT = SEARCH_SECONDS


@dataclass
class _Budget:
    """What the searches of one request that asks several have left together (see `one_budget`)."""

    expansions: int
    wildcard_words: int


_shared: ContextVar[_Budget | None] = ContextVar("shared_budget", default=None)

NARROW = "Narrow the search: use fewer or longer words, or type more letters before a *."


class QueryTooCostly(InvalidRequest):
    """A query refused before or while it runs; the message says why and how to narrow it."""

    def __init__(self, reason: str):
        super().__init__(f"This search would take too long: {reason}. {NARROW}")


def too_many_terms(count: int) -> QueryTooCostly:
    return QueryTooCostly(f"it has {count} words (at most {MAX_TERMS})")


def matches_everything() -> QueryTooCostly:
    return QueryTooCostly(
        "a * on its own (or field:*) stands for every word in the index; leave it out "
        "(an empty search lists every publication)"
    )


def leading_wildcard(word: str) -> QueryTooCostly:
    return QueryTooCostly(f"“{word}” starts with a wildcard, which means reading every word in the index")


def too_many_wildcards(word: str) -> QueryTooCostly:
    return QueryTooCostly(f"“{word}” has more than {MAX_WILDCARDS_PER_WORD} wildcards")


def too_many_wildcard_words(count: int) -> QueryTooCostly:
    return QueryTooCostly(f"{count} of its words have wildcards (at most {MAX_WILDCARD_WORDS})")


def too_many_expansions() -> QueryTooCostly:
    return QueryTooCostly(f"its wildcards and ranges stand for more than {MAX_EXPANSIONS} different words")


def out_of_time() -> QueryTooCostly:
    return QueryTooCostly(f"it ran for more than {SEARCH_SECONDS:g} seconds")


class Busy(Exception):
    """Another long search holds the slot; the message says when to ask again and how to be answered now."""

    RETRY_SECONDS = 2

    def __init__(self, texts: list[str]):
        shown = " / ".join(texts)
        super().__init__(
            f"Another long search is running, and long searches take turns: try “{shown}” again in "
            f"{self.RETRY_SECONDS} seconds, or shorten it (at most {LONG_WORDS} words and "
            f"{LONG_PHRASES} quoted phrase) to have it answered at once."
        )


def is_long(texts: list[str]) -> bool:
    """Whether the queries of one request (a search's, or a trends chart's lines) are a long search."""
    text = " ".join(texts)
    return len(text.split()) > LONG_WORDS or len(_QUOTED.findall(text)) > LONG_PHRASES


@contextlib.contextmanager
def long_search_slot(index_dir: Path, texts: list[str]):
    """Held while a long search of the index at `index_dir` runs (advisory locks on files named after
    the index, shared by every process). One more long search may wait for it, up to
    `LONG_SEARCH_WAIT`; any other is `Busy` at once. So two readers (or a script asking its questions
    two at a time) are both answered, while a flood of long searches ties up two workers at most,
    one of them asleep, and the rest stay free for everyone else."""
    key = hashlib.sha256(str(Path(index_dir).resolve()).encode()).hexdigest()[:16]
    lock = Path(tempfile.gettempdir()) / f"observatory-long-search-{key}"
    with open(f"{lock}.lock", "a") as running, open(f"{lock}.next", "a") as waiting:
        if not _locked(running):
            if not _locked(waiting):
                raise Busy(texts)
            try:
                deadline = time.monotonic() + LONG_SEARCH_WAIT
                while not _locked(running):
                    if time.monotonic() >= deadline:
                        raise Busy(texts)
                    time.sleep(0.01)
            finally:
                fcntl.flock(waiting, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(running, fcntl.LOCK_UN)


def _locked(handle) -> bool:
    """Whether this process now holds `handle`'s advisory lock (taken here, never waited for)."""
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def check_trend_queries(queries: list[str]) -> None:
    """A trends chart runs a search per line: together its queries may name as many words as one."""
    count = sum(len(q.split()) for q in queries)
    if count > MAX_TERMS:
        raise QueryTooCostly(f"its queries have {count} words together (at most {MAX_TERMS})")


#: What the parser reads as one word: quoted phrases are words, not wildcards, so they are left out.
_QUOTED = re.compile(r'"[^"]*"?')
#: Around a word: its field (`title:`), a required/excluded mark, parentheses.
_AROUND = re.compile(r"^[-+(]*(?:[\w*]+:)?[(]*|[)]+$")


_LONE_WILDCARD = re.compile(r"(?<!\S)[^\w\s]*\*[^\w\s]*(?!\S)")


def without_lone_wildcards(text: str) -> str:
    """`text` without the words made of a * and punctuation alone when it has words besides: in a
    pasted question ("operators like *, +") such a * is punctuation, as the analysis reads every
    other symbol, not a request for every word. A query of nothing else keeps it (a bare * lists
    everything; anything more is refused as before)."""
    stripped = _LONE_WILDCARD.sub(" ", text)
    return stripped if re.search(r"\w", stripped) else text


def check_text(text: str) -> None:
    """What the query's text alone shows is too costly, refused before it is parsed: the same bounds
    and messages as the parsed query's check (`engine.query`), which still decides the rest (a
    wildcard's expansions are counted there, in the term dictionary)."""
    text = without_lone_wildcards(text)
    words = [_AROUND.sub("", word) for word in _QUOTED.sub(" ", text.replace("?", " ")).split()]  # ? is a space
    wild = [word for word in words if "*" in word]
    if not wild:
        return
    bare = [word for word in wild if not word.strip("*")]
    if bare and len(words) > 1:
        raise matches_everything()
    for word in wild:
        if word.startswith("*") and word not in bare:
            raise leading_wildcard(word)
        if word.count("*") > MAX_WILDCARDS_PER_WORD:
            raise too_many_wildcards(word)
    shared = _shared.get()
    left = MAX_WILDCARD_WORDS if shared is None else shared.wildcard_words
    if len(wild) > left:
        raise too_many_wildcard_words(len(wild) + MAX_WILDCARD_WORDS - left)
    if shared is not None:
        shared.wildcard_words -= len(wild)


@contextlib.contextmanager
def one_budget():
    """The queries parsed inside share one query's `MAX_EXPANSIONS` and `MAX_WILDCARD_WORDS` (a
    trends chart's lines, say)."""
    token = _shared.set(_Budget(MAX_EXPANSIONS, MAX_WILDCARD_WORDS))
    try:
        yield
    finally:
        _shared.reset(token)


def expansions_left() -> int:
    shared = _shared.get()
    return MAX_EXPANSIONS if shared is None else shared.expansions


def spend_expansions(count: int) -> None:
    shared = _shared.get()
    if shared is not None:
        shared.expansions -= count
