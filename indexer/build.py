"""`observatory build`: make the index agree with the catalog, touching only what changed.

The plan compares each record with what the manifest of the live index says about it: a metadata
change is reindexed from the cached text, a content change is re-extracted, a removed entry is
deleted, and nothing else is written. Fetching runs in threads (it waits on the network);
extraction runs in worker processes with a time limit each, so one pathological PDF is killed
instead of stalling the build. Every failure is recorded against its entry and the entry is still
indexed by its metadata.

A record's text can come from up to two sources besides its link. When the link is a publisher's
landing page (see `landing`), the document it is about (or the `document_url` the curator pinned)
is indexed instead of the page, unless the record says `follow: false`; if that document cannot be
had, the page's own text is kept with a warning. A `transcript:` (WebVTT or SRT captions) is indexed
after the document's pages, one page per minute of the recording with its start second, so a
recording whose link is a video page (a few lines of description, or no text at all) is searchable
by what was said; a record with `link: missing` and a transcript is indexed from the transcript alone.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor, TimeoutError as FutureTimeout, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from pebble import ProcessExpired, ProcessPool
from tqdm import tqdm

from . import engine, landing, spelling, synonyms, worker
from .catalog import Record, load_catalog, resolve_path, transcript_source
from .config import Settings
from .curated import curated_text
from .extract.captions import sniff as sniff_captions
from .failures import Failure
from .fetch import Fetched, Fetcher, FetchError
from .layout import IndexRoot, atomic_write, read_manifest, write_fingerprint, write_manifest
from .status import problem_since, problems

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
    landing_url: str | None = None  # the landing page `final_url` was found behind
    transcript_url: str | None = None  # where the transcript indexed after the document came from
    pages: list[str] = field(default_factory=list, repr=False)
    terms: list[str] = field(default_factory=list, repr=False)
    times: list[int | None] = field(default_factory=list, repr=False)  # start second of transcript pages
    paged: bool = False
    engine: str | None = None
    language: str | None = None
    caps: str | None = None  # the text caps the text was cut by (`TextCache.caps`)
    failure: str | None = None
    failure_code: Failure | None = None  # the status group of `failure`
    warning: str | None = None
    needs_ocr: bool = False  # text found, but so little per page that the pages are probably images
    truncated: bool = False  # text cut at the caps (the warning says where)
    stale: bool = False  # the link failed; the text is from an earlier fetch
    fetched_on: str | None = None  # date of the last successful fetch of these bytes
    unchanged: bool = False  # same bytes and metadata as the live index has: nothing to load
    extracted: bool = False  # extraction ran (not served from the cache)
    downloaded: bool = False  # the bytes came over the network this time

    def fail(self, reason: str, code: Failure) -> None:
        self.failure, self.failure_code = reason, code

    def manifest_entry(self) -> dict:
        windows = sum(time is not None for time in self.times)
        return {
            "meta_hash": self.meta_hash,
            "content_sha": self.content_sha,
            "kind": self.kind,
            "url": self.final_url,
            "landing_url": self.landing_url,
            "transcript_url": self.transcript_url,
            "pages": len(self.pages) - windows,
            "windows": windows,
            "paged": self.paged,
            "engine": self.engine,
            "language": self.language,
            "caps": self.caps,
            "failure": self.failure,
            "failure_code": self.failure_code.value if self.failure_code else None,
            "warning": self.warning,
            "fetched_on": self.fetched_on,
            "needs_ocr": self.needs_ocr,
            "truncated": self.truncated,
            "stale": self.stale,
            "status": "full_text" if self.pages else "metadata_only",
            "checked": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }


@dataclass
class BuildReport:
    entries: int = 0
    written: int = 0  # publications added or rewritten
    removed: int = 0
    unchanged: int = 0
    requests: int = 0
    fresh: int = 0  # downloads still fresh (RFC 9111), reused without asking their server
    downloads: int = 0
    extractions: int = 0
    full_text: int = 0
    metadata_only: int = 0
    pages: int = 0
    failures: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    full: bool = False
    rebuilt_because: str | None = None  # why an incremental build became a full one
    jobs: int = 1

    def as_dict(self) -> dict:
        return dict(self.__dict__)


# ---------------------------------------------------------------- extraction cache


class TextCache:
    """Extracted texts and their index terms by content hash: unchanged bytes are never extracted twice.

    The key holds everything that shapes an entry: the bytes, the PDF engine, the extraction
    version, the engine's analysis version (the terms are analysed in the workers) and the text
    caps (a raised `max_document_chars` must not keep the old truncation). The limits that only
    decide whether an extraction fails (time, memory) are kept in a failure instead, which is
    tried again by a build with more (`Builder._cached`).
    """

    def __init__(self, cache_dir: Path, extractor: str, limits: worker.Limits):
        self.dir = cache_dir / "text"
        self.extractor = extractor
        self.caps = f"c{limits.page_chars}-{limits.document_chars}"

    def _path(self, sha: str) -> Path:
        return self.dir / f"{sha}.{self.extractor}.x{EXTRACT_VERSION}.a{engine.ANALYSIS_VERSION}.{self.caps}.json.gz"

    def get(self, sha: str) -> dict | None:
        try:
            with gzip.open(self._path(sha), "rt", encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError, EOFError):
            return None

    def put(self, sha: str, result: dict) -> None:
        # Level 1, not 6: 0.7 ms instead of 3.2 ms a report of the generated 10x collection, in the
        # build's main process, for files 44 % instead of 37 % of the JSON (bench/README.md, round five).
        atomic_write(self._path(sha), gzip.compress(json.dumps(result).encode(), compresslevel=1))


# ---------------------------------------------------------------- the build


class Builder:
    """Turns one record into an Outcome; shared by the fetch threads."""

    def __init__(
        self, settings: Settings, *, extractor: str, pool: ProcessPool, incremental: bool, verify: bool = False
    ):
        self.settings = settings
        self.incremental = incremental
        self.extractor = extractor
        self.fetcher = Fetcher(settings, verify=verify or not incremental)
        self.texts = TextCache(settings.cache_dir, extractor, worker.Limits.of(settings))
        self.pool = pool
        self._extracting: dict[str, threading.Lock] = {}
        self._extracting_guard = threading.Lock()

    def process(self, record: Record, previous: dict | None) -> Outcome:
        """Fetch and (if needed) extract one record; runs in a fetch thread."""
        outcome = Outcome(id=record.id, meta_hash=record.metadata_hash(), caps=self.texts.caps)
        if record.link == "missing" and not record.transcript:
            outcome.fail("no source link (catalog says link: missing)", Failure.NO_LINK)
            return outcome
        sources: list[tuple[Fetched, str, str]] = []  # (bytes, the kind to extract them as, what they are)
        notes: list[str] = []
        fallback = None  # a landing page whose own text stands in if its document cannot be read
        if record.link != "missing":
            try:
                fetched = self.fetcher.fetch(
                    record.url or str(resolve_path(record, self.settings.catalog)), self.settings.catalog.parent
                )
            except FetchError as err:
                return self._reuse_previous(outcome, previous, err.reason, err.code)
            document = self._behind_landing(record, fetched, notes)
            if document is not fetched:
                fallback, outcome.landing_url = fetched, fetched.url
            sources.append((document, document.kind, "document"))
        if record.transcript:
            try:
                sources.append((*self._transcript(record), "transcript"))
                outcome.transcript_url = sources[-1][0].url
            except FetchError as err:
                if not sources:
                    return self._reuse_previous(outcome, previous, f"transcript: {err.reason}", err.code)
                notes.append(f"transcript not indexed ({err.reason})")
        first, kind, _ = sources[0]
        composite = len(sources) > 1 or fallback is not None
        outcome.content_sha = _content_key(
            [fetched.sha256 for fetched, *_ in sources] + ([fallback.sha256] if fallback else [])
        )
        outcome.kind, outcome.final_url = kind, first.url
        outcome.downloaded = any(fetched.changed for fetched, *_ in sources)
        outcome.fetched_on = dt.date.today().isoformat()
        if (
            self.incremental
            and previous
            and not previous["failure"]
            and not previous.get("stale")
            and (previous["content_sha"], previous["meta_hash"], previous.get("caps"))
            == (outcome.content_sha, outcome.meta_hash, outcome.caps)
        ):
            outcome.unchanged = True  # the usual case of a rebuild: don't even read the cached text
            return outcome
        # Several sources are combined once and cached under their joint key (so is the choice of
        # falling back to a landing page's text), so a stale link can reuse the combination.
        combined = self.texts.get(outcome.content_sha) if composite else None
        if combined is None:
            results = [self._extracted(fetched, kind, outcome) for fetched, kind, _ in sources]
            kept_landing = fallback is not None and "error" in results[0]
            lost = f"the document linked from the landing page was not indexed ({results[0].get('error')})"
            if fallback is not None and kept_landing:
                results[0] = self._extracted(fallback, fallback.kind, outcome)
            combined = _combine(results, [role for *_, role in sources])
            combined.update(landing_page_kept=kept_landing, notes=[lost] * kept_landing + combined["notes"])
            if composite and all(_cacheable(result, limited=False) for result in results):
                self.texts.put(outcome.content_sha, combined)
        if fallback is not None and combined.get("landing_page_kept"):
            outcome.kind, outcome.final_url, outcome.landing_url = fallback.kind, fallback.url, None
        self._apply(outcome, combined)
        outcome.warning = "; ".join(filter(None, [*notes, *combined.get("notes", ()), outcome.warning])) or None
        return outcome

    def _behind_landing(self, record: Record, page: Fetched, notes: list[str]) -> Fetched:
        """The document a landing page is about, fetched, or the page itself when there is none to
        follow (a failure to get it is noted: the page's text is then what the record has)."""
        if page.kind != "html" or not record.url or not record.follow:
            return page
        try:
            link = record.document_url or landing.document_link(page.content, page.url)
        except FetchError:
            return page  # its cached copy is damaged: its own extraction says so
        if link is None or link == page.url:
            return page
        try:
            document = self.fetcher.fetch(link, self.settings.catalog.parent)
        except FetchError as err:
            notes.append(f"the document linked from the landing page was not indexed ({link}: {err.reason})")
            return page
        if document.kind == "html":
            notes.append(f"the document linked from the landing page was not indexed ({link} is a web page)")
            return page
        return document

    def _transcript(self, record: Record) -> tuple[Fetched, str]:
        """The record's captions and their format; FetchError when they cannot be had or are not captions."""
        fetched = self.fetcher.fetch(transcript_source(record, self.settings.catalog), self.settings.catalog.parent)
        kind = sniff_captions(fetched.content)
        if kind is None:
            raise FetchError("not WebVTT or SRT captions", Failure.NOT_A_DOCUMENT)
        return fetched, kind

    def _extracted(self, fetched: Fetched, kind: str, outcome: Outcome) -> dict:
        """The extraction of one source's bytes, from the cache or made (and cached) now."""
        cached = self._cached(fetched.sha256)
        if cached is not None:
            return cached
        # Records with the same bytes (mirrors, a file listed twice) are extracted once: the
        # first thread extracts, the others wait for it and read the cache.
        with self._extracting_guard:
            same_bytes = self._extracting.setdefault(fetched.sha256, threading.Lock())
        with same_bytes:
            cached = self._cached(fetched.sha256)
            if cached is None:
                try:
                    content = fetched.content
                except FetchError as err:  # a trusted cached copy that turned out damaged
                    return {"error": err.reason, "code": Failure.UNREADABLE.value, "transient": True}
                cached = self._extract(content, kind)
                outcome.extracted = True
                if _cacheable(cached):
                    self.texts.put(fetched.sha256, cached)
        return cached

    def _cached(self, sha: str) -> dict | None:
        """The cached extraction of these bytes; one that ran out of time or memory counts only while
        that limit is what it was (a build with more tries again, one with the same does not wait
        for the same failure on every run)."""
        cached = self.texts.get(sha)
        if cached is None:
            return None
        if (
            cached.get("time_limit", float("inf")) < self.settings.extract_timeout
            or cached.get("memory_mb", float("inf")) < self.settings.extract_memory_mb
        ):
            return None
        return cached

    def _extract(self, content: bytes, kind: str) -> dict:
        try:
            future = self.pool.schedule(
                worker.extract_job, args=(content, kind, self.extractor), timeout=self.settings.extract_timeout
            )
            return future.result()
        except FutureTimeout:
            return {
                "error": f"extraction timed out after {self.settings.extract_timeout:g} s",
                "code": Failure.UNREADABLE.value,
                "time_limit": self.settings.extract_timeout,
            }
        except ProcessExpired as err:
            # The process died on this document: under the address-space limit that is how a native
            # library (PDFium, lxml) dies of a decompression bomb, where Python would raise MemoryError.
            return worker.too_large(
                self.settings.extract_memory_mb, f"the extraction process died, exit code {err.exitcode}"
            )
        except Exception as err:  # the pool itself failed (broken, shut down): not this document's doing
            return {
                "error": f"extraction not run ({type(err).__name__}: {err})",
                "code": Failure.OTHER.value,
                "transient": True,
            }

    @staticmethod
    def _apply(outcome: Outcome, result: dict) -> None:
        if "error" in result:
            outcome.fail(result["error"], Failure.of(result.get("code")))
            return
        outcome.pages, outcome.terms, outcome.paged = result["pages"], result["terms"], result["paged"]
        outcome.times = result.get("times") or [None] * len(outcome.pages)
        outcome.engine, outcome.language = result["engine"], result["language"]
        outcome.warning, outcome.needs_ocr = result.get("warning"), result.get("needs_ocr", False)
        outcome.truncated = result.get("truncated", False)

    def _reuse_previous(self, outcome: Outcome, previous: dict | None, reason: str, code: Failure) -> Outcome:
        """A link that fails now but worked before keeps its text, flagged, rather than losing it."""
        cached = self.texts.get(previous["content_sha"]) if previous and previous.get("content_sha") else None
        if previous is None or cached is None or "error" in cached:
            outcome.fail(reason, code)
            return outcome
        outcome.content_sha, outcome.kind, outcome.final_url = (
            previous["content_sha"],
            previous["kind"],
            previous["url"],
        )
        outcome.landing_url, outcome.transcript_url = previous.get("landing_url"), previous.get("transcript_url")
        self._apply(outcome, cached)
        outcome.fetched_on, outcome.stale = previous.get("fetched_on"), True
        outcome.warning = f"{reason}; indexed the copy fetched on {outcome.fetched_on or 'an earlier build'}"
        return outcome


def _cacheable(result: dict, *, limited: bool = True) -> bool:
    """Whether an extraction's result may be cached: never a "transient" failure, not the bytes'
    doing (the pool itself failed, a cached copy could not be read); with `limited=False`, nor one
    that only a limit of this build (time, memory) caused, for a cache entry that `Builder._cached`
    does not check."""
    if result.get("transient"):
        return False
    return limited or not (result.get("time_limit") or result.get("memory_mb"))


def _content_key(shas: list[str]) -> str:
    """What the index entry is made of: the one source's hash, or a hash of several sources' hashes."""
    return shas[0] if len(shas) == 1 else hashlib.sha256(" ".join(shas).encode()).hexdigest()


def _combine(results: list[dict], roles: list[str]) -> dict:
    """A document's extraction followed by its transcript's, as one. A source that fails is a note
    when another gives text, and the failure otherwise."""
    readable = [result for result in results if "error" not in result]
    if not readable:
        return {**results[0], "notes": []}
    notes = [
        f"{role} not indexed ({result['error']})"
        for role, result in zip(roles, results, strict=True)
        if "error" in result
    ]
    combined = {
        **readable[0],
        "pages": [],
        "terms": [],
        "times": [],
        "notes": notes,
        "needs_ocr": any(result.get("needs_ocr", False) for result in readable),
        "truncated": any(result.get("truncated", False) for result in readable),
        "warning": "; ".join(filter(None, (result.get("warning") for result in readable))) or None,
    }
    for result in readable:
        combined["pages"] += result["pages"]
        combined["terms"] += result["terms"]
        combined["times"] += result.get("times") or [None] * len(result["pages"])
    return combined


def stored_record(record: Record) -> dict:
    """What the index stores for display: the curator's metadata, nothing derived.

    Labels are made at presentation and build state is read from the manifest, so neither can go
    stale in the index (the metadata hash covers exactly what is stored).
    """
    return record.model_dump(mode="json", exclude_none=True)


def metadata_text(record: Record) -> str:
    """The curated words a publication matches by besides its title and text."""
    return curated_text(record.model_dump(mode="json"))


def build(
    settings: Settings,
    *,
    full: bool = False,
    jobs: int | None = None,
    extractor: str = "auto",
    progress: bool = True,
    optimize: bool = False,
    verify: bool = False,
) -> BuildReport:
    """Bring the index in line with the catalog; see the module docstring for the rules.

    `optimize` merges the index into one segment even if nothing changed: incremental builds
    only add segments (and merge the small ones when there are too many). `verify` hashes every
    cached download a 304 confirms (a full build always does), instead of trusting its size and
    modification time.
    """
    started = time.monotonic()
    records = load_catalog(settings.catalog)  # invalid catalogs stop here, before anything is touched
    synonyms.load(synonyms.path_for(settings.catalog))  # so do invalid synonyms files
    jobs = max(1, jobs or os.cpu_count() or 1)
    root = IndexRoot(settings.index_dir, engine.SCHEMA)
    report = BuildReport(entries=len(records), jobs=jobs)
    with root.build_lock():
        root.discard_temporaries()
        live = root.current()
        previous = read_manifest(live)
        if live is not None and not full:
            report.rebuilt_because = _unfit_for_increments(live, previous)
        report.full = full or live is None or report.rebuilt_because is not None
        target = live if live is not None and not report.full else root.new_version()
        try:
            if report.full:
                engine.create(target)
            written: list[tuple[dict, list[str]]] = []
            manifest = _sync(
                settings, records, target, previous, report, extractor, progress, optimize, written, verify
            )
            write_fingerprint(target, engine.segment_files(target))
            write_manifest(target, manifest)
            synonyms.keep_with(target, settings.catalog)
            spelling.write_vocabulary(target, None if report.full else written)
        except BaseException:
            if report.full:  # a fresh version that failed is nobody's: don't leave it for the next build
                root.discard(target)
            else:  # the live version keeps its last commit, without the files of the one that failed
                with contextlib.suppress(Exception):  # whatever happens here, the build's own error is the news
                    engine.discard_unfinished(target)
            raise
        if report.full:
            root.publish(target)
    _summarise(report, manifest, records)
    report.seconds = round(time.monotonic() - started, 3)
    return report


def _unfit_for_increments(live: Path, manifest: dict) -> str | None:
    """Why the live version must not be built on but replaced by a full build, or None: its files
    are damaged (an incremental build would commit over them), or its manifest is missing or of
    the wrong shape (the build would not know what the index holds)."""
    problem = engine.damage(live, whole=True)
    if problem:
        return f"the live index is damaged ({problem})"
    if not manifest:
        return "the live index has no readable manifest"
    return None


def _sync(
    settings: Settings,
    records: list[Record],
    target: Path,
    previous: dict,
    report: BuildReport,
    extractor: str,
    progress: bool,
    optimize: bool,
    written: list,
    verify: bool,
) -> dict:
    """Fetch and extract every record, write what changed into `target`; return the new manifest.

    An incremental build appends (stored record, pages) of each publication it writes to `written`.
    """
    fresh = report.full
    manifest = {} if fresh else dict(previous)
    by_id = {record.id: record for record in records}
    # Several page writers only pay for a full build: an incremental one writes a few pages.
    with engine.Writer(target, optimize=optimize, processes=report.jobs if fresh else 1) as writer:
        with worker.pool(settings, report.jobs) as pool, ThreadPoolExecutor(settings.fetch_threads) as threads:
            builder = Builder(settings, extractor=extractor, pool=pool, incremental=not fresh, verify=verify)
            futures = [threads.submit(builder.process, record, previous.get(record.id)) for record in records]
            for future in tqdm(
                as_completed(futures),
                total=len(futures),
                desc="build",
                unit="pub",
                disable=not progress,
                dynamic_ncols=True,
            ):
                outcome = future.result()
                old = previous.get(outcome.id)
                if outcome.unchanged:
                    assert old is not None  # unchanged means compared with the previous build's entry
                    manifest[outcome.id] = {
                        **old,
                        "url": outcome.final_url,
                        "fetched_on": outcome.fetched_on,
                        "checked": outcome.manifest_entry()["checked"],
                        "changed": _changed(old),
                    }
                    report.unchanged += 1
                    continue
                entry = outcome.manifest_entry()
                report.extractions += outcome.extracted
                same = old is not None and all(old.get(k) == entry[k] for k in _SAME_WHEN_EQUAL)
                entry["changed"] = _changed(old if same else None)
                if not fresh and same:
                    report.unchanged += 1  # only the build state changed: the manifest says it
                else:
                    if not fresh:
                        writer.remove(outcome.id)
                    record = by_id[outcome.id]
                    writer.add(
                        stored_record(record),
                        metadata_text(record),
                        outcome.pages,
                        outcome.terms,
                        outcome.paged,
                        outcome.times,
                    )
                    report.written += 1
                    if not fresh:  # an incremental build adds these words to the vocabulary
                        written.append((stored_record(record), outcome.pages))
                manifest[outcome.id] = entry
                # The futures list keeps every outcome to the end: let go of its text once written,
                # or a build holds the whole collection's text (~400 MB at 60,000 pages).
                outcome.pages, outcome.terms = [], []
            fetcher = builder.fetcher
            report.requests, report.fresh, report.downloads = fetcher.requests_sent, fetcher.fresh, fetcher.downloads
        for record in records:
            entry = manifest[record.id]
            entry["problem_since"] = problem_since(record.model_dump(mode="json"), entry, previous.get(record.id))
        for gone in set(manifest) - set(by_id):
            writer.remove(gone)
            del manifest[gone]
            report.removed += 1
        if not (fresh or optimize or report.written or report.removed):
            writer.discard()  # nothing changed: keep the generation, so servers keep their caches
    return manifest


def _changed(unchanged: dict | None) -> str:
    """When a record last changed in the index (a feed entry's `updated`): kept from its unchanged
    previous entry (a --full build too), else now, to the microsecond, so no two records share it."""
    return (unchanged or {}).get("changed") or dt.datetime.now(dt.UTC).isoformat()


#: Manifest fields whose change means the record must be written into the index again (the same
#: bytes cut by other caps are another text).
_SAME_WHEN_EQUAL = ("meta_hash", "content_sha", "pages", "caps")


def _summarise(report: BuildReport, manifest: dict, records: list[Record]) -> None:
    for entry in manifest.values():
        report.pages += entry["pages"]
        if entry["status"] == "full_text":
            report.full_text += 1
        else:
            report.metadata_only += 1
    report.failures = problems((record.model_dump(mode="json") for record in records), manifest)
