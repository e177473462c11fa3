"""The calls a teacher writes in a lesson notebook.

``lessonkit build`` reads these calls without running them (``lessonkit.format``); when the
teacher runs the notebook, each call returns its preview (``lessonkit.preview``): a check as
students get it, with the answer key in a teacher's panel, and where a branch sends students.
The functions accept exactly what docs/authoring.md documents and check nothing themselves:
the preview shows each cell's problems in ``lessonkit validate``'s words.

Only the arguments the teacher gave are passed on, so that the preview reads the call as the
file has it.  The preview is imported when a call runs, never by ``import lessonkit``, which
student kernels do too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ipywidgets


def lesson(id: str, title: str = "", *, version: str = "1", skills: dict[str, Any] | None = None,
           mastery: dict[str, Any] | None = None, confidence: bool | None = None) -> ipywidgets.Widget:
    """The lesson header: its id, title, version, skills, mastery policy, and whether each check
    asks the student how sure they are first."""
    return _preview("lesson", id=id, title=title, version=version, skills=skills, mastery=mastery,
                    confidence=confidence)


def step(id: str, *, kind: str = "content", title: str = "", review: list[str] | None = None) -> ipywidgets.Widget:
    """Open a step: the cells below it, up to the next step, are one page for the student."""
    return _preview("step", id=id, kind=kind, title=title, review=review)


def check(id: str, *, kind: str, prompt: str = "", skills: list[str] | None = None, points: float | list[float] = 1,
          hints: list[Any] | None = None, feedback: list[dict[str, Any]] | None = None,
          variants: dict[str, Any] | None = None, **fields: Any) -> ipywidgets.Widget:
    """An auto-graded question; ``fields`` are the kind's own (options, answer, tolerance, ...)."""
    return _preview("check", id=id, kind=kind, prompt=prompt, skills=skills, points=points, hints=hints,
                    feedback=feedback, variants=variants, **fields)


def branch(rules: list[dict[str, str]]) -> ipywidgets.Widget:
    """Ordered rules that pick the next step; the last one, without "if", is the default."""
    return _preview("branch", rules=rules)


def reflect(prompt: str) -> ipywidgets.Widget:
    """A reflection prompt in the current step: the student answers in words, saved with their
    work and never graded."""
    return _preview("reflect", prompt=prompt)


def choose(id: str, *, prompt: str, options: list[dict[str, str]]) -> ipywidgets.Widget:
    """A choice point: the student picks the next step by interest."""
    return _preview("choose", id=id, prompt=prompt, options=options)


def _preview(call: str, **args: Any) -> ipywidgets.Widget:
    from lessonkit.preview import preview

    # an argument left at None was not given: the file's call does not have it either
    return preview(call, {key: value for key, value in args.items() if value is not None})
