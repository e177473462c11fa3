"""Code checks as a student sees them: the teacher's tests, run, and failures explained.

A code check is a solution cell and a test cell, as in nbgrader (docs/authoring.md).  Each
top-level statement of the test cell is one test, numbered from 1 over the whole cell, so
a teacher's ``feedback=[{"test": 2, ...}]`` keeps meaning the same test whether or not the
hidden ones are present.  A failing test gets one plain sentence, never a traceback (architecture
§6): the teacher's feedback for it, else its ``assert`` message, else a summary such as
``sum_evens(5) returned 4, expected 6``.  A hidden test's source never appears in what a
student is told.

Tests run either in the student's own namespace (:func:`run_tests`: their kernel in
JupyterLab) or in a contained child process (:func:`run_tests_contained`: a server running
a page's code check).  The child gets this module's own source and runs it as a plain
script, after the guard's, which is why both import only the standard library at the top:
the child must not be able to import lessonkit, nor need to.

What the runner defends, and what it does not.  Tests are judged by the guard that the
grader's kernels use too (:mod:`lessonkit.engine.guard`): each test is evaluated with the real
builtins (as they were when the guard was loaded), so a student who rebinds ``sum``, ``len``
or ``sorted``, in their namespace or in the ``builtins`` module, does not change what the
teacher's test computes, while their own functions still see their own names; and the test's
comparisons refuse a value that decides them with its own code against a value of another
type (an ``__eq__`` that always says yes).  Prints are swallowed and results travel on a pipe
of their own, so printed text cannot forge a pass.  Not defended: student code that, sharing
the process with the tests, goes after the runner on purpose (patching this module or the
guard, cancelling the timer, writing to the results pipe, reading the tests from memory).
So a contained run is a wall around the server, not a secrecy boundary: send hidden tests
only where the student does not see the messages soon (grading), never to a page.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import json
import reprlib
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from types import CodeType, FrameType
from typing import TYPE_CHECKING, Any

try:
    from lessonkit.engine import guard
    from lessonkit.errors import LessonkitError
except ImportError:  # in the contained child, which runs this source with the standard library alone
    import lessonkit_guard as guard  # type: ignore[import-not-found, no-redef]  # the bootstrap ran its source

    class LessonkitError(Exception):  # type: ignore[no-redef]
        pass

if TYPE_CHECKING:
    from lessonkit.engine.sandbox import Limits


_SOURCES = {"setup": ("<lesson code>", "the lesson's code before this check"), "student": ("<your code>", "your code")}
"""What the child runs before the tests, in order: file name (for line numbers), and who wrote it."""
_REFIRE_S = 0.1  # a timeout swallowed by a bare ``except:`` is raised again this often
_SHOWN_CHARS = 80
_MESSAGE_CHARS = 300
_GUARD = guard.Guard()  # the builtins tests are judged with, taken before student code runs
_OWN_GLOBALS = globals()  # tells this module's frames from the student's and the tests'


class CodeTestsError(LessonkitError, ValueError):
    """A teacher's test or solution cell cannot be used as written; the message names the line."""


@dataclass(frozen=True)
class TestCase:
    """One test: a top-level statement of the test cell.

    ``message`` is the ``assert``'s message when it is a literal string, the teacher's own
    words for a failure.
    """

    __test__ = False  # not a pytest class

    number: int
    source: str
    hidden: bool = False
    message: str | None = None


@dataclass(frozen=True)
class TestSuite:
    """The tests of one cell, in order, and the cell as students get it."""

    __test__ = False

    tests: tuple[TestCase, ...]
    visible_source: str  # the cell without its hidden region (markers included), as nbgrader clears it

    @property
    def visible(self) -> tuple[TestCase, ...]:
        return tuple(test for test in self.tests if not test.hidden)

    @property
    def hidden(self) -> tuple[TestCase, ...]:
        return tuple(test for test in self.tests if test.hidden)


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


# --- the teacher's cells ----------------------------------------------------------------


