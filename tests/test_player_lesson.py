"""The example lesson the player tests run through, written in the documented authoring format
(docs/authoring.md) and built with the real reader and sealer; helpers shared by the
tests/test_player_*.py modules (import them from here).

The lesson has every path a student can take: a wrong answer with its feedback, a hint
ladder with a gate, a cost and a bottom-out rung, variants, a remediation branch, an
enrichment branch, a choice point, a text check decided at grading (a pattern), a review
step and an end.  Its mastery policy is small (``max_items=3``) so that the escape hatch
is reachable in a few answers.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from lessonkit.engine.seal import grading_key, seal_lesson, secrets
from lessonkit.format import blob
from lessonkit.format.reader import read_lesson
from lessonkit.model import Lesson

REPO = Path(__file__).resolve().parents[1]

CELLS = [
    ("code", '''import lessonkit as lk
lk.lesson(id="fractions", title="Adding fractions", version="1",
    skills={"equivalent": {"name": "Equivalent fractions"},
            "add-like": {"name": "Adding like fractions", "requires": ["equivalent"]}},
    mastery={"threshold": 0.95, "min_evidence": 3, "max_items": 3})'''),
    ("code", 'lk.step("intro", title="Why fractions?")'),
    ("markdown", "A fraction is a part of a whole: $\\frac{1}{2}$ is one of two equal parts."),
    ("code", '''lk.check(id="which-equal", kind="single", prompt="Which fraction equals $\\\\frac{1}{2}$?",
    options=["2/3", "3/6", "2/1", "1/3"], answer="3/6", skills=["equivalent"],
    feedback=[{"answer": "2/1", "message": "That is 2 wholes: the top and bottom numbers are swapped."}],
    hints=["Multiply the top and the bottom by the same number."])'''),
    ("code", 'lk.step("practice", kind="check", title="Practice")'),
    ("code", '''lk.check(id="add-like-v", kind="numeric", prompt="{a}/{d} + {b}/{d} = ? (as a decimal)",
    answer="(a + b) / d", tolerance={"abs": 0.005}, skills=["add-like"], points=2,
    hints=["Add the numerators.", {"text": "Keep the bottom number as it is.", "after": 1},
           {"text": "(first top + second top) / bottom", "bottom_out": True, "cost": 0.5}],
    variants={"count": 6, "params": {"a": [1, 2, 3, 4], "b": [1, 2, 3], "d": [7, 11, 13]}})'''),
    ("code", '''lk.branch(rules=[
    {"if": "mastered('add-like')", "goto": "egyptian"},
    {"if": "needs_remediation('add-like')", "goto": "common-denominator"},
    {"goto": "practice"}])'''),
    ("code", 'lk.step("common-denominator", kind="remediation", title="Same denominators")'),
    ("markdown", "When the bottom numbers are the same, add the top numbers and keep the bottom one."),
    ("code", '''lk.check(id="name-bottom", kind="text",
    prompt="What do we call a fraction like 7/4, whose top number is bigger than its bottom number?",
    answers=["improper fraction", "an improper fraction", "top-heavy fraction"], skills=["equivalent"])'''),
    ("code", 'lk.branch(rules=[{"goto": "practice"}])'),
    ("code", 'lk.step("egyptian", kind="enrichment", title="Egyptian fractions")'),
    ("markdown", "The Egyptians wrote fractions as sums of different unit fractions."),
    ("code", '''lk.check(id="unit-fractions", kind="multiple", prompt="Pick every unit fraction.",
    options=["1/2", "2/3", "1/7", "3/3"], answers=["1/2", "1/7"])'''),
    ("code", '''lk.choose(id="theme", prompt="Pick a context for the next exercise:", options=[
    {"label": "Cooking", "goto": "cooking"}, {"label": "Music", "goto": "music"}])'''),
    ("code", 'lk.step("cooking", title="Cooking")'),
    ("code", '''lk.check(id="measure", kind="text", prompt="Name a measuring tool for flour.",
    answer="measuring cup", pattern="(measuring |tea|table)?(cup|spoon)s?|scales?")'''),
    ("code", 'lk.branch(rules=[{"goto": "review"}])'),
    ("code", 'lk.step("music", title="Music")'),
    ("markdown", "Two quarter notes last as long as a half note."),
    ("code", 'lk.step("review", kind="review", title="Review", review=["add-like"])'),
    ("code", '''lk.check(id="review-add", kind="numeric", prompt="1/4 + 2/4 = ?", answer=0.75,
    tolerance={"abs": 0.001}, skills=["add-like"])'''),
    ("code", 'lk.step("done", kind="end", title="Well done")'),
    ("markdown", "You finished the lesson."),
]

CODE_CELLS = [
    ("code", '''import lessonkit as lk
lk.lesson(id="loops", title="Loops", skills={"loops": {"name": "Loops"}})'''),
    ("code", 'lk.step("write", kind="check", title="Write a loop")'),
    ("code", '''lk.check(id="sum-evens", kind="code", prompt="Write `sum_evens(n)`: the sum of the even numbers below `n`.",
    skills=["loops"], points=2, hints=[{"text": "range(0, n, 2)", "cost": 1}],
    feedback=[{"test": 2, "message": "Check the end of your range: range(n) stops at n-1."}])'''),
    ("code", '''def sum_evens(n):
    ### BEGIN SOLUTION
    return sum(i for i in range(0, n, 2))
    ### END SOLUTION'''),
    ("code", '''assert sum_evens(0) == 0, "An empty range sums to 0."
assert sum_evens(5) == 6
### BEGIN HIDDEN TESTS
assert sum_evens(101) == 2550
### END HIDDEN TESTS'''),
    ("code", 'lk.step("done", kind="end", title="Done")'),
]


@dataclass
class Built:
    """A lesson as the build makes it: the teacher's model, the sealed dict and its blob."""

    lesson: Lesson
    sealed: dict[str, Any]
    blob: str
    secrets: list[str]

    def key(self, check_id: str) -> dict[str, Any]:
        return grading_key(self.lesson, self.lesson.checks[check_id])


