"""The parts of ``lessonkit grade`` that need no kernel: scoring, the teacher's metadata, reading
submissions, what feedback withholds, the summary, where a password may go, the output budget (fast; the slow tests run them for real)."""

from __future__ import annotations

import json
import types

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from lessonkit.engine.sandbox import Containment
from lessonkit.grade.assignment import NotebookSpec, TeacherCell, assert_messages, builtins_used
from lessonkit.grade.course import GradingError
from lessonkit.grade.execute import _GradingClient
from lessonkit.grade.redact import HideHiddenTests, verdict
from lessonkit.grade.report import GradeReport, SubmissionReport
from lessonkit.grade.sanitize import inspect_submission, prepare_notebook
from lessonkit.grade.scoring import CellScore, failed_cells, score_notebook
from lessonkit.grade.secrets import has_password, read_secret_file, refuse_on_command_line, refuse_readable_secrets

TEST_SOURCE = "assert f(1) == 1\n### BEGIN HIDDEN TESTS\nassert f(2) == 4, 'squares grow fast'\n### END HIDDEN TESTS"
TEST = TeacherCell("test_f", "code", TEST_SOURCE, "assert f(1) == 1", "abc", locked=True, grade=True, points=2.0,
                   hidden_tests=True, builtins_used=frozenset(), assert_messages=frozenset({"squares grow fast"}))
ANSWER = TeacherCell("f", "code", "def f(x):\n    return x * x", "def f(x):\n    pass", "def", locked=False,
                     solution=True)
SPEC = NotebookSpec("nb", {"f": ANSWER, "test_f": TEST})


def graded(*outputs, points: float = 2.0) -> nbformat.NotebookNode:
    cell = new_code_cell(TEST_SOURCE, outputs=list(outputs))
    cell.metadata["nbgrader"] = TEST.nbgrader_metadata({"points": points})
    return new_notebook(cells=[cell])


def result(text: str) -> nbformat.NotebookNode:
    return new_output("execute_result", data={"text/plain": text}, execution_count=1)


def test_scores_follow_nbgrader_and_clamp_what_crashes_it():
    def score(*outputs):
        [cell] = score_notebook(graded(*outputs), SPEC)
        return cell.score, cell.reason

    assert score() == (2.0, "passed")
    assert score(new_output("stream", name="stdout", text="fine\n")) == (2.0, "passed")
    assert score(new_output("stream", name="stderr", text="UserWarning: slow\n")) == (0.0, "wrote to stderr: "
                                                                                          "UserWarning: slow")
    assert score(new_output("error", ename="AssertionError", evalue="", traceback=[])) == (0.0, "AssertionError:")
    assert score(result("0.5")) == (0.5, "partial credit: 0.5 of 2")
    assert score(result("7")) == (2.0, "its result is above the cell's 2 points; counted as 2")  # nbgrader raises
    assert score(new_output("execute_result", data={}, execution_count=1))[0] == 0.0  # nbgrader raises too
    assert score(result("-1")) == (2.0, "passed")  # nbgrader's rule: a negative result is full credit


def test_missing_and_unreadable_notebooks_score_zero_with_the_reason():
    assert score_notebook(new_notebook(), SPEC) == [CellScore("nb", "test_f", 0.0, 2.0, "missing from the submission")]
    assert score_notebook(None, SPEC, unread="nb.ipynb is not valid JSON")[0].reason == "nb.ipynb is not valid JSON"


def test_builtins_a_test_reads():
    assert builtins_used("assert sum(xs) == len(ys) and total(xs)") == {"sum", "len"}
    assert builtins_used("%time assert f(1)") == frozenset()  # IPython syntax: not guarded


def test_teacher_metadata_keeps_what_nbgrader_keeps():
    submitted = {"grade": False, "grade_id": "test_f", "locked": False, "points": 100, "solution": True,
                 "cell_type": "markdown", "extra": 1}
    assert TEST.nbgrader_metadata(submitted) == {"grade": True, "grade_id": "test_f", "locked": False,
                                                 "points": 2.0, "schema_version": 3, "solution": False,
                                                 "checksum": "abc", "cell_type": "code"}