def split_tests(test_source: str) -> TestSuite:
    """Parse a test cell into numbered tests, marking those in the hidden region.

    Markers are found as nbgrader finds them (the words anywhere in a line).  Raises
    :class:`CodeTestsError` for unbalanced markers, a syntax error, or a statement that
    straddles a marker.
    """
    from lessonkit.format.markers import (  # not at the top: the child runs this file
        MarkerError,
    )
    from lessonkit.format.markers import hidden_lines as marked

    lines = test_source.split("\n")
    try:
        hidden_lines = marked(test_source)
    except MarkerError as error:
        raise CodeTestsError(str(error)) from None
    try:
        tree = ast.parse(test_source)
    except SyntaxError as error:
        raise CodeTestsError(f"line {error.lineno}: the test cell has a syntax error: {error.msg}") from None
    tests = []
    for number, statement in enumerate(tree.body, 1):
        first = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", ()))])
        last = statement.end_lineno or first
        hidden = first in hidden_lines
        if any((line in hidden_lines) != hidden for line in range(first, last + 1)):
            raise CodeTestsError(f"line {first}: test {number} runs across a hidden-tests marker")
        if first < statement.lineno:  # decorated: the decorators are part of the test
            source = "\n".join(lines[first - 1 : last])
        else:
            source = ast.get_source_segment(test_source, statement) or ""
        message = None
        if isinstance(statement, ast.Assert) and isinstance(statement.msg, ast.Constant):
            message = statement.msg.value if isinstance(statement.msg.value, str) else None
        tests.append(TestCase(number, source, hidden, message))
    visible = "\n".join(line for number, line in enumerate(lines, 1) if number not in hidden_lines)
    return TestSuite(tuple(tests), visible)


# --- running tests ----------------------------------------------------------------------


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
    with _silenced():
        for test in tests:
            outcome = _Outcome(test.number, "interrupted") if interrupted else _run_one(namespace, test, timeout)
            interrupted = outcome.status == "interrupted"
            results.append(_result(test, outcome, feedback, timeout))
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
    on the whole run and ``timeout`` on each test.  The child is this module's source run
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
        "lessonkit_checker": _source(__file__),
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
    results = [_result(test, outcome, feedback, timeout, load_error) for test, outcome in zip(tests, outcomes)]
    stopped = _stopped_kind(run.returncode, run.killed_reason) if unfinished != _UNREADABLE else "stopped"
    results += [TestResult(test.number, False, unfinished, stopped) for test in tests[len(outcomes) :]]
    return results


# --- one test ---------------------------------------------------------------------------


class _Timeout(BaseException):
    """Raised inside the student's code when a test's time is up (not an ``Exception``,
    so ``except Exception`` in their code does not swallow it)."""


@dataclass(frozen=True)
class _Outcome:
    """What happened in one test, before it is put into words for the student.

    ``status`` is ``passed``, ``failed`` (the test's assertion was false), ``error`` (an
    exception, type name in ``error``), ``timeout`` or ``interrupted``.  ``summary`` is the
    plain sentence for a visible test; hidden tests never get one.
    """

    number: int
    status: str
    summary: str = ""
    error: str = ""


_STATUSES = ("passed", "failed", "error", "timeout", "interrupted")


@dataclass(frozen=True)
class _Side:
    """One side of a test's assertion: its code, its text, and whether it is a call."""

    code: CodeType
    text: str
    is_call: bool

    @property
    def name(self) -> str:
        """How a summary names it: its own text if short (a visible test's text is no secret)."""
        return self.text if len(self.text) <= 60 and "\n" not in self.text else "your code"

    def said(self, shown: str) -> str:
        """``f(5) returned 4``, ``total is 4``, or ``the result was 4`` for long expressions."""
        if self.name != self.text:
            return f"the result was {shown}"
        return f"{self.text} {'returned' if self.is_call else 'is'} {shown}"


@dataclass(frozen=True)
class _Plan:
    """A test, taken apart so each side of its assertion is evaluated, and described, once.

    ``assert LEFT op RIGHT`` keeps both sides, the student's one as ``subject`` (the left,
    unless the left is a literal: ``assert 6 == f(5)``); ``assert X`` or ``assert not X``
    keeps X and whether it must be true; anything else runs as a whole (``statement``).
    """

    statement: CodeType
    subject: _Side | None = None
    expected: _Side | None = None
    symbol: str | None = None  # the comparison, for :func:`lessonkit.engine.guard.compare`
    expectation: str = ""  # "expected {}", "expected more than {}", ...
    expect_true: bool = True
    subject_first: bool = True  # Python evaluates the left side first; so do we
    message: CodeType | None = None  # an assert message that is an expression (an f-string)


_EXPECTATIONS: dict[str, tuple[str, str]] = {
    # the expectation when the student's side is on the left, on the right
    "==": ("expected {}", "expected {}"),
    "!=": ("expected anything but {}", "expected anything but {}"),
    "<": ("expected less than {}", "expected more than {}"),
    "<=": ("expected at most {}", "expected at least {}"),
    ">": ("expected more than {}", "expected less than {}"),
    ">=": ("expected at least {}", "expected at most {}"),
    "is": ("expected {}", "expected {}"),
    "is not": ("expected anything but {}", "expected anything but {}"),
    "in": ("expected one of {}", "expected it to contain {}"),
    "not in": ("expected none of {}", "expected it not to contain {}"),
}


