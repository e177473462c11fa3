"""The player driven through its widgets, as a student would: a whole lesson in page mode
(wrong answer and feedback, hints with a gate and a cost, mastery, a remediation branch,
an enrichment branch, a choice, an answer decided at grading, a review, the end), then the
same student resumed in a fresh process; the notebook's widgets and their resume from the
log beside the notebook; the evidence rule, the escape hatch, flags and spaced review."""

from __future__ import annotations

import json

import pytest
from test_player_lesson import CODE_CELLS, Clock, build, right_sum, run_python

from lessonkit.player.identity import Identity
from lessonkit.player.pageview import PageView
from lessonkit.player.session import Session
from lessonkit.player.widgets import CheckView, LessonHeader, NextStepView
from lessonkit.progress import JsonlLog, open_store

DAY = 86_400.0


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build(tmp_path_factory.mktemp("lesson"))


@pytest.fixture
def store_url(tmp_path):
    return str(tmp_path / "progress.sqlite")


def new_events(session: Session, since: int) -> list[tuple[str, dict]]:
    return [(e.type, dict(e.data)) for e in session.events[since:]]


def types(session: Session, since: int) -> list[str]:
    return [t for t, _ in new_events(session, since)]


def answer(view: CheckView, value) -> None:
    """Type or pick an answer in a check's input and press Check, as a student does."""
    view.session.clock.tick()
    view.set_answer(value)
    view.check_button.click()


def prompt(view: CheckView) -> str:
    return view.prompt.outputs[0]["data"]["text/markdown"]


