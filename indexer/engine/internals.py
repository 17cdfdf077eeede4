"""The one place that reaches into Whoosh's private parts: its multi-process writer, segment list, postings.

Whoosh offers no public way to kill its page-writing processes with the build, to know whether a
multi-process writer received any document, to list an index's segments and their files, to
delete what a failed commit left, or to read a term vector faster than a posting at a time; each
is a line or two here, so a Whoosh upgrade that moves them breaks one module.
"""

from __future__ import annotations

import contextlib
import ctypes
import shutil
import signal
import threading
import weakref
from collections.abc import Container, Iterator
from pathlib import Path

import numpy as np
from cachetools import LRUCache
from whoosh import index
from whoosh.matching import FilterMatcher
from whoosh.multiproc import SubWriterTask

PR_SET_PDEATHSIG = 1


class _SubWriter(SubWriterTask):
    """A page writer process that is killed when the build process dies (Linux): Whoosh's would
    wait for work for ever, since it holds the job queue's write end itself."""

    def run(self):
        with contextlib.suppress(AttributeError, OSError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        super().run()


def start_sub_writer(mp):
    """Whoosh's `MpWriter._new_task`, with a sub-writer that dies with the build."""
    task = _SubWriter(mp.storage, mp.indexname, mp.jobqueue, mp.resultqueue, mp.subargs, mp.multisegment)
    mp.tasks.append(task)
    task.start()
    return task


def received_documents(writer) -> bool:
    """Whether a multi-process writer handed any document to its sub-writers (a plain writer: True)."""
    return getattr(writer, "_added_sub", True)


def segment_sizes(version: Path) -> dict[str, dict[str, int]]:
    """Each index's segments (id: documents), oldest first: what builds' tests and the speed bench check."""
    found = {}
    for name in ("pubs", "pages"):
        ix = index.open_dir(str(version), indexname=name)
        found[name] = {segment.segment_id(): segment.doc_count_all() for segment in ix._segments()}
    return found


def discard_unfinished(version: Path) -> None:
    """Delete the files of segments that no committed generation of `version` uses: what a commit
    that failed (a full disk) left behind. Whoosh deletes them only at its next successful commit,
    which a disk kept full by them never reaches; and the writer's scratch folder (`<name>.tmp`), which
    a commit failing inside Whoosh leaves too."""
    for name in ("pubs", "pages"):
        ix = index.open_dir(str(version), indexname=name)
        index.clean_files(ix.storage, name, ix.latest_generation(), ix._segments())
        shutil.rmtree(version / f"{name}.tmp", ignore_errors=True)


def segment_files(version: Path) -> dict[str, list[str]]:
    """The files of each segment the latest generation of `version` uses (segment id → names)."""
    found: dict[str, list[str]] = {}
    for name in ("pubs", "pages"):
        ix = index.open_dir(str(version), indexname=name)
        live = {segment.segment_id() for segment in ix._segments()}
        pattern = index.TOC._segment_pattern(name)
        for filename in ix.storage.list():
            match = pattern.match(filename)
            if match and match.group(1) in live:
                found.setdefault(match.group(1), []).append(filename)
    return found


def walked_scores(searcher, query, among: Container[int] | None = None) -> Iterator[tuple[int, float]]:
    """(docnum, score) of every match of `query` (of those in `among`, when given), in index order.

    The matcher is walked directly, not through `search(limit=None)`: its collector, its sort of
    every match and a Hit object each were a fifth of the time of scoring every match. The
    scores are the collector's (the same matcher, the same context)."""
    context = searcher.context()
    for sub, offset in searcher.leaf_searchers():
        matcher = query.matcher(sub, context)  # deleted documents are not among its matches
        while matcher.is_active():
            docnum = offset + matcher.id()
            if among is None or docnum in among:
                yield docnum, matcher.score()
            matcher.next()


def vector_blocks(reader, docnum: int, fieldname: str):
    """A document's term vector a block of postings at a time: (terms, frequencies). Whoosh's
    `vector_as` makes three method calls per word, which for the term vector of a long report (a
    few thousand words) was most of what pseudo-relevance feedback cost."""
    return _blocks(reader.vector(docnum, fieldname))


def posting_arrays(reader, fieldname: str, text: bytes) -> tuple[np.ndarray, np.ndarray]:
    """A segment's postings of a term as arrays (docnums, frequencies as float64), a block at a time,
    deleted documents left out (Whoosh's postings hide them behind a filter, one posting at a time)."""
    matcher = reader.postings(fieldname, text)
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    ids, weights = [], []
    for block_ids, block_weights in _blocks(matcher):
        ids.extend(block_ids)
        weights.extend(block_weights)
    docnums, frequencies = np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64)
    if reader.has_deletions():
        live = ~np.isin(docnums, np.fromiter(reader.deleted_docs_set, dtype=np.int64))
        docnums, frequencies = docnums[live], frequencies[live]
    return docnums, frequencies


