"""``lessonkit grade`` on nbgrader's own example (ps1): the same scores as nbgrader, everywhere.

The parity test runs the real ``nbgrader autograde`` on a copy of the same course and
compares every grade cell; the corpus's ``grades.csv`` gives the expected totals.
"""

from __future__ import annotations

import csv
import html
import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from grade_fixtures.courses import PS1, course, nbgrader, open_dir
from longstart import START_TIMEOUT
from nbgrader.api import Gradebook

from lessonkit.grade import export_canvas_csv, export_csv, generate_feedback, grade_assignment

pytestmark = pytest.mark.slow


@pytest.fixture
def graded(ps1_graded):
    """ps1 graded by lessonkit, and a copy of the same course autograded by nbgrader (once a session)."""
    return ps1_graded


def gradebook_scores(folder: Path) -> dict[tuple[str, str, str], float | None]:
    with Gradebook(f"sqlite:///{folder}/gradebook.db") as gradebook:
        return {(student.id, notebook.name, grade.name): grade.auto_score
                for student in gradebook.students
                for notebook in gradebook.find_submission("ps1", student.id).notebooks
                for grade in notebook.grades}


def test_totals_equal_nbgraders_grades_csv(graded, tmp_path):
    report, ours, _ = graded
    with open(PS1 / "grades.csv", newline="") as handle:
        expected = {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}
    assert expected == {"bitdiddle": 1.5, "hacker": 3.0}
    assert report.scores() == expected
    exported = export_csv(tmp_path / "grades.csv", course_dir=ours)
    with open(exported, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["student_id"]: float(row["score"]) for row in rows} == expected
    assert list(rows[0]) == ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
                             "raw_score", "late_submission_penalty", "score", "max_score"]


def test_every_grade_cell_equals_nbgrader_autograde(graded):
    report, ours, theirs = graded
    nbgraders = gradebook_scores(theirs)
    assert gradebook_scores(ours) == nbgraders
    # the report says the same as the gradebook (a test cell nbgrader never scored is a 0 in both)
    assert report.cell_scores() == {key: value for key, value in nbgraders.items()
                                    if not key[2].startswith("cell-")}  # the task cell is not a grade cell
    assert sum(v for v in nbgraders.values() if v) == 4.5


def test_gradebook_is_nbgraders_own(graded):
    """formgrader reads the gradebook through NbGraderAPI: it must see the submissions as graded."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    _, ours, _ = graded
    config = Config()
    config.CourseDirectory.root = str(ours)
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    submissions = {s["student"]: s for s in api.get_submissions("ps1")}
    assert {name: (s["autograded"], s["score"]) for name, s in submissions.items()} == \
        {"bitdiddle": (True, 1.5), "hacker": (True, 3.0)}
    assert all(s["needs_manual_grade"] for s in submissions.values())  # written answers wait for a person
    assert set(api.get_autograded_students("ps1")) == {"bitdiddle", "hacker"}
    notebooks = {n["student"]: n["score"] for n in api.get_notebook_submissions("ps1", "problem1")}
    assert notebooks == {"bitdiddle": 1.5, "hacker": 3.0}


def test_formgrader_shows_the_scores(graded):
    """nbgrader's formgrader, served by a real Jupyter server from the course folder."""
    _, ours, _ = graded
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "jupyter", "server", "--no-browser", "--allow-root",
                               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.token=t"],
                              cwd=ours, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def get(path: str) -> tuple[int, bytes]:
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": "token t"})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:  # a loaded machine renders slowly
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    try:
        deadline = time.monotonic() + START_TIMEOUT  # a loaded machine's Jupyter server can take minutes
        while True:
            try:
                status, body = get("/formgrader/api/submissions/ps1")
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "the Jupyter server did not start"
                time.sleep(0.5)
        assert status == 200
        assert {s["student"]: (s["score"], s["autograded"]) for s in json.loads(body)} == \
            {"bitdiddle": (1.5, True), "hacker": (3.0, True)}
        notebooks = json.loads(get("/formgrader/api/submitted_notebooks/ps1/problem1")[1])
        hacker = next(n for n in notebooks if n["student"] == "hacker")
        assert (hacker["code_score"], hacker["needs_manual_grade"]) == (3.0, True)
        status, page = get(f"/formgrader/submissions/{hacker['id']}/")  # the graded notebook, as a grader sees it
        text = html.unescape(re.sub(r"<[^>]+>", "", page.decode()))
        assert status == 200 and "Student's answer" in text and "def squares(n):" in text
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_autograded_and_feedback_in_nbgraders_places(graded):
    _, ours, theirs = graded
    for student in ("bitdiddle", "hacker"):
        mine = sorted(p.name for p in (ours / "autograded" / student / "ps1").iterdir())
        assert mine == sorted(p.name for p in (theirs / "autograded" / student / "ps1").iterdir())
        feedback = ours / "feedback" / student / "ps1"
        assert {"problem1.html", "problem2.html", "jupyter.png"} <= {p.name for p in feedback.iterdir()}
        assert "Score:" in (feedback / "problem1.html").read_text()


