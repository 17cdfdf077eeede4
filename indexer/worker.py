"""What runs inside the extraction processes of a build.

The processes are forked from a fork server, which is single-threaded (forking the build itself,
whose fetch threads may hold locks, can deadlock a child) and has run `ready()` once through
`worker_preload`: the libraries' one-time set-up (language profiles, HTML cleaners, ~1 s) is
inherited, so no document's time limit is spent on it.

Documents are hostile input, so each process is fenced in by `initialise`: an address-space limit
(a decompression bomb fails its document, not the machine), text caps per page and per document
(one 60 MB page would make every search that matches it slow), and death with its parent (a
build killed with -9 must not leave extractions running for minutes).
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import multiprocessing.forkserver
import os
import resource
import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from pebble import ProcessPool

from .analysis import index_terms
from .config import Settings
from .extract import ExtractionError, detect_language, extract
from .failures import Failure

#: pdfminer.six logs every oddity of a broken PDF as a warning; the outcome is what counts, and it
#: is recorded against the entry, so its chatter would only bury the progress bar.
logging.getLogger("pdfminer").setLevel(logging.ERROR)

#: What `extract_job` returns for a document that exceeded the process's memory limit.
TOO_LARGE = "too large to extract"
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


@dataclass(frozen=True)
class Limits:
    """What `initialise` hands each extraction process: only these numbers of the build's Settings."""

    memory_mb: int = Settings.extract_memory_mb
    page_chars: int = Settings.max_page_chars
    document_chars: int = Settings.max_document_chars

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(settings.extract_memory_mb, settings.max_page_chars, settings.max_document_chars)


#: This process's limits: the defaults until `initialise` sets the build's.
_limits = Limits()


def extract_job(content: bytes, kind: str, engine: str) -> dict:
    """Plain data to pickle back: pages, their index terms, language and any warning ("warning",
    e.g. text truncated at the caps); or the failure reason ("error") and its `Failure` code ("code")."""
    try:
        result = extract(content, kind, engine=engine)
        pages, warning = cap_text(result.pages, _limits)
        terms = [index_terms(page) for page in pages]
    except ExtractionError as err:
        if _ran_out_of_memory(err):
            return too_large(_limits.memory_mb)
        return {"error": err.reason, "code": err.code.value}
    except MemoryError:
        return too_large(_limits.memory_mb)
    sample = "\n".join(pages)[:20000]
    return {
        "pages": pages,
        "terms": terms,
        "paged": result.paged,
        "engine": result.engine,
        "language": detect_language(sample),
        "warning": "; ".join(filter(None, (result.warning, warning))) or None,
        "truncated": warning is not None,
        "needs_ocr": result.needs_ocr,
        "times": result.times,
    }


def too_large(memory_mb: int, detail: str = "") -> dict:
    """The failure of a document that exceeded the extraction's memory limit (`detail`: how it showed);
    the limit is kept with it, so a build with more memory tries again."""
    return {
        "error": TOO_LARGE + (f" ({detail})" if detail else ""),
        "code": Failure.TOO_LARGE.value,
        "memory_mb": memory_mb,
    }


def _ran_out_of_memory(error: BaseException | None) -> bool:
    """The extractors turn any library error into an ExtractionError; the MemoryError the address
    space limit caused is somewhere in its chain. (A library that reports its own allocation
    failure differently, as lxml's "unknown error", keeps its own message.)"""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, MemoryError):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def cap_text(pages: list[str], limits: Limits) -> tuple[list[str], str | None]:
    """Pages cut to the per-page cap and, past the per-document cap, emptied (so that page numbers
    still match the source); with a warning saying what was dropped, or None."""
    capped, total, long_pages, dropped_from = [], 0, 0, None
    for number, page in enumerate(pages, 1):
        if len(page) > limits.page_chars:
            page, long_pages = page[: limits.page_chars], long_pages + 1
        room = limits.document_chars - total
        if len(page) > room:
            page, dropped_from = page[:room], dropped_from or number
        capped.append(page)
        total += len(page)
    cuts = []
    if long_pages:
        cuts.append(f"{long_pages} page(s) cut to {limits.page_chars:,} characters")
    if dropped_from:
        cuts.append(f"text from page {dropped_from} on dropped ({limits.document_chars:,}-character document limit)")
    return capped, f"text truncated: {'; '.join(cuts)}" if cuts else None


def initialise(limits: Limits) -> None:
    """Runs first in every extraction process (the pool's initializer)."""
    global _limits
    _limits = limits
    die_with_parent()
    size = limits.memory_mb * 1024 * 1024
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    if hard != resource.RLIM_INFINITY:
        size = min(size, hard)  # an unprivileged process may only lower its hard limit
    resource.setrlimit(resource.RLIMIT_AS, (size, size))


def die_with_parent() -> None:
    """Have Linux kill this process when its parent dies: the fork server's parent is the build,
    an extraction process's is the fork server, so a build killed with -9 takes both along.

    (The fork server alone would not notice: it waits for every holder of its "alive" pipe to
    close it, and each extraction process holds a copy.) Elsewhere than Linux, an orphaned
    extraction process still ends when its current document does.
    """
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # the parent died before the request took effect
        os.kill(os.getpid(), signal.SIGKILL)


def pool(settings: Settings, jobs: int) -> ProcessPool:
    """The extraction pool of a build: `jobs` processes, each initialised with the build's limits."""
    return ProcessPool(max_workers=jobs, context=context(), initializer=initialise, initargs=(Limits.of(settings),))


def ready() -> bool:
    """Extract a small sample: afterwards the libraries' set-up is paid in this process."""
    sample = b"<html><body><p>Micro-credentials certify short courses of learning.</p></body></html>"
    extract_job(sample, "html", "auto")
    return True


def context():
    """The multiprocessing context extraction pools use, its fork server running."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([f"{__package__}.worker_preload"])
    _server_starter().submit(multiprocessing.forkserver.ensure_running).result()
    return ctx


_starter: ThreadPoolExecutor | None = None
_starter_lock = threading.Lock()


def _server_starter() -> ThreadPoolExecutor:
    """The thread that starts the process's fork server, and lives as long as the process.

    Linux sends the parent-death signal (`die_with_parent`) when the *thread* that started a process
    ends, not its whole process. Started by whichever thread first asked for an extraction (a fetch
    thread of one build, a curators' build thread), the fork server was killed when that thread
    ended, and with it the extraction processes of any other build still running in the process
    (two web apps' builds in one process: their documents failed as "too large" or "not run").
    """
    global _starter
    with _starter_lock:
        if _starter is None:
            _starter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fork-server-starter")
        return _starter


def _forget_starter() -> None:
    global _starter
    _starter = None  # a forked child has the object but not its thread


os.register_at_fork(after_in_child=_forget_starter)
