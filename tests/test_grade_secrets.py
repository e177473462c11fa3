"""No password the grader holds is readable by a student's kernel: not in a command line, not in an
environment, not in a file; tried by a hostile submission under the containment layer that sees
the most (the uid-switch fallback, without bubblewrap), through ``lessonkit grade`` itself."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import nbformat
import pytest
from grade_fixtures.build import ANSWERS, submission
from grade_fixtures.courses import ADV, course, open_dir

pytestmark = pytest.mark.slow

ENV_SECRET = "pw-from-the-environment-4711"
FILE_SECRET = "pw-from-a-file-0815"
ARGV_SECRET = "pw-on-the-command-line-1234"

# everything of every process this kernel can read, and the file holding the store's URL
HOSTILE = '''
import glob
found = []
for path in sorted(glob.glob("/proc/[0-9]*/cmdline") + glob.glob("/proc/[0-9]*/environ")) + [STORE_FILE]:
    try:
        found.append(open(path, "rb").read().replace(b"\\0", b" ").decode("utf-8", "replace"))
    except OSError:
        pass
print("\\n".join(found))
'''


def lessonkit_grade(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lessonkit", "grade", *args, "--quiet"], capture_output=True,
                          text=True, timeout=600, env=env)


def test_a_hostile_kernel_finds_no_password_without_bubblewrap():
    """Its own environment, every process's command line and environment it can open, the URL's file."""
    assert os.geteuid() == 0, "run as root (CI does): without root a run that holds a password is refused instead"
    root = open_dir()
    try:
        folder = course(ADV, "adv", root / "course")
        for student in {p.name for p in (folder / "submitted").iterdir()} - {"good_alice"}:
            shutil.rmtree(folder / "submitted" / student)
        store_file = root / "store-url"
        store_file.write_text(f"postgresql+psycopg://grader:{FILE_SECRET}@127.0.0.1:9/events\n")
        store_file.chmod(0o600)
        released = nbformat.read(folder / "release" / "adv" / "adv.ipynb", as_version=4)
        hostile = ANSWERS["total"] + "\n" + HOSTILE.replace("STORE_FILE", repr(str(store_file)))
        (folder / "submitted" / "snoop" / "adv").mkdir(parents=True)
        nbformat.write(submission(released, total=hostile), folder / "submitted" / "snoop" / "adv" / "adv.ipynb")
        # no bubblewrap on PATH: the fallback layer, where other processes are visible
        env = {**os.environ, "PATH": os.path.dirname(sys.executable),
               "LESSONKIT_DB": f"postgresql+psycopg://grader:{ENV_SECRET}@127.0.0.1:9/events"}
        refused = lessonkit_grade("adv", "--course", str(folder), "--progress-store",
                                  f"postgresql://grader:{ARGV_SECRET}@127.0.0.1:9/events", env=env)
        assert refused.returncode == 2, refused.stderr
        assert "LESSONKIT_DB" in refused.stderr and "--progress-store-file" in refused.stderr
        assert not (folder / "autograded").exists()  # refused before anything ran

        done = lessonkit_grade("adv", "--course", str(folder), "--progress-store-file", str(store_file), env=env)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "contained by a uid of its own and rlimits (no usable bubblewrap" in done.stdout
        seen = "".join(o.get("text", "") for cell in nbformat.read(
            folder / "autograded" / "snoop" / "adv" / "adv.ipynb", as_version=4).cells for o in cell.get("outputs", []))
        assert "--progress-store-file" in seen, "the kernel did read the grader's command line"
        written = [seen, *(p.read_text() for p in (folder / "feedback").rglob("*.html"))]
        for secret in (ENV_SECRET, FILE_SECRET):
            assert not any(secret in text for text in written), secret
    finally:
        shutil.rmtree(root)
