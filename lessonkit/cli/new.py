"""``lessonkit new``: arguments only; the work is in :mod:`lessonkit.compile.new`."""

from __future__ import annotations

import argparse
import sys

SUMMARY = "Scaffold a lesson that already validates and builds"
DETAILS = "Create FOLDER/ID/ID.ipynb with an example of every feature, to edit into your lesson."


def arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("id", help="the lesson id: letters, digits, - and _ (e.g. fractions)")
    command.add_argument("--folder", default="lessons", help="where lesson folders live (default: lessons)")
    command.add_argument("--title", default=None, help="the lesson's title (default: made from the id)")


def run(args: argparse.Namespace) -> int:
    from lessonkit.compile.new import new_lesson

    try:
        path = new_lesson(args.id, folder=args.folder, title=args.title)
    except (FileExistsError, ValueError) as error:
        print(f"lessonkit new: {error}", file=sys.stderr)
        return 1
    print(f"created {path}\nnext: open it in JupyterLab, then `lessonkit validate {path.parent}`")
    return 0
