"""A batch of good and hostile submissions (``tests/grade_fixtures``): every one scored, with a
reason; nothing a student writes reaches the teacher's files, another student, the network, or
the hidden tests in feedback; nothing they start outlives grading."""

from __future__ import annotations

import base64
import binascii
import codecs
import html
import json
import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import nbformat
import pytest
from grade_fixtures.build import ANSWERS, cell_by_id, submission
from grade_fixtures.courses import ADV, course, nbgrader, open_dir
from traitlets.config import Config

from lessonkit.grade import Limits, grade_assignment
from lessonkit.grade.assignment import load_assignment
from lessonkit.grade.course import Course
from lessonkit.progress import ANSWERED, Event, JsonlLog, open_store

pytestmark = pytest.mark.slow

# 10 s a cell: under load (CI runs two workers) a memory bomb may take over 3 s to reach its MemoryError
LIMITS = Limits(timeout=10, cpu_seconds=60, memory_mb=1024, output_bytes=1_000_000, processes=64, file_mb=16)
EXPECTED = json.loads((ADV / "expected.json").read_text())

SNOOP = '''
import json, os, socket

def attempt(action):
    try:
        action()
    except Exception as error:
        return type(error).__name__
    return "allowed"

def others_readable():
    """Processes of another user whose working directory this code can list."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            uid = int(open(f"/proc/{pid}/status").read().split("Uid:")[1].split()[0])
            if uid != os.getuid() and os.listdir(f"/proc/{pid}/cwd") is not None:
                found.append(pid)
        except Exception:
            pass
    return found

print("SNOOP", json.dumps({
    "gradebook": attempt(lambda: open(COURSE + "/gradebook.db", "rb").read(1)),
    "teacher's source": attempt(lambda: open(COURSE + "/source/adv/adv.ipynb").read(1)),
    "another submission": attempt(lambda: open(COURSE + "/submitted/good_alice/adv/adv.ipynb").read(1)),
    "the course folder": attempt(lambda: os.listdir(COURSE)),
    "the other kernels' homes": attempt(lambda: os.listdir(os.path.dirname(os.path.dirname(os.getcwd())))),
    "the network": attempt(lambda: socket.create_connection(("127.0.0.1", PORT), timeout=2)),
    "other users' processes": others_readable(),
    "cwd": os.getcwd(),
    "files": sorted(os.listdir(".")),
}))
'''

LEAKER_SQUARES = '''import inspect
callers = []

def squares(n):
    callers.append(inspect.getsource(inspect.stack()[1].frame))  # the test that called it
    if n == 10:
        raise RuntimeError("fail inside the hidden test, for its traceback")
    if n < 1:
        raise ValueError(n)
    return [i * i for i in range(1, n + 1)]'''
LEAKER_TOTAL = '''def total(values):
    return sum(values)

import linecache, sys, traceback
print(callers)
print(In)
for name, entry in list(linecache.cache.items()):
    print(name, "".join(entry[2]))
traceback.print_tb(sys.last_traceback)
import ipywidgets
ipywidgets.Text(value=str(In))'''


@pytest.fixture(scope="module")
def batch():
    root = open_dir()
    folder = course(ADV, "adv", root / "course")
    released = nbformat.read(folder / "release" / "adv" / "adv.ipynb", as_version=4)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        snoop = SNOOP.replace("COURSE", repr(str(folder))).replace("PORT", str(listener.getsockname()[1]))
        for student, nb in {
            "snoop": submission(released, total=ANSWERS["total"] + "\n" + snoop),
            "leaker": submission(released, squares=LEAKER_SQUARES, total=LEAKER_TOTAL),
        }.items():
            (folder / "submitted" / student / "adv").mkdir(parents=True)
            nbformat.write(nb, folder / "submitted" / student / "adv" / "adv.ipynb")
        with JsonlLog(folder / "submitted" / "good_alice" / "adv" / "adv.progress.jsonl") as log:
            for attempt in (1, 2):  # the kernel only knew the OS user
                log.append(Event("adv", "jovyan", ANSWERED, check_id="squares", data={"attempt": attempt}))
        (folder / "submitted" / "good_bob" / "adv" / "adv.progress.jsonl").write_text("{not json\n{}\n")
        report = grade_assignment("adv", course_dir=folder, workers=2, limits=LIMITS, progress=False,
                                  progress_store=str(root / "events.sqlite"))
    yield report, folder, root / "events.sqlite"
    shutil.rmtree(root)


