"""The class roster: who may sign in to ``lessonkit serve``, with argon2 password hashes.

A SQLite file beside the progress store (``LESSONKIT_ROSTER``), because the teacher's
machine already has SQLite and a roster is a few dozen rows.  Only hashes are stored: a
copied roster file gives no one a password.  The session cookies' secret lives beside it,
in a file only its owner can read, so sessions survive a restart of the server.  Failed
sign-ins are counted here too, not in the server's memory, so restarting the server does
not hand a guesser a fresh allowance.  A join code is a one-time, short-lived stand-in for a
password (young students type a code from a card once; the session cookie does the rest).
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from lessonkit import settings
from lessonkit.errors import LessonkitError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_HASHER = PasswordHasher()
#: verified against when the name is unknown, so that a wrong name costs as long as a wrong password
_NOBODY = _HASHER.hash(secrets.token_urlsafe(16))
#: no look-alike characters: read off a card by a child, or out loud
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
JOIN_CODE_DAYS = 7
_SCHEMA = ("CREATE TABLE IF NOT EXISTS members (name TEXT PRIMARY KEY, hash TEXT NOT NULL, teacher INTEGER NOT NULL)",
           # a code is 10 random characters (50 bits), one use, a week at most: its SHA-256 is enough to find it,
           # a slow hash would need a scan of every row to look one up
           "CREATE TABLE IF NOT EXISTS join_codes (digest TEXT PRIMARY KEY, name TEXT NOT NULL, expires REAL NOT NULL)",
           "CREATE TABLE IF NOT EXISTS failures (key TEXT NOT NULL, at REAL NOT NULL)",
           "CREATE INDEX IF NOT EXISTS failures_by_key ON failures (key, at)")


class RosterError(LessonkitError, ValueError):
    """A roster change that cannot be made (an unknown or badly formed name, a bad CSV)."""


@dataclass(frozen=True)
class Member:
    name: str
    teacher: bool


def default_path() -> Path:
    """Where the roster is: ``LESSONKIT_ROSTER``, else beside the default progress store."""
    return Path(settings.ROSTER.read() or settings.ROSTER.default).expanduser()


def new_password() -> str:
    """A password to read out or hand over on paper: 12 characters, no look-alikes."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(12))


def _digest(code: str) -> str:
    return hashlib.sha256(code.strip().lower().replace("-", "").encode()).hexdigest()


class Roster:
    """The members of one class, in the SQLite file at ``path`` (created on first change)."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path).expanduser() if path else default_path()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch(mode=0o600)  # hashes are slow to crack, not impossible: no one else reads them
        connection = sqlite3.connect(self.path, timeout=10)
        for statement in _SCHEMA:
            connection.execute(statement)
        return connection

    def members(self) -> list[Member]:
        if not self.path.exists():
            return []
        with self._connect() as db:
            return [Member(name, bool(teacher)) for name, teacher in
                    db.execute("SELECT name, teacher FROM members ORDER BY name")]

    def add(self, name: str, password: str | None = None, *, teacher: bool = False) -> str:
        """Add (or reset) ``name``; returns the password, generated unless one is given."""
        if not _NAME.match(name):
            raise RosterError(f"{name!r}: a name is 1-64 letters, digits and . _ @ -, starting with a letter "
                              "or digit (it becomes the student's id in the progress store)")
        password = password or new_password()
        if len(password) < 8:
            raise RosterError(f"{name}: a password needs at least 8 characters")
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO members VALUES (?, ?, ?)", (name, _HASHER.hash(password), int(teacher)))
        return password

    def remove(self, name: str) -> None:
        with self._connect() as db:
            if db.execute("DELETE FROM members WHERE name = ?", (name,)).rowcount == 0:
                raise RosterError(f"{name}: not in the roster at {self.path}")
            db.execute("DELETE FROM join_codes WHERE name = ?", (name,))

    def import_csv(self, path: str | Path) -> list[tuple[str, str]]:
        """Add every row of a CSV with a ``name`` column (``teacher``: yes/1/true, optional);
        returns (name, generated password) for each, in the file's order."""
        try:
            with open(path, newline="", encoding="utf-8") as handle:
                rows = list(csv.DictReader(handle))
        except FileNotFoundError:
            raise RosterError(f"{path}: no such file or folder") from None
        if rows and "name" not in rows[0]:
            raise RosterError(f"{path}: the first line must name the columns, one of them 'name'")
        teacher_values = {"1", "yes", "true", "teacher"}
        return [(row["name"].strip(), self.add(row["name"].strip(),
                                               teacher=(row.get("teacher") or "").strip().lower() in teacher_values))
                for row in rows]

    def verify(self, name: str, password: str) -> Member | None:
        """The member whose name and password these are, None otherwise."""
        row = None
        if self.path.exists():
            with self._connect() as db:
                row = db.execute("SELECT hash, teacher FROM members WHERE name = ?", (name,)).fetchone()
        try:
            _HASHER.verify(row[0] if row else _NOBODY, password)
        except (VerificationError, InvalidHashError):
            return None
        return Member(name, bool(row[1])) if row else None

    def member(self, name: str) -> Member | None:
        """``name``'s membership, None if not (or no longer) a member: a removed student's session ends with them."""
        if not self.path.exists():
            return None
        with self._connect() as db:
            row = db.execute("SELECT teacher FROM members WHERE name = ?", (name,)).fetchone()
        return Member(name, bool(row[0])) if row else None

    def has(self, name: str) -> bool:
        return self.member(name) is not None

    def issue_join_code(self, name: str, *, days: float = JOIN_CODE_DAYS) -> str:
        """A one-time code that signs ``name`` in, valid ``days``; printed once, only its digest is kept."""
        if not self.has(name):
            raise RosterError(f"{name}: not in the roster at {self.path}; add them first (`lessonkit class add {name}`)")
        code = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        with self._connect() as db:
            db.execute("INSERT INTO join_codes VALUES (?, ?, ?)", (_digest(code), name, time.time() + days * 86400))
        return f"{code[:5]}-{code[5:]}"

    def redeem_join_code(self, code: str) -> Member | None:
        """The member a valid code was for, spending the code; None for a wrong, used or expired one."""
        if not self.path.exists():
            return None
        with self._connect() as db:
            db.execute("DELETE FROM join_codes WHERE expires < ?", (time.time(),))
            row = db.execute("DELETE FROM join_codes WHERE digest = ? RETURNING name", (_digest(code),)).fetchone()
        return self.member(row[0]) if row else None

    def record_failure(self, key: str) -> None:
        """Count one failed sign-in under ``key`` (who tried, and as whom)."""
        with self._connect() as db:
            db.execute("INSERT INTO failures VALUES (?, ?)", (key, time.time()))

    def recent_failures(self, key: str, seconds: float) -> int:
        """Failed sign-ins under ``key`` in the last ``seconds`` (older ones are forgotten)."""
        if not self.path.exists():
            return 0
        now = time.time()
        with self._connect() as db:
            db.execute("DELETE FROM failures WHERE at < ?", (now - seconds,))
            return db.execute("SELECT COUNT(*) FROM failures WHERE key = ? AND at >= ?", (key, now - seconds)).fetchone()[0]

    def cookie_secret(self) -> bytes:
        """The secret that signs session cookies, made on first use in a file only its owner can read."""
        path = self.path.with_name(self.path.name + ".cookie-secret")
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
        return path.read_text().strip().encode()
