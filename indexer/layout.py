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
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

CURRENT = "current"
LOCK_FILE = ".build.lock"
MANIFEST = "manifest.json"
SCHEMA_MARKER = "schema_version"


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
            raise BuildInProgress(f"another build is running on {self.path} (pid {holder}); "
                                  f"try again when it has finished") from None
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
        """An empty version in a temporary directory: invisible to readers until published."""
        self.path.mkdir(parents=True, exist_ok=True)
        stamp = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.time_ns() % 10**9:09d}"
        version = self.path / f".tmp-v-{stamp}"
        version.mkdir()
        (version / SCHEMA_MARKER).write_text(self.schema)
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

    def discard(self, version: Path) -> None:
        """Remove an unpublished version (a build that failed)."""
        shutil.rmtree(version, ignore_errors=True)

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
    atomic_write(version / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
