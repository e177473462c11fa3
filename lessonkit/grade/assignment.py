"""The teacher's side of an assignment: what every submission is graded against.

Everything here comes from the gradebook that ``nbgrader generate_assignment`` filled (cell
sources with hidden tests, points, which cells are locked) and from the teacher's source
notebooks (lessonkit's own cell metadata), never from a submission: a student who edits a
test, its points or its metadata edits only their copy.  The spec is plain, picklable data,
so a Dask worker can grade without the gradebook.
"""

from __future__ import annotations

import ast
import builtins
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme
from traitlets.config import Config

from lessonkit.grade.course import Course, GradingError

_BUILTIN_NAMES = frozenset(dir(builtins))
_SCHEMA_KEYS = frozenset({"grade", "grade_id", "locked", "points", "schema_version", "solution", "task",
                          "checksum", "cell_type"})
"""The keys of nbgrader's cell metadata, schema version 3."""


@dataclass(frozen=True)
class TeacherCell:
    """One cell nbgrader tracks (grade, solution, task or locked), as the teacher wrote it.

    ``source`` is the teacher's text, hidden tests included; ``released`` is what students
    were given (hidden tests and mark schemes removed), to tell an untouched locked cell
    from an edited one.  ``builtins_used`` are the builtin names a test cell reads: the
    grader gives the tests Python's own versions of them (see :mod:`lessonkit.engine.guard`).
    """

    grade_id: str
    cell_type: str
    source: str
    released: str
    checksum: str | None
    locked: bool
    grade: bool = False
    solution: bool = False
    task: bool = False
    points: float | None = None
    hidden_tests: bool = False
    builtins_used: frozenset[str] = frozenset()
    assert_messages: frozenset[str] = frozenset()
    """The messages of the test's ``assert x, "message"`` lines: what its feedback may quote."""
    lessonkit: Mapping[str, Any] | None = None

    @property
    def name(self) -> str:  # as nbgrader's gradebook rows call it (see sanitize.SpecOverwriteCells)
        return self.grade_id

    @property
    def max_score(self) -> float:
        return float(self.points or 0.0)

    @property
    def autograded(self) -> bool:
        """A test cell: code the teacher wrote, scored from its outputs."""
        return self.grade and not self.solution and self.cell_type == "code"

    @property
    def manual(self) -> bool:
        """A grade cell a person scores: a written (markdown) or coded answer with points."""
        return self.grade and not self.autograded

    def nbgrader_metadata(self, submitted: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The cell's ``metadata["nbgrader"]``: the teacher's grading facts over what was ``submitted``.

        Keys the facts do not fix are kept as submitted (a test cell's raw ``locked`` flag,
        nbgrader's ``cell_type`` record), so an untouched cell keeps exactly the metadata
        ``nbgrader autograde`` leaves; keys outside nbgrader's schema are dropped (its
        validator rejects them).
        """
        meta = {key: value for key, value in (submitted or {}).items() if key in _SCHEMA_KEYS}
        meta.update(grade=self.grade, grade_id=self.grade_id, schema_version=3, solution=self.solution)
        for key, value in (("task", self.task or None), ("points", self.points), ("checksum", self.checksum)):
            if value is None:
                meta.pop(key, None)
            else:
                meta[key] = value
        if (not self.solution and (self.grade or bool(meta.get("locked")))) != self.locked:
            meta["locked"] = self.locked
        meta.setdefault("locked", self.locked)
        if "cell_type" in meta:
            meta["cell_type"] = self.cell_type
        return meta


@dataclass(frozen=True)
class NotebookSpec:
    name: str
    cells: Mapping[str, TeacherCell]
    kernelspec: Mapping[str, Any] | None = None
    lessonkit: Mapping[str, Any] | None = None

    @property
    def grade_cells(self) -> list[TeacherCell]:
        return [cell for cell in self.cells.values() if cell.grade]

    @property
    def max_score(self) -> float:
        return sum(cell.points or 0.0 for cell in self.cells.values() if cell.grade or cell.task)

    @property
    def kernel_name(self) -> str:
        return (self.kernelspec or {}).get("name") or "python3"


@dataclass(frozen=True)
class AssignmentSpec:
    name: str
    notebooks: tuple[NotebookSpec, ...]
    source_files: tuple[tuple[str, Path], ...] = field(default=())

    @property
    def max_score(self) -> float:
        return sum(nb.max_score for nb in self.notebooks)

    def notebook(self, name: str) -> NotebookSpec:
        for notebook in self.notebooks:
            if notebook.name == name:
                return notebook
        raise KeyError(name)


def load_assignment(course: Course, assignment: str) -> AssignmentSpec:
    """Read the teacher's side of ``assignment`` from the gradebook and the source folder."""
    source_dir = course.folder("source_directory", ".", assignment)
    notebooks = []
    with course.gradebook() as gradebook:
        for notebook in _gradebook_notebooks(gradebook, assignment):
            teacher = _read_source(source_dir / f"{notebook.name}.ipynb")
            notebooks.append(_notebook_spec(notebook, teacher, course.config))
    if not notebooks:
        raise GradingError(f"assignment {assignment!r} has no notebooks in the gradebook")
    return AssignmentSpec(assignment, tuple(notebooks), tuple(course.source_files(assignment)))


def builtins_used(source: str) -> frozenset[str]:
    """The builtin names ``source`` reads (``sum``, ``len`` ...); empty if it is not plain Python."""
    loaded = {node.id for node in _nodes(source) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    return frozenset(loaded & _BUILTIN_NAMES)


def assert_messages(source: str) -> frozenset[str]:
    """The literal messages of ``source``'s asserts (``assert x, "why"``); empty if it is not plain Python."""
    return frozenset(node.msg.value for node in _nodes(source) if isinstance(node, ast.Assert)
                     and isinstance(node.msg, ast.Constant) and isinstance(node.msg.value, str))


def _nodes(source: str) -> list[ast.AST]:
    """Every node of ``source``'s syntax tree; none for a cell that is not plain Python (IPython magics:
    its tests then run as nbgrader runs them)."""
    try:
        return list(ast.walk(ast.parse(source)))
    except SyntaxError:
        return []


def _gradebook_notebooks(gradebook: Gradebook, assignment: str) -> list[Any]:
    try:
        return list(gradebook.find_assignment(assignment).notebooks)
    except MissingEntry:
        raise GradingError(f"assignment {assignment!r} is not in the gradebook: "
                           "run nbgrader generate_assignment") from None


def _read_source(path: Path) -> NotebookNode | None:
    """The teacher's source notebook, for lessonkit's metadata (``None`` if it is gone)."""
    if not path.exists():
        return None
    try:
        return nbformat.read(path, as_version=4)
    except Exception as error:
        raise GradingError(f"{path}: the teacher's source cannot be read: {error}") from error


def _notebook_spec(notebook: Any, teacher: NotebookNode | None, config: Config) -> NotebookSpec:
    grade_cells = {c.name: c for c in notebook.grade_cells}
    task_cells = {c.name: c for c in notebook.task_cells}
    solution_ids = {c.name for c in notebook.solution_cells}
    lessonkit_meta = {}
    if teacher is not None:
        for cell in teacher.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id and "lessonkit" in cell.metadata:
                lessonkit_meta[grade_id] = cell.metadata["lessonkit"]
    hidden_marker = ClearHiddenTests(config=config).begin_test_delimeter
    cells = {}
    for source_cell in notebook.source_cells:
        name = source_cell.name
        grade = grade_cells.get(name)
        task = task_cells.get(name)
        points = grade.max_score if grade else task.max_score if task else None
        cell = TeacherCell(
            grade_id=name, cell_type=source_cell.cell_type, source=source_cell.source, released=source_cell.source,
            checksum=source_cell.checksum, locked=bool(source_cell.locked), grade=grade is not None,
            solution=name in solution_ids, task=task is not None, points=points,
            hidden_tests=hidden_marker in source_cell.source, lessonkit=lessonkit_meta.get(name))
        cells[name] = _with_release_details(cell, config)
    kernelspec = json.loads(notebook.kernelspec) if notebook.kernelspec else None
    return NotebookSpec(notebook.name, cells, kernelspec,
                        teacher.metadata.get("lessonkit") if teacher is not None else None)


def _with_release_details(cell: TeacherCell, config: Config) -> TeacherCell:
    """Fill in what students saw and, for tests, the builtins they read and their assert messages.

    The released text comes from nbgrader's own ``ClearHiddenTests`` and ``ClearMarkScheme``
    applied to the teacher's cell, so it matches ``generate_assignment`` exactly.
    """
    node = nbformat.v4.new_code_cell(cell.source) if cell.cell_type == "code" else \
        nbformat.v4.new_markdown_cell(cell.source)
    node.metadata["nbgrader"] = cell.nbgrader_metadata()
    for preprocessor in (ClearHiddenTests(config=config), ClearMarkScheme(config=config)):
        node, _ = preprocessor.preprocess_cell(node, {}, 0)
    if not cell.autograded:
        return replace(cell, released=node.source)
    return replace(cell, released=node.source, builtins_used=builtins_used(cell.source),
                   assert_messages=assert_messages(cell.source))
