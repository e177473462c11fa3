"""``lessonkit build``: arguments only; the work is in :mod:`lessonkit.compile.build`."""

from __future__ import annotations

import argparse
import sys

from lessonkit.cli.lessons import lesson_arguments, lessons, print_problems

SUMMARY = "Write the student notebook, the Voila page and the nbgrader source of lessons"
DETAILS = ("Validate, then write OUT/ID/student/ID.ipynb, OUT/ID/page/ID.ipynb and COURSE/source/ID/ID.ipynb. "
           "A lesson with errors is not built and its previous outputs are kept; the command then exits 1.")


def arguments(command: argparse.ArgumentParser) -> None:
    lesson_arguments(command)
    command.add_argument("--out", default="build", help="where student notebooks and pages go (default: build)")
    command.add_argument("--course", default="grading", help="the nbgrader course folder (default: grading)")


def run(args: argparse.Namespace) -> int:
    from lessonkit.compile import build_lesson
    from lessonkit.model import LessonError

    failed = 0
    for path in lessons(args, "building"):
        try:
            built = build_lesson(path, out=args.out, course=args.course, run_code=not args.no_run)
        except LessonError as error:
            failed += 1
            print(f"{path}: not built, {len(error.problems)} problem(s); previous outputs kept", file=sys.stderr)
            print_problems(error.problems)
            continue
        if not args.quiet:
            print(f"{path}: built {built.lesson.id}\n  student  {built.student}\n  page     {built.page}\n"
                  f"  nbgrader {built.nbgrader}")
    return 1 if failed else 0