def _plan(test: TestCase) -> _Plan:
    filename = f"<test {test.number}>"
    tree = ast.parse(test.source)
    statement = compile(guard.rewrite(ast.parse(test.source)), filename, "exec")
    node = tree.body[0] if len(tree.body) == 1 else None
    if not isinstance(node, ast.Assert):
        return _Plan(statement)

    def side(expression: ast.expr) -> _Side:
        text = ast.get_source_segment(test.source, expression) or ast.unparse(expression)
        code = compile(guard.rewrite(ast.Expression(expression)), filename, "eval")
        return _Side(code, text, isinstance(expression, ast.Call))

    message = None
    if node.msg is not None and not isinstance(node.msg, ast.Constant):
        message = side(node.msg).code
    condition, expect_true = node.test, True
    if isinstance(condition, ast.UnaryOp) and isinstance(condition.op, ast.Not):
        condition, expect_true = condition.operand, False
    if not (isinstance(condition, ast.Compare) and len(condition.ops) == 1 and expect_true):
        return _Plan(statement, side(condition), expect_true=expect_true, message=message)
    symbol = guard.SYMBOLS[type(condition.ops[0])]
    on_left, on_right = _EXPECTATIONS[symbol]
    left, right = condition.left, condition.comparators[0]
    if isinstance(left, ast.Constant) and not isinstance(right, ast.Constant):
        return _Plan(statement, side(right), side(left), symbol, on_right, subject_first=False, message=message)
    return _Plan(statement, side(left), side(right), symbol, on_left, message=message)


def _run_one(namespace: dict[str, Any], test: TestCase, timeout: float) -> _Outcome:
    """Run one test in the guard's copy of ``namespace``, then write its names back (not the
    builtins the guard put there)."""
    try:
        plan = _plan(test)
    except SyntaxError as error:
        return _Outcome(test.number, "error", f"the test could not be read: {error.msg}", "SyntaxError")
    scope = _GUARD.scope(namespace)
    subject = plan.subject.name if plan.subject else "your code"
    doing = [subject]  # what is running, to name it if the time runs out
    outcome, fired = _with_time_limit(lambda: _evaluate(plan, scope, test, doing), timeout)
    if outcome is None:
        outcome = _Outcome(test.number, "timeout", _took_too_long(doing[0], timeout))
    elif fired:  # out of time, though the student's code swallowed the timeout and went on
        outcome = _Outcome(test.number, "timeout", _took_too_long(subject, timeout))
    for name, value in scope.items():
        if name in _GUARDS_OWN or value is _GUARD.pristine.get(name, _MISSING):
            continue
        if namespace.get(name, _MISSING) is not value:
            namespace[name] = value
    for name in [name for name in namespace if name not in scope]:
        del namespace[name]
    return replace(outcome, summary="") if test.hidden else outcome


_MISSING = object()
_COMPARING = "comparing the results"
_GUARDS_OWN = frozenset({"__builtins__", guard.COMPARE})


def _with_time_limit(run: Callable[[], _Outcome], seconds: float) -> tuple[_Outcome | None, bool]:
    """``run()`` with ``SIGALRM`` raising :class:`_Timeout` in it after ``seconds``.

    Returns the outcome (``None`` if the time ran out just after ``run`` returned) and
    whether the time ran out at all.  Student code can catch the timeout (a bare
    ``except:`` in a loop), so the timer keeps firing every ``_REFIRE_S``, and from the
    second time on a trace function raises it again at every line of code that is not
    this module's, which pushes it out of any number of nested ``try`` blocks.  Disarming
    is the first thing done after ``run`` on every path and the handlers check it, so a
    late signal cannot escape to the caller.  The previous handler, timer and trace
    function (a debugger's, coverage's) are put back.
    """
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        return run(), False
    state = {"armed": True, "fired": False}
    earlier_trace = sys.gettrace()

    def stop(frame: FrameType, event: str, arg: object) -> Callable[..., Any] | None:
        if not state["armed"] or frame.f_globals is _OWN_GLOBALS:
            return None
        if event == "exception":  # raising here would only replace the timeout being raised
            return stop
        raise _Timeout

    def expire(signum: int, frame: FrameType | None) -> None:
        if not state["armed"]:
            return
        if state["fired"]:  # the last one was swallowed
            sys.settrace(stop)
            while frame is not None and frame.f_globals is not _OWN_GLOBALS:
                frame.f_trace = stop
                frame = frame.f_back
        state["fired"] = True
        signal.setitimer(signal.ITIMER_REAL, _REFIRE_S)
        raise _Timeout

    earlier_timer, started = signal.getitimer(signal.ITIMER_REAL), time.monotonic()
    previous = signal.signal(signal.SIGALRM, expire)
    outcome = None
    try:
        try:
            signal.setitimer(signal.ITIMER_REAL, seconds)
            outcome = run()
        except _Timeout:
            pass
    finally:
        state["armed"] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)
        if sys.gettrace() is stop:
            sys.settrace(earlier_trace)
        if earlier_timer[0]:
            elapsed = time.monotonic() - started
            signal.setitimer(signal.ITIMER_REAL, max(earlier_timer[0] - elapsed, 1e-3), earlier_timer[1])
    return outcome, state["fired"]


