"""Every environment variable lessonkit reads is in lessonkit/settings.py and in the table of
docs/configuration.md, and the package reads the environment nowhere else."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from lessonkit import settings
from lessonkit.player.identity import page_identity

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lessonkit"
#: Uses of the environment that are not lessonkit settings, by module and function, with the reason.
NOT_SETTINGS = {
    ("grade/course.py", "nbgrader_tools"): "extends the OS's PATH so nbgrader finds alembic beside this Python",
}
#: ``os.environ.<method>(...)`` calls that only write (a forked kernel's environment replaced).
WRITES = {"clear", "update"}


def environment_uses(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, enclosing function) of every read of ``os.environ`` / ``os.getenv`` (or their
    names imported from os), writes excepted."""
    imported = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                and node.module == "os" for alias in node.names if alias.name in ("environ", "getenv")}
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}

    def function_of(node: ast.AST) -> str:
        while node in parents:
            node = parents[node]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return node.name
        return "<module>"

    found = []
    for node in ast.walk(tree):
        is_os = (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os"
                 and node.attr in ("environ", "getenv", "environb", "getenvb"))
        if not (is_os or isinstance(node, ast.Name) and node.id in imported):
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.Attribute) and parent.attr in WRITES:
            continue
        if isinstance(parent, ast.Subscript) and isinstance(parent.ctx, (ast.Store, ast.Del)):
            continue
        found.append((node.lineno, function_of(node)))
    return found


def test_the_package_reads_the_environment_only_through_settings():
    stray, excused = [], set()
    for path in sorted(PACKAGE.rglob("*.py")):
        module = path.relative_to(PACKAGE).as_posix()
        if module == "settings.py":
            continue
        for line, function in environment_uses(ast.parse(path.read_text(encoding="utf-8"))):
            if (module, function) in NOT_SETTINGS:
                excused.add((module, function))
            else:
                stray.append(f"lessonkit/{module}:{line} (in {function})")
    assert not stray, ("read the environment through lessonkit.settings (a Variable there, a row in "
                       "docs/configuration.md): " + ", ".join(stray))
    assert excused == set(NOT_SETTINGS), "an excuse in NOT_SETTINGS no longer applies: remove it"


def test_the_scan_sees_every_form_of_reading():
    source = ("import os\nfrom os import environ as env, getenv\n"
              "def f():\n    os.environ.get('A'); os.getenv('B'); env['C']; getenv('D'); dict(os.environ)\n"
              "def g():\n    os.environ.clear(); os.environ.update(A='1'); os.environ['B'] = '2'\n")
    assert environment_uses(ast.parse(source)) == [(4, "f")] * 5


def test_docs_configuration_lists_exactly_the_variables_of_settings():
    defined = [value for value in vars(settings).values() if isinstance(value, settings.Variable)]
    assert sorted(v.name for v in defined) == sorted(v.name for v in settings.VARIABLES)
    table = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `[A-Z_]+` \|.*$", table, re.MULTILINE)
    expected = [f"| `{v.name}` | {v.does} | {v.default} | {v.set_by} |" for v in settings.VARIABLES]
    assert listed == expected, "docs/configuration.md's table must be settings.VARIABLES, one row each:\n" + \
        "\n".join(expected)
    for variable in settings.VARIABLES:
        assert variable.does and variable.default and variable.set_by, variable.name


def test_a_page_trusts_the_header_serve_names_and_no_header_when_told(monkeypatch):
    for variable in settings.VARIABLES:
        monkeypatch.delenv(variable.name, raising=False)
    monkeypatch.setenv(settings.STUDENT_HEADER.name, "ana")
    assert (page_identity().student_id, page_identity().source) == ("ana", "header")
    monkeypatch.setenv(settings.IDENTITY_HEADER.name, "X-Remote-User")
    monkeypatch.setenv("HTTP_X_REMOTE_USER", "bo")
    assert (page_identity().student_id, page_identity().source) == ("bo", "header")
    monkeypatch.setenv(settings.IDENTITY_HEADER.name, "")
    assert page_identity().source == "anonymous"


def test_a_child_inherits_this_environment_with_the_settings_given(monkeypatch):
    monkeypatch.setenv("LESSONKIT_TEST_INHERITED", "kept")
    env = settings.environment_with({settings.DB: "sqlite:///x.sqlite", settings.IDENTITY_HEADER: ""})
    assert env["LESSONKIT_TEST_INHERITED"] == "kept"
    assert env["LESSONKIT_DB"] == "sqlite:///x.sqlite" and env["LESSONKIT_IDENTITY_HEADER"] == ""
