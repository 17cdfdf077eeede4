"""A query and filters in, results with facets and page snippets out, as plain data.

This is the one search code path: `observatory search --json` and `GET /api/search` both return
`SearchService.search(...)` unchanged. Ranking happens at publication level; facet counts are
computed from columns cached per index generation (a few thousand publications, so counting in
Python beats a grouped engine query per facet); pages are searched only inside the publications
on the page being shown, which keeps a query's cost independent of how many pages match.
"""

from __future__ import annotations

import datetime as dt
import heapq
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import chain
from pathlib import Path
from typing import Any

from cachetools import LRUCache

from . import engine, limits, spelling, synonyms
from .analysis import term_set
from .curated import curated_texts
from .engine import Page, ParsedQuery, Reader
from .facets import FACETS, InvalidRequest, labelled, whole_numbers
from .layout import IndexMissing, IndexRoot, IndexUnreadable, read_manifest
from .snippets import Snippet, highlight, snippet
from .status import build_state, problem_groups, problems

__all__ = ["IndexMissing", "IndexUnreadable", "InvalidRequest", "SearchRequest", "SearchService"]

SORTS = ("relevance", "newest", "oldest", "title", "added")
MATCHES = ("any", "all")
MAX_PER_PAGE = 100
MAX_PAGE = 10_000
MAX_QUERY_CHARS = 1_000


@dataclass(frozen=True)
class SearchRequest:
    """One state of a search: the words, the selected facet values, the range, sort and page.

    `filters` maps a facet key (see `facets.FACETS`) to its selected values.
    """

    q: str = ""
    filters: Mapping[str, tuple] = field(default_factory=dict)
    year_from: int | None = None
    year_to: int | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    match: str = "any"  # "all": only publications with every word of the query
    expand: bool = True  # False (expand=off): no curators' synonyms or acronyms added to the words

    def selected(self, key: str) -> tuple:
        return tuple(self.filters.get(key, ()))

    def with_selected(self, key: str, values) -> SearchRequest:
        filters = {k: v for k, v in self.filters.items() if k != key}
        if values:
            filters[key] = tuple(values)
        return replace(self, filters=filters, page=1)

    @classmethod
    def from_args(cls, args) -> SearchRequest:
        """Validate GET-style parameters (a werkzeug MultiDict or a dict of lists/strings)."""

        def getlist(name: str) -> list[str]:
            if hasattr(args, "getlist"):
                values = args.getlist(name)
            else:
                raw = args.get(name, [])
                values = raw if isinstance(raw, (list, tuple)) else [raw]
            return [str(v) for v in values if str(v).strip() != ""]

        def last_number(name: str, low: int, high: int) -> int | None:
            found = whole_numbers(getlist(name)[-1:], name, low, high)
            return found[0] if found else None

        q = (getlist("q") or [""])[-1]
        if len(q) > MAX_QUERY_CHARS:
            raise InvalidRequest(f"q is too long ({len(q)} characters; at most {MAX_QUERY_CHARS})")
        sort = (getlist("sort") or ["relevance"])[-1]
        if sort not in SORTS:
            raise InvalidRequest(f"sort must be one of {', '.join(SORTS)}, got {sort!r}")
        match = (getlist("match") or ["any"])[-1]
        if match not in MATCHES:
            raise InvalidRequest(f"match must be one of {', '.join(MATCHES)}, got {match!r}")
        expand = (getlist("expand") or ["on"])[-1]
        if expand not in ("on", "off"):
            raise InvalidRequest(f"expand must be on or off, got {expand!r}")
        filters = {facet.key: facet.parse(getlist(facet.param)) for facet in FACETS}
        return cls(
            q=q.strip(),
            filters={key: values for key, values in filters.items() if values},
            year_from=last_number("year_from", 1000, 9999),
            year_to=last_number("year_to", 1000, 9999),
            sort=sort,
            page=last_number("page", 1, MAX_PAGE) or 1,
            per_page=last_number("per_page", 1, MAX_PER_PAGE) or cls.per_page,
            match=match,
            expand=expand == "on",
        )

    def to_args(self, **changes) -> list[tuple[str, str]]:
        """The GET parameters of this state (defaults left out), for links that change one thing."""
        state = replace(self, **changes)
        args = [("q", state.q)] if state.q else []
        for facet in FACETS:
            args += [(facet.param, str(value)) for value in state.selected(facet.key)]
        args += [("year_from", str(state.year_from))] if state.year_from is not None else []
        args += [("year_to", str(state.year_to))] if state.year_to is not None else []
        args += [("match", state.match)] if state.match != "any" else []
        args += [("expand", "off")] if not state.expand else []
        args += [("sort", state.sort)] if state.sort != "relevance" else []
        args += [("page", str(state.page))] if state.page != 1 else []
        args += [("per_page", str(state.per_page))] if state.per_page != SearchRequest.per_page else []
        return args

    @property
    def filtered(self) -> bool:
        return bool(any(self.filters.values()) or self.year_from is not None or self.year_to is not None)


