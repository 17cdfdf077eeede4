"""The search engine behind one module: the only place that imports `whoosh`.

Whoosh is no longer developed, so everything engine-specific (schema, analysis, query parsing,
scoring, highlighting, on-disk layout, atomic swaps) lives here behind a small API of plain
Python values; replacing the engine means rewriting this file only.

On disk, `index/` holds versions `v-*` (each two Whoosh indexes: `pubs`, one document per
publication for ranking and facets, and `pages`, one per page for "where in the report" and
snippets), a `current` symlink naming the live version, a manifest per version, and a build lock.
A full build writes a fresh version and swaps the symlink atomically; an incremental build commits
into the live version (Whoosh commits are atomic: readers see the old generation until they
refresh), so a crash at any point leaves a servable index.
"""
from __future__ import annotations

import contextlib
from collections import Counter
import fcntl
import functools
import html
import json
import math
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from whoosh import index, qparser, query as wq, scoring
from whoosh.analysis import (STOP_WORDS, CharsetFilter, Filter, LowercaseFilter, RegexTokenizer,
                             SpaceSeparatedTokenizer, StemFilter, StopFilter)
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.support.charset import accent_map

SCHEMA_VERSION = 2  # 2: pages carry pre-analysed text plus the raw page (field `raw`)
CURRENT = "current"
LOCK_FILE = ".build.lock"
MANIFEST = "manifest.json"


class PrefixJoinFilter(Filter):
    """Joins "micro-credential", "micro credential" and "microcredential" into one term.

    The field spells its key words all three ways (also nano-, meso-, macro-); without this, a
    search for one spelling misses the documents that use another.
    """

    PREFIXES = frozenset({"micro", "nano", "meso", "macro"})

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
            | StopFilter(stoplist=stoplist) | StemFilter())


ANALYZER = _analyzer(STOP_WORDS)
QUERY_ANALYZER = _analyzer(STOP_WORDS | QUESTION_WORDS)
#: Body and page texts reach the writer already analysed (`index_terms`, run in the extraction
#: worker processes): the single writing process then only splits them. Analysis was 40% of a
#: build and every page was analysed twice (publication body and page).
PRE_ANALYZED = SpaceSeparatedTokenizer()


def index_terms(text: str) -> str:
    """The index terms of `text`, in order, space-separated: what the body and page fields take."""
    return " ".join(token.text for token in ANALYZER(text))

#: Field weights. A report's title is nearly always printed on its first page too, so at equal
#: weight a title word already counts twice; a larger title boost let short title matches beat
#: documents about the topic. Curated metadata (organisation, regions) is supporting evidence.
FIELD_BOOSTS = {"title": 1.0, "meta": 0.5, "body": 1.0}
#: Weight of "these two query words stand close together" (within 3 positions) in the body: a
#: bonus that reorders documents matching the same words, never a condition for matching.
PROXIMITY_BOOST = 0.25
PROXIMITY_SLOP = 3
PROXIMITY_DEPTH = 10


def pubs_schema(for_queries: bool = False) -> Schema:
    """`for_queries`: the schema the query parser analyses user words with (all fields alike)."""
    analyzer = QUERY_ANALYZER if for_queries else ANALYZER
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=analyzer, stored=True, multitoken_query="and"),
        meta=TEXT(analyzer=analyzer, multitoken_query="and"),
        body=TEXT(analyzer=analyzer if for_queries else PRE_ANALYZED, multitoken_query="and"),
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
    )


class BuildInProgress(RuntimeError):
    """Another build holds the lock; the caller should stop at once, not wait."""


class IndexMissing(RuntimeError):
    """No index has been built (or published) at this path yet."""


# ---------------------------------------------------------------- on-disk layout, lock, swap


