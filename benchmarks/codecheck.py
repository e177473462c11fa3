"""What containment costs a code check: contained run against the same tests in-process.

    python benchmarks/codecheck.py             # the documented run; updates benchmarks/RESULTS.md
    python benchmarks/codecheck.py --runs 5 --no-record

A page's code check runs the student's code and the teacher's tests in a contained child
(``run_tests_contained``: a fresh process under limits, as its own uid when root); in
JupyterLab the same tests run in the student's kernel (``run_tests``).  The difference is
what a student waits for on top of their own code.  Goal: at most 150 ms at p95.

Each round runs both, taking turns, on the test cell from docs/authoring.md (two visible
tests, one hidden) with a right and an off-by-one solution.  A bare ``run_python("pass")``
row shows how much of the overhead is starting a contained interpreter at all.

The check: the contained and the in-process run must report the same results, the right
solution must pass every test and the off-by-one one fail some, or the run records nothing
and fails.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from results import Run, arguments, percentile

from lessonkit.engine.codetests import (
    TestResult,
    run_tests,
    run_tests_contained,
    split_tests,
)
from lessonkit.engine.sandbox import run_python, sandbox_ids

SECTION = "Contained code check"
GOAL_MS = 150.0
TESTS = split_tests(
    'assert sum_evens(0) == 0, "An empty range sums to 0."\n'
    "assert sum_evens(5) == 6\n"
    "### BEGIN HIDDEN TESTS\n"
    "assert sum_evens(101) == 2550\n"
    "### END HIDDEN TESTS\n"
).tests
#: label -> (a student's solution, whether it passes every test)
SOLUTIONS = {
    "right": ("def sum_evens(n):\n    return sum(i for i in range(0, n, 2))\n", True),
    "off by one": ("def sum_evens(n):\n    return sum(i for i in range(0, n - 1, 2))\n", False),
}


def in_process(student: str) -> list[TestResult]:
    namespace: dict = {}
    exec(student, namespace)  # as the student's own cell would
    return run_tests(namespace, TESTS)


def timed(action: Callable[..., object], *args: object) -> float:
    started = time.perf_counter()
    action(*args)
    return (time.perf_counter() - started) * 1000


def result_problems(label: str, contained: list[TestResult], direct: list[TestResult], passes: bool) -> list[str]:
    """The check: both ways agree, and on what the solution deserves."""
    if contained != direct:
        return [f"{label}: contained {contained} but in-process {direct}"]
    if all(result.passed for result in contained) != passes:
        return [f"{label}: expected to {'pass' if passes else 'fail'} the tests, got {contained}"]
    return []


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--runs", type=int, default=30)
    options = parser.parse_args()
    run = Run(SECTION)
    for student, _ in SOLUTIONS.values():  # warm-up: caches, the first fork of a large process
        run_tests_contained(student, TESTS)
        in_process(student)
    rows, problems = [], []
    for label, (student, passes) in SOLUTIONS.items():
        problems += result_problems(label, run_tests_contained(student, TESTS), in_process(student), passes)
        contained, direct, overhead = [], [], []
        for _ in range(options.runs):
            contained.append(timed(run_tests_contained, student, TESTS))
            direct.append(timed(in_process, student))
            overhead.append(contained[-1] - direct[-1])
        rows.append((label, contained, direct, overhead))
    bare = [timed(run_python, "pass") for _ in range(options.runs)]

    def ms(values: list[float]) -> str:
        return f"{statistics.median(values):.1f} | {percentile(values, 0.95):.1f}"

    lines = [
        (
            f"{options.runs} rounds per solution, contained and "
            "in-process taking turns; the test cell of docs/authoring.md (2 visible tests, 1 hidden); "
            f"the child runs as {'a uid of its own (root)' if sandbox_ids() else 'this user (not root)'}, "
            "default `Limits`; both ways gave the same results, and the ones each solution deserves."
        ),
        "",
        "| solution | contained p50 ms | p95 ms | in-process p50 ms | p95 ms | overhead p50 ms | p95 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| {label} | {ms(c)} | {ms(d)} | {ms(o)} |" for label, c, d, o in rows]
    lines += ["", f"A bare contained `run_python(\"pass\")`: p50 {statistics.median(bare):.1f} ms, p95 {percentile(bare, 0.95):.1f} ms."]
    worst = max(percentile(overhead, 0.95) for *_, overhead in rows)
    verdict = "met" if worst <= GOAL_MS else "NOT met"
    lines += ["", f"Goal: overhead p95 ≤ {GOAL_MS:.0f} ms: worst p95 {worst:.1f} ms, {verdict}."]
    run.finish("\n".join(lines), problems, record=not options.no_record)


if __name__ == "__main__":
    main()
