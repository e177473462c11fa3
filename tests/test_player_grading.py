"""Grade cells (lkp.grade, lkp.points_after_hints, lkp.guard_builtins): scores from the student's
log with the answers in the clear, hint costs, clamping, silence, and builtins restored;
then a real kernel running grade cells the way nbgrader's autograde does, and a patched
IPython that would hide a failing test from it."""

from __future__ import annotations

import json
import warnings

import pytest
from test_player_lesson import CODE_CELLS, Clock, build, right_sum, run_python

import lessonkit.player as lkp
from lessonkit.engine.kinds.text import Text
from lessonkit.engine.mastery import SkillMastery
from lessonkit.player.identity import Identity
from lessonkit.player.session import Session
from lessonkit.progress import JsonlLog


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build(tmp_path_factory.mktemp("lesson"))


@pytest.fixture
def submission(built, tmp_path, monkeypatch):
    """A student's notebook session in a submission folder, as the header cell leaves it."""
    monkeypatch.chdir(tmp_path)
    session = Session(built.sealed, Identity("stu", "os-user"), JsonlLog(tmp_path / "fractions.progress.jsonl"),
                      mode="notebook", clock=Clock())
    monkeypatch.setattr(lkp, "_session", session)
    return session


def test_the_last_answer_is_graded_with_the_answers_in_the_clear(built, submission):
    submission.answer("which-equal", 2)
    assert lkp.grade("which-equal", built.key("which-equal")) == 0.0
    submission.answer("which-equal", 1)
    assert lkp.grade("which-equal", built.key("which-equal")) == 1.0
    submission.answer("unit-fractions", [0, 2])
    assert lkp.grade("unit-fractions", built.key("unit-fractions")) == 1.0
    assert lkp.grade("name-bottom", built.key("name-bottom")) == 0.0  # never answered


def test_the_item_answered_is_the_item_graded(built, submission):
    submission.answer("add-like-v", "0.001")  # wrong: the next try is another variant
    index, item = submission.item("add-like-v")
    submission.answer("add-like-v", right_sum(item["prompt"]))
    assert [e for e in submission.events if e.type == "answered"][-1].data["item"] == index
    assert lkp.grade("add-like-v", built.key("add-like-v")) == 2.0


def test_a_pattern_the_player_could_not_judge_is_decided_here(built, submission):
    assert submission.answer("measure", "tablespoons").verdict.correct is None
    assert lkp.grade("measure", built.key("measure")) == 1.0
    submission.answer("measure", "a bucket")
    assert lkp.grade("measure", built.key("measure")) == 0.0


def test_hint_costs_come_off_and_the_score_stays_within_its_points(built, submission):
    clock = submission.clock
    for _ in range(2):
        clock.tick()
        submission.answer("add-like-v", "0.001")
    for _ in range(3):
        clock.tick()
        submission.reveal_hint("add-like-v")
    submission.answer("add-like-v", right_sum(submission.item("add-like-v")[1]["prompt"]))
    assert lkp.grade("add-like-v", built.key("add-like-v")) == 1.5
    assert lkp.grade("add-like-v", {**built.key("add-like-v"), "points": 0.25}) == 0.0  # never negative
    assert lkp.grade("add-like-v", json.dumps(built.key("add-like-v"))) == 1.5  # the key as JSON text


def test_points_after_hints_takes_the_cost_once_across_a_checks_test_cells(built, submission):
    assert lkp.points_after_hints("add-like-v", 2) == 2.0
    for _ in range(2):
        submission.answer("add-like-v", "0.001")
    for _ in range(3):
        submission.reveal_hint("add-like-v")
    assert lkp.points_after_hints("add-like-v", 2) == 1.5
    assert lkp.points_after_hints("add-like-v", 0.25) == 0.0
    # two cells of 0.25 and 1 point: the first pays what it can, the second the rest
    assert lkp.points_after_hints("add-like-v", 0.25, before=0) == 0.0
    assert lkp.points_after_hints("add-like-v", 1, before=0.25) == 0.75