def by_student(report):
    return {s.student_id: s for s in report.submissions}


def outputs(folder: Path, student: str, grade_id: str) -> str:
    nb = nbformat.read(folder / "autograded" / student / "adv" / "adv.ipynb", as_version=4)
    return "".join(o.get("text", "") for o in cell_by_id(nb, grade_id).outputs)


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_submission_gets_its_score_and_a_reason(batch, student):
    report, _, _ = batch
    result = by_student(report)[student]
    expected = EXPECTED[student]
    assert {c.grade_id: c.score for c in result.cells if c.grade_id in expected["scores"]} == expected["scores"]
    said = [*result.notes, *(c.reason for c in result.cells)]
    assert expected["note"] is None or any(expected["note"] in text for text in said), said
    assert next(c for c in result.cells if c.grade_id == "explain").score is None or student in (
        "invalid_json", "os_exit")  # a written answer waits for a person


def test_honest_work_meets_no_guard(batch):
    """The guard puts nothing back and voids nothing for submissions that play fair."""
    report, _, _ = batch
    for student in ("good_alice", "good_bob", "partial_carol", "error_dan", "old_format"):
        notes = by_student(report)[student].notes
        assert not [note for note in notes if "Python's own" in note or "while the tests ran" in note], notes


def test_nothing_is_lost(batch):
    report, folder, _ = batch
    submitted = {p.name for p in (folder / "submitted").iterdir()}
    assert {s.student_id for s in report.submissions} == submitted
    course_ = Course(folder)
    with course_.gradebook() as gradebook:
        recorded = {s.student.id: s.score for s in gradebook.find_assignment("adv").submissions}
    assert recorded.keys() == submitted


ORDINARY = ["good_alice", "good_bob", "partial_carol", "error_dan", "old_format", "deleted_test", "retyped_test",
            "warns_on_stderr", "sys_exit"]
CRASHING = ["duplicated_test", "edited_tests"]  # they crash nbgrader's autograde
FOOLING = sorted(student for student, expected in EXPECTED.items() if "nbgrader" in expected)


@pytest.fixture(scope="module")
def nbgraders_course():
    """The batch's ordinary, crashing and fooling submissions autograded by nbgrader itself, once
    for the tests that compare with it (an autograde costs seconds a notebook)."""
    root = open_dir()
    theirs = course(ADV, "adv", root / "course")
    for extra in set(EXPECTED) - set(ORDINARY) - set(CRASHING) - set(FOOLING):
        shutil.rmtree(theirs / "submitted" / extra)
    with pytest.raises(subprocess.CalledProcessError, match="returned non-zero exit status 1"):
        nbgrader("autograde", "adv", cwd=theirs)  # the crashing ones fail the run, the others are graded
    yield theirs
    shutil.rmtree(root)


def test_same_scores_as_nbgrader_where_nbgrader_copes(batch, nbgraders_course):
    """On ordinary submissions nbgrader and lessonkit agree cell by cell; two that crash
    nbgrader's autograde (a duplicated test cell, a test cell flagged ``grade: false``) are
    left ungraded by nbgrader and graded by lessonkit; those that fool nbgrader into scoring
    wrong functions as right (``"nbgrader"`` in expected.json) get what expected.json says
    from nbgrader, and their honest scores from lessonkit."""
    report, _, _ = batch
    assert FOOLING == ["always_equal", "always_equal_inside", "patches_shell", "repatches_shell", "strips_asserts"]
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{nbgraders_course}/gradebook.db") as gradebook:
        nbgraders = {(student, grade.name): grade.auto_score for student in ORDINARY + CRASHING + FOOLING
                     for grade in gradebook.find_submission_notebook("adv", "adv", student).grades}
    ours = {(s.student_id, c.grade_id): c.score for s in report.submissions for c in s.cells}
    assert {key: ours[key] for key in nbgraders if key[0] in ORDINARY} == \
        {key: value for key, value in nbgraders.items() if key[0] in ORDINARY}
    assert all(nbgraders[(student, "test_squares")] is None for student in CRASHING)
    assert all(ours[(student, "test_squares")] == 0 for student in CRASHING)
    for student in FOOLING:
        assert {grade_id: nbgraders[(student, grade_id)] for grade_id in EXPECTED[student]["nbgrader"]} == \
            EXPECTED[student]["nbgrader"], student
        assert {grade_id: ours[(student, grade_id)] for grade_id in EXPECTED[student]["scores"]} == \
            EXPECTED[student]["scores"], student


