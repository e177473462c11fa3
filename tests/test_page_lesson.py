"""The python-loops lesson as a student's browser gets it from Voila with lessonkit's template
(``--template=lessonkit``), in real Chromium: nothing fetched from anywhere but the server, no
front-end extension erroring, options that wrap with their Markdown rendered, icons drawn
without a font, a Run button on example code, an honest end page for a student who struggled,
and axe-core's audit at each of those moments.  One Voila server for the module: each start
costs seconds.  Screenshots are left in each test's tmp_path."""

from __future__ import annotations

import re

import pytest
from browser import (
    foreign_requests,
    record_requests,
    serious_accessibility_violations,
    tab_to,
    voila_server,
    wait_for_widgets,
)
from playwright.sync_api import expect
from test_page_parts import struggle_to_the_end
from test_player_lesson import REPO

from lessonkit.compile import build_lesson
from lessonkit.engine.seal import seal_lesson
from lessonkit.format.reader import read_lesson
from lessonkit.player.identity import HEADER

pytestmark = pytest.mark.slow

SOURCE = REPO / "lessons" / "python-loops" / "python-loops.ipynb"
PAGE_EXTENSIONS = {"@jupyter-widgets/jupyterlab-manager", "@voila-dashboards/widgets-manager8", "anywidget",
                   "jupyterlab_pygments"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("loops")
    built = build_lesson(SOURCE, out=tmp / "build", course=tmp / "grading", run_code=False)
    db = tmp / "progress.sqlite"
    args = ["--template=lessonkit", f"--VoilaConfiguration.http_header_envs=['{HEADER}']"]
    with voila_server(built.page, env={"LESSONKIT_DB": str(db)}, args=args) as url:
        yield url, db


def open_as(page, url: str, student: str) -> list[str]:
    """Load the page as ``student`` (the trusted header); returns the console's errors so far
    and, as it goes on, later ones."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_extra_http_headers({HEADER: student})
    page.goto(url)
    wait_for_widgets(page)
    return errors


def test_the_page_asks_nothing_of_any_other_server_and_no_extension_errors(page, server, tmp_path):
    url, _ = server
    requests = record_requests(page)
    errors = open_as(page, url, "ana")
    expect(page.get_by_role("heading", name="Doing something again and again: for loops")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert requests and foreign_requests(requests, url) == []
    assert not any("fontawesome" in u or "font-awesome" in u for u in requests)
    loaded = page.evaluate("() => JSON.parse(document.getElementById('jupyter-config-data').textContent)"
                           ".federated_extensions.map((e) => e.name)")
    assert set(loaded) <= PAGE_EXTENSIONS and "anywidget" in loaded
    assert errors == []
    assert page.locator("link[href*='lessonkit.css']").count() == 1
    page.screenshot(path=str(tmp_path / "first-step.png"))
    assert serious_accessibility_violations(page) == []


def test_run_an_example_answer_get_feedback_and_hints_and_read_whole_markdown_options(page, server, tmp_path):
    url, _ = server
    errors = open_as(page, url, "ben")

    # the step's second example, run contained: what it printed, under it
    page.get_by_role("button", name="Run").nth(1).click()
    output = page.get_by_role("status", name="Output of example 2")
    expect(output).to_contain_text("[0, 1, 2, 3, 4]")
    expect(output).to_contain_text("Round 2")

    # a wrong answer, its feedback with an icon that is drawn, then the hints
    check = page.locator(".lessonkit-check").first
    check.get_by_role("radio", name="2, 5, 8, 11").check()
    check.get_by_role("button", name="Check").click()
    feedback = check.locator(".lessonkit-status")
    expect(feedback).to_contain_text("Not yet")
    drawn = feedback.locator("svg.lessonkit-icon").bounding_box()
    assert drawn and drawn["width"] >= 10 and drawn["height"] >= 10
    check.get_by_role("button", name=re.compile(r"^Hint 1 of 2")).click()
    expect(check.get_by_role("region", name="Hints")).to_contain_text("begins at start and adds step")
    check.screenshot(path=str(tmp_path / "feedback-and-hint.png"))
    assert serious_accessibility_violations(page) == []

    check.get_by_role("radio", name="2, 5, 8", exact=True).check()
    check.get_by_role("button", name="Check").click()
    expect(check.locator(".lessonkit-status")).to_contain_text("Correct")
    page.get_by_role("button", name="Next").click()

    # Markdown in options, rendered; a long option wraps at a narrow width instead of being cut
    page.set_viewport_size({"width": 480, "height": 800})
    snippets = page.locator(".lessonkit-check").first
    expect(snippets.get_by_role("group", name=re.compile("pick every option"))).to_be_visible()
    labels = snippets.locator(".lessonkit-choice label")
    assert labels.count() == 5 and labels.first.locator("code").count() == 2
    assert "`" not in labels.first.inner_text()
    for n in range(labels.count()):
        assert labels.nth(n).evaluate("(label) => label.scrollWidth <= label.clientWidth + 1")
    longest = labels.nth(3)
    font = float(longest.evaluate("(label) => parseFloat(getComputedStyle(label).fontSize)"))
    assert longest.bounding_box()["height"] > 2.2 * font, "the long option did not wrap onto a second line"
    trail = page.get_by_role("navigation", name="Your route so far")
    expect(trail).to_contain_text("(you are here)")
    snippets.screenshot(path=str(tmp_path / "markdown-options-narrow.png"))
    assert errors == []


def test_a_struggling_student_reaches_an_honest_end_page_and_a_next_move(page, server, tmp_path):
    url, db = server
    sealed = seal_lesson(read_lesson(SOURCE))
    walked = struggle_to_the_end(sealed, db, "sam")  # into the store the page reads
    assert walked.session.current_step == "done"

    errors = open_as(page, url, "sam")
    region = page.get_by_role("region", name="Where you stand")
    expect(region).to_contain_text("not mastered yet")
    expect(page.get_by_role("heading", name="End of the lesson")).to_be_visible()
    assert "Well done" not in page.locator("#rendered_cells").inner_text()
    table = page.get_by_role("table")
    expect(table).to_contain_text("The accumulator pattern")
    expect(table).to_contain_text("your teacher")
    page.screenshot(path=str(tmp_path / "honest-end.png"))
    page.locator(".lessonkit-end").screenshot(path=str(tmp_path / "honest-end-moves.png"))
    assert serious_accessibility_violations(page) == []

    tab_to(page, ".lessonkit-end button")  # the first next move
    page.keyboard.press("Enter")
    expect(page.get_by_role("navigation", name="Your route so far")).to_contain_text("(you are here)")
    expect(page.get_by_role("button", name="Next")).to_be_visible()
    assert errors == []