def test_edits_to_a_submission_are_named():
    cell = new_code_cell("pass")
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "test_f", "locked": True, "points": 9,
                                 "schema_version": 3, "solution": False}
    twice = [new_code_cell("1", metadata={"nbgrader": {"grade_id": "f", "solution": True}}) for _ in range(2)]
    stranger = new_markdown_cell("hi")
    stranger.metadata["nbgrader"] = {"grade_id": "mine", "grade": True, "points": 50}
    notes = inspect_submission(new_notebook(cells=[*twice, cell, stranger]), SPEC, add_missing=True)
    assert notes == [
        "nb.ipynb: cell f appears 2 times; the last copy is graded",
        "nb.ipynb: cell 'mine' is not one of the teacher's; its grading metadata is ignored",
        "nb.ipynb: the grading metadata of cell test_f was edited (points: 9 instead of 2.0); the teacher's is used",
        "nb.ipynb: locked cell test_f was edited; the teacher's version was graded",
    ]


def test_unreadable_submissions_become_reasons():
    common = {"assignment": "a", "student_id": "s", "config": None}
    assert prepare_notebook(b'{"cells": [', SPEC, **common).problem.startswith("nb.ipynb is not valid JSON (line 1")
    assert "not UTF-8" in prepare_notebook(b"\xff\xfe", SPEC, **common).problem
    assert "not a notebook" in prepare_notebook(b'{"cells": 3}', SPEC, **common).problem


def test_feedback_withholds_what_ran_after_hidden_tests():
    """Outputs before the first hidden test are shown; from it on, none: the grader's verdicts instead."""
    error = new_output("error", ename="AssertionError", evalue="squares grow fast",
                       traceback=["\x1b[0;32massert\x1b[0m f(2) == 4, 'squares grow fast'"])
    test = graded(error).cells[0]
    test.metadata.nbgrader["score"] = 0.0
    before = new_code_cell("print(1)", outputs=[new_output("stream", name="stdout", text="my own output\n")])
    after = new_code_cell("print(leak)", outputs=[
        new_output("stream", name="stdout", text="YXNzZXJ0IGYoMikgPT0gNA==\n"),  # any encoding at all
        new_output("error", ename="ZeroDivisionError", evalue="the hidden test was ...", traceback=[])])
    liar = new_code_cell("raise type(leak, (Exception,), {})(leak)", outputs=[
        new_output("error", ename="YXNzZXJ0", evalue="YXNzZXJ0", traceback=[])])
    nb = new_notebook(cells=[before, test, after, liar])
    nb.metadata["widgets"] = {"state": {"model": {"value": "anything"}}}
    nb, _ = HideHiddenTests().preprocess(nb, {"lessonkit": {"spec": SPEC}})
    assert [o.text for o in nb.cells[0].outputs] == ["my own output\n"]
    assert nb.cells[1].source == "assert f(1) == 1\n# This cell also runs hidden tests; they are not shown."
    assert [o.text for o in nb.cells[1].outputs] == ["Result: failed (AssertionError: squares grow fast).\n"]
    withheld = "[Output not shown: this cell ran after hidden tests, so its output could reveal them. " \
               "Your teacher sees it.]"
    assert [o.text for o in nb.cells[2].outputs] == [withheld + " It ended in ZeroDivisionError.\n"]
    assert [o.text for o in nb.cells[3].outputs] == [withheld + " It ended in an exception of the submission's own.\n"]
    assert "widgets" not in nb.metadata


def test_a_failed_tests_verdict_quotes_only_what_the_grader_knows():
    def why(*outputs, score=0.0):
        cell = graded(*outputs).cells[0]
        cell.metadata.nbgrader["score"] = score
        return verdict(cell, TEST)

    def error(name, value=""):
        return new_output("error", ename=name, evalue=value, traceback=[])

    assert why(error("AssertionError", "not the teacher's words")) == "Result: failed (AssertionError)."
    assert why(error("NameError", "name 'leak' is not defined")) == "Result: failed (NameError)."
    assert why(error("CellTimeoutError", "cell 3 ...")) == "Result: failed (it ran past the time limit)."
    assert why(new_output("stream", name="stderr", text="secret\n")) == "Result: failed (it wrote to stderr)."
    assert why(score=2.0) == "Result: passed."
    assert why(score=0.5) == "Result: partly passed (0.5 of 2 points)."


