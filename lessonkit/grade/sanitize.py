"""A submitted notebook made ready to run, and an executed one made ready to score.

Both steps are nbgrader's own ``autograde`` preprocessors, configured from the course, so a
notebook reaches its kernel, and its scorer, exactly as under ``nbgrader autograde``:

* before: ``ClearOutput``, ``DeduplicateIds``, ``OverwriteCells`` (locked cells' and tests'
  source back from the gradebook, hidden tests included), ``CheckCellMetadata``; plus
  :class:`RestoreTeacherMetadata`, because nbgrader trusts the submission's grading flags (a
  test cell re-flagged as a solution becomes hand-graded) and its lessonkit metadata, and
  which does ``OverwriteKernelspec``'s part too;
* after: ``IgnorePattern``, ``ClearMetadataPreprocessor``, ``LimitOutput``.

The teacher's side comes from the :class:`~lessonkit.grade.assignment.NotebookSpec`, read from
the gradebook once per run rather than once per notebook.  What cannot be read or repaired is
not an exception but a :class:`Prepared` without a notebook and with the reason, and
everything repaired is a note for the grader.
"""

from __future__ import annotations

import copy
import json
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import jsonschema
import nbformat
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbformat.notebooknode import NotebookNode
from nbgrader.api import MissingEntry
from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.nbgraderformat.common import BaseMetadataValidator, SchemaTooNewError, SchemaTooOldError
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    IgnorePattern,
    LimitOutput,
    NbGraderPreprocessor,
    OverwriteCells,
)
from nbgrader.utils import is_locked
from traitlets.config import Config

from lessonkit.grade.assignment import NotebookSpec, TeacherCell
from lessonkit.grade.course import NBGRADER_LOG


@dataclass
class Prepared:
    """A notebook ready for its kernel (``notebook``), or why it cannot be graded (``problem``)."""

    notebook: NotebookNode | None
    notes: list[str] = field(default_factory=list)
    problem: str | None = None

    def protected(self, spec: NotebookSpec) -> dict[int, tuple[str, ...]]:
        """Test cells by index, with the builtin names their tests read (for the kernel's guard)."""
        assert self.notebook is not None
        found = {}
        for index, cell in enumerate(self.notebook.cells):
            teacher = spec.cells.get(cell.metadata.get("nbgrader", {}).get("grade_id", ""))
            if teacher is not None and teacher.autograded:
                found[index] = tuple(sorted(teacher.builtins_used))
        return found


class RestoreTeacherMetadata(NbGraderPreprocessor):
    """Give each tracked cell the teacher's grading flags, points and lessonkit metadata.

    A cell is tracked when its ``grade_id`` is one the teacher's source has; the last copy of
    a duplicated cell is kept (as ``DeduplicateIds`` does) and earlier copies, like cells with
    ids the teacher never wrote, lose their grading metadata and run as plain cells.
    """

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        spec: NotebookSpec = resources["lessonkit"]["spec"]
        seen: set[str] = set()
        for cell in reversed(nb.cells):
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            teacher = spec.cells.get(grade_id) if grade_id else None
            if teacher is None or grade_id in seen:
                cell.metadata.pop("nbgrader", None)
                continue
            seen.add(grade_id)
            cell.metadata["nbgrader"] = teacher.nbgrader_metadata(cell.metadata.get("nbgrader"))
            _set_or_drop(cell.metadata, "lessonkit", teacher.lessonkit)
        _set_or_drop(nb.metadata, "lessonkit", spec.lessonkit)
        if spec.kernelspec:
            nb.metadata["kernelspec"] = copy.deepcopy(spec.kernelspec)
        return nb, resources


class SpecOverwriteCells(OverwriteCells):
    """nbgrader's ``OverwriteCells``, its teacher's cells read from the spec, not the gradebook.

    Only where it opens the gradebook differs (nbgrader's ``preprocess`` does that for every
    notebook, a cost that adds up over hundreds); the restoring is nbgrader's own code.
    """

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.gradebook = _TeacherCells(resources["lessonkit"]["spec"])
        nb, resources = NbGraderPreprocessor.preprocess(self, nb, resources)
        if self.add_missing_cells:
            nb, resources = self.add_missing_grade_cells(nb, resources)
            nb, resources = self.add_missing_task_cells(nb, resources)
        return nb, resources


class _TeacherCells:
    """What ``OverwriteCells`` asks the gradebook, answered from a notebook's spec."""

    def __init__(self, spec: NotebookSpec) -> None:
        self.spec = spec

    def find_source_cell(self, name: str, notebook: str, assignment: str) -> TeacherCell:
        try:
            return self.spec.cells[name]
        except KeyError:
            raise MissingEntry() from None

    find_graded_cell = find_source_cell

    def find_notebook(self, notebook: str, assignment: str) -> SimpleNamespace:
        cells = list(self.spec.cells.values())
        return SimpleNamespace(source_cells=cells, grade_cells=[c for c in cells if c.grade],
                               solution_cells=[c for c in cells if c.solution],
                               task_cells=[c for c in cells if c.task])