def hidden_lines(folder: Path) -> set[str]:
    """The lines of the teacher's tests that students were never given, without their spaces."""
    found = set()
    for teacher in load_assignment(Course(folder), "adv").notebook("adv").cells.values():
        released = {line.strip() for line in teacher.released.splitlines()}
        found |= {re.sub(r"\s", "", line) for line in teacher.source.splitlines()
                  if line.strip() not in released and "HIDDEN TESTS" not in line}
    return found


def decodings(text: str) -> list[str]:
    """``text`` read every way the leaking fixtures encode it (and as is), without whitespace."""
    plain = html.unescape(re.sub(r"<[^>]+>", "", html.unescape(text)))  # also HTML split into spans
    blobs = [blob for blob in re.findall(r"[A-Za-z0-9+/=]{16,}", plain)]
    decoded = []
    for blob in blobs:
        for decode in (base64.b64decode, lambda b: base64.b32decode(b + "=" * (-len(b) % 8))):
            try:
                decoded.append(decode(blob).decode("utf-8", "replace"))
            except (ValueError, binascii.Error):
                pass
    return [re.sub(r"\s", "", variant) for variant in
            (text, plain, codecs.decode(plain, "rot13"), plain[::-1], *decoded)]


def leaked(text: str, secrets: set[str]) -> set[str]:
    return {secret for variant in decodings(text) for secret in secrets if secret in variant}


def test_feedback_never_shows_a_hidden_test(batch):
    """Student code that reads the hidden tests and prints them in any encoding gets them into the
    teacher's graded notebook, never into the student's feedback page."""
    report, folder, _ = batch
    secrets = hidden_lines(folder)
    assert len(secrets) >= 3
    leakers = ["leaker", *(student for student in EXPECTED if student.startswith("leaks_"))]
    assert len(leakers) == 7
    for student in leakers:  # the attacks work: the teacher's copy has the hidden tests, encoded
        graded = nbformat.read(folder / "autograded" / student / "adv" / "adv.ipynb", as_version=4)
        assert leaked(json.dumps([cell.get("outputs", []) for cell in graded.cells]), secrets), student
    pages = list((folder / "feedback").glob("*/adv/adv.html"))
    assert len(pages) == len(report.submissions)  # every student hears back
    unreadable = (folder / "feedback" / "invalid_json" / "adv" / "adv.html").read_text()
    assert "This notebook could not be graded:</strong> adv.ipynb is not valid JSON" in unreadable
    for page in pages:
        assert not leaked(page.read_text(), secrets), page
    leaker = (folder / "feedback" / "leaker" / "adv" / "adv.html").read_text()
    assert "Output not shown: this cell ran after hidden tests" in leaker
    assert "# This cell also runs hidden tests; they are not shown." in leaker
    assert "Result: failed (RuntimeError)." in leaker  # raised inside the hidden test: its name, not its text
    exception = (folder / "feedback" / "leaks_in_an_exception" / "adv" / "adv.html").read_text()
    assert "Result: failed (an exception of the submission&#39;s own)." in exception or \
        "Result: failed (an exception of the submission's own)." in exception


def test_feedback_gives_each_test_its_result_in_the_graders_words(batch):
    _, folder, _ = batch
    carol = (folder / "feedback" / "partial_carol" / "adv" / "adv.html").read_text()
    assert "Result: failed (AssertionError)." in carol  # a visible assert without a message
    assert "Result: partly passed (1 of 2 points)." in carol
    dan = html.unescape((folder / "feedback" / "error_dan" / "adv" / "adv.html").read_text())
    assert "name 'rnage' is not defined" not in dan  # raised in the tests, after hidden ones ran
    assert "Result: failed (NameError)." in dan


def test_student_code_reaches_nothing_of_the_teachers_or_others(batch):
    _, folder, _ = batch
    line = next(line for line in outputs(folder, "snoop", "total").splitlines() if line.startswith("SNOOP"))
    found = json.loads(line.removeprefix("SNOOP "))
    for target in ("gradebook", "teacher's source", "another submission", "the course folder",
                   "the other kernels' homes", "the network"):
        assert found[target] != "allowed", target
    assert found["other users' processes"] == []
    assert not found["cwd"].startswith(str(folder)), "runs in a temporary copy, not in the course"
    assert found["files"] == ["adv.ipynb"]  # its own folder's files (no timestamp was submitted)