def test_assert_messages_are_the_teachers_literal_ones():
    assert assert_messages(TEST_SOURCE) == {"squares grow fast"}
    assert assert_messages("assert f(1), msg\nassert g(), f'{x}'\nassert h(), 'plain'") == {"plain"}
    assert assert_messages("%time assert f(1), 'magic'") == frozenset()


def test_output_budget_cuts_output_never_a_score():
    nb = new_notebook(cells=[new_code_cell("x")])
    client = _GradingClient(nb, types.SimpleNamespace(km=None, kc=None), budget=100)

    def message(kind, **content):
        return {"msg_type": kind, "content": content, "header": {"msg_type": kind}, "parent_header": {}}

    assert client._within_budget(message("stream", name="stdout", text="a" * 60), 0)["content"]["text"] == "a" * 60
    note = client._within_budget(message("stream", name="stdout", text="b" * 60), 0)
    assert note["content"]["text"].startswith("[lessonkit: the output limit was reached")
    assert client._within_budget(message("stream", name="stdout", text="c"), 0) is None
    kept = client._within_budget(message("stream", name="stderr", text="warning " * 1000), 0)
    assert kept["content"]["text"].startswith("warning ") and len(kept["content"]["text"]) < 600  # still stderr
    assert client._within_budget(message("stream", name="stderr", text="more"), 0) is None
    error = client._within_budget(message("error", ename="E", evalue="v", traceback=["x"] * 50), 0)
    assert error["content"]["traceback"] == ["x"] * 5
    big = client._within_budget(message("execute_result", data={"text/plain": "1.5", "image/png": "A" * 10**6},
                                        metadata={}, execution_count=1), 0)
    assert big["content"]["data"] == {"text/plain": "1.5"}  # the partial credit survives
    assert client.cut_cells == {0}


def test_a_later_cell_cannot_rewrite_an_earlier_cells_display():
    shown = new_output("display_data", data={"text/plain": "before"})
    nb = new_notebook(cells=[new_code_cell("h = display('before', display_id=True)", outputs=[shown]),
                             new_code_cell("h.update(leak)"), new_code_cell("g = display('x', display_id=True)")])
    client = _GradingClient(nb, types.SimpleNamespace(km=None, kc=None), budget=10_000)
    client._display_id_map = {"d": {0: [0]}}

    def update(text, cell_index):
        msg = {"msg_type": "update_display_data", "header": {"msg_type": "update_display_data"},
               "parent_header": {}, "content": {"data": {"text/plain": text}, "metadata": {},
                                                "transient": {"display_id": "d"}}}
        client.process_message(msg, nb.cells[cell_index], cell_index)

    update("the hidden tests", 1)
    assert nb.cells[0].outputs[0].data == {"text/plain": "before"}
    update("its own cell may", 0)
    assert nb.cells[0].outputs[0].data == {"text/plain": "its own cell may"}
    assert client._display_id_map == {"d": {0: [0]}}


def test_errors_in_a_students_own_cells_are_listed():
    answer = new_code_cell("def f(x): retur x", outputs=[new_output("error", ename="SyntaxError",
                                                                    evalue="invalid syntax", traceback=[])])
    answer.metadata["nbgrader"] = ANSWER.nbgrader_metadata()
    plain = new_code_cell("1/0", outputs=[new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                                                     traceback=[])])
    assert failed_cells(new_notebook(cells=[answer, plain]), SPEC) == [
        "nb.ipynb, cell f: SyntaxError: invalid syntax", "nb.ipynb, cell 2: ZeroDivisionError: division by zero"]


