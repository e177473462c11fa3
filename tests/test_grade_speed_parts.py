"""The parts made faster for grading throughput keep nbgrader's rules exactly.

nbgrader's ``CheckCellMetadata`` re-checks its JSON schema for every cell; lessonkit's
``SchemaOnceCheckCellMetadata`` checks it once.  Each case here must get the same verdict and
the same message from both.
"""

from __future__ import annotations

import copy

import nbformat
import pytest
from nbgrader.nbgraderformat import MetadataValidator

from lessonkit.grade.sanitize import _MetadataValidator

GOOD = {"grade": True, "grade_id": "test_squares", "locked": True, "points": 2, "schema_version": 3,
        "solution": False}
CASES = {
    "valid test cell": {},
    "points not a number": {"points": "two"},
    "grade not a boolean": {"grade": "yes"},
    "grade id missing": {"grade_id": None},
    "points missing": {"points": None},
    "an old schema": {"schema_version": 2},
    "a schema from the future": {"schema_version": 4},
    "a task on a code cell": {"task": True, "grade": False},
}


def _notebook(change: dict) -> nbformat.NotebookNode:
    meta = copy.deepcopy(GOOD)
    for key, value in change.items():
        if value is None:
            meta.pop(key)
        else:
            meta[key] = value
    cell = nbformat.v4.new_code_cell("assert squares(2) == [1, 4]")
    cell.metadata["nbgrader"] = meta
    return nbformat.v4.new_notebook(cells=[cell])


def _verdict(validator: type, nb: nbformat.NotebookNode) -> tuple[str, str] | None:
    try:
        validator().validate_nb(nb)
    except Exception as error:  # noqa: BLE001  (the verdict is the kind of error and its message)
        return type(error).__name__, str(error).splitlines()[0]
    return None


@pytest.mark.parametrize("case", CASES)
def test_the_schema_checked_once_gives_nbgraders_verdict(case):
    nb = _notebook(CASES[case])
    ours, theirs = _verdict(_MetadataValidator, copy.deepcopy(nb)), _verdict(MetadataValidator, nb)
    assert ours == theirs
    assert (theirs is None) == (case == "valid test cell")
