"""What ``validate`` and ``build`` share: which lessons, whether to run solutions, how to report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Iterable, TextIO


def lesson_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("path", help="a lesson notebook, or a folder searched for lessons")
    command.add_argument("--no-run", action="store_true", help="do not run code solutions against their tests")
    command.add_argument("-q", "--quiet", action="store_true", help="print problems only")


def lessons(args: argparse.Namespace, doing: str) -> list[Path]:
    """The lessons at ``args.path``, with a progress bar on a terminal when there are several.

    Raises FileNotFoundError (the command's bad input) when the path holds no lesson.
    """
    from lessonkit.compile import discover

    paths = discover(args.path)
    if not paths:
        raise FileNotFoundError(f"{args.path}: no lesson notebooks found "
                                "(a lesson calls lk.lesson(...) in its first code cell)")
    if args.quiet or len(paths) < 2 or not sys.stderr.isatty():
        return paths
    from tqdm import tqdm

    return tqdm(paths, desc=doing, unit="lesson")  # type: ignore[return-value]


def print_problems(problems: Iterable[object], stream: TextIO = sys.stderr) -> None:
    for problem in problems:
        print(f"  {problem}", file=stream)
