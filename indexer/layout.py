"""Index versions on disk, the build lock, the atomic swap and the manifest: no search engine here.

`index/` holds versions `v-*`, a `current` symlink naming the live one, and a build lock. Each
version holds what the engine adapter writes into it, a `schema_version` marker and `manifest.json`,
the one record of what the last build found out about every catalog entry. A full build writes a
fresh version and swaps the symlink in one rename; an incremental build commits into the live
version (engine commits are atomic: readers see the old generation until they refresh), so a crash
at any point leaves a servable index.

This module knows nothing of the engine: a distributed backend would keep it for the manifest and
the lock and bring its own writer and reader.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

CURRENT = "current"
LOCK_FILE = ".build.lock"
MANIFEST = "manifest.json"
SCHEMA_MARKER = "schema_version"
FINGERPRINT = "fingerprint.json"
#: Bytes read from each end of a file for its fingerprint: opening an index reads at most this
#: twice per file, whatever the collection's size. A digest of the whole file is recorded too, for
#: the checks that may read everything (a build's start, a search that failed reading the files).
_FINGERPRINT_BYTES = 64 * 1024


#: Lock files this process holds. A forked child (a build's page writer) closes its copy, so a
#: child outliving a killed build cannot keep later builds out.
_held_locks: set = set()


def _drop_locks_in_child() -> None:
    for handle in _held_locks:
        handle.close()
    _held_locks.clear()


os.register_at_fork(after_in_child=_drop_locks_in_child)


class BuildInProgress(RuntimeError):
    """Another build holds the lock; the caller should stop at once, not wait."""


class IndexMissing(RuntimeError):
    """No index has been built (or published) at this path yet."""


class IndexUnreadable(RuntimeError):
    """The live version exists but its files cannot be read (damaged, truncated, permissions)."""


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write `path` so that readers see the old or the new content, never a part.

    The temporary name is unique per call (not per process): threads of one build write the same
    cache entry at once when two records share their bytes.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode() if isinstance(data, str) else data)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


@dataclass(frozen=True)
class IndexRoot:
    """The directory of index versions; `schema` is the engine's version marker for what it writes."""

    path: Path
    schema: str

    @property
    def current_link(self) -> Path:
        return self.path / CURRENT

    def current(self) -> Path | None:
        """The live version directory, if one has been published and is of this schema version.

        A version of another schema is treated as absent, so an upgrade asks for a rebuild instead
        of crashing on an index it cannot read.
        """
        try:
            target = self.path / os.readlink(self.current_link)
        except OSError:
            return None
        try:
            if (target / SCHEMA_MARKER).read_text().strip() != self.schema:
                return None
        except OSError:
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
            raise BuildInProgress(
                f"another build is running on {self.path} (pid {holder}); try again when it has finished"
            ) from None
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        _held_locks.add(handle)
        try:
            yield
        finally:
            _held_locks.discard(handle)
            handle.truncate(0)
            handle.close()

    def new_version(self) -> Path:
        """An empty version in a temporary directory: invisible to readers until published.

        Versions are numbered one past the highest so far: their order is the order they were
        built in, whatever the clock says (the date in the name is for people only).
        """
        self.path.mkdir(parents=True, exist_ok=True)
        number = max((version_number(p.name) for p in self.path.glob("v-*")), default=0) + 1
        stamp = f"{number:06d}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
        version = self.path / f".tmp-v-{stamp}"
        version.mkdir()
        (version / SCHEMA_MARKER).write_text(self.schema)
        return version

    def publish(self, version: Path) -> Path:
        """Rename the finished version into place and swap `current` to it in one atomic rename."""
        final = self.path / version.name.removeprefix(".tmp-")
        version.rename(final)
        try:
            was_live = os.readlink(self.current_link)
        except OSError:
            was_live = None
        temp_link = self.path / f".{CURRENT}.{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            temp_link.unlink()
        temp_link.symlink_to(final.name)
        os.replace(temp_link, self.current_link)
        self._prune(keep={final.name, was_live})
        return final

    def _prune(self, keep: set[str | None]) -> None:
        """Drop abandoned temporaries and every version but the live one and the one live before it.

        The one live before stays one build longer because a worker may still be answering a
        request from it; anything older has had a whole build's time to let go. Which one that
        is comes from the `current` link, never from names or dates (a clock set back, a version
        put live again by hand).
        """
        versions = [p for p in self.path.glob("v-*") if p.is_dir() and p.name not in keep]
        for stale in [*self.path.glob(".tmp-v-*"), *versions]:
            shutil.rmtree(stale, ignore_errors=True)

    def discard(self, version: Path) -> None:
        """Remove an unpublished version (a build that failed)."""
        shutil.rmtree(version, ignore_errors=True)

    def discard_temporaries(self) -> None:
        for stale in self.path.glob(".tmp-v-*"):
            shutil.rmtree(stale, ignore_errors=True)


