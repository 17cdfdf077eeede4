"""Reading a version: searchers over pubs and pages that answer in publication ids and page texts.

What a hit is and how a passage is shown is not the reader's business (`indexer.snippets`): it
hands out the stored text of the pages that match, best first.
"""

from __future__ import annotations

import json
import pickle
import struct
import time
from array import array
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import numpy as np
from whoosh import index, query as wq
from whoosh.columns import ColumnReader

from .. import analysis, limits
from ..layout import IndexUnreadable, fingerprint_damage
from . import feedback, postings
from .internals import segment_files
from .query import ParsedQuery, parse, parser
from .schema import DEFAULT_FIELD
from .scoring import WEIGHTING

#: What Whoosh raises on files it cannot read: a denied or missing file (OSError), a truncated or
#: garbled table of contents (EOFError, struct.error, UnpicklingError, its own IndexError for a
#: wrong header, TypeError/ValueError from decoding bytes that are not what it wrote).
UNREADABLE = (OSError, EOFError, TypeError, ValueError, struct.error, pickle.UnpicklingError, index.IndexError)


class Page(NamedTuple):
    """One stored page: its number (0 when it has none), a transcript's start second (or None), its text."""

    number: int
    time: int | None
    text: str


#: Matches scored between two looks at the clock (a budget already spent stops at the first one).
_BUDGET_EVERY = 256


