"""The curators' database: one SQLite file for what is neither catalog nor index.

Suggestions, curator accounts, the audit trail, the zero-result query counts and the web builds'
reports live here (see `Settings.suggestion_db` for where the file is, and why). Several gunicorn
workers and a curator's command may write at once: WAL mode lets readers go on while one writer
commits, every write is one short transaction, and a busy timeout makes a concurrent writer wait its
turn instead of failing. Each store adds its own tables (`schema`) and opens a connection per
operation, so any thread or process may use it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

#: Seconds a writer waits for another's transaction before giving up (each takes milliseconds).
BUSY_TIMEOUT = 30.0


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def inserted_id(cursor: sqlite3.Cursor) -> int:
    """The id SQLite gave the row an INSERT just added (`lastrowid` is None only before any insert)."""
    if cursor.lastrowid is None:
        raise sqlite3.InterfaceError("the statement inserted no row")
    return cursor.lastrowid


class Database:
    """One store's view of the file; subclasses set `schema` (CREATE ... IF NOT EXISTS statements)."""

    schema = ""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._ready = False

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are begun explicitly, so each write is exactly one.
        connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
        connection.row_factory = sqlite3.Row
        try:
            if not self._ready:  # WAL mode is a property of the file: set once, kept by every connection
                connection.execute("PRAGMA journal_mode=WAL")
                connection.executescript(self.schema)
                self._ready = True
            yield connection
        finally:
            connection.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction, holding the write lock from its start (no upgrade deadlocks); undone on error."""
        with self._connect() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
