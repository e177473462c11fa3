"""The registry of check kinds.

Adding a kind means writing one module with a :class:`CheckKind` subclass and adding it
to ``KINDS`` below; third-party packages register theirs under the ``lessonkit.kinds``
entry-point group instead, as papermill does for engines.
"""

from __future__ import annotations

from functools import lru_cache

from lessonkit.engine.kinds.base import CheckKind, Field, Item, Verdict
from lessonkit.engine.kinds.choice import MultipleChoice, SingleChoice
from lessonkit.engine.kinds.code import Code
from lessonkit.engine.kinds.numeric import Numeric
from lessonkit.engine.kinds.response import Response
from lessonkit.engine.kinds.text import Text

KINDS: dict[str, type[CheckKind]] = {
    kind.name: kind for kind in (SingleChoice, MultipleChoice, Numeric, Text, Code, Response)
}


@lru_cache(maxsize=None)
def _plugins() -> dict[str, type[CheckKind]]:
    from importlib.metadata import entry_points

    return {ep.name: ep.load() for ep in entry_points(group="lessonkit.kinds")}


def get_kind(name: str) -> CheckKind | None:
    """The kind called ``name``, built in or from a plugin; None when there is none."""
    kind = KINDS.get(name) or _plugins().get(name)
    return kind() if kind else None


def kind_names() -> list[str]:
    return sorted({*KINDS, *_plugins()})


__all__ = ["KINDS", "CheckKind", "Field", "Item", "Verdict", "get_kind", "kind_names"]
