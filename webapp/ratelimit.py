"""The suggestion form's rate limit, shared by every worker and kept across restarts without a server.

Counting is the `limits` library's (fixed windows, any of its storages: `redis://`, `memcached://`, ...
when RATELIMIT_STORAGE_URI names one). The embedded default is `SQLiteStorage` below, counting in
the suggestion store's own SQLite file: gunicorn's workers all see one count, and a restart forgets
nothing. Only what is accepted is counted (`Limit.hit`), after the request is checked against the
count (`Limit.allows`) before its body is parsed: a reader's mistyped post costs nothing.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from limits import parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

_SCHEMA = "CREATE TABLE IF NOT EXISTS rate_limits (key TEXT PRIMARY KEY, count INTEGER NOT NULL, expires REAL NOT NULL)"


class SQLiteStorage(Storage):
    """`sqlite:///path/to/file.sqlite3`: counters in a table of that file, one short transaction each."""

    STORAGE_SCHEME = ["sqlite"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = Path(uri.removeprefix("sqlite://"))

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        connection.execute(_SCHEMA)
        return connection

    def _live(self, connection: sqlite3.Connection, key: str) -> tuple[int, float] | None:
        row = connection.execute("SELECT count, expires FROM rate_limits WHERE key = ?", (key,)).fetchone()
        return row if row and row[1] > time.time() else None

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        connection = self._connect()
        try:
            connection.execute("BEGIN IMMEDIATE")
            count, expires = self._live(connection, key) or (0, time.time() + expiry)
            connection.execute("INSERT OR REPLACE INTO rate_limits VALUES (?, ?, ?)", (key, count + amount, expires))
            connection.execute("DELETE FROM rate_limits WHERE expires <= ?", (time.time(),))
            connection.execute("COMMIT")
            return count + amount
        finally:
            connection.close()

    def get(self, key: str) -> int:
        connection = self._connect()
        try:
            return (self._live(connection, key) or (0, 0.0))[0]
        finally:
            connection.close()

    def get_expiry(self, key: str) -> float:
        connection = self._connect()
        try:
            return (self._live(connection, key) or (0, time.time()))[1]
        finally:
            connection.close()

    def check(self) -> bool:
        try:
            self._connect().close()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        connection = self._connect()
        try:
            return connection.execute("DELETE FROM rate_limits").rowcount
        finally:
            connection.close()

    def clear(self, key: str) -> None:
        connection = self._connect()
        try:
            connection.execute("DELETE FROM rate_limits WHERE key = ?", (key,))
        finally:
            connection.close()


@dataclass
class Limit:
    """A limit such as "5 per minute; 30 per day" per client address, over one storage."""

    rule: str
    storage_uri: str

    def __post_init__(self):
        self.items = parse_many(self.rule)
        # Every storage's failures as one StorageError, for the form to answer 503 whatever the store.
        self.limiter = FixedWindowRateLimiter(storage_from_string(self.storage_uri, wrap_exceptions=True))

    def allows(self, client: str) -> bool:
        return all(self.limiter.test(item, client) for item in self.items)

    def hit(self, client: str) -> None:
        for item in self.items:
            self.limiter.hit(item, client)

    def retry_after(self, client: str) -> int:
        """Whole seconds until every exhausted window of `client` has reset."""
        stats = [self.limiter.get_window_stats(item, client) for item in self.items]
        return max(1, max((round(s.reset_time - time.time()) for s in stats if not s.remaining), default=1))