def _evaluate(plan: _Plan, scope: dict[str, Any], test: TestCase, doing: list[str]) -> _Outcome:
    """Run the plan, turning every exception into an outcome; ``doing[0]`` names what runs."""
    number = test.number
    try:
        if plan.subject is None:
            try:
                exec(plan.statement, scope)
            except AssertionError as error:
                if not _raised_by_test(error, number):
                    raise
                return _Outcome(number, "failed", _clip(str(error)) or "a result was not the expected one")
            return _Outcome(number, "passed")
        if plan.expected is None:
            value = eval(plan.subject.code, scope)
            if bool(value) == plan.expect_true:
                return _Outcome(number, "passed")
            wanted = "a true value" if plan.expect_true else "a false value"
            return _failed(plan, scope, test, f"{plan.subject.said(_show(value))}, expected {wanted}")
        first, second = (plan.subject, plan.expected) if plan.subject_first else (plan.expected, plan.subject)
        doing[0] = first.name
        left = eval(first.code, scope)
        doing[0] = second.name
        right = eval(second.code, scope)
        doing[0] = _COMPARING
        assert plan.symbol is not None
        if guard.compare(plan.symbol, left, right):
            return _Outcome(number, "passed")
        actual, expected = (left, right) if plan.subject_first else (right, left)
        shown_actual, shown_expected = _show(actual), _show(expected)
        if plan.symbol == "==" and _types_matter(actual, expected, shown_actual, shown_expected):
            shown_actual += f" ({_a(type(actual).__name__)})"
            shown_expected += f" ({_a(type(expected).__name__)})"
        summary = f"{plan.subject.said(shown_actual)}, {plan.expectation.format(shown_expected)}"
        return _failed(plan, scope, test, summary)
    except guard.Untrusted as error:  # a value that decides a comparison for itself
        said = f"{plan.subject.name}: {error}" if plan.subject and doing[0] == _COMPARING else str(error)
        return _failed(plan, scope, test, said)
    except _Timeout:
        raise  # for _with_time_limit, which also sees one that fires after this returns
    except KeyboardInterrupt:
        return _Outcome(number, "interrupted")
    except BaseException as error:
        return _Outcome(number, "error", f"{doing[0]} raised {_exception(error)}", type(error).__name__)


def _failed(plan: _Plan, scope: dict[str, Any], test: TestCase, summary: str) -> _Outcome:
    """A false assertion; its message, if an expression (an f-string), beats the summary."""
    if plan.message is not None and not test.hidden:
        with contextlib.suppress(Exception):
            summary = _clip(str(eval(plan.message, scope))) or summary
    return _Outcome(test.number, "failed", summary)


def _raised_by_test(error: AssertionError, number: int) -> bool:
    """Whether an AssertionError comes from the test's own ``assert``, not the student's code."""
    traceback = error.__traceback__
    while traceback and traceback.tb_next:
        traceback = traceback.tb_next
    return traceback is not None and traceback.tb_frame.f_code.co_filename == f"<test {number}>"


def _took_too_long(subject: str, timeout: float) -> str:
    return f"{subject} took longer than {timeout:g} s (an infinite loop?)"


# --- words ------------------------------------------------------------------------------

_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 60
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxset = _SHORT.maxdict = 8


def _show(value: Any) -> str:
    """A short repr (student objects may have huge, broken or slow ones: the timer covers slow)."""
    try:
        return _clip(_SHORT.repr(value), _SHOWN_CHARS)
    except Exception:
        return f"{_a(type(value).__name__)} that cannot be shown"


