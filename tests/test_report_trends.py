"""The class over time and self-assessment in the report, from a simulated class driven through the
real player session over two days: skills mastered per day, where students left the lesson, which
theme they chose, their confidence against their answers and their goals.  Every count asserted
is one the simulation drove; SQLite and PostgreSQL must agree; the HTML must show it (a table
beside every plot) and render in Chromium."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from browser import serious_accessibility_violations
from test_player_lesson import Clock, build

from lessonkit.player.goals import set_goal
from lessonkit.player.identity import Identity
from lessonkit.player.session import Session
from lessonkit.progress import CONFIDENCE_GIVEN, open_store
from lessonkit.progress.selfassessment import confidence_event_data
from lessonkit.report import build_report, render_html, write_html
from lessonkit.report.trends import ChoiceCount, Day, StepReach

CELLS = [
    ("code", '''import lessonkit as lk
lk.lesson(id="sums", title="Summing lists", version="1", confidence=True,
    skills={"read": {"name": "Reading code", "prior": 0.5, "guess": 0.1, "slip": 0.1},
            "sum": {"name": "Summing a list", "requires": ["read"], "prior": 0.5, "guess": 0.1, "slip": 0.1}},
    mastery={"threshold": 0.6, "min_evidence": 1, "max_items": 4})'''),
    ("code", 'lk.step("warmup", kind="check", title="Warm-up")'),
    ("code", '''lk.check(id="what-sum", kind="single", prompt="sum([1, 2]) is", options=["2", "3"], answer="3",
    skills=["read"])'''),
    ("code", '''lk.branch(rules=[{"if": "mastered('read')", "goto": "pick"}, {"goto": "warmup"}])'''),
    ("code", 'lk.step("pick", title="Pick a theme")'),
    ("code", '''lk.choose(id="theme", prompt="Which theme?", options=[{"label": "Shop", "goto": "shop"},
    {"label": "Sport", "goto": "sport"}])'''),
    ("code", 'lk.step("sport", title="Scores")'),
    ("markdown", "A team's scores add up to its total."),
    ("code", 'lk.branch(rules=[{"goto": "shop"}])'),
    ("code", 'lk.step("shop", kind="check", title="The basket")'),
    ("code", 'lk.check(id="total", kind="code", prompt="Write `total(xs)`, the sum of a list.", skills=["sum"])'),
    ("code", '''def total(xs):
    ### BEGIN SOLUTION
    return sum(xs)
    ### END SOLUTION'''),
    ("code", '''assert total([1, 2]) == 3, "sums a list"
assert total([]) == 0, "an empty list sums to 0"'''),
    ("code", '''lk.branch(rules=[{"if": "mastered('sum')", "goto": "done"}, {"goto": "shop"}])'''),
    ("code", 'lk.step("done", kind="end", title="Done")'),
]

RIGHT = "def total(xs):\n    return sum(xs)\n"
DAY1 = 1_750_032_000.0  # 2025-06-16 00:00 UTC
DAY2 = DAY1 + 86_400 + 3_600


def confident(s: Session, check: str, level: int) -> None:
    """What the confidence buttons record as the answer is submitted."""
    s.note(CONFIDENCE_GIVEN, confidence_event_data(s.item(check)[0], level), check_id=check)


def warmup(s: Session, clock: Clock, answer: int, level: int | None) -> None:
    clock.tick()
    if level is not None:
        confident(s, "what-sum", level)
    s.answer("what-sum", answer)
    clock.tick()
    s.go(s.route())


def code(s: Session, clock: Clock, source: str) -> None:
    clock.tick(60)
    s.answer("total", source)
    clock.tick()
    s.go(s.route())


def to_the_basket(s: Session, clock: Clock, theme: str) -> None:
    clock.tick()
    s.choose(theme)
    if theme == "Sport":
        clock.tick()
        s.go(s.route())


#: Each student's lesson, as (day, what they do).  Index 1 of what-sum is "3", the right answer.
def amy(s, clock):
    set_goal(s, ["read", "sum"], date(2025, 6, 30), "enrichment")
    warmup(s, clock, 1, 3)
    to_the_basket(s, clock, "Shop")
    code(s, clock, RIGHT)


def bo(s, clock):
    warmup(s, clock, 1, 1)  # right, though "not sure"
    to_the_basket(s, clock, "Shop")
    code(s, clock, RIGHT)


def cal(s, clock):
    set_goal(s, ["sum"], None, "core")
    warmup(s, clock, 1, 3)
    to_the_basket(s, clock, "Sport")
    code(s, clock, "def total(xs):\n    return summ(xs)\n")  # NameError on both tests
    code(s, clock, "def total(xs):\n    return 0\n")  # the first test's assertion is false


def dee(s, clock):
    warmup(s, clock, 0, 3)  # wrong, though "very sure"; she leaves on the warm-up


def eli(s, clock):
    clock.now = DAY2  # opens the lesson on day 1, works the next day
    warmup(s, clock, 1, None)
    to_the_basket(s, clock, "Shop")
    code(s, clock, "def total(xs):\n    return xs[0] + xs[1]\n")  # IndexError on the empty list


CLASS = {"amy": amy, "bo": bo, "cal": cal, "dee": dee, "eli": eli}


def simulate(sealed: dict, url: str, students: dict = CLASS) -> None:
    with open_store(url) as store:
        for n, (student, behave) in enumerate(students.items()):
            clock = Clock(DAY1 + 600 * n)
            session = Session(sealed, Identity(student, "header"), store, clock=clock)
            session.start()
            behave(session, clock)


@pytest.fixture(scope="module")
def sealed(tmp_path_factory):
    return build(tmp_path_factory.mktemp("lesson"), CELLS, name="sums").sealed


@pytest.fixture(scope="module")
def sqlite_url(sealed, tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'progress.sqlite'}"
    simulate(sealed, url)
    return url


@pytest.fixture(scope="module")
def report(sqlite_url):
    return build_report(sqlite_url, "sums")


def test_skills_mastered_per_day(report):
    # day 1: "read" by amy, bo and cal, "sum" by amy and bo; day 2: eli's "read"
    assert report.trends.days == (Day("2025-06-16", 5), Day("2025-06-17", 1))
    assert report.grid["eli"]["read"].status == "mastered" and report.grid["dee"]["read"].status == "practising"


def test_where_students_leave_the_lesson(report):
    steps = {s.step: s for s in report.trends.steps}
    # in the order students meet them: sport, which only cal saw, where she saw it
    assert [s.step for s in report.trends.steps] == ["warmup", "pick", "sport", "shop", "done"]
    assert steps["warmup"] == StepReach("warmup", "check", 5, 1)  # dee
    assert steps["shop"] == StepReach("shop", "check", 4, 2)  # cal and eli, still on their code
    assert steps["sport"] == StepReach("sport", "content", 1, 0)
    assert steps["done"] == StepReach("done", "end", 2, 0)
    assert report.trends.unfinished == 3 == sum(not p.finished for p in report.per_student)


def test_which_choice_branches_students_pick(report):
    [theme] = report.trends.choices
    assert theme.choice == "theme" and theme.step == "pick" and theme.times == 4
    assert theme.options == (ChoiceCount("Shop", 3, 3), ChoiceCount("Sport", 1, 1))


def test_calibration_pairs_confidence_with_the_answer_it_was_about(report, sqlite_url):
    from lessonkit.progress.selfassessment import class_selfassessment

    sa = report.selfassessment
    assert [(lv.level, lv.answers, lv.right) for lv in sa.levels] == [(1, 1, 1), (3, 3, 2)]
    verdicts = {c.student: c.verdict for c in sa.students}
    assert verdicts == {"amy": "well calibrated", "bo": "under-confident", "cal": "well calibrated",
                        "dee": "over-confident"}
    # the student's own view (folded in Python) counts the same
    with open_store(sqlite_url) as store:
        mine = {s.student_id: s.calibration.levels for s in class_selfassessment(store, "sums") if s.calibration.answers}
    assert mine == {c.student: {lv.level: (lv.answers, lv.right) for lv in c.levels} for c in sa.students}
    assert sa.brier == pytest.approx(((1 - 0.4) ** 2 + 2 * (1 - 0.95) ** 2 + 0.95 ** 2) / 4)


def test_who_set_which_goal(report):
    goals = {g.student: g for g in report.selfassessment.goals}
    assert set(goals) == {"amy", "cal"}
    assert goals["amy"].skills == ("read", "sum") and goals["amy"].by == "2025-06-30"
    assert goals["amy"].level == "with enrichment" and goals["amy"].mastered == 2
    assert goals["cal"].skills == ("sum",) and goals["cal"].by is None and goals["cal"].mastered == 0


def test_the_html_shows_the_trends_with_tables_and_alt_text(report):
    text = render_html(report)
    for heading in ("The class over time", "Skills mastered per day", "Where students leave the lesson",
                    "Choices students made", "Self-assessment", "Goals"):
        assert heading in text, heading
    assert "<td>Sport</td>" in text and "2025-06-17" in text
    assert '">Bar chart of skills first mastered per day: 2025-06-16 5; 2025-06-17 1.</desc>' in text
    assert "<title>2025-06-16, skills first mastered: 5</title>" in text  # each bar says its value
    assert "over-confident" in text and "with enrichment" in text


def test_the_same_trends_from_sqlite_and_postgresql(sealed, report, postgres_url):
    simulate(sealed, postgres_url)
    from_pg = build_report(postgres_url, "sums")
    assert (from_pg.trends, from_pg.selfassessment, from_pg.code_checks) == (
        report.trends, report.selfassessment, report.code_checks)


def test_a_lesson_without_any_of_it_shows_none_of_it(tmp_path):
    from lessonkit.progress import ANSWERED, Event
    from lessonkit.progress.jsonl import JsonlLog

    log = tmp_path / "events.jsonl"  # a log, not SQL: copied into memory, once
    JsonlLog(log).append_many([Event("l", "zed", ANSWERED, ts=DAY1, step_id="s", check_id="c",
                                     data={"answer": "x", "correct": False, "attempt": 1})])
    report = build_report(str(log), "l")
    assert report.trends.choices == () and report.trends.days == ()
    assert report.selfassessment.levels == () and report.code_checks == ()
    text = render_html(report)
    assert "Choices students made" not in text and "Self-assessment" not in text and "No skill mastered yet" in text


@pytest.mark.slow
def test_the_trends_in_chromium(report, page, tmp_path):
    path = write_html(report, tmp_path / "report.html")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(path.as_uri() + "#trends")
    assert page.locator("section[aria-labelledby=trends] figure svg[role=img]").count() >= 3
    assert not serious_accessibility_violations(page)
    page.locator("#trends").scroll_into_view_if_needed()
    shot = tmp_path / "trends.png"
    page.screenshot(path=str(shot), full_page=False)
    shutil.copy(shot, "/tmp/lessonkit-report-trends.png")
    assert shot.stat().st_size > 10_000