def test_grading_never_fails_and_never_prints(built, submission, tmp_path, monkeypatch, capfd):
    submission.answer("which-equal", 1)

    def noisy(self, item, answer):
        print("to stdout")
        warnings.warn("a warning would zero the cell")
        raise RuntimeError("and an error")

    monkeypatch.setattr(Text, "grade", noisy)
    submission.answer("name-bottom", "denominator")
    assert lkp.grade("name-bottom", built.key("name-bottom")) == 0.0
    assert lkp.grade("which-equal", {"kind": "no-such-kind", "points": 1, "items": []}) == 0.0
    assert lkp.grade("which-equal", "{not json") == 0.0
    (tmp_path / "fractions.progress.jsonl").write_text("garbage\n" + "more garbage\n")
    assert lkp.grade("which-equal", built.key("which-equal")) == 0.0
    assert lkp.points_after_hints("which-equal", 1) == 1.0
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_without_a_started_session_every_log_in_the_folder_is_read(built, submission, monkeypatch):
    submission.answer("which-equal", 1)
    monkeypatch.setattr(lkp, "_session", None)
    assert lkp.grade("which-equal", built.key("which-equal")) == 1.0


def test_guard_builtins_puts_back_what_student_code_rebound_or_shadowed(tmp_path):
    out = run_python("""
import builtins
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_cell("import lessonkit.player as lkp")
shell.run_cell("import builtins\\nbuiltins.abs = lambda x: 42\\nsum = lambda *a: 99\\ndef len(x): return 0\\nkeep = 1")
shell.run_cell("lkp.guard_builtins()\\nresult = (abs(-1), sum([1, 2]), len('abc'), keep)")
print(shell.user_ns["result"])
""", cwd=tmp_path)
    assert out.strip() == "(1, 3, 3, 1)"


def test_the_guard_puts_back_ipythons_classes_checks_comparisons_and_sees_late_patches(tmp_path):
    """The engine's guard in an IPython shell, as the grader's kernels run it around a test cell."""
    out = run_python("""
from IPython.core.interactiveshell import InteractiveShell
from lessonkit.engine.guard import Machinery
shell = InteractiveShell.instance()
machinery = Machinery(shell)
shell.run_cell("from IPython.core.interactiveshell import InteractiveShell\\n"
               "InteractiveShell.showtraceback = lambda *a, **k: None\\n"
               "class Anything:\\n    def __eq__(self, other):\\n        return True")
undone = machinery.before_test()
failed = shell.run_cell("assert Anything() == 1").error_in_exec
passed = shell.run_cell("assert Anything() is not None and 1 == 1.0").error_in_exec
shell.run_cell("InteractiveShell.run_cell = lambda *a, **k: None")  # as a thread could, while the test ran
late = machinery.end_of_test()
print(undone, type(failed).__name__, passed, late, machinery.end_of_test(), shell.ast_transformers)
""", cwd=tmp_path)
    assert out.strip().splitlines()[-1] == "['InteractiveShell.showtraceback'] Untrusted None " \
                                           "['InteractiveShell.run_cell'] [] []"


@pytest.mark.slow
def test_a_slot_scores_its_best_option_within_its_points(built, submission, monkeypatch):
    """A choice's themes pooled in one slot: the theme done best counts, never above the slot."""
    monkeypatch.setattr("lessonkit.player.grading._PASSED", {})
    shop = [{"check": "which-equal", "points": 1.0, "key": built.key("which-equal")}]
    garden = [{"check": "unit-fractions", "points": 1.0, "key": built.key("unit-fractions")}]
    assert lkp.grade_slot("choice-theme", 1.0, [shop, garden]) == 0.0  # neither theme done
    submission.answer("unit-fractions", [0, 2])
    assert lkp.grade_slot("choice-theme", 1.0, [shop, garden]) == 1.0
    submission.answer("which-equal", 1)
    assert lkp.grade_slot("choice-theme", 1.0, [shop, garden]) == 1.0  # both done: still one theme's worth
    assert lkp.grade_slot("choice-theme", 1.0, json.dumps([shop, garden])) == 1.0  # the key as its JSON text
    assert lkp.grade_slot("broken", 1.0, [[{"check": "which-equal"}]]) == 0.0  # a damaged slot earns nothing