def version_number(name: str) -> int:
    """The build number in a version's name (`v-000012-...`); 0 for versions named before there
    were numbers (`v-20261203-...`), which sort before every numbered one."""
    match = re.match(r"(?:\.tmp-)?v-(\d{6})-", name)
    return int(match.group(1)) if match else 0


#: What each manifest entry must hold, with the types it may have: an entry of another shape
#: (an edit by hand, a manifest of another program) makes the whole manifest count as absent.
_ENTRY_FIELDS = {
    "meta_hash": (str,),
    "content_sha": (str, type(None)),
    "status": (str,),
    "pages": (int,),
    "failure": (str, type(None)),
    "warning": (str, type(None)),
    "url": (str, type(None)),
}


def read_manifest(version: Path | None) -> dict:
    """The manifest of `version`; {} if there is none or it is not of the shape builds write (the
    build then starts afresh instead of stopping with a KeyError, and pages show no build state)."""
    if version is None:
        return {}
    try:
        manifest = json.loads((version / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    return manifest if valid_manifest(manifest) else {}


def valid_manifest(manifest) -> bool:
    return isinstance(manifest, dict) and all(
        isinstance(key, str)
        and isinstance(entry, dict)
        and all(
            isinstance(entry.get(name), kinds) and not isinstance(entry.get(name), bool)
            for name, kinds in _ENTRY_FIELDS.items()
        )
        and entry["status"] in ("full_text", "metadata_only")
        for key, entry in manifest.items()
    )


def write_manifest(version: Path, manifest: dict) -> None:
    atomic_write(version / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))


def write_fingerprint(version: Path, segments: dict[str, list[str]]) -> None:
    """Record the size, a digest of the ends and one of the whole of each file of the committed
    segments (segment id → file names, from the engine), so that `fingerprint_damage` can tell a file
    cut, garbled or deleted since. Segment files are written once and never changed: only a fault
    changes them."""
    known = _read_fingerprint(version)
    recorded = {
        segment: {name: known.get(segment, {}).get(name) or _fingerprint(version / name) for name in names}
        for segment, names in segments.items()
    }
    atomic_write(version / FINGERPRINT, json.dumps(recorded, indent=0, sort_keys=True))


def fingerprint_damage(version: Path, segments: dict[str, list[str]], whole: bool = False) -> str | None:
    """What is wrong with the files of the live `segments` of `version`, or None. `whole` reads each
    file in full against its recorded digest (damage between the ends); otherwise only the ends.

    Only segments the fingerprint knows are checked: one committed after it was written (a build
    in progress) is not yet recorded, one merged away since is not live any more.
    """
    recorded = _read_fingerprint(version)
    for segment in sorted(set(segments) & set(recorded)):
        for name, expected in sorted(recorded[segment].items()):
            try:
                found = _fingerprint(version / name, whole and len(expected) > 2)
            except FileNotFoundError:
                return f"{name} is missing"
            except OSError as err:
                return f"{name} cannot be read ({err.strerror or err})"
            if found[0] != expected[0]:
                return f"{name} has {found[0]:,} bytes, {expected[0]:,} were written"
            if found != expected[: len(found)]:
                return f"{name} is not what was written"
    return None


def _fingerprint(path: Path, whole: bool = True) -> list:
    """[size, digest of the ends] and, when `whole`, the digest of all the bytes."""
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        digest = hashlib.sha256(handle.read(_FINGERPRINT_BYTES))
        if size > 2 * _FINGERPRINT_BYTES:
            handle.seek(size - _FINGERPRINT_BYTES)
        digest.update(handle.read(_FINGERPRINT_BYTES))
        found = [size, digest.hexdigest()[:32]]
        if whole:
            handle.seek(0)
            found.append(hashlib.file_digest(handle, "sha256").hexdigest()[:32])
    return found


def _read_fingerprint(version: Path) -> dict[str, dict[str, list]]:
    """The recorded fingerprint; {} (nothing to check) when there is none or it is not one."""
    try:
        recorded = json.loads((version / FINGERPRINT).read_text())
    except (OSError, ValueError):
        return {}
    valid = isinstance(recorded, dict) and all(
        isinstance(files, dict) and all(isinstance(value, list) and len(value) in (2, 3) for value in files.values())
        for files in recorded.values()
    )
    return recorded if valid else {}
