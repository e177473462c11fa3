"""axe-core's audit of ``lessonkit serve``'s home page (the student's list of lessons), in real
Chromium: no serious or critical violation.  The home page is the server's; the audit is the
page tests' (tests/test_page_lesson.py audits the lesson pages)."""

from __future__ import annotations

import getpass
import sys

import pytest
from browser import foreign_requests, record_requests, serious_accessibility_violations, served
from lessonfactory import write_lesson
from playwright.sync_api import expect
from system import free_port

pytestmark = pytest.mark.slow


def test_the_home_page_passes_the_accessibility_audit_and_asks_no_other_server(tmp_path, page):
    write_lesson(tmp_path / "lessons")
    port = free_port()
    command = [sys.executable, "-m", "lessonkit", "serve", str(tmp_path / "lessons"), f"--port={port}",
               f"--out={tmp_path / 'build'}", f"--course={tmp_path / 'grading'}",
               f"--roster={tmp_path / 'no-roster.sqlite'}", f"--db=sqlite:///{tmp_path / 'progress.sqlite'}"]
    with served(command, port) as url:
        requests = record_requests(page)
        page.goto(url)
        expect(page.get_by_text(f"Signed in as {getpass.getuser()}")).to_be_visible()
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(tmp_path / "home.png"))
        assert foreign_requests(requests, url) == []
        assert serious_accessibility_violations(page) == []
