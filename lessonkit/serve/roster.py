"""The class roster: who may sign in to ``lessonkit serve``, with argon2 password hashes.

A SQLite file beside the progress store (``LESSONKIT_ROSTER``), because the teacher's
machine already has SQLite and a roster is a few dozen rows.  Only hashes are stored: a
copied roster file gives no one a password.  The session cookies' secret lives beside it,
in a file only its owner can read, so sessions survive a restart of the server.
"""

from __future__ import annotations

import csv
import os
import re
import secrets
import sqlite3
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
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


class Roster:
    """The members of one class, in the SQLite file at ``path`` (created on first change)."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path).expanduser() if path else default_path()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch(mode=0o600)  # hashes are slow to crack, not impossible: no one else reads them
        connection = sqlite3.connect(self.path)
        connection.execute("CREATE TABLE IF NOT EXISTS members "
                           "(name TEXT PRIMARY KEY, hash TEXT NOT NULL, teacher INTEGER NOT NULL)")
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

    def has(self, name: str) -> bool:
        """Whether ``name`` is still a member (a removed student's session ends with them)."""
        if not self.path.exists():
            return False
        with self._connect() as db:
            return db.execute("SELECT 1 FROM members WHERE name = ?", (name,)).fetchone() is not None

    def cookie_secret(self) -> bytes:
        """The secret that signs session cookies, made on first use in a file only its owner can read."""
        path = self.path.with_name(self.path.name + ".cookie-secret")
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
        return path.read_text().strip().encode()