def test_a_whole_lesson_in_page_mode_then_resumed_in_a_fresh_process(built, store_url, tmp_path):
    clock = Clock()
    session = Session(built.sealed, Identity("alice", "header"), open_store(store_url), mode="page", clock=clock)
    page = PageView(session)

    # -- intro: the lesson starts on its first step; Next waits for the check ------------------
    assert types(session, 0) == ["lesson_started", "step_entered"]
    assert session.current_step == "intro" and page.next_button.disabled
    assert "Answer the question" in page.nav_note.value
    [which] = page.checks
    assert [label for label, _ in which.answer_input.options] == ["2/3", "3/6", "2/1", "1/3"]
    mark = len(session.events)
    answer(which, 2)  # "2/1": a common wrong answer with the teacher's feedback
    assert "Not yet" in which.feedback.value and "top and bottom numbers are swapped" in which.feedback.value
    assert new_events(session, mark)[0] == ("answered", {
        "answer": 2, "item": 0, "correct": False, "score": 0.0, "pending": False, "attempt": 1,
        "evidence": False, "elapsed_s": 20.0, "feedback": 0})  # the check's feedback=[...] entry 0 was shown
    assert new_events(session, mark)[1][0] == "mastery_changed"
    assert session.skill_mastery("equivalent").p < 0.2 and "practising (1 answer counted)" in which.meter.value
    assert not page.next_button.disabled  # answered once: the rules decide where a struggle leads
    which.hint_button.click()
    assert "Multiply the top and the bottom" in which.hints.value
    assert which.hint_button.description == "No more hints" and which.hint_button.disabled
    mark = len(session.events)
    answer(which, 1)
    assert "Correct" in which.feedback.value and "lessonkit-icon" in which.feedback.value
    assert new_events(session, mark) == [("answered", {
        "answer": 1, "item": 0, "correct": True, "score": 1.0, "pending": False, "attempt": 2,
        "evidence": None, "elapsed_s": 20.0, "feedback": None})]  # a retry gives feedback, not evidence
    page.next_button.click()
    assert session.current_step == "practice"

    # -- practice: hints gated and costed, variants, mastery falling to remediation -----------
    [practice] = page.checks
    assert practice.hint_button.description == "Hint 1 of 3" and not practice.hint_button.disabled
    practice.hint_button.click()  # help before the first submission
    assert "Add the numerators." in practice.hints.value
    assert practice.hint_button.disabled and practice.hint_button.description == "Hint 2 of 3 (after 1 more answer)"
    first_item = session.item("add-like-v")[0]
    first_prompt = prompt(practice)
    mark = len(session.events)
    answer(practice, "0.001")
    assert types(session, mark) == ["answered", "mastery_changed"]
    assert new_events(session, mark)[0][1]["evidence"] is False
    assert "Here is a new one to try." in practice.feedback.value
    assert session.item("add-like-v")[0] != first_item and prompt(practice) != first_prompt  # a fresh item
    assert practice.answer_input.value == ""
    assert not practice.hint_button.disabled  # gate passed: one answer submitted
    practice.hint_button.click()
    assert "Keep the bottom number" in practice.hints.value
    assert practice.hint_button.description == "Hint 3 of 3 (costs 0.5 points, shows the answer's shape)"
    answer(practice, "0.002")
    practice.hint_button.click()  # a costed bottom-out hint asks first, and says what it costs
    assert "takes 0.5 points off" in practice.hint_note.value and "will not count towards your mastery" in \
        practice.hint_note.value
    assert "(first top" not in practice.hints.value and practice.hint_button.description == "Reveal hint 3 (\u22120.5 points)"
    mark = len(session.events)
    practice.hint_button.click()
    assert new_events(session, mark) == [("hint_revealed", {"rung": 2, "bottom_out": True, "cost": 0.5})]
    assert session.points_at_stake("add-like-v") == 1.5 and "1.5 after hints" in practice.meter.value
    mark = len(session.events)
    answer(practice, right_sum(prompt(practice)))
    assert "Correct" in practice.feedback.value
    events = new_events(session, mark)
    assert events[0][1]["correct"] is True and events[0][1]["evidence"] is None  # the bottom-out hint voids it
    assert events[1] == ("mastery_changed", {"skill": "add-like",
                                             "p": pytest.approx(session.standing.mastery("add-like")),
                                             "evidence": 2, "items": 3, "mastered": False, "needs_remediation": True})
    assert ("flag_raised", {"kind": "stuck", "skill": "add-like", "check": None,
                            "detail": events[2][1]["detail"]}) == events[2]
    assert "time for another approach" in practice.meter.value
    mark = len(session.events)
    page.next_button.click()
    assert session.current_step == "common-denominator" and "Another way in" in page.body.children[0].value
    assert new_events(session, mark)[0] == ("branch_taken", {
        "from": "practice", "to": "common-denominator", "rule": 1, "condition": "needs_remediation('add-like')"})
    assert types(session, mark) == ["branch_taken", "step_left", "step_entered", "mastery_changed"]
    assert not session.standing.needs_remediation("add-like")  # remediation re-opens practice with a fresh budget

    # -- remediation, then back to practice with new items until mastered ------------------------
    [name_bottom] = page.checks
    answer(name_bottom, "  Improper  Fraction ")
    assert "Correct" in name_bottom.feedback.value
    page.next_button.click()
    assert session.current_step == "practice"
    for visit in range(3):
        [practice] = page.checks
        item = session.item("add-like-v")[0]
        assert item not in session._items.track("add-like-v").seen  # every visit brings an item not seen before
        mark = len(session.events)
        answer(practice, right_sum(prompt(practice)))
        assert new_events(session, mark)[0][1]["evidence"] is True
        page.next_button.click()
    assert session.standing.mastered("add-like") and session.skill_mastery("add-like").evidence == 5
    assert session.current_step == "egyptian" and "Going further" in page.body.children[0].value
    assert session.events[-3].data == {"from": "practice", "to": "egyptian", "rule": 0,
                                       "condition": "mastered('add-like')"}

    # -- enrichment and a choice ---------------------------------------------------------------------
    [unit] = page.checks
    answer(unit, [0, 2])
    assert "Correct" in unit.feedback.value
    assert page.next_button.layout.display == "none"
    assert [b.description for b in page.choices.children] == ["Cooking", "Music"]
    assert all(not b.disabled for b in page.choices.children)
    assert "Pick a context" in page.nav_note.value
    mark = len(session.events)
    page.choices.children[0].click()
    assert new_events(session, mark)[0] == ("choice_made", {"choice": "theme", "label": "Cooking", "goto": "cooking"})
    assert session.current_step == "cooking" and session.standing.chose("theme") == "Cooking"

    # -- an answer only the grader can decide: never "correct" ------------------------------------
    [measure] = page.checks
    answer(measure, "tablespoons")
    assert "Decided at grading" in measure.feedback.value and "1 point at stake" in measure.feedback.value
    assert "Correct" not in measure.feedback.value
    assert session.events[-1].data["pending"] is True and session.events[-1].data["correct"] is None
    page.next_button.click()
    assert session.current_step == "review"

    # -- the review of a mastered skill, then the end --------------------------------------------------
    [review] = page.checks
    mark = len(session.events)
    answer(review, "3/4")
    assert types(session, mark) == ["answered", "review_done"]
    assert new_events(session, mark)[1][1]["correct"] is True
    assert new_events(session, mark)[1][1]["next_due"] > clock.now + DAY
    page.next_button.click()
    assert session.current_step == "done" and session.state.finished
    assert page.progress.value == 1.0 and page.next_button.layout.display == "none"
    assert "mastered" in page.body.children[-1].summary.value

    # -- a fresh process on the same store: same step, same answers, same mastery ---------------------
    expected = {"step": "done", "mastered": True, "attempts": {"which-equal": 2, "add-like-v": 6},
                "hints": 3, "measure": "tablespoons"}
    out = run_python(f"""
import json
from lessonkit.format import blob
from lessonkit.player.identity import Identity
from lessonkit.player.pageview import PageView
from lessonkit.player.session import Session
from lessonkit.progress import open_store
s = Session(blob.decode({built.blob!r}), Identity("alice", "header"), open_store({store_url!r}), mode="page")
PageView(s)
print(json.dumps({{"step": s.current_step, "mastered": s.standing.mastered("add-like"),
    "attempts": {{c: s.standing.attempts(c) for c in ("which-equal", "add-like-v")}},
    "hints": s.standing.hints("add-like-v"), "measure": s.last_answer("measure")}}))
""", cwd=tmp_path)
    assert json.loads(out) == expected


