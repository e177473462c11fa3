"""Validate and build times: the example lessons and a synthetic lesson of 200 checks.

    python benchmarks/build.py            # the documented run; updates benchmarks/RESULTS.md
    python benchmarks/build.py --repeats 1 --synthetic-checks 20 --no-record

For comparison, the same run times ``nbgrader generate_assignment`` on each built
nbgrader source: the step a teacher using plain nbgrader would run instead.

The check: every lesson must validate without errors, its build must write the student
notebook, the page and the nbgrader source, and nbgrader must release it (exit 0, the
notebook in release/), or the run records nothing and fails.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

import nbformat
from nbformat.v4 import new_code_cell, new_notebook
from results import REPO, Run, arguments

from lessonkit.compile import build_lesson, validate_lesson
from lessonkit.engine.sealing import clear_cache

TITLE = "Validate and build"
Result = TypeVar("Result")


def synthetic_lesson(folder: Path, checks: int = 200) -> Path:
    """A lesson with ``checks`` checks, a fifth of each auto-graded kind, a step every 10 checks."""
    cells = [new_code_cell('import lessonkit as lk\nlk.lesson(id="synthetic", title="Synthetic", '
                           'skills={"s": {"name": "S"}})')]
    for n in range(checks):
        if n % 10 == 0:
            cells.append(new_code_cell(f'lk.step("step-{n // 10}", title="Step {n // 10}")'))
        kind = ("single", "multiple", "numeric", "text", "code")[n % 5]
        spec = {
            "single": f'options=["{n}", "{n + 1}", "{n + 2}"], answer="{n + 1}"',
            "multiple": f'options=["{n}", "{n + 1}", "{n + 2}"], answers=["{n}", "{n + 2}"]',
            "numeric": f'answer={n + 0.5}, tolerance={{"abs": 0.01}}',
            "text": f'answers=["word {n}", "words {n}"]',
            "code": "",
        }[kind]
        cells.append(new_code_cell(f'lk.check(id="c{n}", kind="{kind}", prompt="Question {n}?", skills=["s"], '
                                   f'hints=["Think about {n}."], {spec})'))
        if kind == "code":
            cells.append(new_code_cell(f"def f{n}(x):\n    ### BEGIN SOLUTION\n    return x + {n}\n    ### END SOLUTION"))
            cells.append(new_code_cell(f"assert f{n}(0) == {n}\n### BEGIN HIDDEN TESTS\nassert f{n}(1) == {n + 1}\n"
                                       "### END HIDDEN TESTS"))
    path = folder / "synthetic" / "synthetic.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(new_notebook(cells=cells), path)
    return path


def timed(action: Callable[[], Result], repeats: int) -> tuple[float, Result]:
    """Median seconds, each run as cold as a fresh ``lessonkit`` process (no cached hashes);
    and the last run's result, for the check."""
    times = []
    for _ in range(repeats):
        clear_cache()
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def nbgrader_generate(course: Path, assignment: str, repeats: int) -> tuple[float, str | None]:
    """Median seconds of ``generate_assignment``; and what went wrong, if it did."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    command = [sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force",
               f"--CourseDirectory.root={course}"]
    seconds, done = timed(lambda: subprocess.run(command, cwd=course, env=env, capture_output=True, text=True),
                          repeats)
    return seconds, (f"nbgrader generate_assignment {assignment} exited {done.returncode}: {done.stderr[-2000:]}"
                     if done.returncode else None)


def build_problems(lesson_id: str, errors: list[str], outputs: list[Path]) -> list[str]:
    """The check: the lesson validated, and every output it should have is there."""
    problems = [f"{lesson_id}: {error}" for error in errors]
    return problems + [f"{lesson_id}: {path} was not written" for path in outputs if not path.is_file()]


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--repeats", type=int, default=3, help="the median of this many is reported")
    parser.add_argument("--synthetic-checks", type=int, default=200, help="checks in the synthetic lesson")
    args = parser.parse_args()
    run = Run(TITLE)
    rows, problems = [], []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sources = sorted(REPO.glob("lessons/*/*.ipynb")) + [synthetic_lesson(work, args.synthetic_checks)]
        for source in sources:
            course = work / "course"
            validate, report = timed(partial(validate_lesson, source), args.repeats)
            if report.lesson is None:
                problems += build_problems(str(source), [str(error) for error in report.errors], [])
                continue
            lesson = report.lesson
            build, built = timed(partial(build_lesson, source, out=work / "out", course=course), args.repeats)
            nbgrader, failure = nbgrader_generate(course, lesson.id, args.repeats)
            release = course / "release" / lesson.id / f"{lesson.id}.ipynb"
            problems += build_problems(lesson.id, [str(error) for error in report.errors] + ([failure] if failure else []),
                                       [built.student, built.page, built.nbgrader, release])
            rows.append((lesson.id, len(lesson.checks), validate, build, nbgrader))
            print(f"{lesson.id:24} {len(lesson.checks):4} checks  validate {validate:6.2f} s  build {build:6.2f} s  "
                  f"nbgrader generate_assignment {nbgrader:6.2f} s", flush=True)
    table = ["| lesson | checks | validate | build (validate included) | nbgrader generate_assignment |",
             "|---|---:|---:|---:|---:|"]
    table += [f"| {name} | {n} | {v:.2f} s | {b:.2f} s | {g:.2f} s |" for name, n, v, b, g in rows]
    run.finish(f"median of {args.repeats}; every lesson validated, built and was released by nbgrader.\n\n"
               + "\n".join(table) + "\n\nValidation runs every code solution against its visible and hidden "
               "tests in the sandbox (one contained process per code check) and hashes every accepted "
               "answer bucket with PBKDF2; `nbgrader generate_assignment` is shown for scale: it is the "
               "step a plain nbgrader user runs on the built source, and most of its time is its import.",
               problems, record=not args.no_record)


if __name__ == "__main__":
    main()
