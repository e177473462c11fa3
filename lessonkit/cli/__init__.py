"""Layer 7, the ``lessonkit`` command: thin argument parsing over the workflows.

Every verb is one module here (``VERBS``) with a one-line ``SUMMARY``, the ``DETAILS`` its
``--help`` adds, its ``arguments`` and the ``run`` that does the work.  A verb imports its
workflow inside ``run``, so ``lessonkit --help`` is instant and one verb's heavy
dependencies (nbgrader, Dask, Voila) never slow another's.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from lessonkit import __version__
from lessonkit.errors import LessonkitError

#: The verbs' modules, in the order ``lessonkit --help`` lists them (``import_nbgrader`` is
#: the verb ``import-nbgrader``, ``class_`` the verb ``class``).
VERBS = ("new", "validate", "paths", "build", "serve", "class_", "grade", "report", "export", "fit",
         "portfolio", "import_nbgrader", "secure_store")


def verb_name(module: str) -> str:
    # a trailing _ only keeps a module name off a keyword: ``class_`` is the verb ``class``
    return module.rstrip("_").replace("_", "-")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="lessonkit", description="Personal, self-paced, mastery-based lessons "
                                  "in Jupyter: author, validate, build, serve and grade them.")
    top.add_argument("--version", action="version", version=f"lessonkit {__version__}")
    sub = top.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in VERBS:
        verb = importlib.import_module(f"lessonkit.cli.{module_name}")
        command = sub.add_parser(verb_name(module_name), help=verb.SUMMARY,
                                 description=f"{verb.SUMMARY}. {verb.DETAILS}")
        verb.arguments(command)
        command.set_defaults(run=verb.run)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except (FileNotFoundError, LessonkitError) as error:  # bad input: say what and where, no traceback
        print(f"lessonkit {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