def test_a_pooled_code_checks_tests_give_their_points_to_the_slot_not_their_cell(built, submission, monkeypatch):
    monkeypatch.setattr("lessonkit.player.grading._PASSED", {})
    code = [{"check": "sum-evens", "points": 2.0, "tests": True}]
    assert lkp.grade_slot("choice-theme", 2.0, [code]) == 0.0  # its test cell failed (or never ran)
    assert lkp.tests_passed("sum-evens", 2.0) is None  # nothing for nbgrader's 0-point cell to score
    assert lkp.grade_slot("choice-theme", 2.0, [code]) == 2.0


def test_mastery_credit_stands_in_for_an_unanswered_check(built, submission, monkeypatch):
    monkeypatch.setattr("lessonkit.player.grading._PASSED", {})
    member = [{"check": "name-bottom", "points": 1.0, "key": built.key("name-bottom"), "mastery": ["equivalent"]}]
    submission.answer("which-equal", 1)  # evidence, but one item does not make mastery
    assert lkp.grade_slot("name-bottom", 1.0, [member]) == 0.0
    # the estimate a route of more right answers reaches, recorded as the player records it
    estimates = submission._estimates
    submission._journal.record([estimates.event("equivalent", SkillMastery(0.97, 3, 3, True, False), "which-equal")])
    assert lkp.grade_slot("name-bottom", 1.0, [member]) == 1.0


def test_grade_cells_in_a_real_kernel_score_silently(tmp_path, monkeypatch):
    """The cells nbgrader's autograde runs: the header, the student's code, a grade cell for a
    choice and the teacher's test cell of a code check, in the student's folder."""
    import nbformat
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook
    from test_player_lesson import subprocess_env

    code = build(tmp_path, CODE_CELLS, "loops")
    choice = build(tmp_path)
    session = Session(choice.sealed, Identity("stu", "os-user"), JsonlLog(tmp_path / "fractions.progress.jsonl"),
                      mode="notebook", clock=Clock())
    session.answer("which-equal", 1)
    helped = Session(code.sealed, Identity("stu", "os-user"), JsonlLog(tmp_path / "loops.progress.jsonl"),
                     mode="notebook", clock=Clock())
    helped.reveal_hint("sum-evens")  # costs 1 of the 2 points
    tests = code.lesson.checks["sum-evens"].tests[0]
    cells = [
        f"import lessonkit.player as lkp\nlkp.start_notebook({choice.blob!r})",
        f"lkp.grade('which-equal', {choice.key('which-equal')!r})",
        f"lkp.start_notebook({code.blob!r})",
        "def sum_evens(n):\n    return sum(i for i in range(0, n, 2))\nsum = lambda *args: 0  # student shadows sum",
        f"lkp.guard_builtins()\n{tests}\nlkp.points_after_hints('sum-evens', 2.0)",
    ]
    nb = new_notebook(cells=[new_code_cell(c) for c in cells],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    monkeypatch.setenv("PYTHONPATH", subprocess_env()["PYTHONPATH"])  # the kernel imports this tree
    NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    results = [next((o["data"]["text/plain"] for o in c.outputs if o["output_type"] == "execute_result"), None)
               for c in nb.cells]
    assert results[1] == "1.0" and results[4] == "1.0"
    streams = [o for c in nb.cells for o in c.outputs if o["output_type"] in ("stream", "error")]
    assert streams == []
    nbformat.validate(nb)


@pytest.mark.slow
def test_a_test_cell_fails_visibly_though_ipython_was_patched_to_hide_it(tmp_path, monkeypatch):
    """A class-level patch of IPython's shell hides a failing test's error from nbgrader (the
    cell without the guard shows nothing); the grade cell's guard puts IPython's methods back."""
    from grade_fixtures.build import PATCHES_SHELL
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook
    from test_player_lesson import subprocess_env

    cells = ["import lessonkit.player as lk", PATCHES_SHELL, "assert 1 == 2, 'unguarded'",
             "lk.guard_builtins()\nassert 1 == 2, 'guarded'", "assert 1 == 2, 'after the guard'"]
    nb = new_notebook(cells=[new_code_cell(c) for c in cells],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    monkeypatch.setenv("PYTHONPATH", subprocess_env()["PYTHONPATH"])  # the kernel imports this tree
    NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [[o.evalue for o in c.outputs if o.output_type == "error"] for c in nb.cells]
    assert errors == [[], [], [], ["guarded"], ["after the guard"]]