def test_a_reload_lands_on_the_same_step_with_the_same_answers_in_the_widgets(built, store_url, tmp_path):
    clock = Clock()
    session = Session(built.sealed, Identity("bob", "header"), open_store(store_url), mode="page", clock=clock)
    page = PageView(session)
    answer(page.checks[0], 1)
    page.next_button.click()
    practice = page.checks[0]
    answer(practice, "0.5")  # wrong, and a new item is drawn: the input is cleared for it
    practice.hint_button.click()
    practice.hint_button.click()
    typed = right_sum(prompt(practice))
    answer(practice, typed)
    shown = prompt(practice)
    out = run_python(f"""
import json
from lessonkit.format import blob
from lessonkit.player.identity import Identity
from lessonkit.player.pageview import PageView
from lessonkit.player.session import Session
from lessonkit.progress import open_store
page = PageView(Session(blob.decode({built.blob!r}), Identity("bob", "header"), open_store({store_url!r})))
view = page.checks[0]
print(json.dumps({{"step": page.session.current_step, "typed": view.answer_input.value,
    "prompt": view.prompt.outputs[0]["data"]["text/markdown"], "hints": view.hints.value,
    "feedback": view.feedback.value, "next": page.next_button.disabled}}))
""", cwd=tmp_path)
    resumed = json.loads(out)
    assert resumed["step"] == "practice" and resumed["typed"] == typed and resumed["prompt"] == shown
    assert "Add the numerators." in resumed["hints"] and "Keep the bottom number" in resumed["hints"]
    assert "Correct" in resumed["feedback"] and resumed["next"] is False


def test_two_students_never_see_each_others_progress(built, store_url):
    alice = PageView(Session(built.sealed, Identity("alice", "header"), open_store(store_url), clock=Clock()))
    answer(alice.checks[0], 1)
    alice.next_button.click()
    bob = PageView(Session(built.sealed, Identity("bob", "header"), open_store(store_url), clock=Clock()))
    assert bob.session.current_step == "intro" and bob.checks[0].answer_input.index is None


