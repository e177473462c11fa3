"""``lessonkit validate``: arguments only; the work is in :mod:`lessonkit.compile.validate`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lessonkit.cli.lessons import lesson_arguments, lessons, print_problems

SUMMARY = "Report every problem in a lesson, a folder of lessons or a course file"
DETAILS = ("Check structure, skills, the step graph, conditions and the answer key (every solution must pass "
           "its own tests). A folder's course.toml, or a course file given as PATH, is checked too (its lessons, skills and prerequisite cycles across lessons). Exits 1 when a lesson has errors, 2 when PATH holds no lesson.")


def arguments(command: argparse.ArgumentParser) -> None:
    lesson_arguments(command)


def run(args: argparse.Namespace) -> int:
    from lessonkit.compile import validate_lesson
    from lessonkit.compile.course import course_to_validate

    failed = 0
    course, only_course = course_to_validate(args.path)
    for path in [] if only_course else lessons(args, "validating"):
        report = validate_lesson(path, run_code=not args.no_run)
        if report.errors:
            failed += 1
            print(f"{path}: {len(report.errors)} problem(s)", file=sys.stderr)
            print_problems(report.problems)
        elif not args.quiet:
            warnings = [p for p in report.problems if p.severity != "error"]
            print(f"{path}: ok" + (f" ({len(warnings)} warning(s))" if warnings else ""))
            print_problems(warnings, sys.stdout)
    if course is not None:
        failed += _report_course(course, args.quiet)
    return 1 if failed else 0


def _report_course(path: Path, quiet: bool) -> int:
    from lessonkit.compile.course import validate_course

    report = validate_course(path)
    if report.errors:
        print(f"{path}: {len(report.errors)} problem(s)", file=sys.stderr)
        print_problems(report.problems)
        return 1
    if not quiet:
        print(f"{path}: ok ({len(report.lessons)} lessons)")
        print_problems([p for p in report.problems if p.severity != "error"], sys.stdout)
    return 0
