"""A whole lesson with the keyboard alone, in real Chromium through Voila with lessonkit's
template: every move is ``keyboard.press`` or ``keyboard.type`` (the test only reads the page
to know where the focus is and what the question asks).  The lesson (tests/test_player_lesson.py)
has a wrong answer with feedback, a hint, practice with variants, the remediation step and the
way back, an enrichment, a choice point, an answer decided at grading, a review and the end.
axe-core audits the check, its feedback, its hints and the end page on the way."""

from __future__ import annotations

import re

import pytest
from browser import serious_accessibility_violations, tab_to, voila_server, wait_for_widgets
from playwright.sync_api import expect
from test_player_lesson import build, right_sum

from lessonkit.format import writer
from lessonkit.player.identity import HEADER
from lessonkit.progress import open_store

pytestmark = pytest.mark.slow


def heading(page) -> str:
    return page.locator(".lessonkit-page h2").first.inner_text()


def press_button(page, css: str) -> None:
    tab_to(page, css)
    page.keyboard.press("Enter")


_FEEDBACK = "() => document.querySelector('.lessonkit-check .lessonkit-status')?.innerText || ''"


def check_answer(page) -> None:
    """Check, and wait for its feedback (a step seen before shows how the last answer went)."""
    before = page.evaluate(_FEEDBACK)
    press_button(page, ".lessonkit-check-button")
    page.wait_for_function(f"(before) => !!({_FEEDBACK})() && ({_FEEDBACK})() !== before", arg=before)


_TRAIL = "() => document.querySelector('.lessonkit-trail')?.innerText || ''"
# the route's "you are here" and the step drawn below it agree (the body can lag the trail)
_SHOWN_WHERE_IT_SAYS = """() => {
    const here = document.querySelector(".lessonkit-trail li[aria-current] b")?.innerText;
    const shown = document.querySelector(".lessonkit-page h2")?.innerText;
    return !!here && !!shown && here.toLowerCase() === shown.toLowerCase();
}"""


def go_on(page, css: str = ".lessonkit-next-button") -> None:
    """Next (or a choice), then wait until the new step is drawn: the route so far has grown
    and the step shown is the one it ends at."""
    before = page.evaluate(_TRAIL)
    press_button(page, css)
    page.wait_for_function(f"(before) => ({_TRAIL})() !== before", arg=before)
    page.wait_for_function(_SHOWN_WHERE_IT_SAYS)


def type_answer(page, text: str) -> None:
    tab_to(page, ".lessonkit-check input[type=text]")
    page.keyboard.type(text)


