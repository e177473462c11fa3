"""The lesson as far as the teacher has run it in this kernel, read exactly as ``build`` reads it.

Each ``lk.*`` call the teacher runs is recorded here.  To say what is wrong with a cell, the
draft writes the calls run so far back out as the cells of a notebook, in memory, and reads
that with ``lessonkit``'s own reader (``format.reader.parse_notebook``): a problem in the
preview is the problem ``lessonkit validate`` reports, in the same words.  Running a cell
again replaces what it defined (a check or a step by its id; a branch or choice belongs to
the step run last), so editing and re-running converges on the file's lesson.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lessonkit.model import Lesson, Problem

__all__ = ["Draft", "call_source"]

#: what stands in, in the draft, for the cells after a code or response check: the preview shows
#: the check when its own cell runs, before those cells; ``lessonkit validate`` checks them
_FOLLOWING = {"code": ("### BEGIN SOLUTION\npass\n### END SOLUTION", "assert True"),
              "response": ("The model answer.",)}


def call_source(call: str, args: Mapping[str, Any]) -> str:
    """The source of a call as the teacher could have written it (``repr`` of literals is
    literal; anything else is refused by the reader, as it is in the file)."""
    return f"lk.{call}(" + ", ".join(f"{key}={value!r}" for key, value in args.items()) + ")"


@dataclass
class _Step:
    args: dict[str, Any] | None  # None: the implicit first step, before any lk.step
    checks: list[str] = field(default_factory=list)
    end: tuple[str, dict[str, Any]] | None = None  # ("branch" | "choose", its arguments)


class Draft:
    """The calls run so far, in lesson order; ``folder`` is where the lesson's files are."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.header: dict[str, Any] | None = None
        self._steps: dict[str, _Step] = {}
        self._checks: dict[str, dict[str, Any]] = {}
        self._current: str | None = None

    # -- recording -------------------------------------------------------------------------

    def record(self, call: str, args: dict[str, Any]) -> str:
        """Record one call; returns the key its cell is known by (see :meth:`read`)."""
        if call == "lesson":
            self.header = args
            return "lesson"
        if call == "step":
            key = f"step:{args.get('id')!r}"
            self._steps.setdefault(key, _Step(args)).args = args
            self._current = key
            return key
        step = self._current_step()
        if call == "check":
            key = f"check:{args.get('id')!r}"
            if key not in self._checks and not any(key in s.checks for s in self._steps.values()):
                step.checks.append(key)
            self._checks[key] = args
            return key
        step.end = (call, args)
        return f"end:{self._current}"

    def _current_step(self) -> _Step:
        if self._current is None:
            self._current = "step:<implicit>"
            self._steps.setdefault(self._current, _Step(None))
        return self._steps[self._current]

    # -- reading ------------------------------------------------------------------------

    @property
    def lesson_id(self) -> str:
        given = (self.header or {}).get("id")
        return given if isinstance(given, str) and given else "preview"

    def read(self) -> tuple[Lesson | None, list[Problem], dict[str, int]]:
        """The draft lesson, every problem the reader finds in it, and the cell of each call."""
        from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

        from lessonkit.format.reader import parse_notebook

        sources: list[tuple[str, str]] = []
        cells: dict[str, int] = {}

        def add(key: str | None, source: str, kind: str = "code") -> None:
            if key is not None:
                cells[key] = len(sources)
            sources.append((kind, source))

        add("lesson", "import lessonkit as lk\n" + call_source("lesson", self._header()))
        if not self._steps:  # only the header has run: its preview is not the place for "no steps"
            add(None, call_source("step", {"id": "intro"}))
        for key, step in self._steps.items():
            if step.args is not None:
                add(key, call_source("step", step.args))
            for check_key in step.checks:
                args = self._checks[check_key]
                add(check_key, call_source("check", args))
                for following in _FOLLOWING.get(str(args.get("kind")), ()):
                    add(None, following, "markdown" if args.get("kind") == "response" else "code")
            if step.end is not None:
                add(f"end:{key}", call_source(*step.end))
        nb = new_notebook(cells=[new_code_cell(s) if kind == "code" else new_markdown_cell(s) for kind, s in sources])
        lesson, problems = parse_notebook(nb, self.folder / f"{self.lesson_id}.ipynb")
        return lesson, problems, cells

    def _header(self) -> dict[str, Any]:
        """The lesson header run, or (before it runs) one declaring the skills the checks name,
        so a check can be previewed on its own."""
        if self.header is not None:
            return self.header
        skills = sorted({s for args in self._checks.values() for s in args.get("skills") or () if isinstance(s, str)})
        return {"id": "preview", "title": "Preview", "skills": {s: {"name": s} for s in skills}}

    @property
    def current_step_id(self) -> str:
        """The step run last, which a branch or choice run now ends ("intro" before any step,
        as the reader names the first page)."""
        step = self._steps.get(self._current) if self._current else None
        return str(step.args.get("id")) if step is not None and step.args is not None else "intro"
