"""``lessonkit import-nbgrader``: an nbgrader source assignment becomes a lesson.

Teachers arrive with nbgrader assignments; they should not have to rewrite them.  Each
notebook of the assignment becomes a step.  A solution cell and the grade cells that
test it become a code check (one test cell, and its points, per grade cell); manually
graded answers and tasks become ``response`` checks; everything else is kept as content.
The built nbgrader source then keeps every grade cell, its points and its tests.
"""

from __future__ import annotations

import pprint
import re
import shutil
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from lessonkit.format.reader import ID, read_notebook
from lessonkit.format.writer import KERNELSPEC


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-_")
    return slug if ID.match(slug or "") else f"x-{slug}".strip("-") or "item"


def _call(name: str, **args: Any) -> str:
    """An ``lk.<name>(...)`` call with literal arguments, laid out to read well in a diff."""
    lines = [f"lk.{name}("]
    for key, value in args.items():
        text = pprint.pformat(value, width=96, sort_dicts=False)
        lines.append(f"    {key}={text.replace(chr(10), chr(10) + '    ')},")
    return "\n".join(lines) + "\n)"


class _Importer:
    def __init__(self, skill: str):
        self.skill = skill
        self.cells: list[nbformat.NotebookNode] = []
        self.ids: set[str] = set()
        self.open_check: dict[str, Any] | None = None  # the code check grade cells attach to

    def unique(self, wanted: str) -> str:
        base = _slug(wanted)
        name, n = base, 2
        while name in self.ids:
            name, n = f"{base}-{n}", n + 1
        self.ids.add(name)
        return name

    def flush(self) -> None:
        """Write out the open code check: its call, solution cell and test cells."""
        check, self.open_check = self.open_check, None
        if check is None:
            return
        if not check["tests"]:  # a solution with no tests: nothing to grade automatically
            self.cells.append(new_markdown_cell(check["prompt"])) if check["prompt"] else None
            self.cells.append(new_code_cell(check["solution"]))
            self.cells.extend(check["after"])
            return
        points = [p for _, p in check["tests"]]
        self.cells.append(new_code_cell(_call("check", id=check["id"], kind="code", prompt=check["prompt"],
                                              skills=[self.skill], points=points if len(points) > 1 else points[0])))
        self.cells.append(new_code_cell(check["solution"]))
        self.cells.extend(new_code_cell(source) for source, _ in check["tests"])
        self.cells.extend(check["after"])

    def prompt_before(self) -> str:
        """The markdown cell just before a question is its prompt: take it out of the content."""
        target = self.open_check["after"] if self.open_check else self.cells
        if target and target[-1].cell_type == "markdown" and not target[-1].source.lstrip().startswith("lk."):
            return target.pop().source
        return ""

    def notebook(self, nb: nbformat.NotebookNode, step_id: str, title: str) -> None:
        self.flush()
        self.cells.append(new_code_cell(_call("step", id=step_id, title=title)))
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            solution, grade, task = meta.get("solution", False), meta.get("grade", False), meta.get("task", False)
            points = float(meta.get("points", 0) or 0)
            grade_id = meta.get("grade_id", "")
            if cell.cell_type == "code" and solution and not grade:
                prompt = self.prompt_before()
                self.flush()
                self.open_check = {"id": self.unique(grade_id or "code"), "prompt": prompt,
                                   "solution": cell.source, "tests": [], "after": []}
            elif cell.cell_type == "code" and grade and not solution:
                if self.open_check is None:
                    raise ValueError(f"grade cell '{grade_id}' tests no solution cell before it; "
                                     "lessonkit attaches tests to the solution cell above them")
                self.open_check["tests"].append((cell.source, points))
            elif solution or task:
                prompt = cell.source if task else self.prompt_before()
                self.flush()
                response = {"format": "code"} if cell.cell_type == "code" else {}
                self.cells.append(new_code_cell(_call("check", id=self.unique(grade_id or "response"),
                                                      kind="response", prompt=prompt, skills=[self.skill],
                                                      points=points, **response)))
                answer = "" if task else cell.source
                self.cells.append(new_code_cell(answer) if cell.cell_type == "code" and not task
                                  else new_markdown_cell(answer or "(a task: no model answer was given)"))
            else:
                content = (new_code_cell if cell.cell_type == "code" else new_markdown_cell)(cell.source)
                (self.open_check["after"] if self.open_check else self.cells).append(content)
        self.flush()


def import_nbgrader(source: str | Path, *, folder: str | Path = "lessons", lesson_id: str | None = None) -> Path:
    """Write ``folder/<id>/<id>.ipynb`` from the nbgrader source assignment at ``source``."""
    source = Path(source)
    notebooks = sorted(p for p in source.glob("*.ipynb")) if source.is_dir() else []
    if not notebooks:
        raise FileNotFoundError(f"{source}: no notebooks found; give an nbgrader source assignment folder "
                                "such as course/source/ps1")
    lesson_id = _slug(lesson_id or source.name)
    target = Path(folder) / lesson_id / f"{lesson_id}.ipynb"
    if target.exists():
        raise FileExistsError(f"{target} already exists; pass --id to import under another name")
    importer = _Importer(lesson_id)
    for path in notebooks:
        nb, problems = read_notebook(path)
        if nb is None:
            raise ValueError("; ".join(str(p) for p in problems))
        step_id = importer.unique(path.stem)
        try:
            importer.notebook(nb, step_id, path.stem)
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from None
    header = new_code_cell("import lessonkit as lk\n\n" + _call(
        "lesson", id=lesson_id, title=f"{source.name} (imported from nbgrader)", version="1",
        skills={lesson_id: {"name": source.name}}))
    nb = new_notebook(cells=[header, *importer.cells],
                      metadata={"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    for n, cell in enumerate(nb.cells):
        cell.id = f"cell-{n:03d}"
    target.parent.mkdir(parents=True, exist_ok=True)
    for asset in source.rglob("*"):
        if asset.is_file() and asset.suffix != ".ipynb" and ".ipynb_checkpoints" not in asset.parts:
            destination = target.parent / asset.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(asset, destination)
    nbformat.write(nb, target)
    return target