# ---------------------------------------------------------------- facet filters over cached columns


def _predicates(req: SearchRequest, columns: dict[str, dict[str, tuple]]) -> dict[str, Callable[[str], bool]]:
    """One test of a publication id per facet (OR inside a facet); facets are ANDed by the caller."""
    tests: dict[str, Callable[[str], bool]] = {}
    if req.year_from is not None or req.year_to is not None:
        low, high, years = req.year_from or 0, req.year_to or 9999, columns["year"]
        tests["year_range"] = lambda d: any(low <= year <= high for year in years[d])
    for facet in FACETS:
        wanted = set(req.selected(facet.key))
        if wanted:
            tests[facet.key] = _has_any(columns[facet.key], wanted)
    return tests


def _has_any(values: dict[str, tuple], wanted: set[str]) -> Callable[[str], bool]:
    """One facet's test, in a function of its own so that each test keeps its own column and values."""
    return lambda d: not wanted.isdisjoint(values[d])


def _sort_key(sort: str, scores: dict[str, float], records: dict[str, dict]):
    def title(d):
        return records[d]["title"].casefold()

    if sort == "newest":
        return lambda d: (-records[d]["year"], -scores[d], title(d))
    if sort == "oldest":
        return lambda d: (records[d]["year"], -scores[d], title(d))
    if sort == "title":
        return lambda d: (title(d), -records[d]["year"])
    if sort == "added":
        return _added_key(records, title)
    return lambda d: (-scores[d], -records[d]["year"], title(d))


def _added_key(records: dict[str, dict], title):
    """Recently added first; records without an `added` date come after every dated one (newest year first)."""

    def key(d):
        added = records[d].get("added")
        day = dt.date.fromisoformat(added).toordinal() if added else 0
        return (not added, -day, -records[d]["year"], title(d))

    return key


# ---------------------------------------------------------------- the service


@dataclass
class _Snapshot:
    """An open index version with what is derived from it once, not per request.

    `records` joins each stored record (the curator's metadata) with what the manifest says the
    last build found out about it: the manifest is the one record of build state.
    """

    reader: Reader
    records: dict[str, dict]
    manifest: dict
    manifest_stamp: float | None
    overview: dict | None = field(default=None)
    # A query's scores and a publication's snippets for it cannot change within one index
    # generation: facet clicks, paging and the back button ask for them again and again.
    scores: LRUCache = field(default_factory=lambda: LRUCache(maxsize=64))
    snippets: LRUCache = field(default_factory=lambda: LRUCache(maxsize=4096))
    stored: dict[str, dict] = field(default_factory=dict)  # the index's records, before build state
    spelling: tuple | None = None  # (Vocabulary, Titles), made on first use: see SearchService._spelling
    alternatives: dict[str, list[str]] = field(default_factory=dict)  # the version's synonyms, by index term
    _columns: dict | None = None  # see columns()

    @classmethod
    def open(cls, reader: Reader, stamp: float | None, same_index: _Snapshot | None = None) -> _Snapshot:
        """`same_index`: a snapshot of the same index generation whose records and caches still hold."""
        manifest = read_manifest(reader.version)
        stored = same_index.stored if same_index else reader.records()
        records = {pub_id: {**record, **build_state(record, manifest.get(pub_id))} for pub_id, record in stored.items()}
        caches: dict[str, Any] = (
            {"scores": same_index.scores, "snippets": same_index.snippets, "spelling": same_index.spelling}
            if same_index
            else {}
        )
        return cls(
            reader,
            records,
            manifest,
            stamp,
            stored=stored,
            alternatives=synonyms.of_version(reader.version).alternatives(),
            **caches,
        )

    def columns(self) -> dict[str, dict[str, tuple]]:
        """Each facet's values of every publication (facet key -> id -> values), made once per
        snapshot: filtering and counting thousands of matches reads these, not the records."""
        if self._columns is None:
            self._columns = {facet.key: {d: facet.values(r) for d, r in self.records.items()} for facet in FACETS}
        return self._columns

    def match(self, parsed: ParsedQuery, key: tuple) -> dict[str, float]:
        if key not in self.scores:
            self.scores[key] = self.reader.match(parsed)
        return self.scores[key]

    def all_words(self, parsed: ParsedQuery, key: tuple) -> set[str]:
        """The publications with every word of a several-word query (what match=all would show)."""
        key = ("all", *key)
        if key not in self.scores:
            self.scores[key] = self.reader.matching_ids(parsed.all_words)
        return self.scores[key]

    def page_hits(self, parsed: ParsedQuery, key: tuple, pub_ids: list[str]) -> dict[str, tuple]:
        """Per publication: (its best pages as (number, html), pages with the phrases, pages with only
        some of the words); the two counts are None unless the query has quoted phrases."""
        # Read what is cached before adding to it: adding may evict entries this call needs.
        answer: dict[str, tuple | None] = {pub_id: self.snippets.get((key, pub_id)) for pub_id in pub_ids}
        missing = [pub_id for pub_id, cached in answer.items() if cached is None]
        if not missing:
            found = {}
        elif parsed.phrases:
            found = _phrase_page_hits(self.reader, parsed, missing)
        else:
            found = {
                pub: (_snippets(pages, parsed.terms), None, None)
                for pub, pages in self.reader.page_hits(parsed, missing).items()
            }
        for pub_id in missing:
            answer[pub_id] = self.snippets[(key, pub_id)] = found.get(pub_id, ([], None, None))
        return {pub_id: hits for pub_id, hits in answer.items() if hits is not None}  # all are, by now


