"""The one exception root of lessonkit.

Every error lessonkit raises on purpose derives from :class:`LessonkitError`, so a tool
built on it (a hub service, a notebook extension, a grading script) can tell "lessonkit
refused this, with a reason for a person" from a bug with one ``except``.  Each error also
stays the built-in kind it is closest to (``ValueError`` for bad input, ``RuntimeError`` for
a run that could not go on), so callers that already catch those keep working.
"""

from __future__ import annotations


class LessonkitError(Exception):
    """Something lessonkit refused or could not do; ``str(error)`` says what, where and how to fix it."""


__all__ = ["LessonkitError"]
