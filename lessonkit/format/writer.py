"""Writing the notebooks built from a lesson: the student's, the page, the nbgrader source.

All three are laid out from the same lesson, so a student sees the same steps in
JupyterLab, in Voila and in the released nbgrader assignment.  Secrets reach only the
nbgrader source, inside nbgrader's solution and hidden-test markers, which nbgrader
strips before release and restores from its gradebook at autograde.
"""

from __future__ import annotations

import pprint
from dataclasses import dataclass, field
from typing import Any, Iterator

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from lessonkit.format.markers import strip_solution
from lessonkit.model import Lesson, Step

# A built notebook calls the player under its own alias and names (never ``lk.check``, the
# teacher's call), so its cells cannot be read as, or mistaken for, a lesson's source.
PLAYER = "lkp"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
NBGRADER_SCHEMA = 3


@dataclass
class GradeKeys:
    """What the nbgrader source needs beyond the lesson: each check's grading key (answers in
    the clear, teacher side), the sealed lesson blob, and how the points honour the route
    (docs/grading.md, "Points and routes"): ``roles`` maps a check to ``own`` (its own grade
    cells, the default), ``practice`` (graded at 0 points: a remediation or enrichment step)
    or ``member`` (its points are in a slot); ``slots`` are the grade cells that hold pooled
    points, each ``{"id", "title", "points", "options": [[{"check", "points", "mastery"}]]}``,
    the best option earning the points."""

    blob: str
    keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    slots: list[dict[str, Any]] = field(default_factory=list)

    def role(self, check_id: str) -> str:
        return self.roles.get(check_id, "own")


def _nbgrader(grade_id: str, *, grade: bool = False, solution: bool = False, locked: bool = False,
              points: float | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"grade": grade, "grade_id": grade_id, "locked": locked,
                            "schema_version": NBGRADER_SCHEMA, "solution": solution}
    if grade:
        meta["points"] = points
    return meta


def _header_source(call: str, blob: str) -> str:
    return (f"# lessonkit loads the lesson here: run this cell first.\nimport lessonkit.player as {PLAYER}\n"
            f"{PLAYER}.{call}({blob!r})")


