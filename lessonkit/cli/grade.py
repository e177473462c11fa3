"""``lessonkit grade``: arguments only; the work is in :mod:`lessonkit.grade`."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    grade = sub.add_parser("grade", help="autograde submissions of an assignment, fast and contained",
                           description="Grade every submission of ASSIGNMENT with nbgrader's scoring, write the "
                           "gradebook, feedback and CSV exports.")
    grade.add_argument("assignment", help="the assignment (lesson) id")
    grade.add_argument("--course", default="grading", help="the nbgrader course folder (default: grading)")
    grade.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    raise SystemExit("lessonkit grade: not wired yet")
