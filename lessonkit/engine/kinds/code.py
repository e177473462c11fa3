"""Code checks: the student's code against the teacher's tests, visible and hidden.

The teacher's solution cell and test cell follow nbgrader's markers.  Students get the
code outside the solution markers and the visible tests; hidden tests never leave the
teacher's side and run only at grading, so a student whose visible tests pass is told
exactly that, never "correct".
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Mapping

from lessonkit.engine.kinds.base import CheckKind, FailedTest, Item, Verdict
from lessonkit.model import Check, Lesson, Problem


class Code(CheckKind):
    name = "code"
    input = "code"
    fields: Mapping = {}

    def problems(self, check: Check) -> list[Problem]:
        from lessonkit.engine.codetests import CodeTestsError, split_tests
        from lessonkit.format.markers import solution_problems

        found = super().problems(check)
        if check.variants is not None:
            found.append(Problem(check.where.at("variants"), "code checks cannot have variants",
                                 "write a second code check instead"))
        if not check.solution:
            found.append(Problem(check.where, "a code check must be followed by its solution cell",
                                 "add a code cell with ### BEGIN SOLUTION / ### END SOLUTION after the check"))
        else:
            for message in solution_problems(check.solution):
                found.append(Problem(check.where.at("solution"), message))
        if len(check.tests) < len(check.test_points):
            found.append(Problem(check.where, f"a code check worth {list(check.test_points)} points needs "
                                 f"{len(check.test_points)} test cell(s) after its solution cell",
                                 "add a code cell of assert statements after the solution cell"))
        for n, tests in enumerate(check.tests):
            try:
                split_tests(tests)
            except CodeTestsError as error:
                found.append(Problem(check.where.at(f"tests[{n}]"), str(error)))
        return found

    def items(self, check: Check, lesson_id: str) -> list[Item]:
        return [{
            "prompt": check.prompt,
            "solution": check.solution or "",
            "tests": list(check.tests),
            "feedback": {str(f.test): f.message for f in check.feedback if f.test is not None},
        }]

    def key(self, item: Item) -> str:
        return item["solution"]

    def describe_key(self, item: Item) -> str:
        return "the solution cell after this check, which must pass the test cells after it"

    def key_problems(self, check: Check, items: list[Item], lesson: Lesson, *, run_code: bool,
                     files: Callable[[], Mapping[str, bytes]]) -> list[Problem]:
        """The solution must pass its own tests, visible and hidden, run as the student's kernel
        would: after the lesson's code before it, beside the lesson's files."""
        from lessonkit.engine.codetests import run_tests_contained

        found = [Problem(check.where.at(f"feedback[{n}]"), 'code checks take {"test": number, "message": ...}')
                 for n, entry in enumerate(check.feedback) if entry.test is None]
        if not run_code:
            return found
        cases = test_cases(items[0]["tests"])
        numbers = {c.number for c in cases}
        found += [Problem(check.where.at(f"feedback[{n}].test"), f"there is no test {entry.test}",
                          f"tests are numbered 1 to {len(cases)}")
                  for n, entry in enumerate(check.feedback) if entry.test is not None and entry.test not in numbers]
        setup = code_before(lesson, check, with_solutions=True)
        results = run_tests_contained(items[0]["solution"], cases, setup=setup, files=files())
        return found + [Problem(check.where.at("tests"), f"the solution fails its own test {r.number}: {r.message}",
                                "fix the solution or the test") for r in results if not r.passed]

    def secrets(self, item: Item) -> list[str]:
        from lessonkit.format.markers import solution_lines

        hidden = [case.source for case in test_cases(item["tests"]) if case.hidden]
        return [line for line in solution_lines(item["solution"]) + hidden if len(line.strip()) >= 8]

    def in_lesson(self, item: Item, lesson: Lesson, check: Check) -> Item:
        from lessonkit.format.assets import lesson_files

        files = sorted(lesson_files(lesson)) if lesson.path else []
        return {**item, "setup": code_before(lesson, check, with_solutions=False), "files": files}

    def seal(self, item: Item, salt: str) -> Item:
        from lessonkit.format.markers import strip_solution

        cases = test_cases(item["tests"])
        return {
            "prompt": item["prompt"],
            "starter": strip_solution(item["solution"]),
            "tests": [{"number": c.number, "source": c.source, "message": c.message} for c in cases if not c.hidden],
            "hidden": sum(1 for c in cases if c.hidden),
            "feedback": item["feedback"],
            # on a page, the lesson's example code runs first, beside the lesson's files
            "setup": item.get("setup", ""),
            "files": item.get("files", []),
        }

    def judge(self, sealed: Item, answer: Any) -> Verdict:
        """``answer`` is the student's namespace (their own kernel, JupyterLab) or their source
        code (a page, where it must run contained)."""
        from lessonkit.engine.codetests import TestCase, run_tests, run_tests_contained

        cases = [TestCase(number=t["number"], source=t["source"], hidden=False, message=t["message"])
                 for t in sealed["tests"]]
        feedback = {int(n): m for n, m in sealed["feedback"].items()}
        if isinstance(answer, str):
            results = run_tests_contained(answer, cases, feedback=feedback, setup=sealed.get("setup", ""),
                                          files=_files_here(sealed.get("files", [])))
        else:
            results = run_tests(answer, cases, feedback=feedback)
        verdict = verdict_of(results, hidden=sealed["hidden"])
        labels = {case.number: case.message for case in cases}
        failed = tuple(FailedTest(r.number, labels.get(r.number), r.error or "error") for r in results if not r.passed)
        return replace(verdict, failed_tests=failed)


def code_before(lesson: Lesson, check: Check, *, with_solutions: bool) -> str:
    """The code run before a check: the lesson's examples and, ``with_solutions``, the solutions
    of the code checks before it.

    A page runs the examples only (earlier solutions are secrets; a page supplies the
    student's own earlier answers instead); validation runs the solutions too, as the
    student's kernel will have run their own.
    """
    parts = []
    for block in lesson.blocks_before(check.id):
        if block.kind == "code":
            parts.append(block.source)
        elif with_solutions and block.kind == "check" and lesson.checks[block.check or ""].kind == Code.name:
            parts.append(lesson.checks[block.check or ""].solution or "")
    return "".join(part + "\n" for part in parts)


def _files_here(names: list[str]) -> dict[str, bytes]:
    """The lesson's files from the working folder, where a page's kernel runs beside them."""
    from pathlib import Path

    return {name: Path(name).read_bytes() for name in names if Path(name).is_file()}


def test_cases(cells: list[str]) -> list[Any]:
    """The tests of all test cells, numbered on from one cell to the next as the teacher counts."""
    from dataclasses import replace

    from lessonkit.engine.codetests import split_tests

    cases: list[Any] = []
    for source in cells:
        offset = len(cases)
        cases.extend(replace(case, number=offset + case.number) for case in split_tests(source).tests)
    return cases


def verdict_of(results: list[Any], *, hidden: int) -> Verdict:
    """Summarise test results honestly: visible passes with hidden tests pending are not "correct"."""
    failed = [r for r in results if not r.passed]
    passed = len(results) - len(failed)
    if failed:
        return Verdict(False, passed / max(len(results), 1),
                       f"{passed} of {len(results)} tests passed.", tuple(r.message for r in failed))
    if hidden:
        return Verdict(None, 1.0, f"All {len(results)} visible tests passed; "
                                  f"{hidden} hidden test{'s' if hidden > 1 else ''} run at grading.")
    return Verdict(True, 1.0, f"All {len(results)} tests passed. Well done!")