def test_a_whole_lesson_with_the_keyboard_alone(page, tmp_path):
    built = build(tmp_path)
    notebook = tmp_path / "page" / "fractions.ipynb"
    notebook.parent.mkdir()
    notebook.write_text(writer.dumps(writer.page_notebook(built.lesson, built.blob)))
    env = {"LESSONKIT_DB": str(tmp_path / "progress.sqlite")}
    args = ["--template=lessonkit", f"--VoilaConfiguration.http_header_envs=['{HEADER}']"]
    page.set_extra_http_headers({HEADER: "kay"})
    with voila_server(notebook, env=env, args=args) as url:
        page.goto(url)
        wait_for_widgets(page)
        assert heading(page) == "Why fractions?"
        assert serious_accessibility_violations(page) == []  # a check, before any answer

        # a wrong pick (the first option) with the space bar, its feedback, then the hint
        tab_to(page, ".lessonkit-choices input[type=radio]")
        page.keyboard.press("Space")
        check_answer(page)
        expect(page.locator(".lessonkit-status")).to_contain_text("Not yet")
        press_button(page, ".lessonkit-hint-button")
        expect(page.get_by_role("region", name="Hints")).to_contain_text("Multiply the top and the bottom")
        page.screenshot(path=str(tmp_path / "keyboard-feedback-hints.png"))
        assert serious_accessibility_violations(page) == []  # feedback and hints

        # arrows move the pick within the group: from 2/3 to 3/6
        tab_to(page, ".lessonkit-choices input[type=radio]:checked", backwards=True)
        page.keyboard.press("ArrowDown")
        tab_to(page, ".lessonkit-check-button")
        ring = page.evaluate("() => [getComputedStyle(document.activeElement).outlineStyle,"
                             " getComputedStyle(document.activeElement).outlineWidth]")
        assert ring[0] != "none" and float(ring[1].rstrip("px")) >= 2, f"no visible focus ring: {ring}"
        before = page.evaluate(_FEEDBACK)
        page.keyboard.press("Enter")
        page.wait_for_function(f"(before) => ({_FEEDBACK})() !== before", arg=before)
        expect(page.locator(".lessonkit-status")).to_contain_text("Correct")
        go_on(page)

        # practice until the rules take the student on: after three items without mastery the
        # remediation step, back to practice, then (mastered) the enrichment
        seen = []
        for _ in range(12):
            step = heading(page)
            seen.append(step)
            if step == "Practice" and seen.count("Practice") <= 2:  # two wrong items, then right ones
                type_answer(page, "0.001")
            elif step == "Practice":
                question = page.get_by_text(re.compile(r"\d+/\d+ \+ \d+/\d+ = \?")).inner_text()
                type_answer(page, right_sum(question))
            elif step == "Same denominators":
                expect(page.locator(".lessonkit-badge")).to_contain_text("Another way in")
                expect(page.get_by_role("navigation", name="Your route so far")).to_contain_text(
                    "Same denominators (another way in) (you are here)")
                type_answer(page, "improper fraction")
            else:
                break
            check_answer(page)
            if step == "Same denominators":  # the way back, said before it is taken
                expect(page.get_by_text("Next takes you to")).to_contain_text("Practice")
                page.screenshot(path=str(tmp_path / "keyboard-remediation.png"))
            go_on(page)
        assert heading(page) == "Egyptian fractions", seen
        assert "Same denominators" in seen and seen[seen.index("Same denominators") + 1] == "Practice"
        expect(page.locator(".lessonkit-badge")).to_contain_text("Going further")

        # check boxes: the first and the third (Tab moves from box to box)
        tab_to(page, ".lessonkit-choices input[type=checkbox]")
        page.keyboard.press("Space")
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        page.keyboard.press("Space")
        check_answer(page)
        expect(page.locator(".lessonkit-status")).to_contain_text("Correct")
        go_on(page, ".lessonkit-choice-button")  # the first option: Cooking
        assert heading(page) == "Cooking"

        type_answer(page, "tablespoons")  # a pattern only the grader decides
        check_answer(page)
        expect(page.locator(".lessonkit-status")).to_contain_text("Decided at grading")
        go_on(page)
        assert heading(page) == "Review"
        type_answer(page, "0.75")
        check_answer(page)
        expect(page.locator(".lessonkit-status")).to_contain_text("Correct")
        go_on(page)

        region = page.get_by_role("region", name="Where you stand")
        expect(region).to_be_visible()
        trail = page.get_by_role("navigation", name="Your route so far")
        expect(trail).to_contain_text("Egyptian fractions (going further)")
        expect(region).to_contain_text("not mastered yet")  # this student's "Equivalent fractions"
        page.screenshot(path=str(tmp_path / "keyboard-end.png"))
        assert serious_accessibility_violations(page) == []  # the end page

    # every answer reached the kernel whole: Check never overtook the last keystrokes
    store = open_store(str(tmp_path / "progress.sqlite"))
    typed = [e.data["answer"] for e in store.history("fractions", "kay") if e.check_id == "add-like-v"
             and e.type == "answered"]
    assert typed[:2] == ["0.001", "0.001"] and all(re.fullmatch(r"0\.\d{4}", t) for t in typed[2:]), typed
