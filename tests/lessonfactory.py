"""Small lesson notebooks written on the fly, so each test states the cells it is about."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HEADER = '''import lessonkit as lk
lk.lesson(id="tiny", title="A tiny lesson", version="1",
          skills={"add": {"name": "Adding"}, "carry": {"name": "Carrying", "requires": ["add"]}})'''

CHOICE = '''lk.check(id="two-plus-two", kind="single", prompt="2 + 2 = ?", options=["3", "4", "5"], answer="4",
         skills=["add"], hints=["Count on from 2.", {"text": "2, 3, ...", "after": 1, "cost": 0.5, "bottom_out": True}],
         feedback=[{"answer": "5", "message": "One too many: count again."}])'''
MULTI = '''lk.check(id="evens", kind="multiple", prompt="Pick the even numbers.", options=["2", "3", "8"],
         answers=["2", "8"], skills=["add"])'''
NUMERIC = '''lk.check(id="sum-decimal", kind="numeric", prompt="0.25 + 0.5 = ?", answer=0.7525, tolerance={"abs": 0.001},
         skills=["add"], feedback=[{"answer": 0.3, "message": "Line up the decimal points."}])'''
TEXT = '''lk.check(id="name", kind="text", prompt="What is the result of an addition called?",
         answers=["the sum", "sum"], skills=["add"])'''
UNORDERED = '''lk.check(id="parts", kind="text", prompt="Name the primary colours of light.",
         answer="red, green, blue", unordered=True, skills=["add"])'''
VARIANT = '''lk.check(id="add-v", kind="numeric", prompt="What is {a} + {b}?", answer="a + b",
         skills=["carry"], variants={"count": 3, "params": {"a": [17, 28, 39], "b": [5, 6, 7]}})'''
CODE = '''lk.check(id="double", kind="code", prompt="Write `double(x)`.", skills=["carry"], points=2,
         feedback=[{"test": 2, "message": "Doubling 3 gives 6."}])'''
SOLUTION = '''def double(x):
    ### BEGIN SOLUTION
    return x * 2
    ### END SOLUTION'''
TESTS = '''assert double(0) == 0
assert double(3) == 6
### BEGIN HIDDEN TESTS
assert double(-41) == -82, "negative numbers double too"
### END HIDDEN TESTS'''


def valid_cells() -> list[tuple[str, str]]:
    """A lesson using every kind of check, each branch kind and every step kind."""
    return [
        ("code", HEADER),
        ("code", 'lk.step("intro", title="Adding up")'),
        ("markdown", "Adding puts numbers together."),
        ("code", "total = 2 + 2"),
        ("code", 'lk.step("practice", kind="check", title="Practice")'),
        ("code", CHOICE), ("code", MULTI), ("code", NUMERIC), ("code", TEXT), ("code", UNORDERED),
        ("code", VARIANT), ("code", CODE), ("code", SOLUTION), ("code", TESTS),
        ("code", '''lk.branch(rules=[{"if": "mastered('add')", "goto": "extra"},
                  {"if": "needs_remediation('add') or attempts('two-plus-two') > 2", "goto": "again"},
                  {"goto": "pick"}])'''),
        ("code", 'lk.step("again", kind="remediation", title="Once more")'),
        ("markdown", "Count on your fingers."),
        ("code", 'lk.branch(rules=[{"goto": "practice"}])'),
        ("code", 'lk.step("extra", kind="enrichment", title="Bigger numbers")'),
        ("markdown", "Try 123 + 456."),
        ("code", 'lk.step("pick", title="Pick a theme")'),
        ("code", '''lk.choose(id="theme", prompt="Which theme?", options=[{"label": "Shop", "goto": "shop"},
                                                        {"label": "Garden", "goto": "garden"}])'''),
        ("code", 'lk.step("shop", title="At the shop")'),
        ("markdown", "Prices add up."),
        ("code", 'lk.branch(rules=[{"goto": "review"}])'),
        ("code", 'lk.step("garden", title="In the garden")'),
        ("markdown", "Flowers add up."),
        ("code", 'lk.step("review", kind="review", review=["add"], title="Review")'),
        ("code", 'lk.step("done", kind="end", title="Done")'),
        ("markdown", "Well done."),
    ]


def write_lesson(folder: Path, cells: list[tuple[str, str]] | None = None, name: str = "tiny") -> Path:
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    for n, (kind, source) in enumerate(cells if cells is not None else valid_cells()):
        cell = new_code_cell(source) if kind == "code" else new_markdown_cell(source)
        cell.id = f"c{n}"
        nb.cells.append(cell)
    path = Path(folder) / name / f"{name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def replace_cell(cells: list[tuple[str, str]], old: str, new: str) -> list[tuple[str, str]]:
    """The cells with the one whose source is ``old`` replaced (it must exist)."""
    assert any(source == old for _, source in cells), old
    return [(kind, new if source == old else source) for kind, source in cells]