def _snippets(pages: list[Page], terms: frozenset) -> list[Snippet]:
    """A snippet of each page that shows a hit (a page found by an index term always does)."""
    found = (Snippet(page.number, page.time, snippet(page.text, terms)) for page in pages)
    return [passage for passage in found if passage.html]


def _phrase_page_hits(reader: Reader, parsed: ParsedQuery, pub_ids: list[str], per_pub: int = 3) -> dict[str, tuple]:
    """Per publication: (snippets of the best pages that contain every phrase, how many pages
    contain them, how many more contain only some of the words)."""
    found, some = reader.phrase_pages(parsed, pub_ids, per_pub), reader.page_counts(parsed, pub_ids)
    return {
        pub_id: (_snippets(pages, parsed.terms), holding, some[pub_id] - holding)
        for pub_id in pub_ids
        for pages, holding in [found.get(pub_id, ([], 0))]
    }


def _best_pages(reader: Reader, parsed: ParsedQuery, pub_ids: list[str], per_pub: int) -> dict[str, tuple]:
    """Per publication: (its best `per_pub` matching pages, how many pages match); with quoted
    phrases only the pages holding every phrase count. What comparing passages are cut from."""
    if parsed.phrases:
        return reader.phrase_pages(parsed, pub_ids, per_pub)
    found = reader.page_hits(parsed, pub_ids, per_pub=None)
    return {pub: (pages[:per_pub], len(pages)) for pub, pages in found.items() if pages}


def _manifest_stamp(version: Path) -> float | None:
    try:
        return (version / "manifest.json").stat().st_mtime_ns
    except OSError:
        return None


def _public(record: dict, score: float, snippets: list[dict], terms: frozenset = frozenset()) -> dict:
    return {
        "id": record["id"],
        "title": record["title"],
        "title_html": highlight(record["title"], terms),
        "matched_in": _matched_in(record, terms),
        "year": record["year"],
        "section": record["section"],
        "type": record["type"],
        "regions": record["regions"],
        "organisation": record.get("organisation"),
        "url": record.get("url"),
        "score": round(score, 4),
        "snippets": snippets,
        "jurisdiction": record.get("jurisdiction"),
        "language": record.get("language"),
        "full_text": record["full_text"],
        "status": "full text" if record["full_text"] else "metadata only",
        "failure": record.get("failure"),
        "pages": record.get("pages", 0),
        "kind": record.get("kind"),
        **labelled(record),
        "added": record.get("added"),
    }


