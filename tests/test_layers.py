"""The layers of docs/architecture.md §5 hold: a module never imports from a higher layer, and the
student's kernel stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "lessonkit"
LAYERS = {
    "model": 1, "format": 2, "engine": 3, "progress": 4, "player": 5,
    "compile": 6, "serve": 6, "grade": 6, "report": 6, "preview": 6, "cli": 7,
}
#: top-level modules: what every layer may use (errors, settings), and the authoring calls a teacher
#: runs, at the top because their preview shows the player's widgets (``import lessonkit`` re-exports
#: them, and stays light all the same: the preview is imported when a call runs, see the last test)
TOP = {"__init__": 7, "errors": 1, "settings": 1, "authoring": 7, "__main__": 7}
#: What a student kernel must not load: it imports lessonkit on every page load and notebook run
#: (how long that takes is benchmarks/import_time.py's figure, not a unit test's).
HEAVY = ("nbgrader", "sqlalchemy", "matplotlib", "nbformat", "nbclient", "numpy", "pandas", "fsrs", "papermill",
         "dask")


def layer_of(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "lessonkit" or len(parts) == 1:
        return None
    return LAYERS.get(parts[1], TOP.get(parts[1]))


def imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


def test_no_module_imports_a_higher_layer():
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        module = ".".join(relative.parts)
        own = layer_of(module)
        assert own is not None, f"{module} is in no layer: put it in one of {sorted(LAYERS)}"
        for imported in imports(path):
            other = layer_of(imported)
            if other is not None and other > own:
                wrong.append(f"{module} (layer {own}) imports {imported} (layer {other})")
    assert not wrong, "\n".join(wrong)


def test_every_package_has_an_init_that_says_its_layer():
    wrong = []
    for folder in sorted({path.parent for path in PACKAGE.rglob("*.py")}):
        init = folder / "__init__.py"
        name = ".".join(folder.relative_to(PACKAGE.parent).parts)
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) if init.exists() else None
        if not doc:
            wrong.append(f"{name}: no __init__.py with a docstring")
        elif folder.parent == PACKAGE and not doc.startswith(f"Layer {LAYERS[folder.name]}, "):
            wrong.append(f"{name}: the docstring must start 'Layer {LAYERS[folder.name]}, <its purpose>'")
    assert not wrong, "\n".join(wrong)


def test_student_kernel_import_loads_nothing_heavy():
    # everything lkp.start_notebook and lkp.start_page load, in a fresh interpreter
    code = ("import sys, lessonkit, lessonkit.player, lessonkit.format.blob, lessonkit.player.identity, "
            "lessonkit.player.session, lessonkit.player.widgets, lessonkit.player.pageview, lessonkit.progress; "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert not loaded, f"the student kernel imported {loaded}"
