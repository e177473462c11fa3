"""Goals, confidence and reflection on the page, driven through the real widgets and store:
a goal with its progress, confidence that is shown as calibration and never changes a score,
reflections saved with the student's work and never graded."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from lessonkit.engine.seal import seal_lesson
from lessonkit.format import blob, writer
from lessonkit.format.reader import parse_lesson, read_lesson
from lessonkit.player.goals import set_goal
from lessonkit.player.identity import Identity
from lessonkit.player.pageview import PageView
from lessonkit.player.session import Session
from lessonkit.progress import open_store
from lessonkit.progress.selfassessment import calibration, latest_goal, reflections
from tests.lessonfactory import write_lesson

CHECK = ('lk.check(id="{id}", kind="numeric", prompt="What is {{a}} + {{b}}?", answer="a + b", skills=["{skill}"], '
         'variants={{"count": 8, "params": {{"a": [11, 23, 35, 47], "b": [2, 4, 6, 8]}}}})')
PROMPT = "What was hardest, and what helped?"


def cells(confidence: bool = True) -> list[tuple[str, str]]:
    return [
        ("code", 'import lessonkit as lk\nlk.lesson(id="sums", title="Sums", '
                 f'skills={{"add": "Adding", "carry": "Carrying"}}{", confidence=True" if confidence else ""})'),
        ("code", 'lk.step("practice", kind="check", title="Practice")'),
        ("code", CHECK.format(id="one", skill="add")),
        ("code", CHECK.format(id="two", skill="add")),
        ("code", CHECK.format(id="three", skill="carry")),
        ("code", 'lk.step("done", kind="end", title="Done")'),
        ("code", f'lk.reflect("{PROMPT}")'),
    ]


class Clock:
    def __init__(self) -> None:
        self.now = 1_764_547_200.0  # 2025-12-01

    def __call__(self) -> float:
        self.now += 5.0
        return self.now


def sealed(folder: Path, confidence: bool = True) -> dict:
    return blob.decode(blob.encode(seal_lesson(read_lesson(write_lesson(folder, cells(confidence), name="sums")))))


def right(view) -> int:
    a, b = map(int, re.search(r"What is (\d+) \+ (\d+)\?", view.prompt.outputs[0]["data"]["text/markdown"]).groups())
    return a + b


def work_through(page: PageView, rights: dict[str, bool], sure: dict[str, int | None]) -> None:
    for view in page.checks:
        if sure.get(view.check_id) is not None:
            view.confidence.choice.value = sure[view.check_id]
        view.set_answer(str(right(view) + (0 if rights[view.check_id] else 1)))
        view.check_button.click()
    page.next_button.click()


def test_the_reader_takes_the_confidence_setting_and_reflection_prompts(tmp_path):
    lesson = read_lesson(write_lesson(tmp_path, cells(), name="sums"))
    assert lesson.confidence is True
    assert [(b.kind, b.source) for b in lesson.step("done").blocks] == [("reflection", PROMPT)]
    bad = cells()
    bad[-1] = ("code", 'lk.reflect("")')
    bad[0] = ("code", bad[0][1].replace("confidence=True", 'confidence="yes"'))
    _, problems = parse_lesson(write_lesson(tmp_path / "bad", bad, name="sums"))
    assert any("field 'confidence'" in str(p) for p in problems)
    assert any("a reflection needs a prompt" in str(p) and "field 'prompt'" in str(p) for p in problems)


def test_a_reflection_is_an_ungraded_answer_cell_in_the_notebooks(tmp_path):
    lesson = read_lesson(write_lesson(tmp_path, cells(), name="sums"))
    sealed_blob = blob.encode(seal_lesson(lesson))
    student = writer.student_notebook(lesson, sealed_blob)
    roles = [c.metadata["lessonkit"]["role"] for c in student.cells]
    assert roles[-2:] == ["reflection", "reflection-answer"] and PROMPT in student.cells[-2].source
    from lessonkit.engine.seal import grading_key

    keys = {c.id: grading_key(lesson, c) for c in lesson.checks.values()}
    graded = writer.nbgrader_notebook(lesson, writer.GradeKeys(sealed_blob, keys))
    answer_cell = [c for c in graded.cells if c.metadata["lessonkit"]["role"] == "reflection-answer"]
    assert answer_cell and "nbgrader" not in answer_cell[0].metadata  # never a grade cell


def test_goal_confidence_and_reflection_through_the_page(tmp_path):
    store = open_store(str(tmp_path / "progress.sqlite"))
    session = Session(sealed(tmp_path), Identity("ana", "header"), store, clock=Clock())
    page = PageView(session)
    goal = page.goal
    assert goal.form.layout.display is None  # offered on the first step
    goal.skills.value = ("add",)
    goal.by.value = date(2025, 12, 15)
    goal.level.value = "enrichment"
    goal.set_button.click()
    assert goal.form.layout.display == "none" and "0 of 1</b> mastered" in goal.summary.value
    assert "with enrichment" in goal.summary.value and "Mon 15 Dec" in goal.summary.value
    set_goal(session, ["add", "carry"], None, "core")  # a new goal replaces the old one
    assert latest_goal(session.events).skills == ("add", "carry")
    with pytest.raises(ValueError, match="a goal names skills of this lesson"):
        set_goal(session, ["hacking"], None, "core")

    assert all(view.confidence.layout.display is None for view in page.checks)
    work_through(page, {"one": True, "two": True, "three": False}, {"one": 3, "two": 1, "three": 3})
    assert session.current_step == "done"
    events = [(e.type, e.check_id) for e in session.events if e.type in ("confidence_given", "answered")]
    assert events == [("confidence_given", "one"), ("answered", "one"), ("confidence_given", "two"),
                      ("answered", "two"), ("confidence_given", "three"), ("answered", "three")]
    result = calibration(session.events)
    assert result.levels == {3: (2, 1), 1: (1, 1)}
    assert result.sentences() == ["When you were not sure, you were right 1 of 1 time.",
                                  "When you were very sure, you were right 1 of 2 times."]
    assert result.brier == pytest.approx(((0.95 - 1) ** 2 + (0.4 - 1) ** 2 + 0.95 ** 2) / 3)
    end_text = " ".join(getattr(w, "value", "") for w in page.body.children)
    assert "When you were very sure, you were right 1 of 2 times." in end_text

    reflection = next(w for w in page.body.children if type(w).__name__ == "ReflectionView")
    reflection.text.value = "Carrying. " * 1000
    reflection.save_button.click()
    saved = reflections(session.events)
    assert [(r.prompt, len(r.text)) for r in saved] == [(PROMPT, 5000)]
    reflection.save_button.click()  # the same text again records nothing
    assert len(reflections(session.events)) == 1
    assert sum(e.type == "reflection_saved" for e in session.events) == 1

    # a reload shows the saved reflection and the goal, from the events alone
    again = PageView(Session(sealed(tmp_path), Identity("ana", "header"), store, clock=Clock()))
    assert "0 of 2</b> mastered" in again.goal.summary.value
    assert next(w for w in again.body.children if type(w).__name__ == "ReflectionView").text.value.startswith("Carrying")


def test_confidence_never_changes_a_score_or_a_mastery(tmp_path):
    store = open_store(str(tmp_path / "progress.sqlite"))
    rated = PageView(Session(sealed(tmp_path), Identity("rated", "header"), store, clock=Clock()))
    plain = PageView(Session(sealed(tmp_path / "plain", confidence=False), Identity("plain", "header"), store,
                             clock=Clock()))
    assert all(view.confidence.layout.display == "none" for view in plain.checks)
    answers = {"one": True, "two": False, "three": True}
    work_through(rated, answers, {"one": 1, "two": 3, "three": 1})
    work_through(plain, answers, {})

    def outcome(page: PageView) -> list:
        return [(e.check_id, e.data["correct"], e.data["score"], e.data["evidence"]) for e in page.session.events
                if e.type == "answered"] + [(s, page.session.skill_mastery(s)) for s in ("add", "carry")]

    # the same items (the student id seeds them, so compare by correctness, not by text)
    assert outcome(rated) == outcome(plain)
    assert not any(e.type == "confidence_given" for e in plain.session.events)

    # the teacher sees calibration per student
    from lessonkit.progress.selfassessment import class_selfassessment

    seen = {row.student_id: row for row in class_selfassessment(store, "sums")}
    assert sorted(seen) == ["plain", "rated"]
    assert seen["rated"].calibration.levels == {1: (2, 2), 3: (1, 0)} and seen["plain"].calibration.answers == 0
    assert "more sure" not in seen["rated"].calibration.verdict()