def test_summary_names_every_student_and_every_lost_point():
    cells = (CellScore("nb", "test_f", 2.0, 2.0, "passed"),)
    lost = (CellScore("nb", "test_f", 0.0, 2.0, "AssertionError: squares grow fast"),
            CellScore("nb", "explain", None, 1.0, "graded by hand"))
    report = GradeReport("a", (SubmissionReport("ann", 2.0, 3.0, cells),
                               SubmissionReport("ben", 0.0, 3.0, lost, ("nb.ipynb: locked cell test_f was edited",))),
                         3.0, 1.5, "2 local kernel(s)", limits="3 s per cell, 120 s per notebook")
    assert report.summary() == (
        "a: 2 submission(s) graded in 1.5 s (2 local kernel(s))\n"
        "  limits: 3 s per cell, 120 s per notebook\n"
        "  mean automatic score 1.00 / 3; 1 submission(s) have answers to grade by hand in formgrader\n"
        "  ann: 2 / 3\n"
        "  ben: 0 / 3\n"
        "    - nb.ipynb, test_f: lost 2 of 2: AssertionError: squares grow fast\n"
        "    - nb.ipynb: locked cell test_f was edited")
    data = json.loads(json.dumps(report.as_json()))
    assert [s["student"] for s in data["submissions"]] == ["ann", "ben"]
    assert data["submissions"][1]["cells"][0] == {"notebook": "nb", "grade_id": "test_f", "score": 0.0,
                                                  "max_score": 2.0, "reason": "AssertionError: squares grow fast",
                                                  "lost": 2.0}
    assert data["submissions"][1]["needs_manual_grading"] == 1 and data["limits"].startswith("3 s per cell")


def test_a_reason_is_one_line_a_terminal_does_not_obey():
    [cell] = score_notebook(graded(new_output("error", ename="ValueError", evalue="\x1b]0;owned\x07bad\x1b[2J\nmore",
                                              traceback=[])), SPEC)
    assert cell.reason == "ValueError: ?]0;owned?bad"
    [cell] = score_notebook(graded(new_output("error", ename="CellTimeoutError", evalue="after 3 seconds",
                                              traceback=[])), SPEC)
    assert cell.reason == "timed out: after 3 seconds"


def test_an_unreadable_notebooks_reason_is_no_schema_dump():
    broken = json.dumps({"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [{"cell_type": "code"}]})
    problem = prepare_notebook(broken.encode(), SPEC, assignment="a", student_id="s", config=None).problem
    assert problem.startswith("nb.ipynb is not a notebook nbformat can read (") and "\n" not in problem, problem
    assert "On instance" not in problem and len(problem) < 300


def test_passwords_are_refused_where_a_kernel_could_read_them(tmp_path):
    assert has_password("postgresql+psycopg://grader:s3cret@db/course")
    assert has_password("postgresql://db/course?password=s3cret")
    assert not has_password("postgresql://grader@db/course") and not has_password("/srv/events.sqlite")
    assert not has_password(None)
    with pytest.raises(GradingError, match="LESSONKIT_DB"):
        refuse_on_command_line("postgresql://grader:s3cret@db/course")
    refuse_on_command_line("sqlite:///events.sqlite")
    urls = {"progress store": "postgresql://grader:s3cret@db/course", "gradebook": "sqlite:///gradebook.db"}
    with pytest.raises(GradingError, match="the progress store URL holds a password.*install bubblewrap"):
        refuse_readable_secrets(Containment(namespaces=False, own_uid=False), urls)
    refuse_readable_secrets(Containment(namespaces=False, own_uid=True), urls)  # another uid reads neither
    refuse_readable_secrets(Containment(namespaces=True, own_uid=False), urls)  # nor a kernel in namespaces
    secret = tmp_path / "store-url"
    secret.write_text("postgresql://grader:s3cret@db/course\n")
    secret.chmod(0o640)
    with pytest.raises(GradingError, match="can be read by other users: chmod 600"):
        read_secret_file(secret)
    secret.chmod(0o600)
    assert read_secret_file(secret) == "postgresql://grader:s3cret@db/course"