def _blocks(matcher):
    """(ids, weights) of a leaf matcher's postings a block at a time; one at a time for the postings
    Whoosh keeps inline with the term (a word in one document)."""
    if not hasattr(matcher, "_next_block"):
        while matcher.is_active():
            yield [matcher.id()], [matcher.weight()]
            matcher.next()
        return
    while matcher.is_active():
        if matcher._ids is None:
            matcher._read_ids()
        if matcher._weights is None:
            matcher._read_weights()
        yield matcher._ids[matcher._i :], matcher._weights[matcher._i :]
        matcher._next_block()


class TermTable:
    """What pseudo-relevance feedback reads of one open reader (so of one index generation), kept
    between queries: documents' term vectors as arrays of term numbers, and the collection
    frequencies already looked up. Reading and decoding a long report's vector (a few thousand
    words) and summing ten of them word by word in Python was most of what feedback cost; summed
    as arrays it is a fraction of a millisecond.

    Bounded: at most `max_postings` vector entries are kept (least recently used dropped), and
    once more than `max_terms` words have been numbered, the numbers, vectors and frequencies
    start again from nothing. A new generation is a new reader, hence a new table
    (`term_table`): nothing here outlives the index contents it was read from."""

    #: The words ordered in the first round of `weighted`; each next round orders four times as many.
    FIRST_ROUND = 256

    def __init__(self, reader, fieldname: str, max_terms: int = 100_000, max_postings: int = 500_000):
        self._reader, self._fieldname, self._max_terms = reader, fieldname, max_terms
        self._vectors: LRUCache = LRUCache(maxsize=max_postings, getsizeof=lambda vector: max(1, len(vector[0])))
        self._lock = threading.Lock()
        self._forget()

    def _forget(self) -> None:
        self._numbers: dict[str, int] = {}
        self._terms: list[str] = []
        self._frequencies: dict[str, float] = {}
        self._vectors.clear()

    def _vector(self, docnum: int) -> tuple[np.ndarray, np.ndarray]:
        """A document's term vector: (term numbers, frequencies)."""
        found = self._vectors.get(docnum)
        if found is None:
            numbers, terms = self._numbers, self._terms
            ids: list[int] = []
            freqs: list[float] = []
            for block, weights in vector_blocks(self._reader, docnum, self._fieldname):
                new = [term for term in block if term not in numbers]  # a vector names a word once
                numbers.update(zip(new, range(len(terms), len(terms) + len(new)), strict=True))
                terms.extend(new)
                ids.extend(map(numbers.__getitem__, block))
                freqs.extend(weights)
            found = (np.array(ids, dtype=np.int32), np.array(freqs, dtype=np.float64))
            if len(ids) <= self._vectors.maxsize:  # a vector larger than the whole bound is not kept
                self._vectors[docnum] = found
        return found

    def weighted(self, trusted: list[tuple[int, float]]) -> Iterator[tuple[str, float]]:
        """(term, weight) of the words of the documents in `trusted` ([(docnum, trust)], each
        document's term vector present), a word's weight the sum over the documents, in their
        order, of its frequency times the document's trust: heaviest first, ties in term order,
        words of weight 0 left out. Ordered in rounds (the heaviest `FIRST_ROUND`, then four times
        as many, ...): feedback stops after the first few hundred of thousands of words."""
        with self._lock:
            if len(self._terms) > self._max_terms:
                self._forget()
            vectors = [(self._vector(docnum), trust) for docnum, trust in trusted]
            terms = self._terms
        if not vectors:
            return
        ids = np.concatenate([vector[0] for vector, _ in vectors])
        # bincount adds in array order, document after document: the sums of adding one vector at a time
        weights = np.bincount(ids, weights=np.concatenate([vector[1] * trust for vector, trust in vectors]))
        numbers = np.flatnonzero(weights > 0)
        weights = weights[numbers]
        size = self.FIRST_ROUND
        while numbers.size:
            if numbers.size <= size:
                chosen = np.ones(numbers.size, dtype=bool)
            else:  # every word at least as heavy as the size-th heaviest: ties are never split
                cut = numbers.size - size
                chosen = weights >= np.partition(weights, cut)[cut]
            batch = [(terms[n], w) for n, w in zip(numbers[chosen].tolist(), weights[chosen].tolist(), strict=True)]
            yield from sorted(batch, key=lambda item: (-item[1], item[0]))
            numbers, weights, size = numbers[~chosen], weights[~chosen], size * 4

    def frequency(self, term: str) -> float:
        """The term's frequency in the whole collection (Whoosh's `frequency`), looked up once."""
        found = self._frequencies.get(term)
        if found is None:
            found = self._frequencies[term] = self._reader.frequency(self._fieldname, term)
        return found


_TABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def term_table(reader, fieldname: str) -> TermTable:
    """The `TermTable` of an open Whoosh reader's field: one per reader, gone with it."""
    tables = _TABLES.setdefault(reader, {})
    if fieldname not in tables:
        tables[fieldname] = TermTable(reader, fieldname)
    return tables[fieldname]
