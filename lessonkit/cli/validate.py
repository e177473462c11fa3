"""``lessonkit validate``: arguments only; the work is in :mod:`lessonkit.compile.validate`."""

from __future__ import annotations

import argparse
import sys

from lessonkit.cli.lessons import lesson_arguments, lessons, print_problems

SUMMARY = "Report every problem in a lesson or a folder of lessons"
DETAILS = ("Check structure, skills, the step graph, conditions and the answer key (every solution must pass "
           "its own tests). Exits 1 when a lesson has errors, 2 when PATH holds no lesson.")


def arguments(command: argparse.ArgumentParser) -> None:
    lesson_arguments(command)


def run(args: argparse.Namespace) -> int:
    from lessonkit.compile import validate_lesson

    failed = 0
    for path in lessons(args, "validating"):
        report = validate_lesson(path, run_code=not args.no_run)
        if report.errors:
            failed += 1
            print(f"{path}: {len(report.errors)} problem(s)", file=sys.stderr)
            print_problems(report.problems)
        elif not args.quiet:
            warnings = [p for p in report.problems if p.severity != "error"]
            print(f"{path}: ok" + (f" ({len(warnings)} warning(s))" if warnings else ""))
            print_problems(warnings, sys.stdout)
    return 1 if failed else 0
