"""The page a student gets, in headless Chromium through standalone Voila: answer a check, go on,
reload, and land on the same step with the same answer (the student named by the trusted
header, as a proxy in front of Voila would set it)."""

from __future__ import annotations

import re

import pytest
from browser import voila_server, wait_for_widgets
from playwright.sync_api import expect
from test_player_lesson import build, right_sum

from lessonkit.format import writer
from lessonkit.player.identity import HEADER

pytestmark = pytest.mark.slow


def test_answer_go_on_reload_and_resume_on_the_same_step_with_the_same_answer(page, tmp_path):  # noqa: F811
    built = build(tmp_path)
    notebook = tmp_path / "page" / "fractions.ipynb"
    notebook.parent.mkdir()
    notebook.write_text(writer.dumps(writer.page_notebook(built.lesson, built.blob)))
    env = {"LESSONKIT_DB": str(tmp_path / "progress.sqlite")}
    args = [f"--VoilaConfiguration.http_header_envs=['{HEADER}']"]
    page.set_extra_http_headers({HEADER: "alice"})
    with voila_server(notebook, env=env, args=args) as url:
        page.goto(url)
        wait_for_widgets(page)
        expect(page.get_by_role("heading", name="Why fractions?")).to_be_visible()
        expect(page.get_by_role("button", name="Next")).to_be_disabled()
        page.get_by_role("radio", name="2/1").check()
        page.get_by_role("button", name="Check").click()
        expect(page.get_by_role("status").first).to_contain_text("top and bottom numbers are swapped")
        page.get_by_role("radio", name="3/6").check()
        page.get_by_role("button", name="Check").click()
        expect(page.get_by_role("status").first).to_contain_text("Correct")
        page.get_by_role("button", name="Next").click()

        expect(page.get_by_role("heading", name="Practice")).to_be_visible()
        question = page.get_by_text(re.compile(r"\d+/\d+ \+ \d+/\d+ = \?"))
        typed = right_sum(question.inner_text())
        box = page.get_by_role("textbox", name="Your answer")
        box.fill(typed)
        page.get_by_role("button", name="Check").click()
        expect(page.get_by_role("status").first).to_contain_text("Correct")
        page.screenshot(path=str(tmp_path / "before-reload.png"))

        page.reload()
        wait_for_widgets(page)
        expect(page.get_by_role("heading", name="Practice")).to_be_visible()
        expect(page.get_by_role("textbox", name="Your answer")).to_have_value(typed)
        expect(page.get_by_text(question.inner_text())).to_be_visible()
        expect(page.get_by_role("status").first).to_contain_text("Your last answer was right")
        expect(page.get_by_role("button", name="Next")).to_be_enabled()
        page.screenshot(path=str(tmp_path / "after-reload.png"))
