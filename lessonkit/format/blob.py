"""The sealed lesson as one compact text, embedded in the notebooks students get.

A built notebook must work on its own (nbgrader releases notebooks, Voila serves one), so
the sealed lesson travels inside it rather than beside it.  Compressed and base64-encoded
it stays a single line, out of the way of the student's cells and of diffs.
"""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

FORMAT = 1


def encode(sealed: dict[str, Any]) -> str:
    """The text form of a sealed lesson (deterministic: same lesson, same text)."""
    raw = json.dumps({"format": FORMAT, **sealed}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return base64.b64encode(zlib.compress(raw.encode("utf-8"), 9)).decode("ascii")


def decode(text: str) -> dict[str, Any]:
    """The sealed lesson back from its text form."""
    try:
        data = json.loads(zlib.decompress(base64.b64decode(text.encode("ascii"))).decode("utf-8"))
    except (ValueError, zlib.error) as error:
        raise ValueError("this notebook's lesson data is damaged; ask your teacher for a fresh copy") from error
    if data.get("format") != FORMAT:
        raise ValueError(f"this notebook was built by a lessonkit with lesson format {data.get('format')}; "
                         f"this lessonkit reads format {FORMAT}: upgrade lessonkit")
    return data
