"""`observatory build`: make the index agree with the catalog, touching only what changed.

The plan compares each record with what the manifest of the live index says about it: a metadata
change is reindexed from the cached text, a content change is re-extracted, a removed entry is
deleted, and nothing else is written. Fetching runs in threads (it waits on the network);
extraction runs in worker processes with a time limit each, so one pathological PDF is killed
instead of stalling the build. Every failure is recorded against its entry and the entry is still
indexed by its metadata.
"""
from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path

from pebble import ProcessPool
from tqdm import tqdm

from . import engine, worker
from .catalog import Record, load_catalog, resolve_path
from .config import Settings
from .facets import labelled
from .fetch import FetchError, Fetcher
from .layout import IndexRoot, atomic_write, read_manifest, write_manifest
from .status import problems

#: Bump when extraction or normalisation changes, so cached texts are made again.
EXTRACT_VERSION = 2


@dataclass
class Outcome:
    """What happened to one record in this build; becomes its manifest entry."""

    id: str
    meta_hash: str
    content_sha: str | None = None
    kind: str | None = None
    final_url: str | None = None
    pages: list[str] = field(default_factory=list, repr=False)
    terms: list[str] = field(default_factory=list, repr=False)
    paged: bool = False
    engine: str | None = None
    language: str | None = None
    failure: str | None = None
    warning: str | None = None
    fetched_on: str | None = None  # date of the last successful fetch of these bytes
    unchanged: bool = False      # same bytes and metadata as the live index has: nothing to load
    extracted: bool = False      # extraction ran (not served from the cache)
    downloaded: bool = False     # the bytes came over the network this time

    def manifest_entry(self) -> dict:
        return {
            "meta_hash": self.meta_hash, "content_sha": self.content_sha, "kind": self.kind,
            "url": self.final_url, "pages": len(self.pages), "paged": self.paged, "engine": self.engine,
            "language": self.language,
            "failure": self.failure, "warning": self.warning, "fetched_on": self.fetched_on,
            "status": "full_text" if self.pages else "metadata_only",
            "checked": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        }


@dataclass
class BuildReport:
    entries: int = 0
    written: int = 0          # publications added or rewritten
    removed: int = 0
    unchanged: int = 0
    requests: int = 0
    downloads: int = 0
    extractions: int = 0
    full_text: int = 0
    metadata_only: int = 0
    pages: int = 0
    failures: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    full: bool = False
    jobs: int = 1

    def as_dict(self) -> dict:
        return dict(self.__dict__)


# ---------------------------------------------------------------- extraction cache


class TextCache:
    """Extracted texts and their index terms by content hash: unchanged bytes are never extracted twice.

    The key holds everything that shapes an entry: the bytes, the PDF engine, the extraction
    version and the engine's analysis version (the terms are analysed in the workers).
    """

    def __init__(self, cache_dir: Path, extractor: str):
        self.dir = cache_dir / "text"
        self.extractor = extractor

    def _path(self, sha: str) -> Path:
        return self.dir / f"{sha}.{self.extractor}.x{EXTRACT_VERSION}.a{engine.ANALYSIS_VERSION}.json.gz"

    def get(self, sha: str) -> dict | None:
        try:
            with gzip.open(self._path(sha), "rt", encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError, EOFError):
            return None

    def put(self, sha: str, result: dict) -> None:
        atomic_write(self._path(sha), gzip.compress(json.dumps(result).encode(), compresslevel=6))


# ---------------------------------------------------------------- the build


