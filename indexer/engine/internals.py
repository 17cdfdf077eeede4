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
from pathlib import Path

from whoosh import index
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


def vector_weights(reader, docnum: int, fieldname: str):
    """(term, frequency) of a document's term vector, read a block of postings at a time: Whoosh's
    `vector_as` makes three method calls per word, which for the term vector of a long report (a
    few thousand words) is most of what pseudo-relevance feedback costs."""
    vector = reader.vector(docnum, fieldname)
    while vector.is_active():
        if vector._ids is None:
            vector._read_ids()
        if vector._weights is None:
            vector._read_weights()
        for term, weight in zip(vector._ids[vector._i :], vector._weights[vector._i :], strict=False):
            yield term.decode("utf-8") if isinstance(term, bytes) else term, weight
        vector._next_block()
