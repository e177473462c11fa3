"""Code checks as a student sees them: the teacher's tests, run, and failures explained.

A code check is a solution cell and a test cell, as in nbgrader (docs/authoring.md), split
into numbered tests by :mod:`~lessonkit.engine.testcells`.  A failing test gets one plain
sentence, never a traceback (architecture §6): the teacher's feedback for it, else its
``assert`` message, else a summary such as ``sum_evens(5) returned 4, expected 6``.  A hidden
test's source never appears in what a student is told.

Tests run either in the student's own namespace (:func:`run_tests`: their kernel in
JupyterLab) or in a contained child process (:func:`run_tests_contained`: a server running
a page's code check).  The child gets the source of :mod:`~lessonkit.engine.testrunner`
(which runs each test, and says what the runner defends and what it does not) and runs it
as a plain script, after the guard's, which is why both import only the standard library:
the child must not be able to import lessonkit, nor need to.  What a student reads of each
result is put in words in the parent, by :mod:`~lessonkit.engine.testresults`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from lessonkit.engine import guard, testrunner
from lessonkit.engine.testcells import CodeTestsError, TestSuite, split_tests
from lessonkit.engine.testresults import TestResult, explain
from lessonkit.engine.testrunner import STATUSES, Outcome, TestCase, clip, run_one, silenced

if TYPE_CHECKING:
    from lessonkit.engine.sandbox import Limits

__all__ = ["CodeTestsError", "TestCase", "TestResult", "TestSuite", "run_tests", "run_tests_contained", "split_tests"]


def run_tests(
    namespace: dict[str, Any],
    tests: Sequence[TestCase],
    *,
    feedback: Mapping[int, str] = {},
    timeout: float = 5.0,
) -> list[TestResult]:
    """Run ``tests`` in order in ``namespace`` (the student's), never raising.

    Each test gets ``timeout`` seconds, enforced with ``SIGALRM`` in the main thread; from
    another thread (where signals cannot be delivered) tests run without a time limit.
    Whatever the student's code prints is swallowed: a check shows results only, and under
    nbgrader any stderr output would zero the grade cell.  Names a test assigns stay in
    ``namespace``, so a later test can use them.  After a ``KeyboardInterrupt`` (the
    student stopping the kernel) the remaining tests are not run.
    """
    results = []
    interrupted = False
    with silenced():
        for test in tests:
            outcome = Outcome(test.number, "interrupted") if interrupted else run_one(namespace, test, timeout)
            interrupted = outcome.status == "interrupted"
            results.append(explain(test, outcome, feedback, timeout))
    return results


def run_tests_contained(
    student_source: str,
    tests: Sequence[TestCase],
    *,
    feedback: Mapping[int, str] = {},
    limits: Limits | None = None,
    timeout: float = 5.0,
    setup: str = "",
    files: Mapping[str, bytes] = {},
) -> list[TestResult]:
    """Run ``setup``, the student's code, then ``tests``, in a contained child (:func:`~lessonkit.engine.sandbox.run_python`).

    For a server (a page's code check): the same results as :func:`run_tests` would give
    in a fresh namespace, with ``limits`` (default :class:`~lessonkit.engine.sandbox.Limits()`)
    on the whole run and ``timeout`` on each test.  The child is the test runner's source run
    as a script; tests go in on stdin, results come back on the sandbox's results channel,
    one JSON line per event, read strictly in order.  When the child does not finish (a
    loop, ``os._exit``, a crash), the tests without a result fail with the plain reason,
    e.g. "your code did not finish within 10 s".  An error in the student's own code is
    the message of every test that then fails, with its line in their code.  ``setup`` is
    what the student's kernel would have run first (the lesson's example code), kept apart
    so that those line numbers stay the student's own.  ``files`` (relative path to
    contents: the lesson's data files) are put in the child's working directory.
    """
    from lessonkit.engine.sandbox import Limits, run_python

    limits = limits or Limits()
    job = {
        "lessonkit_guard": _source(guard.__file__),
        "lessonkit_checker": _source(testrunner.__file__),
        "setup": setup,
        "student": student_source,
        "tests": [asdict(test) for test in tests],
        "timeout": timeout,
    }
    run = run_python(_BOOTSTRAP, stdin=json.dumps(job), files=files, limits=limits, channel=True)
    try:
        load_error, outcomes = _read_channel(run.channel, tests)
        unfinished = _why_unfinished(run.returncode, run.killed_reason, limits)
    except ValueError:
        load_error, outcomes, unfinished = None, [], _UNREADABLE
    results = [explain(test, outcome, feedback, timeout, load_error) for test, outcome in zip(tests, outcomes)]
    stopped = _stopped_kind(run.returncode, run.killed_reason) if unfinished != _UNREADABLE else "stopped"
    results += [TestResult(test.number, False, unfinished, stopped) for test in tests[len(outcomes) :]]
    return results


# --- the contained child, from the parent's side ------------------------------------------

_BOOTSTRAP = (
    "import json, sys, types\n"
    "job = json.loads(sys.stdin.read())\n"
    "for name in ('lessonkit_guard', 'lessonkit_checker'):\n"
    "    module = sys.modules[name] = types.ModuleType(name)\n"
    "    exec(compile(job.pop(name), name, 'exec'), module.__dict__)\n"
    "module.serve(job, int(sys.argv[1]))\n"
)
"""The child's whole program: run the guard's source and the test runner's (sent on stdin), then serve the job."""

_UNREADABLE = "the check could not read the results of your code"


def _source(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _read_channel(text: str, tests: Sequence[TestCase]) -> tuple[str | None, list[Outcome]]:
    """Parse the child's events strictly: a ``loaded`` line, then outcomes in test order.

    Returns the student's code's error (or ``None``) and the outcomes received, which may
    be fewer than the tests if the child stopped.  Anything else (what a tampering student
    would have to get exactly right) raises ``ValueError``.
    """
    complete = text[: text.rfind("\n") + 1]  # a line cut off by a kill is not an event
    try:
        events = [json.loads(line) for line in complete.splitlines()]
        if not events:
            return None, []
        load_error = events[0]["loaded"]
        outcomes = [Outcome(**event) for event in events[1:]]
    except (TypeError, KeyError) as error:
        raise ValueError(f"unexpected event: {error}") from None
    if not (load_error is None or isinstance(load_error, str)) or len(outcomes) > len(tests):
        raise ValueError("unexpected first event or too many outcomes")
    for test, outcome in zip(tests, outcomes):
        if outcome.number != test.number or outcome.status not in STATUSES:
            raise ValueError(f"unexpected outcome for test {test.number}")
    cleaned = [Outcome(o.number, o.status, clip(str(o.summary)), str(o.error)[:60]) for o in outcomes]
    return (clip(load_error) if load_error else None), cleaned


def _stopped_kind(returncode: int, killed_reason: str | None) -> str:
    """:attr:`TestResult.error` for the tests a contained run never reached (see :func:`_why_unfinished`)."""
    if killed_reason in ("timeout", "memory", "output", "cpu"):
        return killed_reason
    return "exit" if not killed_reason and returncode else "stopped"


def _why_unfinished(returncode: int, killed_reason: str | None, limits: Limits) -> str:
    """Why a contained run stopped before every test had a result, in a student's words."""
    if killed_reason == "timeout":
        return f"your code did not finish within {limits.timeout:g} s (an infinite loop?)"
    if killed_reason == "memory":
        return f"your code used more memory than allowed ({limits.memory_mb} MB)"
    if killed_reason == "output":
        return f"your code printed more than the {limits.output_bytes:,} bytes allowed"
    if killed_reason == "cpu":
        return f"your code used more than {limits.cpu_seconds} s of processor time"
    if killed_reason:
        return f"your code was stopped ({killed_reason})"
    if returncode:
        return f"your code ended the program (exit code {returncode})"
    return _UNREADABLE