def test_what_a_fork_bomb_starts_does_not_outlive_grading(batch):
    _, folder, _ = batch
    text = outputs(folder, "fork_bomb", "total")
    uid, started = map(int, re.search(r"uid (\d+) stopped after (\d+) processes", text).groups())
    assert 10 < started < LIMITS.processes, "the process limit stopped it"
    left = [pid for pid in filter(str.isdigit, os.listdir("/proc"))
            if _uid(pid) == uid]
    assert left == []


def test_event_logs_go_to_the_progress_store(batch):
    report, _, store_path = batch
    assert report.events_imported == 2
    with open_store(str(store_path)) as store:
        assert [e.data["attempt"] for e in store.history("adv", "good_alice")] == [1, 2]
    bob = next(s for s in report.submissions if s.student_id == "good_bob")
    assert any(note.startswith("adv.progress.jsonl: events not imported") for note in bob.notes)
    assert bob.score == 5  # a broken log costs no points


def test_course_mode_is_given_back_after_grading(batch):
    _, folder, _ = batch
    assert folder.stat().st_mode & 0o777 == 0o755  # as the course fixture made it (closed only during a run)


def _uid(pid: str) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/status").read_text().split("Uid:")[1].split()[0])
    except (OSError, IndexError):
        return None


def test_a_notebooks_time_budget_stops_a_submission_of_slow_cells():
    """Many cells each under the cell timeout: the notebook's budget ends it, not cells × timeout."""
    root = open_dir()
    try:
        folder = course(ADV, "adv", root / "course")
        for student in {p.name for p in (folder / "submitted").iterdir()} - {"good_alice"}:
            shutil.rmtree(folder / "submitted" / student)
        released = nbformat.read(folder / "release" / "adv" / "adv.ipynb", as_version=4)

        def slow_cells(nb):
            after = nb.cells.index(cell_by_id(nb, "test_squares")) + 1
            nb.cells[after:after] = [nbformat.v4.new_code_cell("import time\ntime.sleep(2.5)") for _ in range(12)]

        (folder / "submitted" / "sleepy" / "adv").mkdir(parents=True)
        nbformat.write(submission(released, test=slow_cells), folder / "submitted" / "sleepy" / "adv" / "adv.ipynb")
        config = Config()
        config.LessonkitGrader.notebook_seconds = 6
        report = grade_assignment("adv", course_dir=folder, workers=2, limits=LIMITS, progress=False, config=config)
    finally:
        shutil.rmtree(root)
    sleepy, alice = by_student(report)["sleepy"], by_student(report)["good_alice"]
    assert {c.grade_id: c.score for c in sleepy.cells if c.score is not None} == \
        {"test_squares": 2, "test_total": 0, "score_squares": 0}
    # in a cell it interrupts, or between two cells (a loaded machine's cells run slower): the same budget
    assert any("the notebook's time budget of 6 s ran out" in note for note in sleepy.notes), sleepy.notes
    assert "time budget of 6 s ran out" in next(c for c in sleepy.cells if c.grade_id == "test_total").reason
    assert alice.score == 5
    assert "6 s per notebook" in report.summary()


def test_nbgraders_own_feedback_shows_the_hidden_tests_and_ours_does_not(batch, nbgraders_course):
    """Why docs/grading.md says not to use ``nbgrader generate_feedback`` (formgrader's feedback
    button): after its autograde, it hands students the hidden tests, expected values and all."""
    _, ours, _ = batch
    nbgrader("generate_feedback", "adv", "--student", "partial_carol", cwd=nbgraders_course)
    their_page = html.unescape((nbgraders_course / "feedback" / "partial_carol" / "adv" / "adv.html").read_text())
    hidden = 'assert sum(squares(10)) == 385, "the squares of 1..10 add up to 385"'
    assert hidden in re.sub(r"<[^>]+>", "", their_page)
    our_page = (ours / "feedback" / "partial_carol" / "adv" / "adv.html").read_text()
    assert not leaked(our_page, {re.sub(r"\s", "", hidden)})