class Builder:
    """Turns one record into an Outcome; shared by the fetch threads."""

    def __init__(self, settings: Settings, *, extractor: str, pool: ProcessPool, incremental: bool):
        self.settings = settings
        self.incremental = incremental
        self.extractor = extractor
        self.fetcher = Fetcher(settings)
        self.texts = TextCache(settings.cache_dir, extractor)
        self.pool = pool
        self._extracting: dict[str, threading.Lock] = {}
        self._extracting_guard = threading.Lock()

    def process(self, record: Record, previous: dict | None) -> Outcome:
        """Fetch and (if needed) extract one record; runs in a fetch thread."""
        outcome = Outcome(id=record.id, meta_hash=record.metadata_hash())
        if record.link == "missing":
            outcome.failure = "no source link (catalog says link: missing)"
            return outcome
        base_dir = self.settings.catalog.parent
        source = record.url or str(resolve_path(record, self.settings.catalog))
        try:
            fetched = self.fetcher.fetch(source, base_dir)
        except FetchError as err:
            return self._reuse_previous(outcome, previous, err.reason)
        outcome.content_sha, outcome.kind, outcome.final_url = fetched.sha256, fetched.kind, fetched.url
        outcome.downloaded = fetched.changed
        outcome.fetched_on = dt.date.today().isoformat()
        if self.incremental and previous and not previous["failure"] and not previous["warning"] \
                and (previous["content_sha"], previous["meta_hash"]) == (fetched.sha256, outcome.meta_hash):
            outcome.unchanged = True  # the usual case of a rebuild: don't even read the cached text
            return outcome
        cached = self.texts.get(fetched.sha256)
        if cached is None:
            # Records with the same bytes (mirrors, a file listed twice) are extracted once: the
            # first thread extracts, the others wait for it and read the cache.
            with self._extracting_guard:
                same_bytes = self._extracting.setdefault(fetched.sha256, threading.Lock())
            with same_bytes:
                cached = self.texts.get(fetched.sha256)
                if cached is None:
                    cached = self._extract(fetched.content, fetched.kind)
                    outcome.extracted = True
                    if not cached.get("timeout"):
                        self.texts.put(fetched.sha256, cached)
        self._apply(outcome, cached)
        return outcome

    def _extract(self, content: bytes, kind: str) -> dict:
        future = self.pool.schedule(worker.extract_job, args=(content, kind, self.extractor),
                                    timeout=self.settings.extract_timeout)
        try:
            return future.result()
        except FutureTimeout:
            return {"error": f"extraction timed out after {self.settings.extract_timeout:g} s", "timeout": True}
        except Exception as err:  # the worker died (segfault in a native library, out of memory)
            return {"error": f"extraction crashed ({type(err).__name__}: {err})", "timeout": True}

    @staticmethod
    def _apply(outcome: Outcome, result: dict) -> None:
        if "error" in result:
            outcome.failure = result["error"]
            return
        outcome.pages, outcome.terms, outcome.paged = result["pages"], result["terms"], result["paged"]
        outcome.engine, outcome.language = result["engine"], result["language"]

    def _reuse_previous(self, outcome: Outcome, previous: dict | None, reason: str) -> Outcome:
        """A link that fails now but worked before keeps its text, flagged, rather than losing it."""
        cached = self.texts.get(previous["content_sha"]) if previous and previous.get("content_sha") else None
        if cached is None or "error" in cached:
            outcome.failure = reason
            return outcome
        outcome.content_sha, outcome.kind, outcome.final_url = previous["content_sha"], previous["kind"], previous["url"]
        self._apply(outcome, cached)
        outcome.fetched_on = previous.get("fetched_on")
        outcome.warning = f"{reason}; indexed the copy fetched on {outcome.fetched_on or 'an earlier build'}"
        return outcome


def stored_record(record: Record) -> dict:
    """What the index stores for display: the curator's metadata, nothing derived.

    Labels are made at presentation and build state is read from the manifest, so neither can go
    stale in the index (the metadata hash covers exactly what is stored).
    """
    return record.model_dump(mode="json", exclude_none=True)


def metadata_text(record: Record) -> str:
    """The curated words a publication matches by besides its title and text."""
    return " ".join(filter(None, [
        record.organisation, record.jurisdiction, " ".join(record.regions), " ".join(record.authors),
        record.summary, labelled(record.model_dump())["type_label"],
    ]))


