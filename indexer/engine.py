"""The Whoosh adapter: the only module that imports `whoosh`.

Schema, analysis, the writer, the reader, query parsing, scoring and snippets live here behind a
small API of plain Python values that speaks publication ids, never Whoosh document numbers.
Where versions live on disk, the lock and the manifest are `layout`'s business, so another engine
(an OpenSearch adapter, say) would be one new module with the same `Writer` and `Reader`.

Each index version holds two Whoosh indexes: `pubs`, one document per publication for ranking and
facets, and `pages`, one per page for "where in the report" and snippets.
"""
from __future__ import annotations

from collections import Counter
import contextlib
import ctypes
import functools
import html
import json
import math
import pickle
import re
import signal
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from whoosh import collectors, index, qparser, query as wq, scoring, writing
from whoosh.analysis import (STOP_WORDS, CharsetFilter, Filter, LowercaseFilter, RegexTokenizer,
                             SpaceSeparatedTokenizer, StemFilter, StopFilter)
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.multiproc import SubWriterTask
from whoosh.reading import SegmentReader
from whoosh.support.charset import accent_map

from . import limits
from .layout import IndexUnreadable

#: What the files of a version look like. 2: pages carry pre-analysed text plus the raw page.
#: 3: stored records hold the curator's metadata only (labels and build state come from elsewhere).
#: 4: title, metadata and text searched as one field `text`.
#: 5: pages of a recording's transcript store the second they start at (`time`).
SCHEMA_VERSION = 5
#: Bump whenever the analysis below changes what terms a text yields: it is part of the schema
#: marker (an index of other stems is not served) and of the text cache's key (cached terms are
#: not reused), so a change can never leave old stems beside new ones.
ANALYSIS_VERSION = 2  # 2: Snowball's English stemmer (Porter2) in place of the original Porter
SCHEMA = f"{SCHEMA_VERSION}.{ANALYSIS_VERSION}"


#: Prefixes written joined, hyphenated or apart ("micro-credential", "micro credential").
JOINED_PREFIXES = frozenset({"micro", "nano", "meso", "macro"})


class PrefixJoinFilter(Filter):
    """Joins "micro-credential", "micro credential" and "microcredential" into one term.

    The field spells its key words all three ways (also nano-, meso-, macro-); without this, a
    search for one spelling misses the documents that use another.
    """

    PREFIXES = JOINED_PREFIXES

    def __call__(self, tokens):
        pending = None
        for token in tokens:
            if pending is not None:
                if token.text.isalpha() and len(token.text) >= 4 and token.text not in self.PREFIXES:
                    token.text = pending.text + token.text
                    if hasattr(pending, "startchar") and hasattr(token, "startchar"):
                        token.startchar = pending.startchar
                    pending = None
                    yield token
                    continue
                yield pending
                pending = None
            if token.text in self.PREFIXES:
                pending = token.copy()
                continue
            yield token
        if pending is not None:
            yield pending


#: Words that carry no topic in a question ("what are the effects of ...?"). Removed from queries
#: only: the index keeps them, so quoted phrases still match as written.
QUESTION_WORDS = frozenset("""
    about also any are been being can could did do does had has have how into its many more most much
    must other shall should some such than their them then there these they this those very was were
    what when where which who whom whose why would
""".split())


def _analyzer(stoplist) -> object:
    """English stemming (stackable ~ stackability), accents folded (qualité ~ qualite), prefixes joined."""
    return (RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map) | PrefixJoinFilter()
            | StopFilter(stoplist=stoplist) | StemFilter(lang="en"))


ANALYZER = _analyzer(STOP_WORDS)
QUERY_ANALYZER = _analyzer(STOP_WORDS | QUESTION_WORDS)
#: Body and page texts reach the writer already analysed (`index_terms`, run in the extraction
#: worker processes): the single writing process then only splits them. Analysis was 40% of a
#: build and every page was analysed twice (publication body and page).
PRE_ANALYZED = SpaceSeparatedTokenizer()


def index_terms(text: str) -> str:
    """The index terms of `text`, in order, space-separated: what the body and page fields take."""
    return " ".join(token.text for token in ANALYZER(text))

