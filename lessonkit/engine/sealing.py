"""Answers as salted, deliberately slow hashes.

What a student's browser or kernel holds must not reveal an answer (DESIGN §6).  The
built lesson stores ``digest(salt, canonical_answer)`` instead; at run time the student's
answer is canonicalised the same way and hashed.  A check has few possible answers, so a
fast hash would only hide them from the casual reader: PBKDF2 with enough iterations
makes enumerating answers (say, every numeric bucket) cost hours, while one check costs a
few milliseconds.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

ITERATIONS = 20_000
DIGEST_CHARS = 32


@lru_cache(maxsize=4096)
def digest(salt: str, canonical: str) -> str:
    """The sealed form of one canonical answer.

    Cached: building a lesson seals every item once to validate it and once to write it,
    and the work is deliberately slow.
    """
    raw = hashlib.pbkdf2_hmac("sha256", canonical.encode("utf-8"), salt.encode("ascii"), ITERATIONS)
    return raw.hex()[:DIGEST_CHARS]


def make_salt(*parts: str) -> str:
    """A salt unique to one item (lesson, check, item), so builds stay deterministic.

    Salts need not be secret: they only make every item's hashes different, so no table
    computed once can be reused across items or lessons.
    """
    return hmac.new(parts[0].encode("utf-8"), "\x1f".join(parts[1:]).encode("utf-8"), "sha256").hexdigest()[:32]


def matches(salt: str, canonical: str, digests: object) -> bool:
    """Whether ``canonical`` seals to one of ``digests`` (a collection of hex strings)."""
    return digest(salt, canonical) in digests  # type: ignore[operator]