@dataclass(frozen=True)
class IndexRoot:
    path: Path

    @property
    def current_link(self) -> Path:
        return self.path / CURRENT

    def current(self) -> Path | None:
        """The live version directory, if one has been published and is of this schema version."""
        try:
            target = self.path / os.readlink(self.current_link)
        except OSError:
            return None
        marker = target / "schema_version"
        if not marker.exists() or marker.read_text().strip() != str(SCHEMA_VERSION):
            return None
        return target

    @contextlib.contextmanager
    def build_lock(self):
        """An exclusive, non-blocking lock released by the kernel if the build dies (even kill -9)."""
        self.path.mkdir(parents=True, exist_ok=True)
        handle = open(self.path / LOCK_FILE, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise BuildInProgress(f"another build is running on {self.path} (pid {holder}); "
                                  f"try again when it has finished") from None
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            handle.close()

    def new_version(self) -> Path:
        """An empty version in a temporary directory: invisible to readers until published."""
        self.path.mkdir(parents=True, exist_ok=True)
        version = self.path / f".tmp-v-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.time_ns() % 10**9:09d}"
        version.mkdir()
        index.create_in(str(version), pubs_schema(), indexname="pubs")
        index.create_in(str(version), pages_schema(), indexname="pages")
        (version / "schema_version").write_text(str(SCHEMA_VERSION))
        return version

    def publish(self, version: Path) -> Path:
        """Rename the finished version into place and swap `current` to it in one atomic rename."""
        final = self.path / version.name.removeprefix(".tmp-")
        version.rename(final)
        temp_link = self.path / f".{CURRENT}.{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            temp_link.unlink()
        temp_link.symlink_to(final.name)
        os.replace(temp_link, self.current_link)
        self._prune(keep={final.name})
        return final

    def _prune(self, keep: set[str]) -> None:
        """Drop abandoned temporaries and all but the newest previous version.

        The previous version stays one build longer because a worker may still be answering a
        request from it; anything older has had a whole build's time to let go.
        """
        versions = sorted(p for p in self.path.glob("v-*") if p.is_dir() and p.name not in keep)
        for stale in [*self.path.glob(".tmp-v-*"), *versions[:-1]]:
            shutil.rmtree(stale, ignore_errors=True)

    def discard_temporaries(self) -> None:
        for stale in self.path.glob(".tmp-v-*"):
            shutil.rmtree(stale, ignore_errors=True)


def read_manifest(version: Path | None) -> dict:
    if version is None:
        return {}
    try:
        return json.loads((version / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}


def write_manifest(version: Path, manifest: dict) -> None:
    temp = version / f".{MANIFEST}.tmp"
    temp.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    os.replace(temp, version / MANIFEST)


# ---------------------------------------------------------------- writing


class Writer:
    """Adds and removes whole publications (their metadata document and all their pages) at once.

    The memory limits are generous because every flush to disk costs a merge at commit: at
    128 MB a 6,000-page build spent as long merging as indexing.
    """

    def __init__(self, version: Path):
        self._pubs = index.open_dir(str(version), indexname="pubs").writer(limitmb=192)
        self._pages = index.open_dir(str(version), indexname="pages").writer(limitmb=320)

    def remove(self, pub_id: str) -> None:
        # delete_by_term + add, never update_document twice: that would leave two copies.
        self._pubs.delete_by_term("id", pub_id)
        self._pages.delete_by_term("pub_id", pub_id)

    def add(self, record: dict, pages: list[str], terms: list[str], paged: bool) -> None:
        """`record` is the display metadata (stored whole); `pages` the extracted text and
        `terms` each page's `index_terms`."""
        meta = " ".join(filter(None, [
            record.get("organisation"), record.get("jurisdiction"), " ".join(record.get("regions", [])),
            " ".join(record.get("authors", [])), record.get("summary"), record.get("type_label"),
        ]))
        self._pubs.add_document(
            id=record["id"], title=record["title"], meta=meta, body=" ".join(terms),
            title_sort=record["title"].casefold(), year=record["year"],
            regions=",".join(record["regions"]), type=record["type"], section=record["section"],
            record=json.dumps(record),
        )
        for number, (text, page_terms) in enumerate(zip(pages, terms), start=1):
            if page_terms:
                self._pages.add_document(pub_id=record["id"], page=number if paged else 0, text=page_terms, raw=text)

    def commit(self) -> None:
        self._pubs.commit(optimize=False)
        self._pages.commit(optimize=False)

    def cancel(self) -> None:
        self._pubs.cancel()
        self._pages.cancel()


# ---------------------------------------------------------------- reading and querying


@dataclass(frozen=True)
class ParsedQuery:
    """The user's query in engine form, plus what to tell the user if it had to be reinterpreted."""

    pubs: object          # whoosh query over pubs (or None: browse everything)
    pages: object         # the same words over page text (None when there is nothing to look for)
    terms: frozenset      # analysed positive terms, for highlighting
    message: str | None
    proximity: object = None  # bonus for consecutive query words near each other (plain-word queries)


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
    stems = sorted({term[:4] for term in terms} | {"micro", "nano", "meso", "macro"}, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, stems)) + r")\w*", re.IGNORECASE)


