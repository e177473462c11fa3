"""The registry of check kinds.

Adding a kind means writing one module with a :class:`CheckKind` subclass and adding it
to ``KINDS`` below; a package of its own registers its kind under the ``lessonkit.kinds``
entry-point group instead (tests/plugins/lessonkit-kind-demo is one, installed by
tests/test_plugins.py).  What differs between kinds belongs in their classes, behind the
hooks of :class:`CheckKind`, so a plugin kind can do all a built-in one does.
"""

from __future__ import annotations

from functools import lru_cache

from lessonkit.engine.kinds.base import CheckKind, FailedTest, Field, Item, Verdict
from lessonkit.engine.kinds.choice import MultipleChoice, SingleChoice
from lessonkit.engine.kinds.code import Code
from lessonkit.engine.kinds.numeric import Numeric
from lessonkit.engine.kinds.response import Response
from lessonkit.engine.kinds.text import Text
from lessonkit.errors import LessonkitError

KINDS: dict[str, type[CheckKind]] = {
    kind.name: kind for kind in (SingleChoice, MultipleChoice, Numeric, Text, Code, Response)
}


@lru_cache(maxsize=None)
def _plugins() -> dict[str, type[CheckKind]]:
    from importlib.metadata import entry_points

    return {ep.name: ep.load() for ep in entry_points(group="lessonkit.kinds")}


class UnknownKindError(LessonkitError, KeyError):
    """No built-in kind and no installed plugin has this name."""

    def __str__(self) -> str:  # KeyError's own would quote the message like a key
        return str(self.args[0])


def get_kind(name: str) -> CheckKind:
    """The kind called ``name``, built in or from a plugin.

    Raises :class:`UnknownKindError` naming the kinds there are, so a misspelt kind is a
    message for the teacher, never an ``AttributeError`` on ``None`` further down.
    """
    kind = KINDS.get(name) or _plugins().get(name)
    if kind is None:
        raise UnknownKindError(f"unknown check kind '{name}': the kinds are {', '.join(kind_names())} "
                               f"(a plugin adds one under the 'lessonkit.kinds' entry point)")
    return kind()


def kind_names() -> list[str]:
    return sorted({*KINDS, *_plugins()})


__all__ = ["KINDS", "CheckKind", "FailedTest", "Field", "Item", "UnknownKindError", "Verdict", "get_kind", "kind_names"]
