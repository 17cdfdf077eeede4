"""What one search may cost: checked before it runs, and a time budget while it runs.

A public search box meets queries written to be expensive (`a* b* … z*` stands for the whole
vocabulary; `*ion` makes the engine read every word it knows). The engine adapter measures a parsed
query against these bounds before searching (`engine.Reader.parse`) and stops a search that runs
past its budget (`engine.Reader.match`); both refuse with `QueryTooCostly`, an `InvalidRequest`, so
the page and the API answer 400 with its message, which says how to narrow the search.
"""
from __future__ import annotations

import contextlib
from contextvars import ContextVar

from .facets import InvalidRequest

#: Words (index terms) one query may name; a pasted paragraph is well under this.
MAX_TERMS = 40
#: Index terms all the wildcards and ranges of one query may stand for together: `credential*` is
#: a handful, `a*` is every word starting with a (thousands in a large collection).
MAX_EXPANSIONS = 300
#: Wildcard characters in one word: each one multiplies the work of matching every candidate word.
MAX_WILDCARDS_PER_WORD = 3
#: Seconds one search may spend collecting its matches before it is stopped (a normal search takes
#: milliseconds; gunicorn kills a worker at 30 s).
SEARCH_SECONDS = 2.0

#: Expansions left to the searches of one request that asks several (see `one_budget`); None: each its own.
_shared_expansions: ContextVar[list[int] | None] = ContextVar("shared_expansions", default=None)

NARROW = "Narrow the search: use fewer or longer words, or type more letters before a *."


class QueryTooCostly(InvalidRequest):
    """A query refused before or while it runs; the message says why and how to narrow it."""

    def __init__(self, reason: str):
        super().__init__(f"This search would take too long: {reason}. {NARROW}")


def too_many_terms(count: int) -> QueryTooCostly:
    return QueryTooCostly(f"it has {count} words (at most {MAX_TERMS})")


def matches_everything() -> QueryTooCostly:
    return QueryTooCostly("a * on its own (or field:*) stands for every word in the index; leave it out "
                          "(an empty search lists every publication)")


def leading_wildcard(word: str) -> QueryTooCostly:
    return QueryTooCostly(f"“{word}” starts with a wildcard, which means reading every word in the index")


def too_many_wildcards(word: str) -> QueryTooCostly:
    return QueryTooCostly(f"“{word}” has more than {MAX_WILDCARDS_PER_WORD} wildcards")


def too_many_expansions() -> QueryTooCostly:
    return QueryTooCostly(f"its wildcards and ranges stand for more than {MAX_EXPANSIONS} different words")


def out_of_time() -> QueryTooCostly:
    return QueryTooCostly(f"it ran for more than {SEARCH_SECONDS:g} seconds")


def check_trend_queries(queries: list[str]) -> None:
    """A trends chart runs a search per line: together its queries may name as many words as one."""
    count = sum(len(q.split()) for q in queries)
    if count > MAX_TERMS:
        raise QueryTooCostly(f"its queries have {count} words together (at most {MAX_TERMS})")


@contextlib.contextmanager
def one_budget():
    """The queries parsed inside share one query's `MAX_EXPANSIONS` (a trends chart's lines, say)."""
    token = _shared_expansions.set([MAX_EXPANSIONS])
    try:
        yield
    finally:
        _shared_expansions.reset(token)


def expansions_left() -> int:
    shared = _shared_expansions.get()
    return MAX_EXPANSIONS if shared is None else shared[0]


def spend_expansions(count: int) -> None:
    shared = _shared_expansions.get()
    if shared is not None:
        shared[0] -= count