def build(settings: Settings, *, full: bool = False, jobs: int | None = None, extractor: str = "auto",
          progress: bool = True, optimize: bool = False) -> BuildReport:
    """Bring the index in line with the catalog; see the module docstring for the rules.

    `optimize` merges the index into one segment even if nothing changed: incremental builds
    only add segments (and merge the small ones when there are too many).
    """
    started = time.monotonic()
    records = load_catalog(settings.catalog)  # invalid catalogs stop here, before anything is touched
    jobs = max(1, jobs or os.cpu_count() or 1)
    root = IndexRoot(settings.index_dir, engine.SCHEMA)
    report = BuildReport(entries=len(records), jobs=jobs)
    with root.build_lock():
        root.discard_temporaries()
        live = root.current()
        report.full = full or live is None
        target = root.new_version() if report.full else live
        if report.full:
            engine.create(target)
        manifest = _sync(settings, records, target, read_manifest(live), report, extractor, progress, optimize)
        write_manifest(target, manifest)
        if report.full:
            root.publish(target)
    _summarise(report, manifest, records)
    report.seconds = round(time.monotonic() - started, 3)
    return report


def _sync(settings: Settings, records: list[Record], target: Path, previous: dict, report: BuildReport,
          extractor: str, progress: bool, optimize: bool) -> dict:
    """Fetch and extract every record, write what changed into `target`; return the new manifest."""
    fresh = report.full
    manifest = {} if fresh else dict(previous)
    by_id = {record.id: record for record in records}
    # Several page writers only pay for a full build: an incremental one writes a few pages.
    with engine.Writer(target, optimize=optimize, processes=report.jobs if fresh else 1) as writer:
        with ProcessPool(max_workers=report.jobs, context=worker.context()) as pool, \
                ThreadPoolExecutor(settings.fetch_threads) as threads:
            builder = Builder(settings, extractor=extractor, pool=pool, incremental=not fresh)
            futures = [threads.submit(builder.process, record, previous.get(record.id)) for record in records]
            for future in tqdm(as_completed(futures), total=len(futures), desc="build", unit="pub",
                               disable=not progress, dynamic_ncols=True):
                outcome = future.result()
                old = previous.get(outcome.id)
                if outcome.unchanged:
                    manifest[outcome.id] = {**old, "url": outcome.final_url, "fetched_on": outcome.fetched_on,
                                            "checked": outcome.manifest_entry()["checked"]}
                    report.unchanged += 1
                    continue
                entry = outcome.manifest_entry()
                report.extractions += outcome.extracted
                if not fresh and old is not None and all(old.get(k) == entry[k] for k in _SAME_WHEN_EQUAL):
                    report.unchanged += 1  # only the build state changed: the manifest says it
                else:
                    if not fresh:
                        writer.remove(outcome.id)
                    record = by_id[outcome.id]
                    writer.add(stored_record(record), metadata_text(record), outcome.pages, outcome.terms,
                               outcome.paged)
                    report.written += 1
                manifest[outcome.id] = entry
            report.requests, report.downloads = builder.fetcher.requests_sent, builder.fetcher.downloads
        for gone in set(manifest) - set(by_id):
            writer.remove(gone)
            del manifest[gone]
            report.removed += 1
        if not (fresh or optimize or report.written or report.removed):
            writer.discard()  # nothing changed: keep the generation, so servers keep their caches
    return manifest


#: Manifest fields whose change means the record must be written into the index again.
_SAME_WHEN_EQUAL = ("meta_hash", "content_sha", "pages")


def _summarise(report: BuildReport, manifest: dict, records: list[Record]) -> None:
    for entry in manifest.values():
        report.pages += entry["pages"]
        if entry["status"] == "full_text":
            report.full_text += 1
        else:
            report.metadata_only += 1
    report.failures = problems((record.model_dump(mode="json") for record in records), manifest)
