"""``lessonkit serve``'s home page (the student's lessons, the course's advice, their goals and
"Download my work"), in real Chromium: what the student's events say is what it shows, the
download is their portfolio, axe-core finds no serious or critical violation, and no other
server is asked for anything.  The page tests audit the lesson pages (tests/test_page_lesson.py)."""

from __future__ import annotations

import getpass
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from browser import (
    foreign_requests,
    record_requests,
    serious_accessibility_violations,
    served,
)
from lessonfactory import HEADER, write_lesson
from playwright.sync_api import expect
from system import free_port

from lessonkit.compile.course import course_entry
from lessonkit.model.course import CoursePlan
from lessonkit.progress import Event, open_store
from lessonkit.progress.course import next_lesson
from lessonkit.progress.selfassessment import goal_event_data

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).parent / "artifacts" / "home"
COURSE = '''[course]
id = "sums"
title = "Sums"

[[lessons]]
id = "tiny"

[[lessons]]
id = "bigger"

[skills.long]
requires = ["add"]
'''
TINY = [("code", HEADER), ("code", 'lk.step("intro", title="Adding up")'), ("markdown", "Adding puts numbers together."),
        ("code", 'lk.step("done", kind="end", title="Done")'), ("markdown", "Well done.")]
BIGGER = [("code", '''import lessonkit as lk
lk.lesson(id="bigger", title="Bigger sums", version="1", skills={"long": {"name": "Long addition"}})'''),
          ("code", 'lk.step("intro", title="Columns")'), ("markdown", "Line the digits up."),
          ("code", 'lk.step("done", kind="end", title="Done")'), ("markdown", "Well done.")]


def test_the_home_shows_the_next_move_the_goals_and_the_work_to_download(tmp_path, page):
    lessons = tmp_path / "lessons"
    tiny = write_lesson(lessons, TINY, name="tiny")
    write_lesson(lessons, BIGGER, name="bigger")
    (lessons / "course.toml").write_text(COURSE)
    me, db = getpass.getuser(), f"sqlite:///{tmp_path / 'progress.sqlite'}"
    by = date.today() + timedelta(days=3)
    with open_store(db) as store:  # the student started the tiny lesson and set a goal in it
        for event in (Event(lesson_id="tiny", student_id=me, type="lesson_started"),
                      Event(lesson_id="tiny", student_id=me, type="step_entered", step_id="intro"),
                      Event(lesson_id="tiny", student_id=me, type="goal_set",
                            data=goal_event_data(["add", "carry"], by, "enrichment"))):
            store.append(event)
        plan = CoursePlan.from_dict(course_entry(tiny)["course"])
        expected = next_lesson(store, me, plan, time.time(), ["add", "carry"])
    assert expected.kind == "continue" and expected.lesson_id == "tiny"  # what the events mean

    port = free_port()
    command = [sys.executable, "-m", "lessonkit", "serve", str(lessons), f"--port={port}",
               f"--out={tmp_path / 'build'}", f"--course={tmp_path / 'grading'}",
               f"--roster={tmp_path / 'no-roster.sqlite'}", f"--db={db}"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with served(command, port) as url:
        requests = record_requests(page)
        page.goto(url)
        expect(page.get_by_text(f"Signed in as {me}")).to_be_visible()
        advice = page.get_by_role("region", name=f"Next for you: {expected.title}")
        expect(advice).to_contain_text(expected.reason)
        expect(advice.get_by_role("link", name="Continue the lesson")).to_have_attribute(
            "href", "/voila/render/tiny/page/tiny.ipynb")
        goals = page.get_by_role("region", name="Your goals")
        expect(goals).to_contain_text("A tiny lesson: master \u201cAdding\u201d, \u201cCarrying\u201d by "
                                      f"{by.strftime('%a %d %b')} (with enrichment). 0 of 2 mastered")
        expect(page.locator("ul.lessons li").filter(has_text="A tiny lesson")).to_contain_text("Left off at Adding up")
        expect(page.locator("ul.lessons li").filter(has_text="Bigger sums")).to_contain_text("Not started yet")
        assert page.locator("ul.lessons a.title").all_inner_texts() == ["A tiny lesson", "Bigger sums"]  # the course's order
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)
        assert foreign_requests(requests, url) == []
        assert serious_accessibility_violations(page) == []

        with page.expect_download() as download:
            page.get_by_role("link", name="Download my work").click()
        work = Path(download.value.path()).read_text()
        assert download.value.suggested_filename == "my-work.html"
        assert me in work and "A tiny lesson" in work
