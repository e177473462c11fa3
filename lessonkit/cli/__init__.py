"""The ``lessonkit`` command: thin argument parsing over the workflows.

Each subcommand lives in its own function and imports its workflow lazily, so
``lessonkit --help`` is instant and one command's heavy dependencies (nbgrader, Dask)
never slow another's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable, Sequence

from lessonkit import __version__

Command = Callable[[argparse.Namespace], int]


def _print_problems(problems: Sequence[object], stream=sys.stderr) -> None:  # noqa: ANN001
    for problem in problems:
        print(f"  {problem}", file=stream)


def cmd_validate(args: argparse.Namespace) -> int:
    from lessonkit.compile import discover, validate_lesson

    paths = discover(args.path)
    if not paths:
        print(f"{args.path}: no lesson notebooks found (a lesson calls lk.lesson(...) in its first code cell)",
              file=sys.stderr)
        return 2
    failed = 0
    for path in _progress(paths, "validating", args.quiet):
        report = validate_lesson(path, run_code=not args.no_run)
        if report.errors:
            failed += 1
            print(f"{path}: {len(report.errors)} problem(s)", file=sys.stderr)
            _print_problems(report.problems)
        elif not args.quiet:
            warnings = [p for p in report.problems if p.severity != "error"]
            print(f"{path}: ok" + (f" ({len(warnings)} warning(s))" if warnings else ""))
            _print_problems(warnings, sys.stdout)
    return 1 if failed else 0


def cmd_build(args: argparse.Namespace) -> int:
    from lessonkit.compile import build_lesson, discover
    from lessonkit.model import LessonError

    paths = discover(args.path)
    if not paths:
        print(f"{args.path}: no lesson notebooks found", file=sys.stderr)
        return 2
    failed = 0
    for path in _progress(paths, "building", args.quiet):
        try:
            built = build_lesson(path, out=args.out, course=args.course, run_code=not args.no_run)
        except LessonError as error:
            failed += 1
            print(f"{path}: not built, {len(error.problems)} problem(s); previous outputs kept", file=sys.stderr)
            _print_problems(error.problems)
            continue
        if not args.quiet:
            print(f"{path}: built {built.lesson.id}\n  student  {built.student}\n  page     {built.page}\n"
                  f"  nbgrader {built.nbgrader}")
    return 1 if failed else 0


def cmd_new(args: argparse.Namespace) -> int:
    from lessonkit.compile.new import new_lesson

    try:
        path = new_lesson(args.id, folder=args.folder, title=args.title)
    except (FileExistsError, ValueError) as error:
        print(f"lessonkit new: {error}", file=sys.stderr)
        return 1
    print(f"created {path}\nnext: open it in JupyterLab, then `lessonkit validate {path.parent}`")
    return 0


def cmd_import_nbgrader(args: argparse.Namespace) -> int:
    from lessonkit.compile.import_nbgrader import import_nbgrader

    try:
        written = import_nbgrader(args.source, folder=args.folder, lesson_id=args.id)
    except (FileNotFoundError, FileExistsError, ValueError) as error:
        print(f"lessonkit import-nbgrader: {error}", file=sys.stderr)
        return 1
    print(f"created {written}\nnext: `lessonkit validate {written.parent}`, then `lessonkit build {written.parent}`")
    return 0


def _progress(items: list[Path], what: str, quiet: bool) -> list[Path]:
    if quiet or len(items) < 2 or not sys.stderr.isatty():
        return items
    from tqdm import tqdm

    return tqdm(items, desc=what, unit="lesson")  # type: ignore[return-value]


def _lesson_arguments(command: argparse.ArgumentParser) -> None:
    """What validate and build share: which lessons, whether to run solutions, how much to say."""
    command.add_argument("path", help="a lesson notebook, or a folder searched for lessons")
    command.add_argument("--no-run", action="store_true", help="do not run code solutions against their tests")
    command.add_argument("-q", "--quiet", action="store_true", help="print problems only")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="lessonkit", description="Personal, self-paced, mastery-based lessons "
                                  "in Jupyter: author, validate, build, serve and grade them.")
    top.add_argument("--version", action="version", version=f"lessonkit {__version__}")
    sub = top.add_subparsers(dest="command", metavar="COMMAND", required=True)

    new = sub.add_parser("new", help="scaffold a lesson that already validates and builds",
                         description="Create lessons/ID/ID.ipynb with an example of every feature.")
    new.add_argument("id", help="the lesson id: letters, digits, - and _")
    new.add_argument("--folder", default="lessons", help="where lesson folders live (default: lessons)")
    new.add_argument("--title", default=None, help="the lesson's title (default: from the id)")
    new.set_defaults(run=cmd_new)

    validate = sub.add_parser("validate", help="report every problem in a lesson or a folder of lessons",
                              description="Check structure, skills, the step graph, conditions and the answer "
                              "key (every solution must pass its own tests). Exits 1 when a lesson has errors.")
    _lesson_arguments(validate)
    validate.set_defaults(run=cmd_validate)

    build = sub.add_parser("build", help="write the student notebook, the Voila page and the nbgrader source",
                           description="Validate, then write BUILD/ID/student/ID.ipynb, BUILD/ID/page/ID.ipynb and "
                           "COURSE/source/ID/ID.ipynb. A lesson with errors is not built and its previous "
                           "outputs are kept.")
    _lesson_arguments(build)
    build.add_argument("--out", default="build", help="where student notebooks and pages go (default: build)")
    build.add_argument("--course", default="grading", help="the nbgrader course folder (default: grading)")
    build.set_defaults(run=cmd_build)

    imp = sub.add_parser("import-nbgrader", help="turn an nbgrader source assignment into a lesson",
                         description="Read SOURCE_DIR (an nbgrader source assignment: its notebooks and files) "
                         "and write a lesson notebook that keeps every grade cell, its points and its tests.")
    imp.add_argument("source", help="the nbgrader source assignment folder, e.g. course/source/ps1")
    imp.add_argument("--folder", default="lessons", help="where lesson folders live (default: lessons)")
    imp.add_argument("--id", default=None, help="the lesson id (default: the folder's name)")
    imp.set_defaults(run=cmd_import_nbgrader)

    for extra in _extra_commands():
        extra(sub)
    return top


def _extra_commands() -> list[Callable[[argparse._SubParsersAction], None]]:
    """Subcommands defined beside their workflows (grade, serve, report)."""
    from lessonkit.cli import grade, serve

    return [grade.register, serve.register]


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except FileNotFoundError as error:
        print(f"lessonkit {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
