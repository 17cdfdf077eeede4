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
import fcntl
import html
import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from whoosh import highlight, index, qparser, query as wq, scoring
from whoosh.analysis import CharsetFilter, Filter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.support.charset import accent_map

SCHEMA_VERSION = 1
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


#: English stemming (stackable ~ stackability), accents folded (qualité ~ qualite), prefixes joined.
ANALYZER = (RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map) | PrefixJoinFilter()
            | StopFilter() | StemFilter())

#: Title matches count most, then curated metadata (organisation, regions, summary), then body text.
FIELD_BOOSTS = {"title": 2.5, "meta": 1.5, "body": 1.0}


def pubs_schema() -> Schema:
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=ANALYZER, stored=True, multitoken_query="and"),
        meta=TEXT(analyzer=ANALYZER, multitoken_query="and"),
        body=TEXT(analyzer=ANALYZER, multitoken_query="and"),
        title_sort=ID(sortable=True),
        year=NUMERIC(int, bits=32, stored=True, sortable=True),
        regions=KEYWORD(stored=True, commas=True, lowercase=False),
        type=ID(stored=True),
        section=ID(stored=True),
        record=STORED(),
    )


def pages_schema() -> Schema:
    return Schema(
        pub_id=ID(stored=True),
        page=NUMERIC(int, stored=True),
        # No positions: pages are found by their words (phrases are checked at publication
        # level), and leaving positions out makes the largest part of a build ~1.7x faster.
        text=TEXT(analyzer=ANALYZER, stored=True, phrase=False, multitoken_query="and"),
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

    def add(self, record: dict, pages: list[str], paged: bool) -> None:
        """`record` is the display metadata (stored whole); `pages` the extracted text."""
        meta = " ".join(filter(None, [
            record.get("organisation"), record.get("jurisdiction"), " ".join(record.get("regions", [])),
            " ".join(record.get("authors", [])), record.get("summary"), record.get("type_label"),
        ]))
        self._pubs.add_document(
            id=record["id"], title=record["title"], meta=meta, body="\n".join(pages),
            title_sort=record["title"].casefold(), year=record["year"],
            regions=",".join(record["regions"]), type=record["type"], section=record["section"],
            record=json.dumps(record),
        )
        for number, text in enumerate(pages, start=1):
            if text.strip():
                self._pages.add_document(pub_id=record["id"], page=number if paged else 0, text=text)

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


class _MarkFormatter(highlight.Formatter):
    """Escapes all text and wraps hits in a bare <mark>, so templates may trust the result."""

    between = " … "

    def format_token(self, text, token, replace=False):
        return "<mark>" + html.escape(highlight.get_text(text, token, replace)) + "</mark>"

    def _text(self, text):
        return html.escape(text, quote=False)


_QUESTION_MARKS = re.compile(r"\?")
_BARE_WILDCARD = re.compile(r"^\s*[*?]+\s*$")
_PARSER_SYNTAX = re.compile(r'["():^~\[\]{}+\-*]')


class Reader:
    """An open version of the index: searchers over pubs and pages, refreshed as builds commit."""

    def __init__(self, version: Path):
        self.version = version
        self._pubs_ix = index.open_dir(str(version), indexname="pubs")
        self._pages_ix = index.open_dir(str(version), indexname="pages")
        self.pubs = self._pubs_ix.searcher(weighting=scoring.BM25F())
        self.pages = self._pages_ix.searcher(weighting=scoring.BM25F())
        self._parser = qparser.MultifieldParser(list(FIELD_BOOSTS), pubs_schema(), fieldboosts=FIELD_BOOSTS,
                                                group=qparser.OrGroup)
        # +/- only at the start of a word: "micro-credentials" is a word, not "micro NOT credentials".
        self._parser.add_plugin(qparser.PlusMinusPlugin(plusexpr=r"(?<!\S)\+(?=\S)", minusexpr=r"(?<!\S)-(?=\S)"))
        self._parser.remove_plugin_class(qparser.BoostPlugin)

    @property
    def generation(self) -> tuple:
        return (self.pubs.reader().generation(), self.pages.reader().generation())

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
        pages = wq.Or([wq.Term("text", term) for term in sorted(terms)]) if terms else None
        return ParsedQuery(parsed, pages, frozenset(terms), message)

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
        hits = self.pubs.search(parsed.pubs, limit=None, terms=False)
        return {hit.docnum: hit.score for hit in hits}

    def page_hits(self, parsed: ParsedQuery, pub_ids: list[str], per_pub: int = 3) -> dict[str, list[tuple[int, str]]]:
        """The best pages (number, highlighted html) of each of the given publications.

        Only the publications being shown are searched, so a query costs the same however large
        the matching set is, and only page-sized texts are highlighted (never whole 200-page bodies).
        """
        if parsed.pages is None or not pub_ids:
            return {}
        restrict = wq.Or([wq.Term("pub_id", pub_id) for pub_id in pub_ids])
        hits = self.pages.search(parsed.pages, filter=restrict, limit=None, terms=True)
        best: dict[str, list] = {}
        for hit in hits:  # already best first
            chosen = best.setdefault(hit["pub_id"], [])
            if len(chosen) < per_pub:
                chosen.append((hit["page"], self._snippet(hit["text"], parsed.terms)))
        return {pub: [(page, html_) for page, html_ in pages if html_] for pub, pages in best.items()}

    def pages_of(self, pub_id: str, parsed: ParsedQuery, limit: int = 50) -> list[tuple[int, str]]:
        """Matching pages of one publication in page order (the document view)."""
        if parsed.pages is None:
            return []
        hits = self.pages.search(parsed.pages, filter=wq.Term("pub_id", pub_id), limit=limit,
                                 sortedby="page")
        return [(hit["page"], self._snippet(hit["text"], parsed.terms)) for hit in hits]

    @staticmethod
    def _snippet(text: str, terms: frozenset) -> str:
        fragmenter = highlight.ContextFragmenter(maxchars=180, surround=60, charlimit=None)
        snippet = highlight.highlight(text, terms, ANALYZER, fragmenter, _MarkFormatter(), top=2,
                                      scorer=highlight.BasicFragmentScorer, minscore=1)
        return " ".join(snippet.split())

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
        return "\n".join(hit["text"] for hit in hits)


def open_reader(root: Path) -> Reader:
    version = IndexRoot(root).current()
    if version is None:
        raise IndexMissing(f"no index at {root}: run `observatory build` first")
    return Reader(version)