def _hits(text: str, terms: frozenset):
    """(start, end, term) of every word of `text` whose index term is one of `terms`."""
    joinable = PrefixJoinFilter.PREFIXES
    matches = list(_candidates(terms).finditer(text))
    for i, match in enumerate(matches):
        word = match.group().lower()
        if word in joinable:
            after = _WORD.match(text, match.end() + 1) if text[match.end():match.end() + 1] in " -" else None
            if after is None and text[match.end():match.end() + 1].isalpha():
                after = _WORD.match(text, match.end())
            if after and _term(word + after.group().lower()) in terms:
                yield match.start(), after.end(), None
                continue
        if _term(word) in terms:
            yield match.start(), match.end(), word


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


class Reader:
    """An open version of the index: searchers over pubs and pages, refreshed as builds commit."""

    def __init__(self, version: Path):
        self.version = version
        self._pubs_ix = index.open_dir(str(version), indexname="pubs")
        self._pages_ix = index.open_dir(str(version), indexname="pages")
        self.pubs = self._pubs_ix.searcher(weighting=scoring.BM25F())
        self.pages = self._pages_ix.searcher(weighting=scoring.BM25F())
        self._parser = qparser.MultifieldParser(list(FIELD_BOOSTS), pubs_schema(for_queries=True),
                                                fieldboosts=FIELD_BOOSTS, group=qparser.OrGroup)
        # +/- only at the start of a word: "micro-credentials" is a word, not "micro NOT credentials".
        self._parser.add_plugin(qparser.PlusMinusPlugin(plusexpr=r"(?<!\S)\+(?=\S)", minusexpr=r"(?<!\S)-(?=\S)"))
        self._parser.remove_plugin_class(qparser.BoostPlugin)

    def up_to_date(self) -> bool:
        return self.pubs.up_to_date() and self.pages.up_to_date()

    def close(self) -> None:
        self.pubs.close()
        self.pages.close()

    # -- documents

    def records(self) -> list[tuple[int, dict]]:
        """(docnum, stored record) of every live publication: the columns facets are counted from."""
        return [(docnum, json.loads(fields["record"])) for docnum, fields in self.pubs.reader().iter_docs()]

    def docnum(self, pub_id: str) -> int | None:
        return self.pubs.document_number(id=pub_id)

    # -- queries

    def parse(self, text: str) -> ParsedQuery:
        """Parse user syntax (phrases, -exclude, OR, title:word); never raise on odd input."""
        text = _QUESTION_MARKS.sub(" ", text or "").strip()
        if not text or _BARE_WILDCARD.match(text):
            return ParsedQuery(None, None, frozenset(), None)
        message = None
        try:
            parsed = self._parser.parse(text)
        except Exception:  # whoosh's parser has many failure modes; any of them means "plain words"
            parsed = wq.NullQuery
        if parsed is wq.NullQuery or isinstance(parsed, type(wq.NullQuery)):
            plain = _PARSER_SYNTAX.sub(" ", text)
            parsed = self._parser.parse(plain) if plain.strip() else wq.NullQuery
            if parsed is not wq.NullQuery and plain.split() != text.split():
                message = f"Searched for the words of “{plain.strip()}” (the query syntax could not be read)."
        terms = self._positive_terms(parsed)
        if not terms and parsed is wq.NullQuery:
            return ParsedQuery(wq.NullQuery, None, frozenset(),
                               "Nothing to search for: the query has only very common words or symbols.")
        proximity = None
        if isinstance(parsed, wq.Or) and not _OPERATORS.search(text):
            parsed, proximity = _plain_words_ranking(parsed, [token.text for token in QUERY_ANALYZER(text)])
        pages = wq.Or([wq.Term("text", term) for term in sorted(terms)]) if terms else None
        return ParsedQuery(parsed, pages, frozenset(terms), message, proximity)

    @staticmethod
    def _positive_terms(q) -> set[str]:
        """Analysed words a result should show highlighted: not those the user excluded."""
        if isinstance(q, wq.Not):
            return set()
        if isinstance(q, wq.AndNot):
            return Reader._positive_terms(q.a)
        if q.is_leaf():
            return {text.decode() if isinstance(text, bytes) else text
                    for field, text in q.iter_all_terms(phrases=True) if field in FIELD_BOOSTS}
        found = set()
        for child in q.children():
            found |= Reader._positive_terms(child)
        return found

    def match(self, parsed: ParsedQuery) -> dict[int, float]:
        """Every matching publication's docnum and score (the collection is small: count, then cut)."""
        if parsed.pubs is None:
            return {docnum: 0.0 for docnum in self.pubs.reader().all_doc_ids()}
        if parsed.pubs is wq.NullQuery:
            return {}
        scores = {hit.docnum: hit.score for hit in self.pubs.search(parsed.pubs, limit=None)}
        if parsed.proximity is not None and scores:
            self._add_proximity(scores, parsed.proximity)
        return scores

    def _add_proximity(self, scores: dict[int, float], proximity) -> None:
        """Rerank the best PROXIMITY_DEPTH matches by how close the query words stand.

        Checking word positions is the costliest part of a query, so it is done only where it can
        change what people see first, by intersecting with those publications' ids.
        """
        top = sorted(scores, key=scores.get, reverse=True)[:PROXIMITY_DEPTH]
        ids = [self.pubs.stored_fields(docnum)["id"] for docnum in top]
        near = wq.And([wq.Or([wq.Term("id", pub_id) for pub_id in ids]), proximity])
        for hit in self.pubs.search(near, limit=None):
            scores[hit.docnum] += hit.score

    def page_hits(self, parsed: ParsedQuery, pub_ids: list[str], per_pub: int = 3) -> dict[str, list[tuple[int, str]]]:
        """The best pages (number, highlighted html) of each of the given publications.

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

    def pages_of(self, pub_id: str, parsed: ParsedQuery, limit: int = 50) -> list[tuple[int, str]]:
        """Matching pages of one publication in page order (the document view)."""
        if parsed.pages is None or not self.pages.doc_count():
            return []
        hits = self.pages.search(wq.And([wq.Term("pub_id", pub_id), parsed.pages]), limit=limit, sortedby="page")
        return self._snippets([hit.docnum for hit in hits], parsed.terms)

    def _snippets(self, docnums: list[int], terms: frozenset) -> list[tuple[int, str]]:
        out = []
        for docnum in docnums:
            fields = self.pages.stored_fields(docnum)
            html_ = snippet(fields["raw"], terms)
            if html_:
                out.append((fields["page"], html_))
        return out

    def similar(self, pub_id: str, limit: int) -> list[tuple[int, float]]:
        """Publications sharing the most distinctive words of this one's title, metadata and text."""
        docnum = self.docnum(pub_id)
        if docnum is None:
            return []
        keywords = self.pubs.key_terms_from_text(
            "body", self._body_sample(pub_id), numterms=12) if self.pages.doc_count() else []
        keywords += self.pubs.key_terms_from_text(
            "title", json.loads(self.pubs.stored_fields(docnum)["record"])["title"], numterms=6)
        if not keywords:
            return []
        q = wq.Or([wq.Term("body", word, boost=weight) for word, weight in keywords]
                  + [wq.Term("title", word, boost=weight) for word, weight in keywords])
        hits = self.pubs.search(q, limit=limit + 1, mask=wq.Term("id", pub_id))
        return [(hit.docnum, hit.score) for hit in hits][:limit]

    def _body_sample(self, pub_id: str, max_pages: int = 20) -> str:
        hits = self.pages.search(wq.Term("pub_id", pub_id), limit=max_pages, sortedby="page")
        return index_terms("\n".join(hit["raw"] for hit in hits))


def _plain_words_ranking(parsed, words: list[str]):
    """Ranking evidence for queries of plain words, beyond each word's BM25F score.

    A word said three times in a long question is not three times as important (1 + ln n), and
    documents where consecutive query words stand close together come first among equals.
    Returns the reweighted query and the proximity query (None for a single word).
    """
    counts = Counter(words)
    if any(n > 1 for n in counts.values()):
        parsed = parsed.apply(lambda leaf: _scaled(leaf, 1 + math.log(counts.get(_term_text(leaf), 1))))
    pairs = sorted({(a, b) for a, b in zip(words, words[1:]) if a != b})
    near = [wq.Phrase("body", list(pair), slop=PROXIMITY_SLOP, boost=PROXIMITY_BOOST) for pair in pairs]
    return parsed, (wq.Or(near) if near else None)


def _term_text(leaf) -> str | None:
    text = getattr(leaf, "text", None)
    return text.decode() if isinstance(text, bytes) else text


def _scaled(q, factor: float):
    if q.is_leaf():
        q = q.copy()
        q.boost *= factor
        return q
    return q.apply(lambda child: _scaled(child, factor))