def test_the_notebook_widgets_write_the_log_beside_the_notebook_and_resume_from_it(built, tmp_path):
    log = JsonlLog(tmp_path / "fractions.progress.jsonl")
    clock = Clock()
    session = Session(built.sealed, Identity("carol", "os-user"), log, mode="notebook", clock=clock)
    header = LessonHeader(session, log.path.name)
    assert "carol" in header.summary.value and "fractions.progress.jsonl" in header.summary.value
    which = CheckView(session, "which-equal")
    assert session.events == [] and not log.path.exists()  # showing the notebook records nothing
    answer(which, 1)
    assert types(session, 0) == ["lesson_started", "step_entered", "answered", "mastery_changed"]
    assert session.current_step == "intro"
    practice = CheckView(session, "add-like-v")
    practice.hint_button.click()
    answer(practice, "0.001")
    assert session.current_step == "practice"  # working in a step enters it
    panel = NextStepView(session, "practice")
    assert "Where next:" in panel.message.value and "Practice" in panel.message.value
    answer(practice, right_sum(prompt(practice)))
    theme = NextStepView(session, "egyptian")
    assert [b.description for b in theme.buttons.children] == ["Cooking", "Music"]
    theme.buttons.children[1].click()
    assert session.standing.chose("theme") == "Music" and session.current_step == "music"
    assert "You picked <b>Music</b>" in theme.message.value
    lines = log.path.read_text().splitlines()
    assert len(lines) == len(session.events) and json.loads(lines[-1])["type"] == "step_entered"

    out = run_python(f"""
import json, os
from IPython.core.interactiveshell import InteractiveShell
from IPython.display import display
import lessonkit.player as lkp
InteractiveShell.instance()
os.environ["JUPYTERHUB_USER"] = "carol"
lkp.start_notebook({built.blob!r})
from lessonkit.player.widgets import CheckView, NextStepView
s = lkp.current_session()
which, practice = CheckView(s, "which-equal"), CheckView(s, "add-like-v")
print(json.dumps({{"which": which.answer_input.index, "hints": practice.hints.value,
    "attempts": s.standing.attempts("add-like-v"), "step": s.current_step,
    "typed": practice.answer_input.value, "theme": NextStepView(s, "egyptian").message.value}}))
""", cwd=tmp_path)
    resumed = json.loads(out.splitlines()[-1])  # the header's display comes first, as text
    assert resumed["which"] == 1 and "Add the numerators." in resumed["hints"]
    assert resumed["attempts"] == 2 and resumed["step"] == "music"
    assert resumed["typed"] == right_sum(prompt(practice)) and "You picked <b>Music</b>" in resumed["theme"]


def test_the_evidence_rule(built, store_url):
    """First attempt at a fresh item without help is evidence; a hint first makes it incorrect
    evidence; a retry is none; the bottom-out hint voids the item."""
    clock = Clock()
    session = Session(built.sealed, Identity("dave", "header"), open_store(store_url), mode="notebook", clock=clock)
    view = CheckView(session, "add-like-v")
    right = right_sum(prompt(view))
    outcome = session.answer("add-like-v", right)
    assert outcome.evidence is True and outcome.mastery["add-like"].evidence == 1
    assert session.answer("add-like-v", right).evidence is None  # the same item again: a retry
    assert session.answer("add-like-v", "0.001").evidence is None
    view.hint_button.click()  # on the new (fresh) item, before answering it
    assert session.answer("add-like-v", right_sum(session.item("add-like-v")[1]["prompt"])).evidence is False
    bob = Session(built.sealed, Identity("erin", "header"), open_store(store_url), mode="notebook", clock=clock)
    for _ in range(2):
        bob.answer("add-like-v", "0.001")
        clock.tick()
    for _ in range(3):
        clock.tick()
        bob.reveal_hint("add-like-v")
    before = bob.skill_mastery("add-like")
    voided = bob.answer("add-like-v", right_sum(bob.item("add-like-v")[1]["prompt"]))
    assert voided.evidence is None and voided.mastery["add-like"].items == before.items + 1 == 3
    assert voided.mastery["add-like"].p == before.p and voided.mastery["add-like"].evidence == before.evidence


def test_unreadable_answers_are_explained_and_not_counted(built, store_url):
    session = Session(built.sealed, Identity("fay", "header"), open_store(store_url), clock=Clock())
    page = PageView(session)
    page.next_button.click()  # disabled: nothing happens
    assert session.current_step == "intro"
    mark = len(session.events)
    page.checks[0].check_button.click()  # nothing picked
    assert "Pick an option first" in page.checks[0].feedback.value and "Not checked" in page.checks[0].feedback.value
    assert len(session.events) == mark and session.standing.attempts("which-equal") == 0


def test_a_check_of_a_kind_this_lessonkit_lacks_is_explained_not_raised(built, store_url):
    """A lesson sealed with a plugin's kind, opened where the plugin is not installed."""
    sealed = json.loads(json.dumps(built.sealed))
    sealed["checks"]["which-equal"]["kind"] = "plugin-only-kind"
    session = Session(sealed, Identity("gus", "header"), open_store(store_url), clock=Clock())
    session.start()
    mark = len(session.events)
    outcome = session.answer("which-equal", 1)
    assert not outcome.recorded and "does not know its kind" in outcome.verdict.message
    assert len(session.events) == mark and session.standing.attempts("which-equal") == 0


