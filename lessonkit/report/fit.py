"""``lessonkit fit``: a class's evidence fits each skill's BKT parameters, for the next class.

The lesson's header sets prior, learn, guess and slip per skill (architecture §7; defaults
0.2 / 0.15 / 0.2 / 0.1).  Once a class has worked through the lesson, pyBKT's EM fit on
the same evidence the lesson's BKT used (:func:`lessonkit.report.export.bkt_observations`)
estimates them from data.  A fit is only written back when it can be trusted:

- at least :data:`MIN_STUDENTS` students gave evidence on the skill (EM on a handful of
  sequences finds whatever local optimum the start falls into);
- guess and slip both below 0.5: at 0.5 or more, a student who knows the skill is as
  likely to fail as to pass (slip) or one who does not is as likely to pass (guess), the
  "degenerate" BKT fits of Baker, Corbett & Aleven (ITS 2008), where mastery would rise
  on wrong answers or fall on right ones.

Accepted parameters go into the skill's entry of ``lk.lesson(..., skills={...})`` in the
lesson notebook: only that entry's text is replaced, and the notebook is written to a
temporary file and renamed over the source, so the edit is whole or absent.
"""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lessonkit.errors import LessonkitError
from lessonkit.report.export import write_atomically

MIN_STUDENTS = 20
"""Students with evidence on a skill below which its fit is refused (module docstring)."""

DEGENERATE = 0.5
"""Guess or slip at or above this is a degenerate fit (module docstring)."""

PARAMETERS = ("prior", "learn", "guess", "slip")


class FitError(LessonkitError, ValueError):
    """The lesson cannot be fitted or written back; the message says what and where."""


@dataclass(frozen=True)
class SkillFit:
    """One skill's fit: ``params`` when accepted, else ``reason`` says why it was refused."""

    skill: str
    students: int
    observations: int
    params: dict[str, float] | None
    reason: str = ""


def fit_skills(observations: Iterable[tuple[str, str, int]], *, min_students: int = MIN_STUDENTS,
               seed: int = 42) -> list[SkillFit]:
    """Fit each skill of ``(student, skill, correct)`` evidence, in order given, with pyBKT."""
    import pandas as pd
    from pyBKT.models import Model

    frame = pd.DataFrame(list(observations), columns=["user_id", "skill_name", "correct"])
    frame.insert(0, "order_id", range(1, len(frame) + 1))
    fits = []
    for skill, rows in frame.groupby("skill_name", sort=True):
        students, count = int(rows["user_id"].nunique()), len(rows)
        if students < min_students:
            fits.append(SkillFit(str(skill), students, count, None,
                                 f"evidence from {students} students, fewer than the {min_students} a fit needs"))
            continue
        model = Model(seed=seed, num_fits=5, parallel=False)
        model.fit(data=rows.copy())
        raw = model.params()["value"]
        params = {"prior": float(raw[skill, "prior", "default"]), "learn": float(raw[skill, "learns", "default"]),
                  "guess": float(raw[skill, "guesses", "default"]), "slip": float(raw[skill, "slips", "default"])}
        bad = [f"{name} = {params[name]:.2f}" for name in ("guess", "slip") if params[name] >= DEGENERATE]
        if bad:
            fits.append(SkillFit(str(skill), students, count, None,
                                 f"degenerate fit ({', '.join(bad)}, at least {DEGENERATE}): mastery would move "
                                 "the wrong way on answers"))
            continue
        clamped = {k: round(min(max(v, 0.001), 0.999), 3) for k, v in params.items()}  # the header wants (0, 1)
        fits.append(SkillFit(str(skill), students, count, clamped))
    return fits


def write_parameters(path: str | os.PathLike[str], fits: Iterable[SkillFit]) -> list[str]:
    """Write the accepted fits into the lesson header of the notebook at ``path``; return the
    skills written.  A skill the header does not declare is refused (the fit is for another
    version of the lesson)."""
    import nbformat

    accepted = {f.skill: f.params for f in fits if f.params is not None}
    if not accepted:
        return []
    source_path = Path(path)
    nb = nbformat.read(source_path, as_version=4)
    cell, call = _lesson_call(nb, source_path)
    skills = next((k.value for k in call.keywords if k.arg == "skills"), None)
    if not isinstance(skills, ast.Dict):
        raise FitError(f"{source_path}: cell {cell + 1}: lk.lesson(...) has no skills={{...}} dict to write into")
    entries = {k.value: v for k, v in zip(skills.keys, skills.values) if isinstance(k, ast.Constant)}
    unknown = sorted(set(accepted) - set(entries))
    if unknown:
        raise FitError(f"{source_path}: cell {cell + 1}: the header declares no skill {', '.join(unknown)}; "
                       "were the events from another version of the lesson?")
    text = nb.cells[cell].source
    for skill in sorted(accepted, key=lambda s: _offset(text, entries[s]), reverse=True):  # later edits first
        node = entries[skill]
        spec = ast.literal_eval(node)
        spec = {"name": spec} if isinstance(spec, str) else dict(spec)
        spec.update(accepted[skill] or {})
        start, end = _offset(text, node), _offset(text, node, end=True)
        text = text[:start] + _literal(spec) + text[end:]
    nb.cells[cell].source = text
    write_atomically(source_path, lambda out: out.write(nbformat.writes(nb)))
    return sorted(accepted)


def _lesson_call(nb: Any, path: Path) -> tuple[int, ast.Call]:
    from lessonkit.format.calls import read_cell
    from lessonkit.model import Where

    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if any(c.name == "lesson" for c in read_cell(cell.source, Where(str(path), index)).calls):
            tree = ast.parse(cell.source)
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "lesson":
                    return index, node
    raise FitError(f"{path}: no lk.lesson(...) call: is this a lesson notebook?")


def _offset(text: str, node: ast.expr, *, end: bool = False) -> int:
    """A node's position in ``text`` as a string index (ast counts columns in UTF-8 bytes)."""
    lines = text.splitlines(keepends=True)
    line, column = (node.end_lineno, node.end_col_offset) if end else (node.lineno, node.col_offset)
    assert line is not None and column is not None
    before = sum(len(l) for l in lines[:line - 1])
    return before + len(lines[line - 1].encode("utf-8")[:column].decode("utf-8"))


def _literal(spec: dict[str, Any]) -> str:
    """A skill's entry as the teacher writes one: name and requires first, then the parameters."""
    order = ["name", "requires", *PARAMETERS]
    keys = [k for k in order if k in spec] + [k for k in spec if k not in order]
    return "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(spec[k], ensure_ascii=False)}" for k in keys) + "}"

