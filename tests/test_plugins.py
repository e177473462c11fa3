"""A check kind from a package of its own: installed for real into a fresh venv, found through
the ``lessonkit.kinds`` entry point, and used by a lesson that validates and builds.

The venv sees what this interpreter sees (``--system-site-packages``, and this interpreter's
site directories on PYTHONPATH, for a run from a venv) with this checkout's lessonkit first;
the plugin is built without isolation, so setuptools and wheel come from there (the ``test``
extra installs wheel).
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from lessonfactory import write_lesson

from lessonkit.engine.kinds import UnknownKindError, get_kind
from lessonkit.format import blob

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "tests" / "plugins" / "lessonkit-kind-demo"

pytestmark = pytest.mark.slow


def write_demo_lesson(folder: Path, kind: str = "yesno") -> Path:
    return write_lesson(folder, [
        ("code", 'import lessonkit as lk\nlk.lesson(id="demo", title="A plugin kind", version="1", '
                 'skills={"parity": {"name": "Even and odd"}})'),
        ("code", 'lk.step("practice", kind="check", title="Practice")'),
        ("code", f'lk.check(id="is-even", kind="{kind}", prompt="Is 10 even?", answer=True, skills=["parity"])'),
        ("code", 'lk.step("done", kind="end", title="Done")'),
    ], name="demo")


def sealed_lesson(notebook: Path) -> dict:
    """The sealed lesson the notebook's header cell hands to ``lkp.start_notebook``."""
    header = ast.parse(nbformat.read(notebook, 4).cells[0].source).body[-1]
    return blob.decode(header.value.args[0].value)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with the demo plugin installed (and nothing else of its own)."""
    folder = tmp_path_factory.mktemp("plugin-venv")
    where, source = folder / "venv", folder / PLUGIN.name
    shutil.copytree(PLUGIN, source)  # setuptools builds in the source folder: not in the checkout
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(where)], check=True)
    done = run(where, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index", str(source))
    assert done.returncode == 0, f"installing {PLUGIN.name} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return where


def run(venv: Path, *argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *site.getsitepackages()])}
    return subprocess.run([str(venv / "bin" / "python"), *argv], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=600)


def python(venv: Path, code: str) -> object:
    done = run(venv, "-c", code)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_the_plugin_is_not_here_before_it_is_installed():
    # the test interpreter never had it, so what the venv finds is the venv's install
    with pytest.raises(UnknownKindError, match="yesno"):
        get_kind("yesno")


def test_an_installed_plugin_kind_is_listed_and_returned(venv):
    found = python(venv, "import json, lessonkit\nfrom lessonkit.engine.kinds import get_kind, kind_names\n"
                   "kind = get_kind('yesno')\n"
                   "print(json.dumps([lessonkit.__file__, kind_names(), type(kind).__module__, kind.name]))")
    where, names, module, name = found
    assert Path(where).is_relative_to(ROOT / "lessonkit"), f"the venv imported another lessonkit: {where}"
    assert "yesno" in names and {"single", "code", "response"} <= set(names)
    assert (module, name) == ("lessonkit_kind_demo", "yesno")


def test_a_lesson_using_the_plugin_kind_validates_builds_and_judges(venv, tmp_path):
    lesson = write_demo_lesson(tmp_path / "lessons")
    done = run(venv, "-m", "lessonkit", "validate", str(lesson))
    assert done.returncode == 0, done.stderr
    assert f"{lesson}: ok" in done.stdout
    done = run(venv, "-m", "lessonkit", "build", str(lesson), "--out", "build", "--course", "grading", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    student = tmp_path / "build" / "demo" / "student" / "demo.ipynb"
    check = sealed_lesson(student)["checks"]["is-even"]
    assert (check["kind"], check["input"]) == ("yesno", "single")
    assert check["items"][0]["lesson"] == "A plugin kind"  # its in_lesson hook ran
    assert (tmp_path / "grading" / "source" / "demo" / "demo.ipynb").exists()
    verdicts = python(venv, f"import json\nfrom lessonkit.engine.kinds import get_kind\n"
                      f"item = {check['items'][0]!r}\n"
                      "print(json.dumps([get_kind('yesno').judge(item, a).correct for a in (0, 'no', 'maybe')]))")
    assert verdicts == [True, False, False]


def test_a_misspelt_plugin_kind_is_a_problem_naming_the_plugin_kinds(venv, tmp_path):
    lesson = write_demo_lesson(tmp_path / "lessons", kind="yesnoo")
    done = run(venv, "-m", "lessonkit", "validate", str(lesson))
    assert done.returncode == 1
    assert "unknown check kind 'yesnoo'" in done.stderr and "yesno" in done.stderr