def test_the_escape_hatch_goes_to_the_weakest_prerequisites_remediation_once(built, store_url):
    """The teacher's rules here never remediate; after max_items without mastery the engine
    routes to remediation itself, flags the teacher, and does it only once per skill."""
    sealed = json.loads(json.dumps(built.sealed))
    practice = next(s for s in sealed["steps"] if s["id"] == "practice")
    practice["branch"] = [{"if": "mastered('add-like')", "goto": "egyptian"}, {"if": None, "goto": "practice"}]
    clock = Clock()
    session = Session(sealed, Identity("gus", "header"), open_store(store_url), clock=clock)
    session.start()
    session.go(session.route())  # Next from intro (no answer needed through the session)
    for _ in range(3):
        clock.tick(60)
        session.answer("add-like-v", "0.001")
    assert [e.data["kind"] for e in session.events if e.type == "flag_raised"] == ["stuck"]
    route = session.route()
    assert (route.to, route.reason, route.condition) == ("common-denominator", "remediation",
                                                        "needs_remediation('add-like')")
    session.go(route)
    assert session.events[-4].data == {"from": "practice", "to": "common-denominator", "rule": None,
                                       "condition": "needs_remediation('add-like')"}
    session.go(session.route())
    for _ in range(3):
        clock.tick(60)
        session.answer("add-like-v", "0.001")
    assert session.standing.needs_remediation("add-like")
    assert session.route().to == "practice"  # not a second time: the teacher's rules again


def test_guessing_and_hint_click_through_raise_flags_once(built, store_url):
    clock = Clock()
    session = Session(built.sealed, Identity("hal", "header"), open_store(store_url), mode="notebook", clock=clock)
    for _ in range(4):  # the first wrong answer is a try; the next three are guesses
        clock.tick(2)
        session.answer("which-equal", 0)
    # four wrong answers seconds apart: guessing, not help avoidance (a guess is not a try a hint
    # would help; unhurried wrong answers are, tests/test_flags.py)
    assert [e.data["kind"] for e in session.events if e.type == "flag_raised"] == ["rapid_guessing"]
    session.reveal_hint("add-like-v")
    session.answer("add-like-v", "0.001")
    session.reveal_hint("add-like-v")
    clock.tick(1)
    session.reveal_hint("add-like-v")
    flags = [e for e in session.events if e.type == "flag_raised"]
    assert flags[-1].data["kind"] == "hint_click_through" and flags[-1].check_id == "add-like-v"
    clock.tick(1)
    session.answer("which-equal", 0)  # still guessing: already flagged, not flagged again
    assert [f.kind for f in session.state.flags] == ["rapid_guessing", "hint_click_through"]


def test_a_due_review_is_offered_and_a_failed_one_takes_mastery_away(built, store_url):
    clock = Clock()
    session = Session(built.sealed, Identity("ivy", "header"), open_store(store_url), mode="page", clock=clock)
    session.start()
    for _ in range(3):  # three fresh items right, first try: mastered
        clock.tick(60)
        session.answer("add-like-v", right_sum(session.item("add-like-v")[1]["prompt"]))
        session._items.enter("practice", clock())  # what coming back to the step does
    assert session.standing.mastered("add-like") and session.due_reviews() == []
    clock.tick(60 * DAY)
    page = PageView(Session(built.sealed, Identity("ivy", "header"), open_store(store_url), clock=clock))
    assert page.session.due_reviews() == ["add-like"]
    assert "A short review is due: Review" in page.notice.value and page.review_button.layout.display is None
    page.review_button.click()
    assert page.session.current_step == "review"
    assert page.session.events[-3].data == {"from": "intro", "to": "review", "rule": None,
                                            "condition": "review due for 'add-like'"}
    mark = len(page.session.events)
    answer(page.checks[0], "0.5")
    assert types(page.session, mark) == ["answered", "review_done", "mastery_changed"]
    assert not page.session.standing.mastered("add-like") and page.session.skill_mastery("add-like").items == 0
    page.next_button.click()
    assert page.session.current_step == "intro"  # back where the review interrupted


def test_readable_forms_for_front_ends_without_widgets(built, store_url):
    session = Session(built.sealed, Identity("jo", "header"), open_store(store_url), mode="notebook", clock=Clock())
    view = CheckView(session, "which-equal")
    bundle = view._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == view.model_id  # the front end finds it
    for mime in ("text/markdown", "text/plain"):
        assert "Which fraction equals" in bundle[mime] and "- B. 3/6" in bundle[mime]
    choice = NextStepView(session, "egyptian")._repr_mimebundle_()["text/markdown"]
    assert "Pick a context" in choice and "- Music" in choice