def _matched_in(record: dict, terms: frozenset) -> list[str]:
    """The curated fields holding a query word, so a match in metadata can say so."""
    return [name for name, text in curated_texts(record).items() if terms & term_set(text)]


def _snippet_dicts(hits: list[Snippet]) -> list[dict]:
    """A passage cites its page number or, in a transcript, the second it starts at ("page": None)."""
    return [{"page": hit.page or None, "time": hit.time, "html": hit.html} for hit in hits]


@dataclass(frozen=True)
class MatchingPages:
    """A query's analysed words and phrases, and per publication its best matching pages' text with
    how many pages match (`_best_pages`) and the curated fields it matched in."""

    terms: frozenset
    phrases: tuple
    pages: dict[str, tuple[list[Page], int]]
    matched_in: dict[str, list[str]]


class SearchService:
    """Answers searches from the live index version, reopening it when a build has changed it."""

    def __init__(self, index_dir: Path):
        self.root = IndexRoot(Path(index_dir), engine.SCHEMA)
        self._lock = threading.RLock()
        self._snapshot: _Snapshot | None = None
        self._checked: tuple[Path, str | None, float] | None = None  # see `damaged`

    def _current(self) -> _Snapshot:
        version = self.root.current()
        if version is None:
            raise IndexMissing(f"no index at {self.root.path}: run `observatory build` first")
        problem = self._verdict(version, known_only=True)  # damage a failed request found
        if problem:
            raise IndexUnreadable(f"{version}: {problem}")
        stamp = _manifest_stamp(version)
        with self._lock:
            snap = self._snapshot
            if snap is None or snap.reader.version != version or not snap.reader.up_to_date():
                self._snapshot = _Snapshot.open(Reader(version), stamp)
                if snap is not None:
                    snap.reader.close()
            elif snap.manifest_stamp != stamp:
                # A build that changed nothing in the index still rewrites the manifest (when each
                # entry was checked): new build state, same index, so the reader and caches stay.
                self._snapshot = _Snapshot.open(snap.reader, stamp, snap)
            else:
                return snap
            return self._snapshot

    def search(self, req: SearchRequest, snippets: bool = True, correct: bool = True) -> dict:
        """`snippets=False` skips the page search (exports need every match, not where it is);
        `correct=False` never replaces a query's results by its correction's (see `_with_spelling`)."""
        with self._lock:
            snap = self._current()
            parsed = snap.reader.parse(req.q, match_all=req.match == "all")
            parsed, expanded = engine.with_alternatives(parsed, snap.alternatives) if req.expand else (parsed, [])
            scores = snap.match(parsed, (req.q, req.match, *expanded))
            return self._with_spelling(
                snap, req, self._respond(snap, req, parsed, scores, snippets, expanded), snippets, correct
            )

    def damaged(self) -> str | None:
        """After a request failed: what is wrong with the live version's files (its path first), each
        read in full against the digests its build recorded, or None when they are intact (the
        failure was not theirs). Damage between a file's ends passes the check at open and fails
        only the searches that read it; found here, the version is answered as unreadable
        (`IndexUnreadable`, the 503) from then on, until a build replaces it (the build's own check
        makes that a full one) or the files are found intact again. A verdict holds for
        `RECHECK_SECONDS`, so repeated failures do not read the whole index each time."""
        version = self.root.current()
        problem = self._verdict(version) if version is not None else None
        return f"{version}: {problem}" if problem else None

    #: How long a verdict of `damaged` is believed before the files are read again.
    RECHECK_SECONDS = 60

    def _verdict(self, version: Path, known_only: bool = False) -> str | None:
        with self._lock:
            checked = self._checked
            if checked and checked[0] == version and time.monotonic() - checked[2] < self.RECHECK_SECONDS:
                return checked[1]
            if known_only and not (checked and checked[0] == version and checked[1]):
                return None
            self._checked = (version, engine.damage(version, whole=True), time.monotonic())
            return self._checked[1]

    def check_cost(self, queries: list[str]) -> None:
        """Refuses (`limits.QueryTooCostly`) queries that together cost more than one may, before any runs."""
        with self._lock, limits.one_budget():
            reader = self._current().reader
            for q in queries:
                reader.parse(q)

    def _respond(
        self,
        snap: _Snapshot,
        req: SearchRequest,
        parsed: ParsedQuery,
        scores: dict[str, float],
        with_snippets: bool,
        expanded: Sequence[str] = (),
    ) -> dict:
        """`expanded`: the curators' synonyms `parsed` searches besides the user's words."""
        key = (req.q, req.match, *expanded)
        records, columns = snap.records, snap.columns()
        tests = _predicates(req, columns)
        matching = [d for d in scores if d in records]
        fails = {d: {name for name, test in tests.items() if not test(d)} for d in matching} if tests else {}
        hits = [d for d in matching if not fails[d]] if tests else matching
        facets = {}
        for facet in FACETS:
            # A facet's own selection is left out of its counts, so its other values stay choosable (OR).
            own = {facet.key}
            counted = [d for d in matching if fails[d] <= own] if facet.key in tests else hits
            counts = Counter(chain.from_iterable(map(columns[facet.key].__getitem__, counted)))
            facets[facet.key] = facet.buckets(counts, req.selected(facet.key))
        sort = "newest" if req.sort == "relevance" and parsed.pubs is None else req.sort
        start = (req.page - 1) * req.per_page
        # Only the shown page needs an order: the first start + per_page of thousands of matches.
        shown = heapq.nsmallest(start + req.per_page, hits, key=_sort_key(sort, scores, records))[start:]
        found = snap.page_hits(parsed, key, shown) if with_snippets else {}
        results = []
        for d in shown:
            hits_of, with_phrase, some_words = found.get(d, ([], None, None))
            result = _public(records[d], scores[d], _snippet_dicts(hits_of), parsed.terms)
            result["phrase_pages"], result["other_pages"] = with_phrase, some_words
            results.append(result)
        all_words = None
        if parsed.all_words is not None and req.match == "any":
            all_words = len(snap.all_words(parsed, (req.q, *expanded)).intersection(hits))
        return {
            "total": len(hits),
            "page": req.page,
            "per_page": req.per_page,
            "pages": max(1, -(-len(hits) // req.per_page)),
            "query": req.q,
            "match": req.match,
            "all_words_total": all_words,
            "sort": sort,
            "message": parsed.message,
            "expanded": list(expanded),
            "results": results,
            "facets": facets,
        }

    # ---------------------------------------------------------------- spelling help (see spelling.py)

    @staticmethod
    def _spelling(snap: _Snapshot) -> tuple[spelling.Vocabulary, spelling.Titles]:
        if snap.spelling is None:
            snap.spelling = (
                spelling.vocabulary(snap.reader),
                spelling.Titles([record["title"] for record in snap.records.values()]),
            )
        return snap.spelling

    def _with_spelling(
        self, snap: _Snapshot, req: SearchRequest, data: dict, with_snippets: bool, correct: bool
    ) -> dict:
        """`data` with "suggestion": the corrected query, or None. A query that finds little has its
        unknown and rare words corrected, any other query its unknown words only. Only when the
        query found nothing, the correction has results and `correct` holds, those results come
        instead, with "original_query" saying what was asked (as web search engines do): a query
        that finds something is answered as written, with the suggestion beside it. A query that
        finds nothing, which no common word helps, is offered a word the texts use once (a rare
        name) if that finds something."""
        data.update(suggestion=None, original_query=None)
        if not req.q:
            return data
        vocabulary = self._spelling(snap)[0]
        correction = vocabulary.correct(req.q, rare_too=data["total"] < spelling.FEW_RESULTS)
        found = self._corrected(snap, req, correction, with_snippets) if correction and not data["total"] else None
        if not data["total"] and not (found and found["total"]):
            rare = vocabulary.correct(req.q, rare_too=True, least=1)
            rare_found = self._corrected(snap, req, rare, with_snippets) if rare else None
            if rare_found and rare_found["total"]:
                correction, found = rare, rare_found
        if correction is None:
            return data
        data["suggestion"] = suggestion = correction.query
        if not correct or not found or not found["total"]:
            return data
        return {**found, "suggestion": suggestion, "original_query": req.q}

    def _corrected(
        self, snap: _Snapshot, req: SearchRequest, correction: spelling.Correction, with_snippets: bool
    ) -> dict:
        """The response to the corrected query."""
        parsed = snap.reader.parse(correction.query, match_all=req.match == "all")
        return self._respond(
            snap,
            replace(req, q=correction.query),
            parsed,
            snap.match(parsed, (correction.query, req.match)),
            with_snippets,
        )

    def completions(self, text: str) -> list[str]:
        """What the search box offers while `text` is typed (`GET /api/suggest`)."""
        with self._lock:
            vocab, titles = self._spelling(self._current())
        return spelling.completions(vocab, titles, text)

    # ---------------------------------------------------------------- end of spelling help

    def document(self, doc_id: str, q: str = "") -> dict | None:
        """One record with every field, its build status, and the pages matching `q`."""
        with self._lock:
            snap = self._current()
            record = snap.records.get(doc_id)
            if record is None:
                return None
            parsed = snap.reader.parse(q)
            pages = (
                snap.reader.phrase_pages(parsed, [doc_id], 50).get(doc_id, ([], 0))[0]
                if parsed.phrases
                else snap.reader.pages_of(doc_id, parsed)
            )
            result = _public(record, 0.0, _snippet_dicts(_snippets(pages, parsed.terms)), parsed.terms)
            result.update({k: v for k, v in record.items() if k not in result and k != "path"})
            entry = snap.manifest.get(doc_id, {})
            result["build"] = {k: entry.get(k) for k in ("checked", "fetched_on", "engine", "content_sha")}
            result["message"] = parsed.message
            return result

    def matching_pages(self, q: str, match: str, pub_ids: list[str], per_pub: int) -> MatchingPages:
        """The best matching pages' text of the given publications, to cut passages from (`indexer.compare`)."""
        with self._lock:
            snap = self._current()
            parsed = snap.reader.parse(q, match_all=match == "all")
            return MatchingPages(
                parsed.terms,
                parsed.phrases,
                _best_pages(snap.reader, parsed, pub_ids, per_pub),
                {d: _matched_in(snap.records[d], parsed.terms) for d in pub_ids if d in snap.records},
            )

    # -- the reading view (kept apart from search and ranking)

    def page(self, doc_id: str, number: int, q: str = "") -> dict | None:
        """One page's text with the query's words marked, and where the other matching pages are.

        None when the publication or the page does not exist.
        """
        with self._lock:
            snap = self._current()
            record = snap.records.get(doc_id)
            text = snap.reader.page_text(doc_id, number) if record is not None and number >= 1 else None
            if record is None or text is None:
                return None
            parsed = snap.reader.parse(q)
            matching = [page.number for page in snap.reader.pages_of(doc_id, parsed, limit=None)]
            return {
                "id": doc_id,
                "page": number,
                "pages": record.get("pages", 0),
                "query": q,
                "html": highlight(text, parsed.terms),
                "matching": matching,
                "previous_match": max((n for n in matching if n < number), default=None),
                "next_match": min((n for n in matching if n > number), default=None),
                "record": _public(record, 0.0, []),
            }

    def records(self, doc_ids) -> list[dict]:
        """Full records (authors, summary, labels, build state; never a file path) of the given ids
        that exist, in the order given: result lines and exports need more than a search result."""
        with self._lock:
            snap = self._current()
            return [
                {**{k: v for k, v in snap.records[d].items() if k != "path"}, **labelled(snap.records[d])}
                for d in doc_ids
                if d in snap.records
            ]

    def local_file(self, doc_id: str) -> Path | None:
        """The file a local record was indexed from (server-side only: never shown to users)."""
        with self._lock:
            snap = self._current()
            record = snap.records.get(doc_id)
            if record is None or not record.get("path"):
                return None
            location = snap.manifest.get(doc_id, {}).get("url")
            return Path(location) if location else None

    def similar(self, doc_id: str, limit: int = 5) -> list[dict]:
        with self._lock:
            snap = self._current()
            return [
                _public(snap.records[d], score, [])
                for d, score in snap.reader.similar(doc_id, limit)
                if d in snap.records
            ]

    def overview(self) -> dict:
        """The collection's shape and the build's to-do list (charts and the status page)."""
        with self._lock:
            snap = self._current()
            if snap.overview is None:
                records = list(snap.records.values())
                snap.overview = {
                    "publications": len(records),
                    "full_text": sum(r["full_text"] for r in records),
                    "metadata_only": sum(not r["full_text"] for r in records),
                    "pages": sum(r.get("pages", 0) for r in records),
                    "facets": {
                        facet.key: facet.buckets(Counter(v for r in records for v in facet.values(r)))
                        for facet in FACETS
                    },
                    "failures": problems(records, snap.manifest),
                    "version": snap.reader.version.name,
                }
                snap.overview["problems"] = problem_groups(snap.overview["failures"])
            return snap.overview
