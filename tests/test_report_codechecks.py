"""Code checks in the report: which tests fail most and how, from a class whose code was run by the
real contained test runner through the real player session.  Each student's mistake is known, so
the counts are; the events must name tests and error kinds, never a hidden test or a test's source."""

from __future__ import annotations

import json

import pytest
from test_player_lesson import Clock, build
from test_report_trends import CELLS, DAY1, RIGHT

from lessonkit.player.identity import Identity
from lessonkit.player.session import Session
from lessonkit.progress import open_store
from lessonkit.report import build_report, render_html
from lessonkit.report.codechecks import ErrorKind, FailingTest

HIDDEN = "assert total([-1, 1]) == 0, 'SECRET-HIDDEN-LABEL'"
#: the lesson of test_report_trends, with a hidden test: the player never runs it
WITH_HIDDEN = [(kind, source + f"\n### BEGIN HIDDEN TESTS\n{HIDDEN}\n### END HIDDEN TESTS"
                if source.startswith("assert total([1, 2])") else source) for kind, source in CELLS]

#: What each student submits, in order (the first test is "sums a list", the second "an empty list sums to 0").
CODE = {
    "ann": [RIGHT],
    "ben": ["def total(xs):\n    return summ(xs)\n",  # NameError in both tests
            "def total(xs):\n    return 0\n"],  # the first test's assertion is false
    "col": ["def total(xs):\n    return xs[0] + xs[1]\n"],  # IndexError in the second
    "dot": ["def total(xs):\n    return xs[0] + xs[1]\n", "def total(xs):\n    return xs[0] + xs[1]\n"],  # twice
    "eve": ["def total(xs):\n    while True:\n        pass\n"],  # never finishes: both tests time out
}


def simulate(sealed: dict, url: str) -> None:
    with open_store(url) as store:
        for n, (student, answers) in enumerate(CODE.items()):
            clock = Clock(DAY1 + 600 * n)
            s = Session(sealed, Identity(student, "header"), store, clock=clock)
            s.start()
            s.answer("what-sum", 1)
            s.go(s.route())
            s.choose("Shop")
            for source in answers:
                clock.tick(60)
                s.answer("total", source)


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory):
    sealed = build(tmp_path_factory.mktemp("lesson"), WITH_HIDDEN, name="sums").sealed
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'progress.sqlite'}"
    simulate(sealed, url)
    return url


@pytest.fixture(scope="module")
def report(sqlite_url):
    return build_report(sqlite_url, "sums")


def test_the_events_name_failed_tests_and_error_kinds_only(sqlite_url):
    with open_store(sqlite_url) as store:
        answers = [e for e in store.lesson_events("sums") if e.type == "answered" and e.check_id == "total"]
    failed = {(e.student_id, e.data["attempt"]): e.data.get("failed_tests") for e in answers}
    assert failed[("ann", 1)] is None  # passed: nothing to name (the hidden test waits for grading)
    assert failed[("ben", 1)] == [{"test": 1, "label": "sums a list", "error": "NameError"},
                                  {"test": 2, "label": "an empty list sums to 0", "error": "NameError"}]
    assert failed[("ben", 2)] == [{"test": 1, "label": "sums a list", "error": "AssertionError"}]
    assert failed[("eve", 1)] == [{"test": 1, "label": "sums a list", "error": "timeout"},
                                  {"test": 2, "label": "an empty list sums to 0", "error": "timeout"}]
    logged = json.dumps([e.data for e in answers])
    assert "SECRET-HIDDEN-LABEL" not in logged and "total([])" not in logged  # no hidden test, no test source


def test_most_common_failing_tests_and_error_kinds(report):
    [total] = report.code_checks
    assert total.check_id == "total" and total.students == 5
    assert total.tests == (FailingTest(2, "an empty list sums to 0", 4, 5),  # ben, col, dot (twice), eve
                           FailingTest(1, "sums a list", 2, 3))  # ben (twice), eve
    assert total.errors == (ErrorKind("IndexError", 2, 3), ErrorKind("AssertionError", 1, 1),
                            ErrorKind("NameError", 1, 1), ErrorKind("timeout", 1, 1))
    assert total.tests[0].name == "test 2 \u201can empty list sums to 0\u201d"


def test_the_html_lists_them_for_the_teacher(report):
    text = render_html(report)
    assert 'id="code">Code checks: what fails' in text and '<a href="#code">' in text
    assert "test 2 \u201can empty list sums to 0\u201d" in text
    assert "<code>timeout</code> <span class=\"muted\">did not finish in time" in text
    assert "SECRET-HIDDEN-LABEL" not in text


def test_a_label_is_escaped_and_a_forged_error_kind_is_just_text(tmp_path):
    """The events are the student's own log: whatever a tampered one says stays text in the report."""
    from lessonkit.progress import ANSWERED, Event
    from lessonkit.progress.jsonl import JsonlLog

    log = tmp_path / "events.jsonl"
    JsonlLog(log).append_many([
        Event("l", "zed", ANSWERED, ts=DAY1, step_id="s", check_id="c", data={
            "answer": "x", "correct": False, "attempt": 1,
            "failed_tests": [{"test": 1, "label": "<b>bold</b>", "error": "<script>x</script>"}, "not an object"]}),
        Event("l", "zed", ANSWERED, ts=DAY1 + 1, step_id="s", check_id="c", data={
            "answer": "y", "correct": False, "attempt": 2, "failed_tests": {"not": "a list"}}),
    ])
    report = build_report(str(log), "l")
    assert report.code_checks[0].tests == (FailingTest(1, "<b>bold</b>", 1, 1),)
    text = render_html(report)
    assert "&lt;b&gt;bold&lt;/b&gt;" in text and "<script>x" not in text
