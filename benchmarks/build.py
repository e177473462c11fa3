"""Validate and build times: the example lessons and a synthetic lesson of 200 checks.

    python benchmarks/build.py            # prints a table, updates benchmarks/RESULTS.md

For comparison, the same run times ``nbgrader generate_assignment`` on each built
nbgrader source: the step a teacher using plain nbgrader would run instead.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from results import machine, write_section  # noqa: E402

import nbformat  # noqa: E402
from nbformat.v4 import new_code_cell, new_notebook  # noqa: E402

from lessonkit.compile import build_lesson, validate_lesson  # noqa: E402
from lessonkit.engine.sealing import clear_cache  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 3


def synthetic_lesson(folder: Path, checks: int = 200) -> Path:
    """A lesson with ``checks`` checks, a fifth of each auto-graded kind, 20 steps."""
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


def timed(action) -> float:  # noqa: ANN001
    """Median seconds, each run as cold as a fresh ``lessonkit`` process (no cached hashes)."""
    times = []
    for _ in range(REPEATS):
        clear_cache()
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def nbgrader_generate(course: Path, assignment: str) -> float:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    command = [sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force",
               f"--CourseDirectory.root={course}"]
    return timed(lambda: subprocess.run(command, cwd=course, env=env, capture_output=True, check=True))


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sources = sorted(ROOT.glob("lessons/*/*.ipynb")) + [synthetic_lesson(work)]
        for source in sources:
            lesson = validate_lesson(source).lesson
            assert lesson is not None, f"{source} does not validate"
            kinds = len(lesson.checks)
            course = work / "course"
            validate = timed(lambda: validate_lesson(source))
            build = timed(lambda: build_lesson(source, out=work / "out", course=course))
            nbgrader = nbgrader_generate(course, lesson.id)
            rows.append((lesson.id, kinds, validate, build, nbgrader))
            print(f"{lesson.id:24} {kinds:4} checks  validate {validate:6.2f} s  build {build:6.2f} s  "
                  f"nbgrader generate_assignment {nbgrader:6.2f} s")
    table = ["| lesson | checks | validate | build (validate included) | nbgrader generate_assignment |",
             "|---|---:|---:|---:|---:|"]
    table += [f"| {name} | {n} | {v:.2f} s | {b:.2f} s | {g:.2f} s |" for name, n, v, b, g in rows]
    write_section("Validate and build", f"{machine()}. `python benchmarks/build.py`; median of {REPEATS}.\n\n"
                  + "\n".join(table) + "\n\nValidation runs every code solution against its visible and hidden "
                  "tests in the sandbox (one contained process per code check) and hashes every accepted "
                  "answer bucket with PBKDF2; `nbgrader generate_assignment` is shown for scale: it is the "
                  "step a plain nbgrader user runs on the built source, and most of its time is its import.")


if __name__ == "__main__":
    main()
