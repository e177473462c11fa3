"""Every example lesson in lessons/ plays in both modes: each check shows, takes a wrong answer
and reveals its hints without an error; a page can be walked to its end by answering and going
on; every check's readable form carries its prompt."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_player_lesson import REPO, Clock

from lessonkit.engine.seal import seal_lesson
from lessonkit.format.reader import read_lesson
from lessonkit.player.identity import Identity
from lessonkit.player.pageview import PageView
from lessonkit.player.session import Session
from lessonkit.player.widgets import CheckView, NextStepView
from lessonkit.progress import JsonlLog, open_store

LESSONS = sorted((REPO / "lessons").glob("*/*.ipynb"))
WRONG = {"single": 0, "multiple": [0], "number": "12345", "text": "no idea", "code": "x = 1"}


@pytest.fixture(params=LESSONS, ids=[p.stem for p in LESSONS])
def sealed(request) -> dict:
    return seal_lesson(read_lesson(request.param))


def play(view: CheckView) -> None:
    clock = view.session.clock
    for _ in range(2):
        clock.tick(30)
        view.set_answer(WRONG[view.kind])
        view.check_button.click()
        assert view.feedback.value
    for _ in range(2 * len(view.session.check(view.check_id)["hints"])):
        view.hint_button.click()


def test_every_check_plays_in_a_notebook(sealed, tmp_path: Path):
    session = Session(sealed, Identity("s", "os-user"), JsonlLog(tmp_path / "log.jsonl"), mode="notebook",
                      clock=Clock())
    for check_id, check in sealed["checks"].items():
        view = CheckView(session, check_id, namespace=(dict) if check["input"] == "code" else None)
        assert view._repr_mimebundle_()["text/markdown"].count(check_id) >= 1
        play(view)
    for step in sealed["steps"]:
        if step["branch"] or step["choice"]:
            NextStepView(session, step["id"])
    assert session.events


def test_a_page_walks_to_the_end(sealed, tmp_path: Path):
    page = PageView(Session(sealed, Identity("s", "header"), open_store(str(tmp_path / "p.sqlite")), clock=Clock()))
    for _ in range(60):
        for view in page.checks:
            play(view)
        if page.choices.children:
            page.choices.children[0].click()
        elif page.next_button.layout.display != "none":
            page.next_button.click()
        else:
            break
    assert page.session.finished
