"""Incremental builds started from the curators' screens, run in the background.

A save returns at once; the build runs in a thread of the worker that took the request (its
extraction processes come from the build's own fork server). Each build's state is a row in the
curators' database, so every worker, and the progress page's polling, sees the same thing. Builds
requested while one runs are folded into one more build after it; a build started from the command
line meanwhile holds the index's lock, and the web's waits for it to finish.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass

from indexer.config import Settings
from indexer.database import Database, inserted_id, now
from indexer.layout import BuildInProgress

#: How long a queued build waits for another (e.g. a curator's `observatory build`) to release the lock.
LOCK_WAIT_SECONDS = 3600.0
_POLL = 0.5

_SCHEMA = """
CREATE TABLE IF NOT EXISTS web_builds (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    requested TEXT NOT NULL,
    curator   TEXT NOT NULL,
    reason    TEXT NOT NULL,
    state     TEXT NOT NULL CHECK (state IN ('queued', 'running', 'finished', 'failed')),
    started   TEXT,
    finished  TEXT,
    report    TEXT,
    error     TEXT
);
"""


@dataclass(frozen=True)
class WebBuild:
    id: int
    requested: str
    curator: str
    reason: str
    state: str
    started: str | None
    finished: str | None
    report: dict | None
    error: str | None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class BuildLog(Database):
    schema = _SCHEMA

    def queue(self, curator: str, reason: str) -> int:
        with self._write() as connection:
            return inserted_id(
                connection.execute(
                    "INSERT INTO web_builds (requested, curator, reason, state) VALUES (?, ?, ?, ?)",
                    (now(), curator, reason, "queued"),
                )
            )

    def claim(self) -> list[int]:
        """Every queued build, marked running: one build serves them all."""
        with self._write() as connection:
            ids = [row["id"] for row in connection.execute("SELECT id FROM web_builds WHERE state = 'queued'")]
            connection.executemany(
                "UPDATE web_builds SET state = 'running', started = ? WHERE id = ?", [(now(), n) for n in ids]
            )
        return ids

    def finish(self, ids: list[int], report: dict | None, error: str | None) -> None:
        with self._write() as connection:
            connection.executemany(
                "UPDATE web_builds SET state = ?, finished = ?, report = ?, error = ? WHERE id = ?",
                [
                    ("failed" if error else "finished", now(), json.dumps(report) if report else None, error, n)
                    for n in ids
                ],
            )

    def latest(self, limit: int = 1) -> list[WebBuild]:
        with self._connect() as connection:
            rows = connection.execute("SELECT * FROM web_builds ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [WebBuild(**{**row, "report": json.loads(row["report"]) if row["report"] else None}) for row in rows]


class BuildRunner:
    """One background thread per process, started when a build is queued and none is running here."""

    def __init__(self, settings: Settings, log: BuildLog):
        self.settings = settings
        self.log = log
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def request(self, curator: str, reason: str) -> int:
        build_id = self.log.queue(curator, reason)
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="curators-build", daemon=True)
                self._thread.start()
        return build_id

    def wait(self, timeout: float) -> bool:
        """Until this process's builds are done (what a save's caller waits for); False if still running."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()

    def _run(self) -> None:
        from indexer.build import build  # the build's extraction libraries: loaded by the first build, not every worker

        while True:
            with self._lock:  # a build queued after this claim finds no thread and starts one
                ids = self.log.claim()
                if not ids:
                    self._thread = None
                    return
            report, error = None, None
            deadline = time.monotonic() + LOCK_WAIT_SECONDS
            while True:
                try:
                    report = build(self.settings, jobs=1, progress=False).as_dict()
                    break
                except BuildInProgress as err:
                    if time.monotonic() > deadline:
                        error = str(err)
                        break
                    time.sleep(_POLL)
                except Exception as err:  # noqa: BLE001 - any failure is the curator's to read, not a dead thread
                    error = f"{type(err).__name__}: {err}"
                    break
            self.log.finish(ids, report, error)
