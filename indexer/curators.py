"""Curator accounts and the audit trail, in the curators' database beside the suggestion queue.

Passwords are stored as scrypt hashes (hashlib's, memory-hard, with a random salt per account);
the parameters travel with each hash so they can be raised later without locking anyone out.
An account's `session_key` changes with its password, so changing a password (or removing the
account) ends every session signed in with the old one.
"""

from __future__ import annotations

import base64
import builtins
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from .database import Database, now

#: scrypt cost: 16 MiB of memory and ~50 ms per check, OWASP's recommended minimum.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # hashing megabytes of "password" would be a cheap way to load the server

_SCHEMA = """
CREATE TABLE IF NOT EXISTS curators (
    name        TEXT PRIMARY KEY,
    hash        TEXT NOT NULL,
    session_key TEXT NOT NULL,
    created     TEXT NOT NULL,
    changed     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    curator   TEXT NOT NULL,
    action    TEXT NOT NULL,
    record_id TEXT,
    detail    TEXT
);
"""


class AccountError(Exception):
    """An account could not be added, changed or removed; the message says why."""


@dataclass(frozen=True)
class Curator:
    name: str
    session_key: str
    created: str
    changed: str


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    curator: str
    action: str
    record_id: str | None
    detail: str | None


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=64 << 20)
    encode = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${encode(salt).decode()}${encode(digest).decode()}"


def password_matches(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=64 << 20,
            dklen=len(expected),
        )
    except ValueError:
        return False
    return scheme == "scrypt" and hmac.compare_digest(got, expected)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"the password must have at most {MAX_PASSWORD} characters")


#: Checked when a name is unknown, so a sign-in takes as long for a wrong name as for a wrong password.
_DUMMY_HASH = hash_password(secrets.token_hex(16))


class CuratorStore(Database):
    schema = _SCHEMA

    def add(self, name: str, password: str) -> Curator:
        if not NAME_PATTERN.match(name):
            raise AccountError(
                f"{name!r} is not a usable name: lower-case letters, digits, '.', '_' or '-', "
                f"at most 40, starting with a letter or digit"
            )
        check_password(password)
        stamp = now()
        curator = Curator(name, session_key=secrets.token_hex(16), created=stamp, changed=stamp)
        with self._write() as connection:
            if connection.execute("SELECT 1 FROM curators WHERE name = ?", (name,)).fetchone():
                raise AccountError(f"there is already a curator {name!r} (change the password with `passwd`)")
            connection.execute(
                "INSERT INTO curators VALUES (?, ?, ?, ?, ?)",
                (name, hash_password(password), curator.session_key, curator.created, curator.changed),
            )
        return curator

    def get(self, name: str) -> Curator | None:
        with self._connect() as connection:
            row = connection.execute(
                "SELECT name, session_key, created, changed FROM curators WHERE name = ?", (name,)
            ).fetchone()
        return Curator(**row) if row else None

    def list(self) -> list[Curator]:
        with self._connect() as connection:
            rows = connection.execute("SELECT name, session_key, created, changed FROM curators ORDER BY name")
            return [Curator(**row) for row in rows]

    def remove(self, name: str) -> None:
        with self._write() as connection:
            if not connection.execute("DELETE FROM curators WHERE name = ?", (name,)).rowcount:
                raise AccountError(f"no curator {name!r} (see `observatory curators list`)")

    def set_password(self, name: str, password: str) -> None:
        check_password(password)
        with self._write() as connection:
            changed = connection.execute(
                "UPDATE curators SET hash = ?, session_key = ?, changed = ? WHERE name = ?",
                (hash_password(password), secrets.token_hex(16), now(), name),
            ).rowcount
            if not changed:
                raise AccountError(f"no curator {name!r} (see `observatory curators list`)")

    def authenticate(self, name: str, password: str) -> Curator | None:
        """The curator, if the password is theirs; the same work is done for an unknown name."""
        with self._connect() as connection:
            row = connection.execute("SELECT hash FROM curators WHERE name = ?", (name,)).fetchone()
        matches = password_matches(password[:MAX_PASSWORD], row["hash"] if row else _DUMMY_HASH)
        return self.get(name) if row and matches else None

    # ---------------------------------------------------------------- the audit trail

    def record(self, curator: str, action: str, record_id: str | None = None, detail: str | None = None) -> None:
        """Who did what to which record, and when (the catalog's own history stays git's)."""
        with self._write() as connection:
            connection.execute(
                "INSERT INTO audit (at, curator, action, record_id, detail) VALUES (?, ?, ?, ?, ?)",
                (now(), curator, action, record_id, detail),
            )

    # builtins.list: in this class `list` names the method above
    def trail(self, record_id: str | None = None, limit: int = 100) -> builtins.list[AuditEntry]:
        """Newest first; one record's entries when `record_id` is given."""
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT * FROM audit WHERE ? IS NULL OR record_id = ? ORDER BY id DESC LIMIT ?",
                (record_id, record_id, limit),
            ).fetchall()
        return [AuditEntry(**row) for row in rows]
