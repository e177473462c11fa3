"""Reading ``lk.*(...)`` calls out of a code cell without running it.

A lesson's structure is written as calls with literal arguments, so the teacher can run
the notebook for a preview while lessonkit reads the same cell statically: nothing in a
lesson source is executed to build it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from lessonkit.model import Problem, Where

AUTHORING = ("lesson", "step", "check", "branch", "choose", "reflect")
#: positional parameters each call accepts, in order
POSITIONAL = {"lesson": ("id", "title"), "step": ("id",), "check": ("id",), "branch": ("rules",), "choose": ("id",), "reflect": ("prompt",)}

_MAGIC = re.compile(r"^\s*[%!]")


@dataclass
class Call:
    name: str
    args: dict[str, Any]
    where: Where
    fields: dict[str, Where] = field(default_factory=dict)


@dataclass
class CellCalls:
    """What a code cell holds: authoring calls, or plain code, or something wrong."""

    calls: list[Call]
    plain: bool
    problems: list[Problem]


def _aliases(tree: ast.Module) -> set[str]:
    names = {"lk", "lessonkit"}
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.update(a.asname or a.name for a in node.names if a.name == "lessonkit")
    return names


def _authoring_call(node: ast.stmt, aliases: set[str]) -> ast.Call | None:
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        func = node.value.func
        if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                and func.value.id in aliases and func.attr in AUTHORING):
            return node.value
    return None


def read_cell(source: str, where: Where) -> CellCalls:
    """The authoring calls in one code cell, with a problem for anything that is not literal."""
    stripped = "\n".join("" if _MAGIC.match(line) else line for line in source.splitlines())
    try:
        tree = ast.parse(stripped)
    except SyntaxError as error:
        if re.search(r"\b(lk|lessonkit)\.(" + "|".join(AUTHORING) + r")\s*\(", source):
            return CellCalls([], False, [Problem(where, f"Python syntax error on line {error.lineno}: {error.msg}",
                                                 "fix the call so that the cell runs")])
        return CellCalls([], True, [])
    aliases = _aliases(tree)
    calls, problems, other = [], [], False
    for node in tree.body:
        call = _authoring_call(node, aliases)
        if call is None:
            if not (isinstance(node, (ast.Import, ast.ImportFrom)) and _imports_lessonkit(node)):
                other = True
            continue
        calls.append(_read_call(call, where, problems))
    if calls and other:
        problems.append(Problem(where, "mixes lessonkit calls with other code",
                                "move the other code to a cell of its own, or students will not get it"))
    return CellCalls(calls, not calls, problems)


def _imports_lessonkit(node: ast.Import | ast.ImportFrom) -> bool:
    if isinstance(node, ast.Import):
        return all(a.name.split(".")[0] == "lessonkit" for a in node.names)
    return (node.module or "").split(".")[0] == "lessonkit"


def _read_call(call: ast.Call, where: Where, problems: list[Problem]) -> Call:
    name = call.func.attr  # type: ignore[attr-defined]
    args: dict[str, Any] = {}
    fields: dict[str, Where] = {}
    positional = POSITIONAL[name]
    if len(call.args) > len(positional):
        problems.append(Problem(where, f"lk.{name}() takes at most {len(positional)} positional argument(s)",
                                "name the others, e.g. prompt=\"...\""))
    pairs = list(zip(positional, call.args)) + [(kw.arg, kw.value) for kw in call.keywords]
    for key, value in pairs:
        if key is None:
            problems.append(Problem(where, f"lk.{name}(**...) cannot be read without running the cell",
                                    "write every argument out"))
            continue
        if key in args:
            problems.append(Problem(where.at(key), "is given twice"))
        fields[key] = where.at(key)
        try:
            args[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError, TypeError):
            problems.append(Problem(where.at(key), "must be a literal (text, number, list, dict, True/False/None)",
                                    "lessonkit reads lessons without running them: compute the value "
                                    "and write it out, or use variants for generated numbers"))
    return Call(name, args, where, fields)