def test_canvas_export(graded, tmp_path):
    _, ours, _ = graded
    path = export_canvas_csv(tmp_path / "canvas.csv", course_dir=ours)
    rows = list(csv.reader(open(path, newline="")))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "ps1"]
    assert rows[1][0] == "Points Possible" and rows[1][-1] == "13"
    assert {row[3]: row[-1] for row in rows[2:]} == {"bitdiddle": "1.5", "hacker": "3"}


def test_feedback_after_manual_grading(graded):
    """A grader scores a written answer in formgrader; regenerated feedback includes it."""
    _, ours, _ = graded
    course_copy = open_dir() / "course"
    shutil.copytree(ours, course_copy)
    try:
        with Gradebook(f"sqlite:///{course_copy}/gradebook.db") as gradebook:
            gradebook.find_grade("sum_of_squares_equation", "problem1", "ps1", "hacker").manual_score = 1.0
            gradebook.db.commit()
        pages = generate_feedback("ps1", course_dir=course_copy, students=["hacker"])
        assert [p.name for p in pages] == ["problem1.html", "problem2.html"]
        text = html.unescape(re.sub(r"<[^>]+>", "", pages[0].read_text()))
        assert re.search(r"Score:\s*4\.0\s*/\s*10\.0", text), "3 automatic points and 1 from the grader"
    finally:
        shutil.rmtree(course_copy.parent)


def test_collect_from_the_exchange():
    """Released, fetched and submitted through nbgrader's exchange, then collected and graded."""
    root = open_dir()
    try:
        folder = course(PS1, "ps1", root / "course")
        exchange = root / "exchange"
        exchange.mkdir(mode=0o777)
        exchange.chmod(0o777)
        with open(folder / "nbgrader_config.py", "a") as config:
            config.write(f"\nc.Exchange.root = {str(exchange)!r}\n")
        nbgrader("release_assignment", "ps1", cwd=folder)
        student = root / "student"
        student.mkdir()
        nbgrader("fetch_assignment", "ps1", "--course", "lessonkit", f"--Exchange.root={exchange}", cwd=student)
        for notebook in (PS1 / "submitted" / "hacker" / "ps1").glob("*.ipynb"):  # hacker's answers
            shutil.copyfile(notebook, student / "ps1" / notebook.name)
        nbgrader("submit", "ps1", "--course", "lessonkit", f"--Exchange.root={exchange}", cwd=student)
        report = grade_assignment("ps1", course_dir=folder, collect=True, progress=False, feedback=False)
    finally:
        shutil.rmtree(root)
    # beside the two submissions already in submitted/, the new one, under the student's login
    assert report.scores() == {"bitdiddle": 1.5, "hacker": 3.0, "root": 3.0}


def test_the_command_reports_json_and_rewrites_feedback_alone():
    """``lessonkit grade --json``: every student, every lost point with its reason, for scripts;
    ``--feedback-only`` rewrites feedback from what grading left, running nothing."""
    root = open_dir()
    try:
        folder = course(PS1, "ps1", root / "course")
        done = subprocess.run([sys.executable, "-m", "lessonkit", "grade", "ps1", "--course", str(folder), "--json",
                               "--quiet"], capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        report = json.loads(done.stdout)
        students = {s["student"]: s for s in report["submissions"]}
        assert {name: s["score"] for name, s in students.items()} == {"bitdiddle": 1.5, "hacker": 3.0}
        lost = [cell for cell in students["bitdiddle"]["cells"] if cell["lost"]]
        assert lost and all(cell["reason"] and cell["reason"] != "passed" for cell in lost)
        assert any("locked cell correct_squares was edited" in note for s in students.values() for note in s["notes"])
        assert "s per notebook" in report["limits"]
        shutil.rmtree(folder / "feedback")
        again = subprocess.run([sys.executable, "-m", "lessonkit", "grade", "ps1", "--course", str(folder),
                                "--feedback-only", "--students", "hacker"], capture_output=True, text=True, timeout=600)
        assert again.returncode == 0, again.stderr[-3000:]
        assert again.stdout.startswith("wrote 2 feedback page(s)")
        assert sorted(p.name for p in (folder / "feedback" / "hacker" / "ps1").glob("*.html")) == \
            ["problem1.html", "problem2.html"]
    finally:
        shutil.rmtree(root)