class _SchemaOnce(BaseMetadataValidator):
    """nbgrader's cell metadata check against its JSON schema, the schema checked and compiled once.

    ``jsonschema.validate``, which nbgrader calls for every cell, checks the schema itself each
    time (most of preparing a notebook); the instance is validated by the same rules here.
    """

    _compiled: Any = None

    def validate_cell(self, cell: NotebookNode) -> None:
        if "nbgrader" not in cell.metadata:
            return
        version = cell.metadata["nbgrader"].get("schema_version", 0)
        if version < self.schema_version:
            raise SchemaTooOldError(f"Outdated schema version: {version} (expected {self.schema_version})",
                                    version, self.schema_version)
        if version > self.schema_version:
            raise SchemaTooNewError(f"Schema version is too new: {version} (expected {self.schema_version})",
                                    version, self.schema_version)
        if _SchemaOnce._compiled is None:
            kind = jsonschema.validators.validator_for(self.schema)
            kind.check_schema(self.schema)
            _SchemaOnce._compiled = kind(self.schema)
        error = jsonschema.exceptions.best_match(_SchemaOnce._compiled.iter_errors(cell.metadata["nbgrader"]))
        if error is not None:
            raise error


class _MetadataValidator(MetadataValidator, _SchemaOnce):
    """nbgrader's ``MetadataValidator`` (its rules for grade ids, points, cell types), schema once."""


class SchemaOnceCheckCellMetadata(CheckCellMetadata):
    """nbgrader's ``CheckCellMetadata`` with :class:`_MetadataValidator`; the same errors, logged the same."""

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        try:
            _MetadataValidator().validate_nb(nb)
        except ValidationError:
            self.log.error(traceback.format_exc())
            msg = "Notebook failed to validate; the nbgrader metadata may be corrupted."
            self.log.error(msg)
            raise ValidationError(msg) from None
        return nb, resources


def prepare_notebook(raw: bytes, spec: NotebookSpec, *, assignment: str, student_id: str,
                     config: Config) -> Prepared:
    """Read a submitted notebook and sanitize it as ``nbgrader autograde`` does (see the module docstring)."""
    filename = f"{spec.name}.ipynb"
    try:
        text = raw.decode("utf-8")
        version = nbformat.reader.get_version(json.loads(text))
        with warnings.catch_warnings():  # nbformat's complaints about the file: the notes say what matters
            warnings.simplefilter("ignore")
            nb = _normalized(_upgraded(nbformat.reads(text, as_version=4)))
    except UnicodeDecodeError as error:
        return Prepared(None, problem=f"{filename} is not UTF-8 text ({error.reason} at byte {error.start})")
    except json.JSONDecodeError as error:
        return Prepared(None, problem=f"{filename} is not valid JSON (line {error.lineno}, column {error.colno}: "
                                      f"{error.msg})")
    except Exception as error:  # nbformat's readers raise several kinds for a wrong structure
        return Prepared(None, problem=f"{filename} is not a notebook nbformat can read ({_brief(error)})")
    notes = []
    if version[0] < 4:
        notes.append(f"{filename} was in the old notebook format {version[0]}; it was converted to format 4")
    notes.extend(inspect_submission(nb, spec, add_missing=_add_missing(config)))
    resources = {"nbgrader": {"notebook": spec.name, "assignment": assignment, "student": student_id},
                 "lessonkit": {"spec": spec}}
    try:
        nb = _sanitize(nb, resources, config)
    except Exception as error:
        if not _add_missing(config):
            return Prepared(None, notes, f"{filename} could not be prepared for grading: {_brief(error)}")
        # OverwriteCells cannot place a missing cell whose neighbour is missing too: grade the rest as nbgrader does
        retry = Config(config)
        retry.SpecOverwriteCells.add_missing_cells = False
        try:
            nb = _sanitize(nb, resources, retry)
        except Exception as second:
            return Prepared(None, notes, f"{filename} could not be prepared for grading: {_brief(second)}")
        notes.append(f"{filename}: deleted grade cells could not be put back ({_brief(error)}); they score 0")
    return Prepared(nb, notes)


def finish_notebook(nb: NotebookNode, config: Config) -> NotebookNode:
    """What ``nbgrader autograde`` does to an executed notebook before scoring it."""
    for preprocessor in (IgnorePattern(config=config), ClearMetadataPreprocessor(config=config),
                         LimitOutput(config=config)):
        nb, _ = preprocessor(nb, {})
    return nb


