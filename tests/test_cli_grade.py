"""``lessonkit grade`` from the command line, on nbgrader's own example course."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus" / "nbgrader-ps1"

pytestmark = pytest.mark.slow


def test_grade_command_scores_ps1_like_nbgrader_and_exports(tmp_path):
    course = tmp_path / "grading"
    (course / "source").mkdir(parents=True)
    shutil.copy(ROOT / "grading" / "nbgrader_config.py", course)
    shutil.copytree(CORPUS / "source" / "ps1", course / "source" / "ps1")
    done = subprocess.run([sys.executable, "-m", "lessonkit", "grade", "ps1", "--course", str(course),
                           "--submissions", str(CORPUS / "submitted"), "--csv", str(tmp_path / "grades.csv"),
                           "--canvas", str(tmp_path / "canvas.csv"), "--quiet"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "locked cell correct_squares was edited" in done.stdout
    with open(tmp_path / "grades.csv", newline="") as handle:
        scores = {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}
    with open(CORPUS / "grades.csv", newline="") as handle:
        expected = {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}
    assert scores == expected == {"bitdiddle": 1.5, "hacker": 3.0}
    assert "ps1" in (tmp_path / "canvas.csv").read_text()
    assert (course / "feedback" / "hacker" / "ps1" / "problem1.html").exists()


def test_grade_command_says_what_is_wrong_with_the_course(tmp_path):
    done = subprocess.run([sys.executable, "-m", "lessonkit", "grade", "nope", "--course", str(tmp_path / "none")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "no such course folder" in done.stderr
    (tmp_path / "course" / "source").mkdir(parents=True)
    shutil.copy(ROOT / "grading" / "nbgrader_config.py", tmp_path / "course")
    done = subprocess.run([sys.executable, "-m", "lessonkit", "grade", "nope", "--course", str(tmp_path / "course")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "nope" in done.stderr, done.stderr
