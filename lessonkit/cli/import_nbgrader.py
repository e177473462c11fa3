"""``lessonkit import-nbgrader``: arguments only; the work is in :mod:`lessonkit.compile.import_nbgrader`."""

from __future__ import annotations

import argparse
import sys

SUMMARY = "Turn an nbgrader source assignment into a lesson"
DETAILS = ("Read SOURCE (an nbgrader source assignment: its notebooks and files) and write a lesson notebook "
           "that keeps every grade cell, its points and its tests.")


def arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("source", help="the nbgrader source assignment folder, e.g. course/source/ps1")
    command.add_argument("--folder", default="lessons", help="where lesson folders live (default: lessons)")
    command.add_argument("--id", default=None, help="the lesson id (default: the source folder's name)")


def run(args: argparse.Namespace) -> int:
    from lessonkit.compile.import_nbgrader import import_nbgrader

    try:
        written = import_nbgrader(args.source, folder=args.folder, lesson_id=args.id)
    except (FileExistsError, ValueError) as error:
        print(f"lessonkit import-nbgrader: {error}", file=sys.stderr)
        return 1
    print(f"created {written}\nnext: `lessonkit validate {written.parent}`, then `lessonkit build {written.parent}`")
    return 0
