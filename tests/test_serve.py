"""``lessonkit serve``: a fresh folder of lessons, one command, pages a student can use."""

from __future__ import annotations

import getpass
import shutil
import sys
from pathlib import Path

import pytest
from browser import wait_for_widgets
from lessonfactory import write_lesson
from longstart import serving
from playwright.sync_api import expect
from system import free_port

pytestmark = pytest.mark.slow


def test_serve_without_a_roster_serves_this_machines_user_whatever_the_browser_says(tmp_path, page):
    write_lesson(tmp_path / "lessons")
    port = free_port()
    command = [sys.executable, "-m", "lessonkit", "serve", str(tmp_path / "lessons"), f"--port={port}",
               f"--out={tmp_path / 'build'}", f"--course={tmp_path / 'grading'}",
               f"--roster={tmp_path / 'no-roster.sqlite'}", f"--db=sqlite:///{tmp_path / 'progress.sqlite'}"]
    with serving(command, port, tmp_path) as url:
        assert (tmp_path / "grading" / "source" / "tiny" / "tiny.ipynb").exists()
        page.set_extra_http_headers({"X-Lessonkit-Student": "ada"})  # not a proxy's: ignored
        page.goto(url)
        expect(page.get_by_text(f"Signed in as {getpass.getuser()}")).to_be_visible()
        expect(page.get_by_role("button", name="Sign out")).to_have_count(0)  # there is no one else to be
        page.get_by_role("link", name="A tiny lesson").click()
        page.wait_for_url("**/voila/render/tiny/page/tiny.ipynb")
        wait_for_widgets(page)
        expect(page.get_by_text(f"Your work is saved for {getpass.getuser()}")).to_be_visible()
        expect(page.get_by_text("ada")).to_have_count(0)
    assert (tmp_path / "progress.sqlite").exists()


def test_serve_refuses_a_lesson_with_problems(tmp_path):
    import subprocess

    lesson = write_lesson(tmp_path / "lessons", [("code", "import lessonkit as lk\nlk.lesson(id='x')")])
    done = subprocess.run([sys.executable, "-m", "lessonkit", "serve", str(lesson.parent), "--out", str(tmp_path / "b")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "fix them first" in done.stderr
    assert not Path(tmp_path / "b").exists()
    shutil.rmtree(tmp_path / "lessons")
