"""lessonkit where users install it: a virtual environment, a prefix of its own, a user who is not root.

Each environment is made here for real from this machine's Python, without packages of its
own: its ``site-packages`` holds a copy of this checkout's ``lessonkit`` and a ``.pth`` file
pointing at the folder the other packages (ipykernel, nbgrader ...) live in, a folder the
environment's base interpreter does not know about.  That is what broke before: a child
started as the base interpreter could not import ipykernel.  In each, a contained code check
passes and fails as it should and ``grade_assignment`` gives nbgrader's own scores for
nbgrader's example course.  The drivers run isolated (``python -I``): no ``PYTHONPATH``, so
the lessonkit they and their kernels import is the environment's copy of this checkout.
"""

from __future__ import annotations

import csv
import errno
import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import ipykernel
import pytest
from grade_fixtures.courses import PS1, course, open_dir
from system import bubblewrap

REPO = Path(__file__).resolve().parents[1]
VERSION = f"python{sys.version_info.major}.{sys.version_info.minor}"
PACKAGES = Path(ipykernel.__file__).resolve().parents[1]
"""Where this test's packages are installed: what the environments' ``.pth`` files point at."""

pytestmark = pytest.mark.slow

DRIVER = """
import json, logging, os, sys
logging.basicConfig(level=logging.WARNING, format="LOG %(name)s %(message)s")
import lessonkit
from lessonkit.engine.codetests import TestCase, run_tests_contained
from lessonkit.grade import grade_assignment

checks = run_tests_contained("def double(x):\\n    return 2 * x\\n",
                             [TestCase(1, "assert double(2) == 4"), TestCase(2, "assert double(3) == 7")])
course = sys.argv[1]
mode = os.stat(course).st_mode
try:
    report = grade_assignment("ps1", course_dir=course, workers=2, progress=False, feedback=False)
    graded = {"scores": report.scores(), "where": report.where}
except Exception as error:
    graded = {"error": f"{type(error).__name__}: {error}"}
print(json.dumps({"lessonkit": lessonkit.__file__, "prefix": sys.prefix, "checks": [r.passed for r in checks],
                  "mode_kept": os.stat(course).st_mode == mode, "leftovers": os.listdir(os.environ["TMPDIR"]),
                  **graded}))
"""


@dataclass(frozen=True)
class Environment:
    python: Path
    site: Path
    env: dict[str, str]


def expected_scores() -> dict[str, float]:
    with open(PS1 / "grades.csv", newline="") as handle:
        return {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}


def link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        shutil.copy2(source, target)


def bare_prefix(where: Path) -> Path:
    """A Python installation of its own at ``where``, like conda's: this machine's interpreter
    and standard library (hard links: fast, and readable by anyone who may read the originals),
    no ``pyvenv.cfg`` and no packages."""
    base = Path(sys.base_prefix)
    executable = Path(os.path.realpath(sys.executable))
    (where / "bin").mkdir(parents=True)
    link_or_copy(str(executable), str(where / "bin" / executable.name))
    os.symlink(executable.name, where / "bin" / "python3")
    (where / "lib").mkdir()
    for library in (base / "lib").glob("libpython*"):
        link_or_copy(str(library), str(where / "lib" / library.name))
    shutil.copytree(base / "lib" / VERSION, where / "lib" / VERSION, symlinks=True, copy_function=link_or_copy,
                    ignore=shutil.ignore_patterns("site-packages", "test", "tests", "idle_test"))
    (where / "lib" / VERSION / "site-packages").mkdir()
    for folder, _, _ in os.walk(where):
        os.chmod(folder, 0o755)
    return where


def install(site: Path, packages: Path) -> None:
    """This checkout's lessonkit into ``site``, and every other package through a ``.pth`` file."""
    shutil.copytree(REPO / "lessonkit", site / "lessonkit", ignore=shutil.ignore_patterns("__pycache__"))
    (site / "packages.pth").write_text(f"{packages}\n")
    for folder, _, _ in os.walk(site):
        os.chmod(folder, 0o755)


def prefix_environment(where: Path, packages: Path = PACKAGES) -> Environment:
    prefix = bare_prefix(where)
    site = prefix / "lib" / VERSION / "site-packages"
    install(site, packages)
    # a real conda prefix finds its libpython by $ORIGIN; this copy's RUNPATH names the original
    return Environment(prefix / "bin" / "python3", site, {"LD_LIBRARY_PATH": str(prefix / "lib")})