def _clip(text: str, limit: int = _MESSAGE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _a(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def _types_matter(actual: Any, expected: Any, shown_actual: str, shown_expected: str) -> bool:
    """Whether "returned 6, expected '6'" needs its types said: they look alike, or differ
    in kind (numbers of different types, 4 and 4.5, do not)."""
    numbers = (int, float, complex)
    if shown_actual == shown_expected:
        return True
    return type(actual) is not type(expected) and not (isinstance(actual, numbers) and isinstance(expected, numbers))


def _exception(error: BaseException) -> str:
    """``ZeroDivisionError: division by zero``, shortened; no traceback."""
    detail = _clip(str(error).strip(), _SHOWN_CHARS) if not isinstance(error, SyntaxError) else error.msg
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__


def _result(
    test: TestCase,
    outcome: _Outcome,
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


def _error_kind(outcome: _Outcome) -> str:
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
        return f"{failed}: {_took_too_long('your code', timeout)}"
    if status == "error":
        return f"{failed}: your code raised {error if error.isidentifier() else 'an error'}"
    return f"{failed}: a result was not the expected one"


@contextlib.contextmanager
def _silenced() -> Iterator[None]:
    """Swallow what the student's code prints through ``sys.stdout``/``sys.stderr``, and its
    warnings.  Writes straight to file descriptors 1 and 2, or through a handler holding
    the real stderr, are out of reach in-process (in a contained run they go nowhere)."""
    sink = _Discard()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


class _Discard(io.TextIOBase):
    def write(self, text: str) -> int:
        return len(text)


# --- the contained child ----------------------------------------------------------------

_BOOTSTRAP = (
    "import json, sys, types\n"
    "job = json.loads(sys.stdin.read())\n"
    "for name in ('lessonkit_guard', 'lessonkit_checker'):\n"
    "    module = sys.modules[name] = types.ModuleType(name)\n"
    "    exec(compile(job.pop(name), name, 'exec'), module.__dict__)\n"
    "module._serve(job, int(sys.argv[1]))\n"
)
"""The child's whole program: run the guard's source and this module's (sent on stdin), then serve the job."""

_UNREADABLE = "the check could not read the results of your code"


def _source(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _serve(job: dict[str, Any], results_fd: int) -> None:
    """In the child: run the setup and the student's code, then each test, writing one JSON
    line per event: first ``{"loaded": null}`` or the error that stopped that code, in
    words; then one outcome per test, in order.
    """
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    tests = [TestCase(**test) for test in job["tests"]]
    with open(results_fd, "w", encoding="utf-8", buffering=1) as channel, _silenced():
        errors = [_load(job[part], namespace, *_SOURCES[part]) for part in _SOURCES]  # both, as cells run
        channel.write(json.dumps({"loaded": next((error for error in errors if error), None)}) + "\n")
        for test in tests:
            channel.write(json.dumps(asdict(_run_one(namespace, test, job["timeout"]))) + "\n")


def _load(source: str, namespace: dict[str, Any], filename: str, author: str) -> str | None:
    """Run code as a notebook cell would; the error it stopped at, in words, or ``None``."""
    try:
        exec(compile(source, filename, "exec"), namespace)
    except BaseException as error:
        line = error.lineno if isinstance(error, SyntaxError) else None
        traceback = error.__traceback__
        while traceback is not None:
            if traceback.tb_frame.f_code.co_filename == filename:
                line = traceback.tb_lineno
            traceback = traceback.tb_next
        where = f" (line {line})" if line else ""
        return f"{author} raised {_exception(error)}{where}"
    return None


def _read_channel(text: str, tests: Sequence[TestCase]) -> tuple[str | None, list[_Outcome]]:
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
        outcomes = [_Outcome(**event) for event in events[1:]]
    except (TypeError, KeyError) as error:
        raise ValueError(f"unexpected event: {error}") from None
    if not (load_error is None or isinstance(load_error, str)) or len(outcomes) > len(tests):
        raise ValueError("unexpected first event or too many outcomes")
    for test, outcome in zip(tests, outcomes):
        if outcome.number != test.number or outcome.status not in _STATUSES:
            raise ValueError(f"unexpected outcome for test {test.number}")
    cleaned = [_Outcome(o.number, o.status, _clip(str(o.summary)), str(o.error)[:60]) for o in outcomes]
    return (_clip(load_error) if load_error else None), cleaned


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
