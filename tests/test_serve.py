"""``lessonkit serve``: a fresh folder of lessons, one command, pages a student can use."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from browser import served, wait_for_widgets
from lessonfactory import write_lesson
from system import free_port

pytestmark = pytest.mark.slow


def test_serve_builds_and_serves_pages_with_the_proxy_identity(tmp_path, page):
    write_lesson(tmp_path / "lessons")
    port = free_port()
    command = [sys.executable, "-m", "lessonkit", "serve", str(tmp_path / "lessons"), f"--port={port}",
               f"--out={tmp_path / 'build'}", f"--course={tmp_path / 'grading'}",
               f"--db=sqlite:///{tmp_path / 'progress.sqlite'}"]
    with served(command, port) as url:
        assert (tmp_path / "grading" / "source" / "tiny" / "tiny.ipynb").exists()
        page.set_extra_http_headers({"X-Lessonkit-Student": "ada"})
        page.goto(url + "voila/render/tiny/page/tiny.ipynb")
        wait_for_widgets(page)
        assert page.get_by_text("A tiny lesson").first.is_visible()
        assert page.get_by_text("ada").first.is_visible()
    assert (tmp_path / "progress.sqlite").exists()


def test_serve_refuses_a_lesson_with_problems(tmp_path):
    import subprocess

    lesson = write_lesson(tmp_path / "lessons", [("code", "import lessonkit as lk\nlk.lesson(id='x')")])
    done = subprocess.run([sys.executable, "-m", "lessonkit", "serve", str(lesson.parent), "--out", str(tmp_path / "b")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "fix them first" in done.stderr
    assert not Path(tmp_path / "b").exists()
    shutil.rmtree(tmp_path / "lessons")