#: The field plain words are searched in: title, curated metadata and full text as one field, so
#: a word is scored once with its frequencies added before BM25's saturation (BM25F with weights
#: of 1). Scoring title and text as separate fields and adding the scores counts a title word
#: twice (a report prints its title on its first page) and beat documents about the topic with
#: documents whose title merely names it. `title:` still searches titles alone.
DEFAULT_FIELD = "text"


class BM25(scoring.BM25F):
    """Okapi BM25 with the idf of Lucene, tantivy and Anserini: ln(1 + (N - n + 0.5) / (n + 0.5)).

    Whoosh's own idf, ln(N / (n + 1)) + 1, gives a word found in nearly every document about a
    seventh of the weight of the rarest word instead of almost nothing: in a question of 20 words
    the common ones ("results", "method", "based") then outvote the two words that matter.
    """

    def idf(self, searcher, fieldname, text):
        parent = searcher.get_parent()
        n = parent.doc_frequency(fieldname, text)
        total = parent.doc_count_all()
        return math.log(1 + (total - n + 0.5) / (n + 0.5))


WEIGHTING = BM25()


def pubs_schema(for_queries: bool = False) -> Schema:
    """`for_queries`: the schema the query parser analyses user words with (all fields alike)."""
    analyzer = QUERY_ANALYZER if for_queries else ANALYZER
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=analyzer, stored=True, multitoken_query="and"),
        text=TEXT(analyzer=analyzer if for_queries else PRE_ANALYZED, multitoken_query="and"),
        title_sort=ID(sortable=True),
        year=NUMERIC(int, bits=32, stored=True, sortable=True),
        regions=KEYWORD(stored=True, commas=True, lowercase=False),
        type=ID(stored=True),
        section=ID(stored=True),
        record=STORED(),
    )


def pages_schema() -> Schema:
    return Schema(
        pub_id=ID(stored=True, sortable=True),
        page=NUMERIC(int, stored=True, sortable=True),
        # No positions: pages are found by their words (phrases are checked at publication
        # level), and leaving positions out makes the largest part of a build ~1.7x faster.
        text=TEXT(analyzer=PRE_ANALYZED, phrase=False),
        raw=STORED(),
        time=STORED(),  # transcripts: the second the page (a window of captions) starts at; page is 0
    )


# ---------------------------------------------------------------- writing


def create(version: Path) -> None:
    """Empty indexes in a new version directory."""
    index.create_in(str(version), pubs_schema(), indexname="pubs")
    index.create_in(str(version), pages_schema(), indexname="pages")


#: Segments an index may have before an incremental commit merges the small ones. Below it a
#: commit writes only its own new segment: adding one publication to 60,000 pages must not rewrite
#: them (a search opens one reader per segment, so the count is kept small).
MAX_SEGMENTS = 8