class Reader:
    """An open version of the index: searchers over pubs and pages, refreshed as builds commit."""

    def __init__(self, version: Path):
        self.version = version
        problem = damage(version)
        if problem:
            raise IndexUnreadable(f"{version}: {problem}")
        try:
            self._pubs_ix = index.open_dir(str(version), indexname="pubs")
            self._pages_ix = index.open_dir(str(version), indexname="pages")
            # Read before the searchers open: a commit in between only makes the next check reopen.
            self._opened = self.generation()
            self.pubs = self._pubs_ix.searcher(weighting=WEIGHTING)
            self.pages = self._pages_ix.searcher(weighting=WEIGHTING)
        except UNREADABLE as err:
            raise IndexUnreadable(f"{version}: {type(err).__name__}: {err}") from err
        self._parser = parser()
        self._ids = {docnum: fields["id"] for docnum, fields in self.pubs.reader().iter_docs()}
        # pub_id -> its pages (an array: 4 bytes a page, not an int object each): see _pages_matching
        self._page_docnums: dict[str, array] | None = None
        self._page_terms: ColumnReader | None = None  # the pages' index terms, read by phrase_pages

    def up_to_date(self) -> bool:
        """Compares generations itself: whoosh's `Searcher.up_to_date` is always False for an index
        without documents (an empty reader has no generation), which reopened a metadata-only
        index on every request."""
        return self.generation() == self._opened

    def close(self) -> None:
        self.pubs.close()
        self.pages.close()

    # -- documents

    def records(self) -> dict[str, dict]:
        """The stored record of every live publication by id: the columns facets are counted from."""
        return {fields["id"]: json.loads(fields["record"]) for _, fields in self.pubs.reader().iter_docs()}

    # -- queries

    def parse(self, text: str, match_all: bool = False) -> ParsedQuery:
        """See `query.parse`."""
        return parse(self._parser, text, match_all, self.pubs.reader())

    def match(self, parsed: ParsedQuery) -> dict[str, float]:
        """Every matching publication's id and score (the collection is small: count, then cut).

        Every match is scored (`postings.match_scores`): the caller orders only the page it shows. The
        time budget is checked every `_BUDGET_EVERY` matches.
        """
        if parsed.pubs is None:
            return dict.fromkeys(self._ids.values(), 0.0)
        if parsed.pubs is wq.NullQuery:
            return {}
        deadline = time.monotonic() + limits.SEARCH_SECONDS
        scores, ids = {}, self._ids
        for count, (docnum, score) in enumerate(postings.match_scores(self.pubs, parsed.pubs)):
            if not count % _BUDGET_EVERY and time.monotonic() >= deadline:
                raise limits.out_of_time()
            scores[docnum] = score
        if feedback.applies(parsed.weights):
            scores = feedback.reordered(self.pubs, dict(parsed.weights), scores)
        return {ids[docnum]: score for docnum, score in scores.items()}

    def matching_ids(self, query) -> set[str]:
        """The ids of every publication matching `query`, unscored (counts, not ranking)."""
        every = postings.all_words(query)
        if every is None or not postings.scorable(self.pubs, every):
            docnums = self.pubs.docs_for_query(query)
        else:
            docnums = postings.scores(self.pubs, [], None, every)[0]
        return {self._ids[docnum] for docnum in docnums}

    # -- pages: only inside the publications being shown (an intersection with their pages, not a
    # -- filter over every matching page), so a query costs the same however many pages match.

    def page_hits(self, parsed: ParsedQuery, pub_ids: list[str], per_pub: int | None = 3) -> dict[str, list[Page]]:
        """The best pages of each of the given publications that have any of the query's words."""
        if parsed.pages is None or not pub_ids or not self.pages.doc_count():
            return {}
        return self._best(self._pages_matching(pub_ids, _words(parsed.pages)), per_pub)

    def phrase_pages(
        self, parsed: ParsedQuery, pub_ids: list[str], per_pub: int | None = None
    ) -> dict[str, tuple[list[Page], int]]:
        """Per publication with any: its best `per_pub` pages holding every quoted phrase of `parsed`,
        and how many pages hold them. The candidates are the pages with all the phrases' words (pages
        are indexed without positions); their index terms, a column of their own, say which hold
        the phrases, so only the pages shown are read."""
        if not parsed.phrases or parsed.pages is None or not pub_ids or not self.pages.doc_count():
            return {}
        words = {term for phrase in parsed.phrases for term in phrase}
        # The query's other words only order the pages (a phrase's own words are in every candidate).
        others = _words(parsed.pages) if parsed.terms - words else []
        terms = self._page_terms
        if terms is None:
            terms = self._page_terms = self.pages.reader().column_reader("terms")
        holding = [
            found
            for found in self._pages_matching(pub_ids, others, [("text", term, 1.0) for term in sorted(words)])
            if all(analysis.phrase_in(terms[found[0]].decode(), phrase) for phrase in parsed.phrases)
        ]
        counts = Counter(pub_id for _, pub_id, _ in holding)
        best = self._best(holding, per_pub)
        return {pub_id: (best[pub_id], count) for pub_id, count in counts.items()}

    def _best(self, matching, per_pub: int | None) -> dict[str, list[Page]]:
        """The stored pages of `_pages_matching`'s answer, best first by publication, `per_pub` each."""
        best: dict[str, list[Page]] = {}
        # best first, then in index order, as Whoosh's search orders them
        for _, docnum, pub_id in sorted((-score, docnum, pub_id) for docnum, pub_id, score in matching):
            chosen = best.setdefault(pub_id, [])
            if per_pub is None or len(chosen) < per_pub:
                fields = self.pages.stored_fields(docnum)
                chosen.append(Page(fields["page"], fields.get("time"), fields["raw"]))
        return best

    def page_counts(self, parsed: ParsedQuery, pub_ids: list[str]) -> Counter:
        """How many pages of each publication have any of the query's words."""
        if parsed.pages is None or not pub_ids or not self.pages.doc_count():
            return Counter()
        return Counter(pub_id for _, pub_id, _ in self._pages_matching(pub_ids, _words(parsed.pages)))

    def _pages_matching(self, pub_ids: list[str], any_of: list, every: list | None = None):
        """(docnum, pub_id, score) of the given publications' pages holding any of `any_of` and every
        one of `every` ((field, word, boost) each), in index order.

        Scored from the words' postings (`postings.scores`) at just those publications' pages,
        looked up in a map read once per reader from the pub_id column: a query costs the same
        however many pages match (an AND with an OR of their pub_id terms read twenty postings
        lists, and asking Whoosh's matcher about each page one at a time was most of a request).
        """
        if self._page_docnums is None:
            self._page_docnums = {}
            for docnum, pub_id in enumerate(self.pages.reader().column_reader("pub_id")):
                self._page_docnums.setdefault(pub_id, array("I")).append(docnum)
        owners = {docnum: pub_id for pub_id in set(pub_ids) for docnum in self._page_docnums.get(pub_id, ())}
        docnums, found = postings.scores(self.pages, any_of, np.array(sorted(owners), dtype=np.int64), every)
        for docnum, score in zip(docnums.tolist(), found.tolist(), strict=True):
            yield docnum, owners[docnum], score

    def pages_of(self, pub_id: str, parsed: ParsedQuery, limit: int | None = 50) -> list[Page]:
        """Matching pages of one publication in page order (the document and reading views)."""
        if parsed.pages is None or not self.pages.doc_count():
            return []
        hits = self.pages.search(wq.And([wq.Term("pub_id", pub_id), parsed.pages]), limit=limit, sortedby="page")
        return [Page(hit["page"], hit.get("time"), hit["raw"]) for hit in hits]

    def similar(self, pub_id: str, limit: int) -> list[tuple[str, float]]:
        """Publications sharing the most distinctive words of this one's title, metadata and text."""
        docnum = self.pubs.document_number(id=pub_id)
        if docnum is None:
            return []
        keywords = (
            self.pubs.key_terms_from_text(DEFAULT_FIELD, self._body_sample(pub_id), numterms=12)
            if self.pages.doc_count()
            else []
        )
        keywords += self.pubs.key_terms_from_text(
            "title", json.loads(self.pubs.stored_fields(docnum)["record"])["title"], numterms=6
        )
        if not keywords:
            return []
        q = wq.Or(
            [wq.Term(DEFAULT_FIELD, word, boost=weight) for word, weight in keywords]
            + [wq.Term("title", word, boost=weight) for word, weight in keywords]
        )
        hits = self.pubs.search(q, limit=limit + 1, mask=wq.Term("id", pub_id))
        return [(self._ids[hit.docnum], hit.score) for hit in hits][:limit]

    def _body_sample(self, pub_id: str, max_pages: int = 20) -> str:
        hits = self.pages.search(wq.Term("pub_id", pub_id), limit=max_pages, sortedby="page")
        return analysis.index_terms("\n".join(hit["raw"] for hit in hits))

    # -- the reading view (kept apart from ranking: these only read stored pages)

    def page_text(self, pub_id: str, number: int) -> str | None:
        """The stored text of page `number` of a publication, or None when there is no such page."""
        found = self.pages.document(pub_id=pub_id, page=number)
        return found["raw"] if found else None

    # -- the words people read (spelling help: see spelling.py; kept apart from ranking)

    def generation(self) -> tuple[int, int]:
        """Changes with every commit: what was derived from the index's contents is stale when it does."""
        return self._pubs_ix.latest_generation(), self._pages_ix.latest_generation()

    def page_texts(self):
        """The stored text of every page, as extracted (not analysed)."""
        for _, fields in self.pages.reader().iter_docs():
            yield fields["raw"]

    def publication_pages(self):
        """(publication id, stored text) of every page: where `synonyms suggest` reads definitions."""
        for _, fields in self.pages.reader().iter_docs():
            yield fields["pub_id"], fields["raw"]


def _words(pages_query) -> list:
    """(field, word, boost) of a query's page words: `ParsedQuery.pages` is always an OR of words."""
    words = postings.flat_words(pages_query)
    if words is None:
        raise TypeError(f"not an OR of words: {pages_query!r}")
    return words


def damage(version: Path, whole: bool = False) -> str | None:
    """What makes `version` unreadable, or None: its tables of contents, and each segment file's size
    and ends against what the build recorded (`layout.write_fingerprint`). Cheap (a few reads per
    file), so run whenever a version is opened; `whole` reads every byte (before a build writes into
    the version, and when a search failed reading it)."""
    try:
        return fingerprint_damage(version, segment_files(version), whole)
    except UNREADABLE as err:
        return f"{type(err).__name__}: {err}"
