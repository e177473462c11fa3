"""The calls a teacher writes in a lesson notebook.

``lessonkit build`` reads these calls without running them (``lessonkit.format``); when
the teacher runs the notebook, each call shows a preview of what students will get,
answers included, so a lesson can be tried while it is written.  The functions accept
exactly what docs/authoring.md documents and check nothing themselves: ``lessonkit
validate`` reports problems with the file, cell and field.
"""

from __future__ import annotations

from typing import Any

from lessonkit.preview import Preview


def lesson(id: str, title: str = "", *, version: str = "1", skills: dict[str, Any] | None = None,
           mastery: dict[str, Any] | None = None, confidence: bool = False) -> Preview:
    """The lesson header: its id, title, version, skills, mastery policy, and whether each check
    asks the student how sure they are first."""
    return Preview("lesson", dict(id=id, title=title, version=version, skills=skills or {}, mastery=mastery or {},
                                  confidence=confidence))


def step(id: str, *, kind: str = "content", title: str = "", review: list[str] | None = None) -> Preview:
    """Open a step: the cells below it, up to the next step, are one page for the student."""
    return Preview("step", dict(id=id, kind=kind, title=title, review=review or []))


def check(id: str, *, kind: str, prompt: str = "", skills: list[str] | None = None, points: float = 1,
          hints: list[Any] | None = None, feedback: list[dict[str, Any]] | None = None,
          variants: dict[str, Any] | None = None, **fields: Any) -> Preview:
    """An auto-graded question; ``fields`` are the kind's own (options, answer, tolerance, ...)."""
    return Preview("check", dict(id=id, kind=kind, prompt=prompt, skills=skills or [], points=points,
                                 hints=hints or [], feedback=feedback or [], variants=variants, **fields))


def branch(rules: list[dict[str, str]]) -> Preview:
    """Ordered rules that pick the next step; the last one, without "if", is the default."""
    return Preview("branch", dict(rules=rules))


def reflect(prompt: str) -> Preview:
    """A reflection prompt in the current step: the student answers in words, saved with their
    work and never graded."""
    return Preview("reflect", dict(prompt=prompt))


def choose(id: str, *, prompt: str, options: list[dict[str, str]]) -> Preview:
    """A choice point: the student picks the next step by interest."""
    return Preview("choose", dict(id=id, prompt=prompt, options=options))