def merge_small_segments(writer, segments):
    """Whoosh merge policy: nothing below MAX_SEGMENTS, then the smallest segments into the new one.

    Whoosh's own MERGE_SMALL goes by a Fibonacci rule on document counts that leaves segments of
    one publication's dozen pages unmerged for ever. Keeping the largest half of the limit leaves
    the full build's big segments alone (only `observatory build --optimize` rewrites those) and
    keeps merges rare.
    """
    if len(segments) + 1 <= MAX_SEGMENTS:
        return segments
    by_size = sorted(segments, key=lambda segment: segment.doc_count_all())
    merged = by_size[:-(MAX_SEGMENTS // 2)]
    for segment in merged:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return [segment for segment in segments if segment not in merged]


def bare_top(reader: "Reader", parsed: "ParsedQuery", restrict: dict, limit: int = 20) -> list[str]:
    """Whoosh alone: `searcher.search` of the parsed query, `restrict` ({field: value}, "year" an
    int or a (low, high) range) as its filter, top `limit` ids. The speed bench's yardstick for
    what our own layers (facets, snippets, reranking, the web app) add to a search."""
    parts = [wq.NumericRange("year", *value) if isinstance(value, tuple) else wq.Term(field, value)
             for field, value in restrict.items()]
    hits = reader.pubs.search(parsed.pubs or wq.Every(), limit=limit, filter=wq.And(parts) if parts else None)
    return [hit["id"] for hit in hits]


def segments(version: Path) -> dict[str, dict[str, int]]:
    """Each index's segments (id: documents), oldest first: what builds' tests and the bench check."""
    found = {}
    for name in ("pubs", "pages"):
        ix = index.open_dir(str(version), indexname=name)
        found[name] = {segment.segment_id(): segment.doc_count_all() for segment in ix._segments()}
    return found


class _SubWriter(SubWriterTask):
    """A page writer process that is killed when the build process dies (Linux): Whoosh's would
    wait for work for ever, since it holds the job queue's write end itself."""

    def run(self):
        with contextlib.suppress(AttributeError, OSError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        super().run()


PR_SET_PDEATHSIG = 1


class Writer:
    """Adds and removes whole publications (their metadata document and all their pages) at once.

    A context manager: leaving the block normally commits both indexes, leaving it by an exception
    (or after `discard()`) cancels both, so a failed build never half-writes a version.
    `optimize` merges every segment into one (`observatory build --optimize`); otherwise a commit
    adds a segment and merges only by `merge_small_segments`.

    Segments are left as separate files (not compound): Whoosh copies a compound file's
    postings into each reading process' memory, separate files it reads through the page cache,
    which every server worker shares.

    `processes` > 1 writes the pages, the bulk of a full build, in that many processes, each its
    own segment (Whoosh's multi-segment writer): the commit at the end, half of a build's writing,
    then runs on every core instead of one while the rest of the machine idles.
    """

    def __init__(self, version: Path, *, optimize: bool = False, processes: int = 1):
        self._pubs = index.open_dir(str(version), indexname="pubs").writer(limitmb=192, compound=False)
        pages = index.open_dir(str(version), indexname="pages")
        self._sub_writers = []
        if processes > 1:
            self._pages = pages.writer(procs=processes, multisegment=True, limitmb=320 // processes, compound=False)
            # Fork the sub-writers now, while this process has no threads yet (the build's fetch
            # threads start later): Whoosh would otherwise fork them at the first batch.
            self._sub_writers = [self._start_sub_writer() for _ in range(processes)]
        else:
            self._pages = pages.writer(limitmb=320, compound=False)
        self._optimize = optimize
        self._discarded = False

    def __enter__(self) -> "Writer":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None and not self._discarded:
            policy = writing.OPTIMIZE if self._optimize else merge_small_segments
            self._pubs.commit(mergetype=policy)
            if not getattr(self._pages, "_added_sub", True):
                self._stop_sub_writers()  # no page at all: Whoosh commits without telling them
            self._pages.commit(mergetype=policy)
        else:
            self._stop_sub_writers()
            # A writer that failed (a full disk, say) may be closed already and refuse to cancel:
            # that refusal must not hide the error that stopped the build.
            for writer in (self._pubs, self._pages):
                with contextlib.suppress(Exception):
                    writer.cancel()

    def _start_sub_writer(self):
        """Whoosh's `MpWriter._new_task`, with a sub-writer that dies with the build."""
        mp = self._pages
        task = _SubWriter(mp.storage, mp.indexname, mp.jobqueue, mp.resultqueue, mp.subargs, mp.multisegment)
        mp.tasks.append(task)
        task.start()
        return task

    def _stop_sub_writers(self) -> None:
        """Whoosh's sub-writers wait for work until a commit with pages tells them to finish; its
        cancel() does not reach them, and the build would wait for them for ever at exit. They
        have written nothing but temporary files of this version, which the cancel drops."""
        for task in self._sub_writers:
            task.terminate()
            task.join()

    def discard(self) -> None:
        """Write nothing: the generation stays as it was, so servers keep their caches."""
        self._discarded = True

    def remove(self, pub_id: str) -> None:
        # delete_by_term + add, never update_document twice: that would leave two copies.
        self._pubs.delete_by_term("id", pub_id)
        self._pages.delete_by_term("pub_id", pub_id)

    def add(self, record: dict, search_text: str, pages: list[str], terms: list[str], paged: bool,
            times: list[int | None] | None = None) -> None:
        """`record` is the curator's metadata (stored whole, shown as is); `search_text` the words of
        it that match as metadata (organisation, authors, summary...); `pages` the extracted text
        and `terms` each page's `index_terms`; `times` each page's start second where it is a window
        of a transcript (None for a document's page), which it is cited by instead of a number."""
        times = times or [None] * len(pages)
        self._pubs.add_document(
            id=record["id"], title=record["title"],
            text=" ".join([index_terms(record["title"]), index_terms(search_text), *terms]),
            title_sort=record["title"].casefold(), year=record["year"],
            regions=",".join(record["regions"]), type=record["type"], section=record["section"],
            record=json.dumps(record),
        )
        for number, (text, page_terms, time) in enumerate(zip(pages, terms, times), start=1):
            if page_terms:
                page = number if paged and time is None else 0
                self._pages.add_document(pub_id=record["id"], page=page, text=page_terms, raw=text,
                                         **({} if time is None else {"time": time}))


# ---------------------------------------------------------------- reading and querying


@dataclass(frozen=True)
class ParsedQuery:
    """The user's query in engine form, plus what to tell the user if it had to be reinterpreted."""

    pubs: object          # whoosh query over pubs (or None: browse everything)
    pages: object         # the same words over page text (None when there is nothing to look for)
    terms: frozenset      # analysed positive terms, for highlighting
    message: str | None
    phrases: tuple = ()   # the quoted phrases (as term sequences) a matching page must contain
    all_words: object = None  # several plain words: the query asking for all of them (match=all)


class Snippet(NamedTuple):
    """Where a passage is (page number, or 0 when it has none; a transcript's start second, or None)
    and the passage itself, escaped, its hits in <mark>."""

    page: int
    time: int | None
    html: str


_WORD = re.compile(r"\w+")


@functools.lru_cache(maxsize=200_000)
def _term(word: str) -> str | None:
    """The index term of one word (cached: a page repeats its vocabulary)."""
    return next((token.text for token in ANALYZER(word)), None)


def snippet(text: str, terms: frozenset, width: int = 220) -> str:
    """An escaped excerpt of `text` around the densest run of query terms, hits in <mark>.

    Whoosh's highlighter re-analyses the whole text through its token pipeline for every page
    (~4 ms a page, most of a query's time with 60 snippets). Here a regex finds the words that
    could be hits (index terms are stems, so a hit starts with the term's first letters) and only
    those are analysed, each analysis cached.
    """
    hits = list(_hits(text, terms))
    if not hits:
        return ""
    begin = _densest_window(hits, width)
    begin = max(0, text.rfind(" ", 0, max(0, begin - width // 4)) + 1) if begin > width // 4 else 0
    end = min(len(text), begin + width)
    if end < len(text) and text.rfind(" ", begin, end) > begin:
        end = text.rfind(" ", begin, end)
    parts, cursor = ["… " if begin else ""], begin
    for start, stop, _ in hits:
        if start >= cursor and stop <= end:
            parts += [html.escape(text[cursor:start]), "<mark>", html.escape(text[start:stop]), "</mark>"]
            cursor = stop
    parts += [html.escape(text[cursor:end]), " …" if end < len(text) else ""]
    return " ".join("".join(parts).split())


@functools.lru_cache(maxsize=1024)
def _candidates(terms: frozenset) -> re.Pattern:
    stems = sorted({term[:4] for term in terms} | JOINED_PREFIXES, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, stems)) + r")\w*", re.IGNORECASE)


def _hits(text: str, terms: frozenset):
    """(start, end, term) of every word of `text` whose index term is one of `terms`."""
    joinable = JOINED_PREFIXES
    matches = list(_candidates(terms).finditer(text))
    for i, match in enumerate(matches):
        word = match.group().lower()
        if word in joinable:
            after = _WORD.match(text, match.end() + 1) if text[match.end():match.end() + 1] in " -" else None
            if after is None and text[match.end():match.end() + 1].isalpha():
                after = _WORD.match(text, match.end())
            joined = _term(word + after.group().lower()) if after else None
            if joined in terms:
                yield match.start(), after.end(), joined
                continue
        term = _term(word)
        if term in terms:
            yield match.start(), match.end(), term


def _densest_window(hits: list[tuple[int, int, str]], width: int) -> int:
    """Start offset of the window of `width` characters holding the most hits (sliding window)."""
    best_start, best_count, left = hits[0][0], 0, 0
    for right, (start, _, _) in enumerate(hits):
        while start - hits[left][0] > width:
            left += 1
        if right - left + 1 > best_count:
            best_start, best_count = hits[left][0], right - left + 1
    return best_start


_QUESTION_MARKS = re.compile(r"\?")
_BARE_WILDCARD = re.compile(r"^\s*[*?]+\s*$")
_PARSER_SYNTAX = re.compile(r'["():^~\[\]{}+\-*]')
#: Signs that the user wrote query syntax, whose meaning ranking extras must not change.
_OPERATORS = re.compile(r'["():*]|(?<!\S)[+-]|\b(?:AND|OR|NOT)\b')
_MINUS = re.compile(r"(?<!\S)-(?=\w|\(|\")")


#: What Whoosh raises on files it cannot read: a denied or missing file (OSError), a truncated or
#: garbled table of contents (EOFError, struct.error, UnpicklingError, its own IndexError for a
#: wrong header, TypeError/ValueError from decoding bytes that are not what it wrote).
UNREADABLE = (OSError, EOFError, TypeError, ValueError, struct.error, pickle.UnpicklingError, index.IndexError)


class Reader:
    """An open version of the index: searchers over pubs and pages, refreshed as builds commit."""

    def __init__(self, version: Path):
        self.version = version
        try:
            self._pubs_ix = index.open_dir(str(version), indexname="pubs")
            self._pages_ix = index.open_dir(str(version), indexname="pages")
            # Read before the searchers open: a commit in between only makes the next check reopen.
            self._opened = self.generation()
            self.pubs = self._pubs_ix.searcher(weighting=WEIGHTING)
            self.pages = self._pages_ix.searcher(weighting=WEIGHTING)
        except UNREADABLE as err:
            raise IndexUnreadable(f"{version}: {type(err).__name__}: {err}") from err
        self._parser = qparser.QueryParser(DEFAULT_FIELD, pubs_schema(for_queries=True), group=qparser.OrGroup)
        # + only at the start of a word ("C++" stays a word); a leading - is rewritten to NOT before
        # parsing (`_MINUS`), since Whoosh's own minus drops a lone "-badge" to "badge".
        self._parser.add_plugin(qparser.PlusMinusPlugin(plusexpr=r"(?<!\S)\+(?=\S)", minusexpr=r"(?!)"))
        self._parser.remove_plugin_class(qparser.BoostPlugin)

        self._ids = {docnum: fields["id"] for docnum, fields in self.pubs.reader().iter_docs()}

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
        """Parse user syntax (phrases, -exclude, NOT, OR, title:word); never raise on odd input.

        Words are ORed and ranked (most matching first); `match_all` asks for publications with
        every word. An excluded word always excludes: "credential NOT badge" is credential AND NOT
        badge, and a lone "-badge" is everything without badges.
        """
        text = _QUESTION_MARKS.sub(" ", text or "").strip()
        if not text or _BARE_WILDCARD.match(text):
            return ParsedQuery(None, None, frozenset(), None)
        message = None
        parsed = self._parse_or_null(_MINUS.sub("NOT ", text))
        if parsed is wq.NullQuery or isinstance(parsed, type(wq.NullQuery)):
            plain = _PARSER_SYNTAX.sub(" ", text)
            parsed = self._parse_or_null(plain) if plain.strip() else wq.NullQuery
            if parsed is not wq.NullQuery and plain.split() != text.split():
                message = f"Searched for the words of “{plain.strip()}” (the query syntax could not be read)."
        parsed = _bounded(parsed, self.pubs.reader())
        terms = self._positive_terms(parsed)
        if not terms and parsed is wq.NullQuery:
            return ParsedQuery(wq.NullQuery, None, frozenset(),
                               "Nothing to search for: the query has only very common words or symbols.")
        parsed = _exclusions_exclude(parsed)
        plain = isinstance(parsed, wq.Or) and not _OPERATORS.search(text)
        if plain:
            parsed = _dampened(parsed, Counter(token.text for token in QUERY_ANALYZER(text)))
        all_words = wq.And(parsed.subqueries) if isinstance(parsed, wq.Or) else None
        if match_all and all_words is not None:
            parsed = all_words
        pages = wq.Or([wq.Term("text", term) for term in sorted(terms)]) if terms else None
        return ParsedQuery(parsed, pages, frozenset(terms), message, _phrases(parsed), all_words)

    def _parse_or_null(self, text: str):
        try:
            return self._parser.parse(text)
        except Exception:  # whoosh's parser has many failure modes; any of them means "plain words"
            return wq.NullQuery

    @staticmethod
    def _positive_terms(q) -> set[str]:
        """Analysed words a result should show highlighted: not those the user excluded."""
        if isinstance(q, wq.Not):
            return set()
        if isinstance(q, wq.AndNot):
            return Reader._positive_terms(q.a)
        if q.is_leaf():
            return {text.decode() if isinstance(text, bytes) else text
                    for field, text in q.iter_all_terms(phrases=True) if field in (DEFAULT_FIELD, "title")}
        found = set()
        for child in q.children():
            found |= Reader._positive_terms(child)
        return found

    def match(self, parsed: ParsedQuery) -> dict[str, float]:
        """Every matching publication's id and score (the collection is small: count, then cut)."""
        if parsed.pubs is None:
            return dict.fromkeys(self._ids.values(), 0.0)
        if parsed.pubs is wq.NullQuery:
            return {}
        collector = _Budgeted(self.pubs.collector(limit=None), limits.SEARCH_SECONDS, use_alarm=False)
        try:
            self.pubs.search_with_collector(parsed.pubs, collector)
        except collectors.TimeLimit:
            raise limits.out_of_time() from None
        return {self._ids[hit.docnum]: hit.score for hit in collector.results()}

    def matching_ids(self, query) -> set[str]:
        """The ids of every publication matching `query`, unscored (counts, not ranking)."""
        return {self._ids[docnum] for docnum in self.pubs.docs_for_query(query)}

    def page_hits(self, parsed: ParsedQuery, pub_ids: list[str], per_pub: int = 3) -> dict[str, list[Snippet]]:
        """The best pages (number, start time, highlighted html) of each of the given publications.

        Only the publications being shown are searched (an intersection with their pages, not a
        filter over every matching page), so a query costs the same however many pages match.
        """
        if parsed.pages is None or not pub_ids or not self.pages.doc_count():
            return {}
        mine = wq.And([wq.Or([wq.Term("pub_id", pub_id) for pub_id in pub_ids]), parsed.pages])
        hits = self.pages.search(mine, limit=None)
        owner = self.pages.reader().column_reader("pub_id")
        best: dict[str, list[int]] = {}
        for hit in hits:  # best first
            chosen = best.setdefault(owner[hit.docnum], [])
            if len(chosen) < per_pub:
                chosen.append(hit.docnum)
        return {pub: self._snippets(docnums, parsed.terms) for pub, docnums in best.items()}

    def pages_of(self, pub_id: str, parsed: ParsedQuery, limit: int = 50) -> list[Snippet]:
        """Matching pages of one publication in page order (the document view)."""
        if parsed.pages is None or not self.pages.doc_count():
            return []
        if parsed.phrases:
            return self._snippets(self._phrase_pages(parsed, [pub_id]).get(pub_id, [])[:limit], parsed.terms)
        hits = self.pages.search(wq.And([wq.Term("pub_id", pub_id), parsed.pages]), limit=limit, sortedby="page")
        return self._snippets([hit.docnum for hit in hits], parsed.terms)

    # -- phrases: pages are indexed without positions (a build ~1.7x faster), so a page is checked
    # -- for a quoted phrase by reading it, among the few pages that have all of the phrase's words.

    def phrase_page_hits(self, parsed: ParsedQuery, pub_ids: list[str], per_pub: int = 3) -> dict[str, tuple]:
        """For a query with phrases: per publication, (snippets of the best pages that contain every
        phrase, how many pages contain them, how many more contain only some of the words)."""
        if parsed.pages is None or not pub_ids or not self.pages.doc_count():
            return {}
        found = self._phrase_pages(parsed, pub_ids)
        owner = self.pages.reader().column_reader("pub_id")
        some = Counter(owner[docnum] for docnum in self.pages.docs_for_query(
            wq.And([wq.Or([wq.Term("pub_id", pub_id) for pub_id in pub_ids]), parsed.pages])))
        return {pub_id: (self._snippets(found.get(pub_id, [])[:per_pub], parsed.terms), len(found.get(pub_id, [])),
                         some[pub_id] - len(found.get(pub_id, [])))
                for pub_id in pub_ids}

    def _phrase_pages(self, parsed: ParsedQuery, pub_ids: list[str]) -> dict[str, list[int]]:
        """Docnums of the pages holding every phrase, best first, by publication."""
        words = {term for phrase in parsed.phrases for term in phrase}
        candidates = wq.And([wq.Or([wq.Term("pub_id", pub_id) for pub_id in pub_ids]), parsed.pages,
                             *(wq.Term("text", term) for term in sorted(words))])
        found: dict[str, list[int]] = {}
        owner = self.pages.reader().column_reader("pub_id")
        for hit in self.pages.search(candidates, limit=None):
            if all(says_phrase(hit["raw"], phrase) for phrase in parsed.phrases):
                found.setdefault(owner[hit.docnum], []).append(hit.docnum)
        return found

    def _snippets(self, docnums: list[int], terms: frozenset) -> list[Snippet]:
        out = []
        for docnum in docnums:
            fields = self.pages.stored_fields(docnum)
            html_ = snippet(fields["raw"], terms)
            if html_:
                out.append(Snippet(fields["page"], fields.get("time"), html_))
        return out

    def similar(self, pub_id: str, limit: int) -> list[tuple[str, float]]:
        """Publications sharing the most distinctive words of this one's title, metadata and text."""
        docnum = self.pubs.document_number(id=pub_id)
        if docnum is None:
            return []
        keywords = self.pubs.key_terms_from_text(
            DEFAULT_FIELD, self._body_sample(pub_id), numterms=12) if self.pages.doc_count() else []
        keywords += self.pubs.key_terms_from_text(
            "title", json.loads(self.pubs.stored_fields(docnum)["record"])["title"], numterms=6)
        if not keywords:
            return []
        q = wq.Or([wq.Term(DEFAULT_FIELD, word, boost=weight) for word, weight in keywords]
                  + [wq.Term("title", word, boost=weight) for word, weight in keywords])
        hits = self.pubs.search(q, limit=limit + 1, mask=wq.Term("id", pub_id))
        return [(self._ids[hit.docnum], hit.score) for hit in hits][:limit]

    def _body_sample(self, pub_id: str, max_pages: int = 20) -> str:
        hits = self.pages.search(wq.Term("pub_id", pub_id), limit=max_pages, sortedby="page")
        return index_terms("\n".join(hit["raw"] for hit in hits))

    # -- the reading view (kept apart from ranking: these only read stored pages)

    def page_text(self, pub_id: str, number: int) -> str | None:
        """The stored text of page `number` of a publication, or None when there is no such page."""
        found = self.pages.document(pub_id=pub_id, page=number)
        return found["raw"] if found else None

    def matching_page_numbers(self, pub_id: str, parsed: ParsedQuery) -> list[int]:
        """Every page of one publication that matches the query, in page order (no snippets made)."""
        if parsed.pages is None or not self.pages.doc_count():
            return []
        hits = self.pages.search(wq.And([wq.Term("pub_id", pub_id), parsed.pages]), limit=None, sortedby="page")
        return [hit["page"] for hit in hits]

    # -- the words people read (spelling help: see spelling.py; kept apart from ranking)

    def generation(self) -> tuple[int, int]:
        """Changes with every commit: what was derived from the index's contents is stale when it does."""
        return self._pubs_ix.latest_generation(), self._pages_ix.latest_generation()

    def page_texts(self):
        """The stored text of every page, as extracted (not analysed)."""
        for _, fields in self.pages.reader().iter_docs():
            yield fields["raw"]


class _Budgeted(collectors.TimeLimitCollector):
    """Whoosh's time limit checked between matches, without SIGALRM (its handler is process-wide and
    only the main thread may set it); a budget already spent stops at the first match."""

    def prepare(self, top_searcher, q, context):
        super().prepare(top_searcher, q, context)
        self.timedout = self.timelimit <= 0


def _bounded(q, reader):
    """`q` measured against `limits` before it runs: a lone `*` or `field:*` beside other words (whoosh
    would read the field's whole vocabulary), a leading wildcard, too many wildcards in a word, too many
    words or expansions are refused. Expansions are counted only up to the bound, so counting is cheap."""
    leaves = list(q.leaves()) if not q.is_leaf() else [q]
    if any(isinstance(leaf, wq.Every) for leaf in leaves):
        raise limits.matches_everything()
    if len(leaves) > limits.MAX_TERMS:
        raise limits.too_many_terms(len(leaves))
    budget = left = limits.expansions_left()
    for leaf in leaves:
        if isinstance(leaf, wq.Wildcard):
            if leaf.text[:1] in "*?":
                raise limits.leading_wildcard(leaf.text)
            if sum(leaf.text.count(c) for c in "*?") > limits.MAX_WILDCARDS_PER_WORD:
                raise limits.too_many_wildcards(leaf.text)
        if isinstance(leaf, wq.MultiTerm):
            budget -= sum(1 for _ in zip(range(budget + 1), leaf.expanded_terms(reader)))
            if budget < 0:
                raise limits.too_many_expansions()
    limits.spend_expansions(left - budget)
    return q


def _exclusions_exclude(q):
    """Whoosh's OR group reads "a NOT b" as "a, or anything without b"; people mean a AND NOT b."""
    if q.is_leaf() or isinstance(q, wq.Not):
        return q
    q = q.apply(_exclusions_exclude)
    if not isinstance(q, wq.Or):
        return q
    excluded = [child.query for child in q.subqueries if isinstance(child, wq.Not)]
    if not excluded:
        return q
    kept = [child for child in q.subqueries if not isinstance(child, wq.Not)]
    base = (wq.Or(kept) if len(kept) > 1 else kept[0]) if kept else wq.Every()
    return wq.AndNot(base, wq.Or(excluded) if len(excluded) > 1 else excluded[0])


def _phrases(q) -> tuple:
    """The positive quoted phrases of a query, each as its sequence of index terms."""
    if isinstance(q, wq.Not):
        return ()
    if isinstance(q, wq.AndNot):
        return _phrases(q.a)
    if isinstance(q, wq.Phrase):
        return (tuple(q.words),) if q.fieldname in (DEFAULT_FIELD, "text") else ()
    if q.is_leaf():
        return ()
    return tuple(phrase for child in q.children() for phrase in _phrases(child))


def says_phrase(text: str, phrase: tuple) -> bool:
    """Whether `text` holds the phrase's terms in order with only stop words between them.

    Found with the snippets' hit finder (only words that could be hits are analysed), not by
    analysing the whole page: at 60,000 pages a phrase query read hundreds of pages.
    """
    hits = list(_hits(text, frozenset(phrase)))
    width = len(phrase)
    for i in range(len(hits) - width + 1):
        window = hits[i:i + width]
        if all(hit[2] == term for hit, term in zip(window, phrase)) and \
                not any(index_terms(text[a[1]:b[0]]) for a, b in zip(window, window[1:])):
            return True
    return False


def _dampened(parsed, counts: Counter):
    """A word said n times in a long question is not n times as important: weight 1 + ln n."""
    if all(n == 1 for n in counts.values()):
        return parsed
    return parsed.apply(lambda leaf: _scaled(leaf, 1 + math.log(counts.get(_term_text(leaf), 1))))


def _term_text(leaf) -> str | None:
    text = getattr(leaf, "text", None)
    return text.decode() if isinstance(text, bytes) else text


def _scaled(q, factor: float):
    if q.is_leaf():
        q = q.copy()
        q.boost *= factor
        return q
    return q.apply(lambda child: _scaled(child, factor))


# ---------------------------------------------------------------- the reading view (one page's text)


def highlight(text: str, terms: frozenset) -> str:
    """All of `text`, escaped, with every word whose index term is in `terms` in <mark> (same hit
    finding as `snippet`, so the reading view marks exactly what the snippet promised)."""
    parts, cursor = [], 0
    for start, stop, _ in _hits(text, terms) if terms else ():
        parts += [html.escape(text[cursor:start]), "<mark>", html.escape(text[start:stop]), "</mark>"]
        cursor = stop
    parts.append(html.escape(text[cursor:]))
    return "".join(parts)
