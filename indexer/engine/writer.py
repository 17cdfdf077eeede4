"""Writing a version: whole publications (metadata document and pages) added or removed at once."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from whoosh import index, writing
from whoosh.reading import SegmentReader

from .. import analysis
from .internals import received_documents, start_sub_writer

#: Segments an index may have before an incremental commit merges the small ones. Below it a
#: commit writes only its own new segment: adding one publication to 60,000 pages must not rewrite
#: them (a search opens one reader per segment, so the count is kept small).
MAX_SEGMENTS = 8

#: Whoosh writer buffers (MB of postings held before a sorted run is written to disk): the
#: publications writer in the build's main process, the page writers shared among their processes.
#: 32 / 64: a 10x full build's processes peaked at 998 MB (sum of RSS) against 1,117 MB with 64 / 128
#: (1,370 with 192 / 320), in 309 s against 303 s; 16 / 32 saved 72 MB more and took 328 s
#: (bench/README.md, round five).
PUBS_LIMIT_MB = 32
PAGES_LIMIT_MB = 64


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
    merged = by_size[: -(MAX_SEGMENTS // 2)]
    for segment in merged:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return [segment for segment in segments if segment not in merged]


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
        self._pubs = index.open_dir(str(version), indexname="pubs").writer(limitmb=PUBS_LIMIT_MB, compound=False)
        pages = index.open_dir(str(version), indexname="pages")
        self._sub_writers = []
        if processes > 1:
            self._pages = pages.writer(
                procs=processes, multisegment=True, limitmb=PAGES_LIMIT_MB // processes, compound=False
            )
            # Fork the sub-writers now, while this process has no threads yet (the build's fetch
            # threads start later): Whoosh would otherwise fork them at the first batch.
            self._sub_writers = [start_sub_writer(self._pages) for _ in range(processes)]
        else:
            self._pages = pages.writer(limitmb=PAGES_LIMIT_MB, compound=False)
        self._optimize = optimize
        self._discarded = False

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None and not self._discarded:
            policy = writing.OPTIMIZE if self._optimize else merge_small_segments
            self._pubs.commit(mergetype=policy)
            if not received_documents(self._pages):
                self._stop_sub_writers()  # no page at all: Whoosh commits without telling them
            self._pages.commit(mergetype=policy)
        else:
            self._stop_sub_writers()
            # A writer that failed (a full disk, say) may be closed already and refuse to cancel:
            # that refusal must not hide the error that stopped the build.
            for writer in (self._pubs, self._pages):
                with contextlib.suppress(Exception):
                    writer.cancel()

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

    def add(
        self,
        record: dict,
        search_text: str,
        pages: list[str],
        terms: list[str],
        paged: bool,
        times: list[int | None] | None = None,
    ) -> None:
        """`record` is the curator's metadata (stored whole, shown as is); `search_text` the words of
        it that match as metadata (organisation, authors, summary...); `pages` the extracted text
        and `terms` each page's `index_terms`; `times` each page's start second where it is a window
        of a transcript (None for a document's page), which it is cited by instead of a number."""
        times = times or [None] * len(pages)
        self._pubs.add_document(
            id=record["id"],
            title=record["title"],
            text=" ".join([analysis.index_terms(record["title"]), analysis.index_terms(search_text), *terms]),
            title_sort=record["title"].casefold(),
            year=record["year"],
            regions=",".join(record["regions"]),
            type=record["type"],
            section=record["section"],
            record=json.dumps(record),
        )
        for number, (text, page_terms, time) in enumerate(zip(pages, terms, times, strict=True), start=1):
            if page_terms:
                page = number if paged and time is None else 0
                self._pages.add_document(
                    pub_id=record["id"],
                    page=page,
                    text=page_terms,
                    terms=page_terms.encode(),
                    raw=text,
                    **({} if time is None else {"time": time}),
                )
