"""The words a student reads for each test: the teacher's, or a summary that shows no hidden source.

Run in the parent (never in the contained child), so that what a hidden test may say is
decided here, from an outcome's status and exception name alone, whatever the child sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from lessonkit.engine.testrunner import Outcome, TestCase, took_too_long


@dataclass(frozen=True)
class TestResult:
    """How one test went; ``message`` (for a failure) is what the student reads.

    ``error`` is what kind of failure it was, for the teacher's report: ``AssertionError``
    (a false assertion), the class name of the exception raised, ``timeout``,
    ``interrupted``, or why a contained run was stopped (``memory``, ``output``, ``cpu``,
    ``exit``, ``stopped``).  Never a test's source or an exception's text; left out of
    comparisons, which are about what the student is told.
    """

    __test__ = False

    number: int
    passed: bool
    message: str | None = None
    error: str | None = field(default=None, compare=False)


def explain(
    test: TestCase,
    outcome: Outcome,
    feedback: Mapping[int, str],
    timeout: float,
    load_error: str | None = None,
) -> TestResult:
    """Put an outcome into the words the student reads.

    Order: an error in the student's own code (contained runs), the teacher's feedback for
    the test, the test's literal ``assert`` message (for a false assertion), then the
    summary.  For a hidden test the summary is rebuilt here from the status and the
    exception's name alone, so no hidden source can reach it, whatever the child sent.
    """
    status = outcome.status
    if status == "passed":
        return TestResult(test.number, True)
    if status == "interrupted":
        message = "the check was interrupted before this test finished"
    elif status in ("failed", "error") and (load_error or test.number in feedback):
        message = load_error or feedback[test.number]
    elif status == "failed" and test.message:
        message = test.message
    elif test.hidden or not outcome.summary:
        message = _summary_without_source(status, outcome.error, timeout, test.hidden)
    else:
        message = outcome.summary
    return TestResult(test.number, False, message, _error_kind(outcome))


def _error_kind(outcome: Outcome) -> str:
    """The failure's kind for :attr:`TestResult.error`.  A contained child reports the exception's
    name itself, so anything that is not a plain class name is just ``error``."""
    if outcome.status == "failed":
        return "AssertionError"
    if outcome.status == "error":
        return outcome.error if outcome.error.isidentifier() else "error"
    return outcome.status


def _summary_without_source(status: str, error: str, timeout: float, hidden: bool) -> str:
    """A failure in words from its kind and exception name alone (all a hidden test may say)."""
    failed = "a hidden test failed" if hidden else "this test failed"
    if status == "timeout":
        return f"{failed}: {took_too_long('your code', timeout)}"
    if status == "error":
        return f"{failed}: your code raised {error if error.isidentifier() else 'an error'}"
    return f"{failed}: a result was not the expected one"
