"""pyproject.toml declares what the package imports, and the package imports what it declares.

A dependency nothing imports costs every install (papermill and matplotlib once did); an
import nothing declares works only while another dependency happens to bring it along.
"""

from __future__ import annotations

import ast
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest brings tomli
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
#: Runtime dependencies the package does not import, and why they are declared all the same.
NOT_IMPORTED = {
    "jupyterlab": "students and teachers open the notebooks lessonkit builds in it; lessonkit never imports it",
}


def imported_modules() -> set[str]:
    """The top-level names of every absolute import in the package, lazy ones included."""
    found = set()
    for path in (ROOT / "lessonkit").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    # lessonkit_guard and lessonkit_checker are lessonkit's own sources, loaded under those names
    # in the contained child that cannot import lessonkit
    return {name for name in found if not name.startswith("lessonkit")} - set(sys.stdlib_module_names)


@lru_cache(maxsize=None)
def _providers() -> dict[str, list[str]]:
    return metadata.packages_distributions()  # reads every installed distribution: once


def distributions_of(module: str) -> set[str]:
    """The installed distributions that provide a top-level module."""
    return {canonicalize_name(d) for d in _providers().get(module, [])}


def provided(requirement: Requirement) -> set[str]:
    """The distributions a requirement installs: itself, and what its extras add."""
    names = {canonicalize_name(requirement.name)}
    for extra in requirement.extras:
        for line in metadata.requires(requirement.name) or []:
            dependency = Requirement(line)
            if dependency.marker is not None and dependency.marker.evaluate({"extra": extra}):
                names.add(canonicalize_name(dependency.name))
    return names


def test_every_runtime_dependency_is_imported_by_the_package():
    imported = {name for module in imported_modules() for name in distributions_of(module)}
    unused = []
    for line in PROJECT["dependencies"]:
        name = canonicalize_name(Requirement(line).name)
        if name in NOT_IMPORTED:
            assert name not in imported, f"{name} is imported after all: remove it from NOT_IMPORTED"
        elif name not in imported:
            unused.append(name)
    assert not unused, f"declared in pyproject.toml but imported by nothing in lessonkit: {unused}"
    declared = {canonicalize_name(Requirement(line).name) for line in PROJECT["dependencies"]}
    assert set(NOT_IMPORTED) <= declared


def test_every_package_the_package_imports_is_declared():
    declared: set[str] = set()
    lines = PROJECT["dependencies"] + [line for extra, group in PROJECT["optional-dependencies"].items()
                                       if extra != "test" for line in group]
    for line in lines:
        declared |= provided(Requirement(line))
    undeclared = sorted(module for module in imported_modules() if not distributions_of(module) & declared)
    assert not undeclared, ("imported by lessonkit but declared neither in dependencies nor in an extra "
                            f"(the test extra does not count): {undeclared}")


def test_the_test_extra_installs_every_other_extra():
    extras = set(PROJECT["optional-dependencies"]) - {"test"}
    own = [Requirement(line) for line in PROJECT["optional-dependencies"]["test"]
           if canonicalize_name(Requirement(line).name) == "lessonkit"]
    assert own and own[0].extras == extras, "test = ['lessonkit[...every other extra...]', ...]"