def write_notebook(path: Path, cells: list[tuple[str, str]]) -> Path:
    nb = new_notebook(cells=[new_code_cell(s) if kind == "code" else new_markdown_cell(s) for kind, s in cells])
    nbformat.write(nb, path)
    return path


def build(tmp_path: Path, cells: list[tuple[str, str]] = CELLS, name: str = "fractions") -> Built:
    lesson = read_lesson(write_notebook(tmp_path / f"{name}.ipynb", cells))
    sealed = seal_lesson(lesson)
    return Built(lesson, blob.decode(blob.encode(sealed)), blob.encode(sealed), secrets(lesson))


class Clock:
    """A clock the test moves: flags and reviews depend on time."""

    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float = 20.0) -> float:
        self.now += seconds
        return self.now


def right_sum(prompt: str) -> str:
    """The right answer to an item of add-like-v, read off its prompt ("2/8 + 1/8 = ...")."""
    a, d, b, d2 = map(int, re.match(r"(\d+)/(\d+) \+ (\d+)/(\d+)", prompt).groups())
    assert d == d2
    return f"{(a + b) / d:.4f}"


def subprocess_env(**extra: str) -> dict[str, str]:
    import os

    env = {**os.environ, **extra}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    return env


def run_python(code: str, *, cwd: Path, **env: str) -> str:
    """Run ``code`` in a fresh interpreter (nothing shared with the test process)."""
    import subprocess

    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=subprocess_env(**env),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_example_lesson_builds_with_every_path_the_player_tests_need(tmp_path):
    built = build(tmp_path)
    kinds = {s["kind"] for s in built.sealed["steps"]}
    assert kinds == {"content", "check", "remediation", "enrichment", "review", "end"}
    inputs = {c["input"] for c in built.sealed["checks"].values()}
    assert inputs == {"single", "multiple", "number", "text"}
    assert len(built.sealed["checks"]["add-like-v"]["items"]) == 6
    assert built.sealed["checks"]["measure"]["items"][0]["pattern_at_grading"]
    assert any(s["choice"] for s in built.sealed["steps"])
