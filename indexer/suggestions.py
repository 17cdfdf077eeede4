"""Readers' suggestions: a moderation queue in SQLite that only curators act on.

A suggestion is never fetched or indexed by itself: a curator accepts it (through `add_record`, the
one way records enter the catalog) or rejects it with a reason. The web form and the CLI may write at
the same time, from several processes (gunicorn workers): SQLite in WAL mode lets readers go on while
one writer commits, every write is one short transaction, and a busy timeout makes a concurrent writer
wait its turn instead of failing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from .database import Database, inserted_id, now as _now

STATES = ("pending", "accepted", "rejected")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS suggestions (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    title     TEXT NOT NULL,
    url       TEXT NOT NULL,
    year      INTEGER NOT NULL,
    note      TEXT,
    email     TEXT,
    submitted TEXT NOT NULL,
    state     TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'accepted', 'rejected')),
    decided   TEXT,
    reason    TEXT,
    record_id TEXT
)
"""


class SuggestionError(Exception):
    """A curator's action on the queue could not be done; the message says why."""


@dataclass(frozen=True)
class Suggestion:
    id: int
    title: str
    url: str
    year: int
    note: str | None
    email: str | None
    submitted: str
    state: str
    decided: str | None
    reason: str | None
    record_id: str | None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class SuggestionQueue(Database):
    """The queue in the curators' database (`database.Database`)."""

    schema = _SCHEMA

    def submit(self, *, title: str, url: str, year: int, note: str | None = None, email: str | None = None) -> int:
        """Store a reader's suggestion as pending; returns its id."""
        with self._write() as connection:
            cursor = connection.execute(
                "INSERT INTO suggestions (title, url, year, note, email, submitted) VALUES (?, ?, ?, ?, ?, ?)",
                (title, url, year, note or None, email or None, _now()),
            )
            return inserted_id(cursor)

    def list(self, state: str | None = "pending") -> list[Suggestion]:
        """Oldest first, as a queue is worked through; `state=None` lists every suggestion."""
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT * FROM suggestions WHERE ? IS NULL OR state = ? ORDER BY id", (state, state)
            ).fetchall()
        return [Suggestion(**row) for row in rows]

    def get(self, suggestion_id: int) -> Suggestion:
        with self._connect() as connection:
            return self._get(connection, suggestion_id)

    @staticmethod
    def _get(connection: sqlite3.Connection, suggestion_id: int) -> Suggestion:
        row = connection.execute("SELECT * FROM suggestions WHERE id = ?", (suggestion_id,)).fetchone()
        if row is None:
            raise SuggestionError(f"no suggestion {suggestion_id} (see `observatory suggestions list --state all`)")
        return Suggestion(**row)

    def _pending(self, connection: sqlite3.Connection, suggestion_id: int) -> Suggestion:
        suggestion = self._get(connection, suggestion_id)
        if suggestion.state != "pending":
            what = f" as {suggestion.record_id}" if suggestion.record_id else f": {suggestion.reason}"
            raise SuggestionError(
                f"suggestion {suggestion_id} was already {suggestion.state} on {suggestion.decided}{what}"
            )
        return suggestion

    def accept(self, suggestion_id: int, add: Callable[[Suggestion], str]) -> Suggestion:
        """Run `add` (which puts the record in the catalog and returns its id) and mark the suggestion accepted.

        Both happen under the queue's write lock: two curators cannot accept one suggestion twice,
        and if `add` fails the suggestion stays pending.
        """
        with self._write() as connection:
            suggestion = self._pending(connection, suggestion_id)
            record_id = add(suggestion)
            connection.execute(
                "UPDATE suggestions SET state = 'accepted', decided = ?, record_id = ? WHERE id = ?",
                (_now(), record_id, suggestion_id),
            )
            return self._get(connection, suggestion_id)

    def reject(self, suggestion_id: int, reason: str) -> Suggestion:
        if not reason.strip():
            raise SuggestionError("give a reason for the rejection (it is kept with the suggestion)")
        with self._write() as connection:
            self._pending(connection, suggestion_id)
            connection.execute(
                "UPDATE suggestions SET state = 'rejected', decided = ?, reason = ? WHERE id = ?",
                (_now(), reason.strip(), suggestion_id),
            )
            return self._get(connection, suggestion_id)