class _Layout:
    """Lays out a lesson as cells; the nbgrader flavour adds grading metadata and grade cells."""

    def __init__(self, lesson: Lesson, blob: str, grading: GradeKeys | None = None):
        self.lesson = lesson
        self.blob = blob
        self.grading = grading
        self.count = 0

    def cell(self, kind: str, source: str, role: str, *, nbgrader: dict[str, Any] | None = None,
             hidden: bool = False, **lessonkit: Any) -> NotebookNode:
        self.count += 1
        make = new_code_cell if kind == "code" else new_markdown_cell
        cell = make(source)
        cell.id = f"lk-{self.count:04d}-{role}"
        cell.metadata["lessonkit"] = {"role": role, **lessonkit}
        if hidden:
            cell.metadata["jupyter"] = {"source_hidden": True}
        if nbgrader is not None:
            cell.metadata["nbgrader"] = nbgrader
        return cell

    def notebook(self) -> NotebookNode:
        nb = new_notebook(metadata={"kernelspec": KERNELSPEC, "language_info": {"name": "python"},
                                    "lessonkit": {"lesson": self.lesson.id, "version": self.lesson.version}})
        nb.cells = list(self.cells())
        return nb

    def cells(self) -> Iterator[NotebookNode]:
        yield self.cell("code", _header_source("start_notebook", self.blob), "header", hidden=True,
                        nbgrader=_nbgrader("lessonkit-header", locked=True) if self.grading else None)
        yield self.cell("markdown", f"# {self.lesson.title}", "title")
        for step in self.lesson.steps:
            yield from self.step(step)
        if self.grading is not None:
            yield from self.slots(self.grading)

    def step(self, step: Step) -> Iterator[NotebookNode]:
        if step.title:
            yield self.cell("markdown", f"## {step.title}", "step", step=step.id)
        for block in step.blocks:
            if block.kind == "markdown":
                yield self.cell("markdown", block.source, "content", step=step.id)
            elif block.kind == "code":
                yield self.cell("code", block.source, "example", step=step.id)
            elif block.kind == "reflection":  # the answer cell travels with the submission, ungraded
                yield self.cell("markdown", f"**Reflect:** {block.source}", "reflection", step=step.id)
                yield self.cell("markdown", "*Write your answer here.*", "reflection-answer", step=step.id)
            else:
                yield from self.check(block.check or "", step)
        if step.branch is not None or step.choice is not None:
            yield self.cell("code", f"{PLAYER}.show_next_step({step.id!r})", "next", step=step.id,
                            nbgrader=_nbgrader(f"{step.id}-next", locked=True) if self.grading else None)

    def check(self, check_id: str, step: Step) -> Iterator[NotebookNode]:
        check = self.lesson.checks[check_id]
        where = {"step": step.id, "check": check_id}
        locked = (lambda role: _nbgrader(f"{check_id}-{role}", locked=True)) if self.grading else (lambda role: None)
        if check.kind == "response":
            yield from self.response(check_id, where)
            return
        if check.kind == "code":
            yield self.cell("markdown", check.prompt, "prompt", nbgrader=locked("prompt"), **where)
            answer = check.solution if self.grading else strip_solution(check.solution or "")
            yield self.cell("code", answer or "", "answer", **where,
                            nbgrader=_nbgrader(f"{check_id}-answer", solution=True) if self.grading else None)
        yield self.cell("code", f"{PLAYER}.show_check({check_id!r})", "check", nbgrader=locked("widget"), **where)
        if not self.grading:
            return
        role = self.grading.role(check_id)
        if check.kind == "code":
            for n, (tests, points) in enumerate(zip(check.tests, check.test_points)):
                earlier = sum(check.test_points[:n])
                # a practice or pooled check's tests earn nothing here: they tell its slot what passed
                call = "points_after_hints" if role == "own" else "tests_passed"
                source = (f"{PLAYER}.guard_builtins()\n{tests.rstrip()}\n"
                          f"{PLAYER}.{call}({check_id!r}, {points!r}, before={earlier!r})")
                grade_id = check_id if n == 0 else f"{check_id}-tests-{n + 1}"
                yield self.cell("code", source, "grade", nbgrader=_nbgrader(grade_id, grade=True, locked=True,
                                                                           points=points if role == "own" else 0.0),
                                **where)
        elif check.points > 0 and role == "own":
            yield self.hidden_grade_cell(check_id, "scores your answer", f"{PLAYER}.grade({check_id!r}, "
                                         f"{self.pretty(self.grading.keys[check_id])})", check.points, **where)

    def hidden_grade_cell(self, grade_id: str, what: str, call: str, points: float, **lessonkit: Any) -> NotebookNode:
        """A grade cell whose call (it holds answer keys) nbgrader hides from the student."""
        source = f"# This cell {what} when your work is graded.\n{HIDDEN_BEGIN}\n{call}\n{HIDDEN_END}"
        return self.cell("code", source, "grade", nbgrader=_nbgrader(grade_id, grade=True, locked=True, points=points),
                         **lessonkit)

    @staticmethod
    def pretty(value: Any) -> str:
        return pprint.pformat(value, sort_dicts=True, width=100)

    def slots(self, grading: GradeKeys) -> Iterator[NotebookNode]:
        """The grade cells of pooled points, after every check they read (a code member's tests
        ran before), each scoring the best of its options from the submission's log."""
        if grading.slots:
            yield self.cell("markdown", "## Points for your route\nThe cells below score the work your route "
                                        "through the lesson asked of you.", "slots")
        for slot in grading.slots:
            options = [[{**member, **({"tests": True} if self.lesson.checks[member["check"]].kind == "code"
                                      else {"key": grading.keys[member["check"]]})}
                        for member in option] for option in slot["options"]]
            yield self.hidden_grade_cell(slot["id"], f"scores {slot['title']}",
                                         f"{PLAYER}.grade_slot({slot['id']!r}, {slot['points']!r}, "
                                         f"{self.pretty(options)})", slot["points"], slot=slot["id"])

    def response(self, check_id: str, where: dict[str, str]) -> Iterator[NotebookNode]:
        """A person grades it: the prompt, then the cell the student answers in."""
        check = self.lesson.checks[check_id]
        code = check.spec.get("format") == "code"
        yield self.cell("markdown", check.prompt, "prompt", **where,
                        nbgrader=_nbgrader(f"{check_id}-prompt", locked=True) if self.grading else None)
        if self.grading:
            answer = check.solution or ""
        else:
            answer = strip_solution(check.solution or "") if code else "YOUR ANSWER HERE"
        points = 0.0 if self.grading and self.grading.role(check_id) == "practice" else check.points
        yield self.cell("code" if code else "markdown", answer, "answer", **where,
                        nbgrader=_nbgrader(check_id, grade=True, solution=True, points=points)
                        if self.grading else None)


def student_notebook(lesson: Lesson, blob: str) -> NotebookNode:
    """The notebook a student works through in JupyterLab: widgets, no answers."""
    return _Layout(lesson, blob).notebook()


def nbgrader_notebook(lesson: Lesson, grading: GradeKeys) -> NotebookNode:
    """The nbgrader source: the student notebook plus solutions and grade cells (schema v3)."""
    return _Layout(lesson, grading.blob, grading).notebook()


def page_notebook(lesson: Lesson, blob: str) -> NotebookNode:
    """The notebook Voila serves: one cell that runs the whole lesson, one step at a time."""
    nb = new_notebook(metadata={"kernelspec": KERNELSPEC, "language_info": {"name": "python"},
                                "lessonkit": {"lesson": lesson.id, "version": lesson.version}})
    cell = new_code_cell(_header_source("start_page", blob))
    cell.id = "lk-page"
    nb.cells = [cell]
    return nb


def dumps(nb: NotebookNode) -> str:
    """A notebook as text, byte-identical for the same content."""
    return nbformat.writes(nb, version=4) + "\n"
