"""binder/ as repo2docker uses it: its files agree with pyproject, postBuild builds the lessons,
start rebuilds them when a checkout hides the build and then becomes the server, and that
server opens the lessons in JupyterLab and as pages."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import tomllib
from browser import REPO_ROOT
from longstart import running
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from system import free_port

BINDER = REPO_ROOT / "binder"
PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
LESSONS = sorted(path.name for path in (REPO_ROOT / "lessons").iterdir() if (path / f"{path.name}.ipynb").exists())


def binder_env() -> dict[str, str]:
    import os

    # the `lessonkit` script of this checkout, as `pip install .` would give it
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}


def checkout(tmp_path: Path) -> Path:
    """What repo2docker copies into the image: here, the lessons and binder/."""
    root = tmp_path / "repo"
    shutil.copytree(REPO_ROOT / "lessons", root / "lessons")
    shutil.copytree(BINDER, root / "binder")
    return root


def test_the_binder_files_agree_with_pyproject():
    lines = [line.strip() for line in (BINDER / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines == ["."]  # the project itself: its dependencies are pyproject's, not a second list
    needed = {Requirement(dependency).name.lower() for dependency in PYPROJECT["project"]["dependencies"]}
    assert {"voila", "jupyterlab", "jupyter_server"} <= needed  # the pages and JupyterLab on Binder
    runtime = re.fullmatch(r"python-(\d+\.\d+)\s*", (BINDER / "runtime.txt").read_text()).group(1)
    assert SpecifierSet(PYPROJECT["project"]["requires-python"]).contains(runtime + ".0")
    for script in ("postBuild", "start"):
        commands = re.findall(r"^\s*(?:exec\s+)?([a-z][\w-]*)\b", (BINDER / script).read_text(), re.MULTILINE)
        assert "lessonkit" in commands and set(commands) <= {"set", "if", "fi", "lessonkit", "exec"}, commands
        assert (BINDER / script).stat().st_mode & 0o111, f"{script} is not executable"
    assert "lessonkit" in PYPROJECT["project"]["scripts"]


@pytest.mark.slow
def test_post_build_then_start_open_the_lessons_in_jupyterlab_and_as_pages(tmp_path):
    root = checkout(tmp_path)
    built = subprocess.run(["binder/postBuild"], cwd=root, env=binder_env(), capture_output=True, text=True,
                           timeout=600)
    assert built.returncode == 0, built.stderr
    for lesson in LESSONS:
        assert (root / "build" / lesson / "page" / f"{lesson}.ipynb").exists()
        assert (root / "build" / lesson / "student" / f"{lesson}.ipynb").exists()
    shutil.rmtree(root / "build")  # as a checkout mounted over the image hides it
    started = subprocess.run(["binder/start", sys.executable, "-c", "import os; print('server in', os.getcwd())"],
                             cwd=root, env=binder_env(), capture_output=True, text=True, timeout=600)
    assert started.returncode == 0 and f"server in {root}" in started.stdout, started.stderr
    assert (root / "build" / "fractions" / "page" / "fractions.ipynb").exists()  # start rebuilt them
    port = free_port()
    # repo2docker runs start in the repository's root, with the server's command as its arguments
    lab = ["binder/start", sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
           "--ServerApp.ip=127.0.0.1", "--ServerApp.token=", "--allow-root"]
    url = f"http://127.0.0.1:{port}/"
    with running(lab, url + "api/status", cwd=root, env={**binder_env(), "HOME": str(tmp_path / "home")}):
        with urllib.request.urlopen(url + "lab/tree/build/fractions/student/fractions.ipynb", timeout=120) as answer:
            assert answer.status == 200 and "JupyterLab" in answer.read().decode()
        with urllib.request.urlopen(url + "voila/render/build/fractions/page/fractions.ipynb", timeout=300) as page:
            html = page.read().decode()
        assert page.status == 200 and '"kernelId"' in html and "Adding fractions" in html
