"""``lessonkit new``: a lesson that validates and builds, with one example of every feature.

A teacher learns the format fastest by editing a working lesson, so the scaffold uses
every kind of check, a hint ladder, variants, and each kind of branch; the texts say what
to replace.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from lessonkit.format.reader import ID
from lessonkit.format.writer import KERNELSPEC

_CELLS: list[tuple[str, str]] = [
    ("code", '''import lessonkit as lk

lk.lesson(
    id="{id}",
    title="{title}",
    version="1",
    skills={{
        "basics": {{"name": "The basics"}},
        "applying": {{"name": "Applying the basics", "requires": ["basics"]}},
    }},
    mastery={{"threshold": 0.95, "min_evidence": 3, "max_items": 10}},
)'''),
    ("code", 'lk.step("intro", title="Welcome")'),
    ("markdown", "Replace this text with your introduction. Markdown, $\\\\LaTeX$ and images all work."),
    ("code", 'lk.step("practice", kind="check", title="Practice")'),
    ("code", '''lk.check(
    id="pick-one",
    kind="single",
    prompt="Which of these numbers is even?",
    options=["7", "12", "15"],
    answer="12",
    skills=["basics"],
    hints=["An even number divides by 2 with nothing left over.",
           {{"text": "Look at the last digit: 0, 2, 4, 6 or 8.", "after": 1, "cost": 0.25, "bottom_out": True}}],
    feedback=[{{"answer": "15", "message": "15 = 2 × 7 + 1: there is 1 left over, so it is odd."}}],
)'''),
    ("code", '''lk.check(
    id="pick-all",
    kind="multiple",
    prompt="Pick every multiple of 3.",
    options=["9", "10", "21", "25"],
    answers=["9", "21"],
    skills=["basics"],
)'''),
    ("code", '''lk.check(
    id="half-of",
    kind="numeric",
    prompt="What is half of {{n}}?",
    answer="n / 2",
    tolerance={{"abs": 0.01}},
    skills=["basics"],
    variants={{"count": 4, "params": {{"n": [10, 14, 22, 36, 50]}}}},
)'''),
    ("code", '''lk.check(
    id="name-it",
    kind="text",
    prompt="What do we call a whole number that divides by 2 with nothing left over?",
    answers=["even", "an even number", "even number"],
    skills=["basics"],
)'''),
    ("code", '''lk.branch(rules=[
    {{"if": "mastered('basics')", "goto": "challenge"}},
    {{"if": "needs_remediation('basics') or score('pick-one') < 1", "goto": "refresher"}},
    {{"goto": "apply"}},
])'''),
    ("code", 'lk.step("refresher", kind="remediation", title="A refresher")'),
    ("markdown", "Explain the idea again, another way. Then the student goes back to practise."),
    ("code", 'lk.branch(rules=[{{"goto": "practice"}}])'),
    ("code", 'lk.step("challenge", kind="enrichment", title="A challenge")'),
    ("markdown", "Something extra for students who have mastered the basics."),
    ("code", 'lk.step("apply", kind="check", title="Apply it")'),
    ("code", '''lk.check(
    id="count-even",
    kind="code",
    prompt="Write `count_even(numbers)`: how many numbers in the list are even.",
    skills=["applying"],
    points=2,
    hints=["Loop over the list and add 1 to a counter when `n % 2 == 0`."],
    feedback=[{{"test": 1, "message": "An empty list has no even numbers: return 0."}}],
)'''),
    ("code", '''def count_even(numbers):
    ### BEGIN SOLUTION
    return sum(1 for n in numbers if n % 2 == 0)
    ### END SOLUTION'''),
    ("code", '''assert count_even([]) == 0
assert count_even([1, 2, 3, 4]) == 2
### BEGIN HIDDEN TESTS
assert count_even([-2, 0, 7]) == 2
### END HIDDEN TESTS'''),
    ("code", '''lk.choose(id="next-topic", prompt="What would you like to explore next?", options=[
    {{"label": "Numbers in sport", "goto": "sport"}},
    {{"label": "Numbers in music", "goto": "music"}},
])'''),
    ("code", 'lk.step("sport", title="Numbers in sport")'),
    ("markdown", "A themed example for students who chose sport."),
    ("code", 'lk.branch(rules=[{{"goto": "review"}}])'),
    ("code", 'lk.step("music", title="Numbers in music")'),
    ("markdown", "A themed example for students who chose music."),
    ("code", 'lk.step("review", kind="review", title="Quick review", review=["basics"])'),
    ("markdown", "A short retrieval check comes back here after a few days."),
    ("code", 'lk.step("done", kind="end", title="Well done")'),
    ("markdown", "You have finished the lesson."),
]


def new_lesson(lesson_id: str, *, folder: str | Path = "lessons", title: str | None = None) -> Path:
    """Write ``folder/lesson_id/lesson_id.ipynb``; refuses to overwrite an existing lesson."""
    if not ID.match(lesson_id):
        raise ValueError(f"'{lesson_id}' is not a lesson id: use letters, digits, - and _ (e.g. fractions)")
    path = Path(folder) / lesson_id / f"{lesson_id}.ipynb"
    if path.exists():
        raise FileExistsError(f"{path} already exists; choose another id or edit that lesson")
    title = title or re.sub(r"[-_]+", " ", lesson_id).strip().capitalize()
    nb = new_notebook(metadata={"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    for n, (kind, text) in enumerate(_CELLS):
        source = text.format(id=lesson_id, title=title.replace('"', '\\"'))
        cell = new_code_cell(source) if kind == "code" else new_markdown_cell(source)
        cell.id = f"cell-{n:02d}"
        nb.cells.append(cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path