def test_every_control_is_labelled_and_feedback_is_not_colour_alone(built, store_url):
    session = Session(built.sealed, Identity("kim", "header"), open_store(store_url), clock=Clock())
    page = PageView(session)
    seen = []

    def walk(widget):
        seen.append(widget)
        for child in getattr(widget, "children", ()):
            walk(child)

    answer(page.checks[0], 0)
    walk(page)
    for widget in seen:
        if type(widget).__name__ in ("Button", "Text", "RadioButtons", "Checkbox", "FloatProgress"):
            assert widget.description.strip(), f"{type(widget).__name__} without a label"
        if type(widget).__name__ == "Button":
            assert widget.tooltip
    feedback = page.checks[0].feedback.value
    assert 'role="status"' in feedback and "Not yet" in feedback and "lessonkit-icon" in feedback


def test_code_checks_are_honest_about_hidden_tests_and_never_show_test_code(tmp_path):
    code = build(tmp_path, CODE_CELLS, "loops")
    session = Session(code.sealed, Identity("lee", "header"), open_store(str(tmp_path / "p.sqlite")), clock=Clock())
    page = PageView(session)
    [view] = page.checks
    assert type(view.answer_input).__name__ == "CodeEditor" and "def sum_evens(n):" in view.answer_input.value
    assert "BEGIN SOLUTION" not in view.answer_input.value
    answer(view, "def sum_evens(n):\n    return sum(range(0, n - 1, 2))")
    feedback = view.feedback.value
    assert "Not yet" in feedback and "Check the end of your range" in feedback  # the teacher's message
    assert "assert" not in feedback and "Traceback" not in feedback and "sum_evens(5) ==" not in feedback
    answer(view, "def sum_evens(n):\n    return sum(i for i in range(0, n, 2))")
    feedback = view.feedback.value
    assert "Decided at grading" in feedback and "hidden test" in feedback and "2 points at stake" in feedback
    assert "Correct" not in feedback
    assert session.events[-1].data["pending"] is True and session.events[-1].data["evidence"] is None


def test_a_notebook_code_check_runs_the_visible_tests_on_the_students_namespace(tmp_path):
    code = build(tmp_path, CODE_CELLS, "loops")
    namespace: dict = {}
    session = Session(code.sealed, Identity("max", "os-user"), JsonlLog(tmp_path / "loops.progress.jsonl"),
                      mode="notebook", clock=Clock())
    view = CheckView(session, "sum-evens", namespace=lambda: namespace)
    assert view.prompt not in view.children  # the prompt is the markdown cell above
    view.check_button.click()
    assert "Not yet" in view.feedback.value  # nothing defined yet: the tests say what is missing
    exec("def sum_evens(n):\n    return sum(i for i in range(0, n, 2))", namespace)  # noqa: S102 - the student's cell
    view.check_button.click()
    assert "Decided at grading" in view.feedback.value
    assert session.events[-1].data["answer"] is None  # a namespace is judged, not stored


def test_a_lesson_without_an_end_step_finishes_and_stays_finished(tmp_path):
    code = build(tmp_path, CODE_CELLS[:-1], "loops")  # the last step is the code check's
    url = str(tmp_path / "p.sqlite")
    page = PageView(Session(code.sealed, Identity("ned", "header"), open_store(url), clock=Clock()))
    answer(page.checks[0], "def sum_evens(n):\n    return 0")
    assert page.next_button.description == "Finish" and "end of the lesson" in page.next_button.tooltip
    page.next_button.click()
    assert page.session.finished and "Finished" in page.body.children[0].value and page.progress.value == 1.0
    again = PageView(Session(code.sealed, Identity("ned", "header"), open_store(url), clock=Clock()))
    assert again.session.finished and again.checks == [] and again.next_button.layout.display == "none"


def test_the_what_next_panel_offers_the_way_on_again_after_a_loop_back(built, tmp_path):
    session = Session(built.sealed, Identity("olive", "os-user"), JsonlLog(tmp_path / "log.jsonl"), mode="notebook",
                      clock=Clock())
    practice = CheckView(session, "add-like-v")
    panel = NextStepView(session, "practice")
    answer(practice, right_sum(prompt(practice)))
    assert "Practice" in panel.message.value  # not mastered yet: the rules loop back for more
    mark = len(session.events)
    panel.buttons.children[0].click()
    assert new_events(session, mark)[0] == ("branch_taken", {"from": "practice", "to": "practice", "rule": 2,
                                                             "condition": None})
    assert [b.description for b in panel.buttons.children] == ["Continue"]  # back in the step: go on again