def run_driver(environment: Environment, course_dir: Path, scratch: Path, *,
               user: str | None = None, mounts: str = "") -> dict:
    """The driver in ``environment`` (as ``user``, after ``mounts`` in a mount namespace of its own)."""
    tmp = scratch / f"tmp-{secrets.token_hex(4)}"
    tmp.mkdir()
    home = scratch / f"home-{secrets.token_hex(4)}"
    home.mkdir()
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "TMPDIR": str(tmp), "LANG": "C.UTF-8",
           **environment.env}
    argv = [str(environment.python), "-I", "-c", DRIVER, str(course_dir)]
    if user is not None:
        shutil.chown(tmp, user, user)
        shutil.chown(home, user, user)
        environment_line = " ".join(f"{key}={value}" for key, value in env.items())
        argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                f'{mounts} exec {shutil.which("runuser")} -u {user} -- env -i {environment_line} "$@"', "sh", *argv]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=tmp, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    result["log"] = [line for line in done.stderr.splitlines() if line.startswith("LOG ")]
    return result


@pytest.fixture(scope="module")
def scratch():
    bubblewrap()
    folder = open_dir()
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def graded_course(scratch: Path, name: str) -> Path:
    return course(PS1, "ps1", scratch / f"course-{name}")


def assert_graded_right(result: dict, site: Path) -> None:
    assert result["lessonkit"].startswith(str(site)), result["lessonkit"]
    assert result["checks"] == [True, False]
    assert "error" not in result, result.get("error")
    assert result["scores"] == expected_scores() == {"bitdiddle": 1.5, "hacker": 3.0}
    assert "contained by bubblewrap" in result["where"]
    assert result["mode_kept"] and result["leftovers"] == []


def test_in_a_virtual_environment_whose_packages_the_base_python_does_not_know(scratch):
    base = bare_prefix(scratch / "venv-base")  # the venv's base Python has no packages at all
    venv = scratch / "venv"
    subprocess.run([str(base / "bin" / "python3"), "-m", "venv", "--without-pip", str(venv)], check=True,
                   env={"LD_LIBRARY_PATH": str(base / "lib")})
    site = venv / "lib" / VERSION / "site-packages"
    install(site, PACKAGES)
    environment = Environment(venv / "bin" / "python", site, {"LD_LIBRARY_PATH": str(base / "lib")})
    result = run_driver(environment, graded_course(scratch, "venv"), scratch)
    assert result["prefix"] == str(venv)
    assert_graded_right(result, site)


def test_in_a_prefix_of_its_own_like_conda(scratch):
    environment = prefix_environment(scratch / "conda")
    result = run_driver(environment, graded_course(scratch, "conda"), scratch)
    assert result["prefix"] == str(scratch / "conda")
    assert not (scratch / "conda" / "pyvenv.cfg").exists()
    assert_graded_right(result, environment.site)


def test_a_start_that_cannot_work_names_the_cause_and_the_fix(scratch):
    """The environment's kernels cannot import ipykernel: the message says so and what to run."""
    packages = scratch / "no-ipykernel"
    packages.mkdir()
    for entry in PACKAGES.iterdir():  # everything but ipykernel, as links the sandbox cannot follow
        if not entry.name.startswith("ipykernel"):
            os.symlink(entry, packages / entry.name)
    environment = prefix_environment(scratch / "broken", packages)
    result = run_driver(environment, graded_course(scratch, "broken"), scratch)
    assert "cannot import ipykernel" in result["error"] and "-m pip install lessonkit" in result["error"]
    assert f"this Python ({environment.python})" in result["error"]
    assert "exit code" not in result["error"]
    assert result["mode_kept"] and result["leftovers"] == []  # no lessonkit-kernels-* left behind


@pytest.fixture
def user():
    """A user of its own for one test, removed afterwards (the suite runs as root)."""
    if os.geteuid() != 0:
        pytest.fail("this test creates a user: run the suite as root (CI does), or as that user run "
                    "tests/test_environments.py's drivers by hand")
    name = f"lk{secrets.token_hex(4)}"
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["userdel", name], check=True)


def test_as_a_user_who_is_not_root(scratch, user):
    """A non-root user with their own environment: no uid switch (said once), bubblewrap still contains.

    The packages live under ``/root``, which the user may not enter: in the driver's mount
    namespace they are bound at a folder of the environment, as if the user had installed them.
    """
    where = scratch / "user-env"
    readable = where / "packages"
    environment = prefix_environment(where, readable)
    readable.mkdir(mode=0o755)
    course_dir = graded_course(scratch, "user")
    for folder, dirs, names in os.walk(course_dir):
        for name in [folder, *(os.path.join(folder, n) for n in dirs + names)]:
            shutil.chown(name, user, user)
    result = run_driver(environment, course_dir, scratch, user=user,
                        mounts=f"mount --bind {PACKAGES} {readable} && mount -o remount,bind,ro {readable} &&")
    assert_graded_right(result, environment.site)
    assert "not root" in result["where"]
    warnings = [line for line in result["log"] if "not root" in line]
    assert len(warnings) == 1, result["log"]
    assert pwd.getpwnam(user).pw_uid != 0