def inspect_submission(nb: NotebookNode, spec: NotebookSpec, *, add_missing: bool) -> list[str]:
    """What the student changed that grading will undo, in words (nothing is modified here)."""
    filename = f"{spec.name}.ipynb"
    notes = []
    ids = [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells]
    counts = Counter(i for i in ids if i)
    for grade_id, count in counts.items():
        if grade_id not in spec.cells:
            notes.append(f"{filename}: cell {grade_id!r} is not one of the teacher's; its grading metadata is ignored")
        elif count > 1:
            notes.append(f"{filename}: cell {grade_id} appears {count} times; the last copy is graded")
    for teacher in spec.cells.values():
        if (teacher.grade or teacher.task) and teacher.grade_id not in counts:
            outcome = "put back from the teacher's source and graded" if add_missing else "scored 0"
            notes.append(f"{filename}: cell {teacher.grade_id} was deleted; it was {outcome}")
    last = {grade_id: cell for grade_id, cell in zip(ids, nb.cells, strict=True) if grade_id}
    for grade_id, cell in last.items():
        teacher = spec.cells.get(grade_id)
        if teacher is None:
            continue
        if cell.cell_type != teacher.cell_type:
            notes.append(f"{filename}: cell {grade_id} was changed from {teacher.cell_type} to {cell.cell_type}; "
                         "its type was restored")
        changed = _changed_flags(cell, teacher)
        if changed:
            notes.append(f"{filename}: the grading metadata of cell {grade_id} was edited ({changed}); "
                         "the teacher's is used")
        if teacher.locked and cell.source.strip() != teacher.released.strip():
            notes.append(f"{filename}: locked cell {grade_id} was edited; the teacher's version was graded")
        if cell.metadata.get("lessonkit") != teacher.lessonkit and "lessonkit" in cell.metadata:
            notes.append(f"{filename}: the lessonkit metadata of cell {grade_id} was edited; the teacher's is used")
    return notes


def _sanitize(nb: NotebookNode, resources: dict[str, Any], config: Config) -> NotebookNode:
    nb = copy.deepcopy(nb)
    for preprocessor in (ClearOutput, DeduplicateIds, RestoreTeacherMetadata, SpecOverwriteCells,
                         SchemaOnceCheckCellMetadata):
        nb, resources = preprocessor(config=config, log=NBGRADER_LOG)(nb, resources)
    return _normalized(nb)  # cells nbgrader puts back have no id


def _upgraded(nb: NotebookNode) -> NotebookNode:
    """``nb`` in nbformat 4.5, the version nbgrader's own code validates cells against.

    nbgrader's ``OverwriteCells`` checks a cell whose type it restores against the newest
    schema, which requires cell ids: a 4.0 to 4.4 notebook (nbgrader's own examples are 4.0)
    with a test cell turned into markdown would otherwise fail as a whole.
    """
    if nb.nbformat == 4 and nb.get("nbformat_minor", 0) < 5:
        return nbformat.v4.upgrade(nb, from_version=4, from_minor=nb.get("nbformat_minor", 0))
    return nb


def _brief(error: Exception) -> str:
    """What went wrong, in one line: a schema validator's message without the instance and schema dump."""
    message = getattr(error, "message", None)  # jsonschema's and nbformat's validation errors
    text = message if isinstance(message, str) and message else str(error)
    first = next((line.strip() for line in text.splitlines() if line.strip()), type(error).__name__)
    return first if len(first) <= 200 else first[:199] + "…"


def _normalized(nb: NotebookNode) -> NotebookNode:
    """``nb`` valid for its nbformat version (cell ids filled in), so writing it warns about nothing."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nbformat.from_dict(nbformat.validator.normalize(nb)[1])


def _add_missing(config: Config) -> bool:
    return bool(config.OverwriteCells.get("add_missing_cells", False))


def _changed_flags(submitted: NotebookNode, teacher: TeacherCell) -> str:
    """The grading flags and points of a submitted cell that differ from the teacher's.

    ``locked`` is compared as nbgrader reads it (:func:`nbgrader.utils.is_locked`: a test cell
    is locked whatever its flag says), so only edits that change grading are reported.
    """
    meta = submitted.metadata.get("nbgrader", {})
    changed = [f"{key}: {meta.get(key)!r} instead of {getattr(teacher, key)!r}"
               for key in ("grade", "solution", "task") if bool(meta.get(key)) != getattr(teacher, key)]
    if is_locked(submitted) != teacher.locked and not teacher.solution:
        changed.append(f"locked: {is_locked(submitted)!r} instead of {teacher.locked!r}")
    if teacher.points is not None and _number(meta.get("points")) != teacher.points:
        changed.append(f"points: {meta.get('points')!r} instead of {teacher.points!r}")
    return ", ".join(changed)


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _set_or_drop(metadata: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        metadata.pop(key, None)
    else:
        metadata[key] = copy.deepcopy(value)
