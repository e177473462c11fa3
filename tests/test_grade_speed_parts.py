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


def test_a_late_penalty_is_taken_from_the_scores_just_written(tmp_path):
    """Scores and late penalties go in one commit: the penalty must still see the new scores
    (nbgrader's ``zero`` method takes the whole notebook score away)."""
    import datetime

    from nbgrader.api import Gradebook
    from traitlets.config import Config

    from lessonkit.grade.assignment import AssignmentSpec, NotebookSpec
    from lessonkit.grade.course import Submission
    from lessonkit.grade.records import record_submission
    from lessonkit.grade.scoring import CellScore

    url = f"sqlite:///{tmp_path}/gradebook.db"
    due = datetime.datetime(2026, 11, 20, 12, 0)
    with Gradebook(url) as gradebook:
        gradebook.add_assignment("ps", duedate=due)
        gradebook.add_notebook("nb", "ps")
        gradebook.add_grade_cell("test_a", "nb", "ps", max_score=3, cell_type="code")
        gradebook.add_grade_cell("test_b", "nb", "ps", max_score=2, cell_type="code")
    config = Config()
    config.LateSubmissionPlugin.penalty_method = "zero"
    spec = AssignmentSpec("ps", (NotebookSpec("nb", {}),))
    for student, late in (("on_time", False), ("late", True)):
        submission = Submission(student, tmp_path, due + datetime.timedelta(hours=1 if late else -1))
        scores = [CellScore("nb", "test_a", 3.0, 3.0, ""), CellScore("nb", "test_b", 1.0, 2.0, "")]
        with Gradebook(url) as gradebook:
            record_submission(gradebook, spec, submission, {"nb": None}, scores, config)
    with Gradebook(url) as gradebook:
        late = gradebook.find_submission_notebook("nb", "ps", "late")
        on_time = gradebook.find_submission_notebook("nb", "ps", "on_time")
        assert (late.score, late.late_submission_penalty) == (4.0, 4.0)
        assert (on_time.score, on_time.late_submission_penalty) == (4.0, None)
        assert not gradebook.find_grade("test_b", "nb", "ps", "late").needs_manual_grade
