"""Answers as salted, deliberately slow hashes.

What a student's browser or kernel holds must not reveal an answer (architecture §6).  The
built lesson stores ``digest(salt, canonical_answer)`` instead; at run time the student's
answer is canonicalised the same way and hashed.  A check has few possible answers, so a
fast hash would only hide them from the casual reader: PBKDF2 with enough iterations
makes enumerating answers (say, every numeric bucket) cost hours, while one check costs a
few milliseconds.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import hmac
from functools import lru_cache
from typing import Iterator

ITERATIONS = 20_000
DIGEST_CHARS = 32


_CLEAR: contextvars.ContextVar[bool] = contextvars.ContextVar("lessonkit_clear", default=False)


@contextlib.contextmanager
def in_the_clear() -> Iterator[None]:
    """Seal nothing inside this block: a "digest" is the canonical answer itself.

    For the grader, who judges with the answers in the clear anyway: the same items, the
    same canonical forms, the same decisions as a student gets, without the deliberately
    slow hashing (a grade cell would otherwise spend most of its time on it).
    """
    token = _CLEAR.set(True)
    try:
        yield
    finally:
        _CLEAR.reset(token)


def digest(salt: str, canonical: str) -> str:
    """The sealed form of one canonical answer."""
    return canonical if _CLEAR.get() else _slow_digest(salt, canonical)


@lru_cache(maxsize=4096)
def _slow_digest(salt: str, canonical: str) -> str:
    """Cached: building a lesson seals every item once to validate it and once to write it,
    and the work is deliberately slow."""
    raw = hashlib.pbkdf2_hmac("sha256", canonical.encode("utf-8"), salt.encode("ascii"), ITERATIONS)
    return raw.hex()[:DIGEST_CHARS]


def option_digest(salt: str, canonical: str) -> str:
    """The sealed form of an answer from a set so small a student could list it anyway: one
    option of a check (``picked:2``).

    A slow hash protects an answer only while its candidates are too many to try; an option has
    a handful, so each is a fast HMAC under one slow key per item.  Judging a wrong pick then
    costs one slow hash, not one per option, and listing the forms is no easier than before.
    """
    if _CLEAR.get():
        return canonical
    key = _slow_digest(salt, "\x1foptions").encode("ascii")
    return hmac.new(key, canonical.encode("utf-8"), "sha256").hexdigest()[:DIGEST_CHARS]


def clear_cache() -> None:
    """Forget cached digests (a benchmark that wants every run as cold as a new process)."""
    _slow_digest.cache_clear()


def make_salt(*parts: str) -> str:
    """A salt unique to one item (lesson, check, item), so builds stay deterministic.

    Salts need not be secret: they only make every item's hashes different, so no table
    computed once can be reused across items or lessons.
    """
    return hmac.new(parts[0].encode("utf-8"), "\x1f".join(parts[1:]).encode("utf-8"), "sha256").hexdigest()[:32]


def matches(salt: str, canonical: str, digests: object) -> bool:
    """Whether ``canonical`` seals to one of ``digests`` (a collection of hex strings)."""
    return digest(salt, canonical) in digests  # type: ignore[operator]
