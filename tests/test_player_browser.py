"""The page a student gets, in headless Chromium through standalone Voila: answer a check, go on,
reload, and land on the same step with the same answer (the student named by the trusted
header, as a proxy in front of Voila would set it); tick boxes faster than the kernel answers,
and have what was ticked judged."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import EXPECT_TIMEOUT_MS, voila_server, wait_for_widgets
from playwright.sync_api import Page, WebSocketRoute, expect
from test_player_lesson import build, right_sum

from lessonkit.format import writer
from lessonkit.player.identity import HEADER

pytestmark = pytest.mark.slow


@contextlib.contextmanager
def page_served(page: Page, folder: Path, built, name: str, *, student: str) -> Iterator[str]:
    """The built lesson's page in a real Voila, with ``page`` naming ``student`` in the identity header."""
    notebook = folder / "page" / f"{name}.ipynb"
    notebook.parent.mkdir()
    notebook.write_text(writer.dumps(writer.page_notebook(built.lesson, built.blob)))
    env = {"LESSONKIT_DB": str(folder / "progress.sqlite")}
    args = [f"--VoilaConfiguration.http_header_envs=['{HEADER}']"]
    page.set_extra_http_headers({HEADER: student})
    with voila_server(notebook, env=env, args=args) as url:
        yield url


def test_answer_go_on_reload_and_resume_on_the_same_step_with_the_same_answer(page, tmp_path):  # noqa: F811
    built = build(tmp_path)
    with page_served(page, tmp_path, built, "fractions", student="alice") as url:
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



# the page's kernel channel: what the kernel sends the page passes through the test, which can hold it back
_KERNEL_CHANNEL = re.compile(r"/api/kernels/[0-9a-f-]+/channels")
_UNIT_FRACTIONS = [
    ("code", '''import lessonkit as lk
lk.lesson(id="unit", title="Unit fractions", version="1", skills={"unit": {"name": "Unit fractions"}})'''),
    ("code", 'lk.step("egyptian", title="Egyptian fractions")'),
    ("code", '''lk.check(id="unit-fractions", kind="multiple", prompt="Pick every unit fraction.",
    options=["1/2", "2/3", "1/7", "3/3"], answers=["1/2", "1/7"], skills=["unit"])'''),
    ("code", 'lk.step("done", kind="end", title="Done")'),
]


class LateKernel:
    """The kernel's messages to the page, held back while ``holding`` and let through in order by
    :meth:`release`: a busy kernel or server whose answer to one tick comes after the next tick."""

    def __init__(self) -> None:
        self.holding = False
        self.held: list[str | bytes] = []
        self.route: WebSocketRoute | None = None

    def __call__(self, route: WebSocketRoute) -> None:
        self.route = route
        server = route.connect_to_server()
        route.on_message(server.send)
        server.on_message(self._from_kernel)

    def _from_kernel(self, message: str | bytes) -> None:
        if self.holding:
            self.held.append(message)
        else:
            self.route.send(message)

    def wait_for_answers(self, page: Page, ticks: int) -> None:
        """Until the kernel has answered ``ticks`` ticks (held back, not yet seen by the page)."""
        deadline = time.monotonic() + EXPECT_TIMEOUT_MS / 1000
        while sum(map(_answers_a_tick, self.held)) < ticks:
            assert time.monotonic() < deadline, f"the kernel answered {sum(map(_answers_a_tick, self.held))} ticks"
            page.wait_for_timeout(50)  # lets Playwright deliver the kernel's messages to the handler above

    def release(self, ticks: int | None = None) -> None:
        """Let the held messages through, up to the kernel's answer to the ``ticks``-th tick (all: None)."""
        while self.held and ticks != 0:
            message = self.held.pop(0)
            if ticks is not None:
                ticks -= _answers_a_tick(message)
            self.route.send(message)
        if ticks is None:
            self.holding = False


def _answers_a_tick(message: str | bytes) -> bool:
    """Whether a kernel message is a choice group's new value (the answer to a tick)."""
    text = (message if isinstance(message, str) else message.decode("utf-8", "replace")).replace(" ", "")
    return '"method":"update"' in text and '"value":[' in text


def test_fast_ticks_are_judged_even_when_the_kernel_answers_each_one_late(page, tmp_path):
    """A student ticks 1/2, changes their mind twice and ticks 1/7 faster than the kernel's answers
    come back: the answer to an earlier tick arrives after a later tick.  It must not untick a box (the
    next tick, read from the boxes, would leave 1/2 out), and Check judges what the student ticked."""
    built = build(tmp_path, _UNIT_FRACTIONS, name="unit")
    kernel = LateKernel()
    page.route_web_socket(_KERNEL_CHANNEL, kernel)
    with page_served(page, tmp_path, built, "unit", student="ines") as url:
        page.goto(url)
        wait_for_widgets(page)
        half, seventh = page.get_by_role("checkbox", name="1/2"), page.get_by_role("checkbox", name="1/7")
        kernel.holding = True
        half.check()
        half.uncheck()
        half.check()
        kernel.wait_for_answers(page, 3)
        kernel.release(2)  # the answers to the first tick and to the untick arrive, not the last tick's
        expect(half).to_be_checked()
        seventh.check()
        page.get_by_role("button", name="Check").click()
        kernel.release()
        expect(page.get_by_role("status").first).to_contain_text("Correct")
        expect(half).to_be_checked()
        expect(seventh).to_be_checked()
