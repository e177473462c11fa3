"""Code checks, per check: which tests fail most and how (``AssertionError``, ``NameError``,
``timeout``), with how many students hit each: what to reteach, read off the tests.

The player records each code-check answer's failed tests in the ``answered`` event's
``failed_tests`` (the test's number, the teacher's label: the ``assert``'s literal message,
and the kind of failure; never a test's source, and only tests the student can see:
hidden tests run at grading, not in the player).  Two ``GROUP BY`` queries count them.
"""

from __future__ import annotations

from dataclasses import dataclass

from lessonkit.progress.sql import SqlEventStore
from lessonkit.report.queries import LessonQuery

#: How many tests and error kinds are listed per check: the ones to act on, not a census.
TOP = 5

#: The kinds of failure that are not an exception's name, in the teacher's words.
MEANINGS = {
    "AssertionError": "the result was not the expected one",
    "timeout": "did not finish in time (a loop that never ends?)",
    "interrupted": "stopped by the student",
    "memory": "used too much memory",
    "output": "printed too much",
    "cpu": "used too much processor time",
    "exit": "ended the program",
    "stopped": "the run was stopped",
}


@dataclass(frozen=True)
class FailingTest:
    """A test of a check that ``students`` students failed, in ``answers`` answers in all."""

    test: int
    label: str | None  # the teacher's words for it, when the assert has a message
    students: int
    answers: int

    @property
    def name(self) -> str:
        return f"test {self.test}" + (f" \u201c{self.label}\u201d" if self.label else "")


@dataclass(frozen=True)
class ErrorKind:
    """A kind of failure (an exception's class name, ``timeout`` ...) and how many met it."""

    error: str
    students: int
    answers: int

    @property
    def meaning(self) -> str | None:
        return MEANINGS.get(self.error)


@dataclass(frozen=True)
class CodeCheckFailures:
    """A code check's most common failing tests and error kinds, most students first."""

    check_id: str
    students: int  # who answered the check at all
    tests: tuple[FailingTest, ...]
    errors: tuple[ErrorKind, ...]


def code_check_failures(store: SqlEventStore, lesson_id: str) -> tuple[CodeCheckFailures, ...]:
    """Every check with a failed test in the lesson's events, by check id."""
    q = LessonQuery(store, lesson_id)
    failed = f"""FROM events, {q.elements('failed_tests', 'events.failed_tests = 1')}
        WHERE events.lesson_id = :lesson AND events.type = 'answered' AND events.check_id IS NOT NULL
          AND events.failed_tests = 1 AND {q.is_object()}"""
    test, label, error = (q.integer("test", "item.value"), q.text("label", "item.value"),
                          q.text("error", "item.value"))
    by_test = q.rows(f"""
        SELECT events.check_id AS check_id, {test} AS test, {label} AS label,
               COUNT(DISTINCT events.student_id) AS students, COUNT(DISTINCT events.seq) AS answers
        {failed} GROUP BY events.check_id, {test}, {label}""")
    if not by_test:
        return ()
    by_error = q.rows(f"""
        SELECT events.check_id AS check_id, COALESCE({error}, 'error') AS error,
               COUNT(DISTINCT events.student_id) AS students, COUNT(DISTINCT events.seq) AS answers
        {failed} GROUP BY events.check_id, COALESCE({error}, 'error')""")
    answered = {r.check_id: int(r.students) for r in q.rows("""
        SELECT check_id, COUNT(DISTINCT student_id) AS students FROM events
        WHERE lesson_id = :lesson AND type = 'answered' AND check_id IS NOT NULL GROUP BY check_id""")}
    tests: dict[str, list[FailingTest]] = {}
    for r in by_test:
        tests.setdefault(r.check_id, []).append(
            FailingTest(int(r.test or 0), None if r.label is None else str(r.label), int(r.students), int(r.answers)))
    errors: dict[str, list[ErrorKind]] = {}
    for r in by_error:
        errors.setdefault(r.check_id, []).append(ErrorKind(str(r.error), int(r.students), int(r.answers)))
    return tuple(CodeCheckFailures(
        check, answered.get(check, 0),
        tuple(sorted(tests[check], key=lambda t: (-t.students, -t.answers, t.test, t.label or ""))[:TOP]),
        tuple(sorted(errors.get(check, ()), key=lambda e: (-e.students, -e.answers, e.error))[:TOP]),
    ) for check in sorted(tests))
