"""Code checks: splitting the teacher's cells, running tests, and the words a student reads."""

from __future__ import annotations

import builtins
import signal
import textwrap
import threading
import time

import pytest

from lessonkit.engine.codetests import (
    CodeTestsError,
    TestCase,
    TestResult,
    run_tests,
    run_tests_contained,
    split_tests,
)
from lessonkit.engine.sandbox import Limits

TEST_CELL = '''\
assert sum_evens(0) == 0, "An empty range sums to 0."
assert sum_evens(5) == 6
### BEGIN HIDDEN TESTS
assert sum_evens(101) == 2550
### END HIDDEN TESTS
'''

RIGHT = "def sum_evens(n):\n    return sum(i for i in range(0, n, 2))\n"
OFF_BY_ONE = "def sum_evens(n):\n    return sum(i for i in range(0, n - 1, 2))\n"


def cell(text: str) -> str:
    return textwrap.dedent(text).strip("\n") + "\n"


def suite_of(text: str, hidden: bool = False) -> list[TestCase]:
    """Tests from a cell; with ``hidden``, all of them are hidden."""
    suite = split_tests(cell(text))
    return [TestCase(t.number, t.source, True, t.message) for t in suite.tests] if hidden else list(suite.tests)


def _namespace(student: str) -> dict:
    namespace: dict = {}
    exec(cell(student), namespace)
    return namespace


def messages(student: str, tests_text: str, **options) -> list[str | None]:
    return [result.message for result in run_tests(_namespace(student), suite_of(tests_text), **options)]


# --- split_tests ------------------------------------------------------------------------


def test_split_numbers_visible_and_hidden_tests_together():
    suite = split_tests(TEST_CELL)
    assert [(t.number, t.hidden, t.source) for t in suite.tests] == [
        (1, False, 'assert sum_evens(0) == 0, "An empty range sums to 0."'),
        (2, False, "assert sum_evens(5) == 6"),
        (3, True, "assert sum_evens(101) == 2550"),
    ]
    assert suite.tests[0].message == "An empty range sums to 0." and suite.tests[1].message is None
    assert [t.number for t in suite.visible] == [1, 2] and [t.number for t in suite.hidden] == [3]
    assert suite.visible_source == 'assert sum_evens(0) == 0, "An empty range sums to 0."\nassert sum_evens(5) == 6\n'
    assert "2550" not in suite.visible_source


def test_split_each_top_level_statement_is_one_test():
    suite = split_tests(
        cell(
            '''
            import math; x = 3
            assert f(x) == [
                1,
                2,
            ], f"got {f(x)}"
            @decorate
            def helper():
                return 1
            for n in range(3):
                assert f(n) >= 0
            '''
        )
    )
    assert [t.source.split("\n")[0] for t in suite.tests] == [
        "import math",
        "x = 3",
        "assert f(x) == [",
        "@decorate",
        "for n in range(3):",
    ]
    assert suite.tests[2].message is None  # an f-string is not a literal message
    assert suite.tests[3].source == "@decorate\ndef helper():\n    return 1"


def test_split_numbering_stays_stable_when_hidden_tests_sit_in_the_middle():
    suite = split_tests("assert a\n### BEGIN HIDDEN TESTS\nassert b\nassert c\n### END HIDDEN TESTS\nassert d\n")
    assert [(t.number, t.source, t.hidden) for t in suite.tests] == [
        (1, "assert a", False),
        (2, "assert b", True),
        (3, "assert c", True),
        (4, "assert d", False),
    ]
    assert suite.visible_source == "assert a\nassert d\n"


@pytest.mark.parametrize(
    "text, words",
    [
        ("assert f(1) == 1\nassert f(2) ==\n", "line 2: the test cell has a syntax error"),
        ("assert f(1)\n### BEGIN HIDDEN TESTS\nassert f(2) = 3\n### END HIDDEN TESTS\n", "line 3: the test cell has a syntax error"),
        ("### BEGIN HIDDEN TESTS\nassert f(2)\n", "line 1: '### BEGIN HIDDEN TESTS' is never closed"),
        ("assert f(2)\n### END HIDDEN TESTS\n", "line 2: '### END HIDDEN TESTS' without"),
        ("### BEGIN HIDDEN TESTS\n### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS\n", "line 2: a second"),
        ("assert f(\n### BEGIN HIDDEN TESTS\n2) == 3\n### END HIDDEN TESTS\n", "line 1: test 1 runs across a hidden-tests marker"),
    ],
)
def test_split_errors_name_the_line(text, words):
    with pytest.raises(CodeTestsError, match=words.replace("(", r"\(")):
        split_tests(text)


# --- run_tests: the words -----------------------------------------------------------------


def test_passing_and_failing_with_the_three_kinds_of_message():
    namespace: dict = {}
    exec(OFF_BY_ONE, namespace)
    suite = split_tests("assert sum_evens(7) == 12, 'Check the end.'\nassert sum_evens(5) == 6\nassert sum_evens(3) == 2\nassert sum_evens(0) == 0\n")
    results = run_tests(namespace, suite.tests, feedback={3: "range(n) stops at n-1."})
    assert results == [
        TestResult(1, False, "Check the end."),
        TestResult(2, False, "sum_evens(5) returned 2, expected 6"),
        TestResult(3, False, "range(n) stops at n-1."),
        TestResult(4, True, None),
    ]


@pytest.mark.parametrize(
    "test, message",
    [
        ("assert f(3) != 9", "f(3) returned 9, expected anything but 9"),
        ("assert f(3) < 5", "f(3) returned 9, expected less than 5"),
        ("assert f(3) <= 5", "f(3) returned 9, expected at most 5"),
        ("assert f(1) > 5", "f(1) returned 1, expected more than 5"),
        ("assert f(1) >= 5", "f(1) returned 1, expected at least 5"),
        ("assert f(3) in [1, 4]", "f(3) returned 9, expected one of [1, 4]"),
        ("assert f(2) not in (4, 5)", "f(2) returned 4, expected none of (4, 5)"),
        ("assert 7 in digits(3)", "digits(3) returned [0, 1, 2], expected it to contain 7"),
        ("assert f(3) is None", "f(3) returned 9, expected None"),
        ("assert 6 == f(2)", "f(2) returned 4, expected 6"),
        ("assert 6 < f(2)", "f(2) returned 4, expected more than 6"),
        ("assert is_even(3)", "is_even(3) returned False, expected a true value"),
        ("assert not is_even(4)", "is_even(4) returned True, expected a false value"),
        ("assert total == 10", "total is 9, expected 10"),
        ("assert f(3) == '9'", "f(3) returned 9 (an int), expected '9' (a str)"),
        ("assert f(2) == 4.5", "f(2) returned 4, expected 4.5"),
        ("assert f(1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1) == 1", "the result was 324, expected 1"),
        ("assert f(3) == 9 + 1, f'f(3) should be {9 + 1}'", "f(3) should be 10"),
    ],
)
def test_plain_summaries(test, message):
    student = """
        def f(x):
            return x * x
        def is_even(n):
            return n % 2 == 0
        def digits(n):
            return list(range(n))
        total = 9
    """
    assert messages(student, test) == [message]


def test_student_exceptions_are_one_line_without_traceback():
    student = """
        def f(x):
            return 1 / x
        def g(x):
            assert x > 0, "x must be positive"
        def h():
            import sys
            sys.exit(3)
    """
    assert messages(student, "assert f(0) == 1\nassert g(-1) is None\nassert h() == 1\nassert nothing(1) == 2\nassert f(1) == nothing\n") == [
        "f(0) raised ZeroDivisionError: division by zero",
        "g(-1) raised AssertionError: x must be positive",
        "h() raised SystemExit: 3",
        "nothing(1) raised NameError: name 'nothing' is not defined",
        "nothing raised NameError: name 'nothing' is not defined",
    ]


def test_reprs_are_truncated_and_broken_reprs_do_not_break_the_check():
    student = """
        class Broken:
            def __repr__(self):
                raise RuntimeError("no")
        def big():
            return list(range(10_000))
        def text():
            return "x" * 500
        def broken():
            return Broken()
    """
    results = messages(student, "assert big() == []\nassert text() == ''\nassert broken() == 1\n")
    assert all(len(message) < 200 for message in results)
    assert results[0].startswith("big() returned [0, 1, 2, 3, 4, 5, 6, 7, ...], expected []")
    assert "xxx...xxx" in results[1]
    assert results[2].startswith("broken() returned <Broken instance at ")


def test_statements_that_are_not_a_single_assert():
    student = """
        def f(x):
            return x * x
    """
    tests = """
        result = f(4)
        assert result == 16
        for n in range(5):
            assert f(n) == n + n, f"f({n}) should be {n + n}"
        for n in range(5):
            assert f(n) == n
        del result
        assert "result" not in dir()
    """
    assert messages(student, tests) == [None, None, "f(1) should be 2", "a result was not the expected one", None, None]


def test_names_assigned_by_tests_stay_in_the_namespace_and_builtins_do_not_leak_in():
    namespace: dict = {"len": lambda x: 0}
    run_tests(namespace, split_tests("answer = 42\nlen = len\n").tests)
    assert namespace["answer"] == 42
    assert namespace["len"] is not builtins.len  # the student's own binding is left alone
    assert "__builtins__" not in namespace


def test_timeout_names_the_call_and_run_tests_goes_on():
    student = """
        def f(x):
            while x:
                pass
            return 0
    """
    started = time.monotonic()
    assert messages(student, "assert f(1) == 0\nassert f(0) == 0\n", timeout=0.3) == [
        "f(1) took longer than 0.3 s (an infinite loop?)",
        None,
    ]
    assert time.monotonic() - started < 1.5


def test_a_timeout_swallowed_by_a_bare_except_still_ends_the_test():
    student = """
        def stubborn():
            while True:
                try:
                    while True:
                        pass
                except:
                    pass
        def liar():
            try:
                while True:
                    pass
            except BaseException:
                return 6
    """
    started = time.monotonic()
    assert messages(student, "assert stubborn() == 1\nassert liar() == 6\n", timeout=0.3) == [
        "stubborn() took longer than 0.3 s (an infinite loop?)",
        "liar() took longer than 0.3 s (an infinite loop?)",
    ]
    assert time.monotonic() - started < 2


def test_the_alarm_handler_and_an_earlier_timer_are_put_back():
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *_: fired.append(1))
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.6)
        messages("def f():\n    return 1\n", "assert f() == 1\nassert f() == 2\n")
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 0.3
        time.sleep(0.8)
        assert fired == [1]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_outside_the_main_thread_tests_run_without_a_timer():
    found: list = []
    thread = threading.Thread(target=lambda: found.append(messages(OFF_BY_ONE, "assert sum_evens(5) == 6\n")))
    thread.start()
    thread.join(10)
    assert found == [["sum_evens(5) returned 2, expected 6"]]


def test_keyboard_interrupt_stops_the_check_without_a_traceback():
    student = """
        def f():
            raise KeyboardInterrupt
    """
    assert messages(student, "assert 1 == 1\nassert f() == 1\nassert 2 == 2\n") == [
        None,
        "the check was interrupted before this test finished",
        "the check was interrupted before this test finished",
    ]


def test_student_prints_and_warnings_are_swallowed(capsys):
    student = """
        import sys, warnings
        def f():
            print("noise")
            print("more noise", file=sys.stderr)
            warnings.warn("careful")
            return 1
    """
    namespace: dict = {}
    exec(cell(student), namespace)
    assert run_tests(namespace, split_tests("assert f() == 1\nassert f() == 2\n").tests)[0].passed
    captured = capsys.readouterr()
    assert captured.out == captured.err == ""


# --- run_tests: hidden tests and honesty --------------------------------------------------


SECRET_TESTS = """
    assert f(987654) == 31337
    assert g(987654) == 31337
    assert h(987654) == 31337, f"f(987654) should be {31337}"
    assert k(987654)
    for n in [987654]:
        assert f(n) == 31337
"""
SECRET_STUDENT = """
    def f(x):
        return x
    def g(x):
        return x / 0
    def h(x):
        return x
    def k(x):
        while True:
            pass
"""


def test_hidden_test_source_never_appears_in_a_message():
    namespace: dict = {}
    exec(cell(SECRET_STUDENT), namespace)
    results = run_tests(namespace, suite_of(SECRET_TESTS, hidden=True), timeout=0.2)
    assert [r.message for r in results] == [
        "a hidden test failed: a result was not the expected one",
        "a hidden test failed: your code raised ZeroDivisionError",
        "a hidden test failed: a result was not the expected one",
        "a hidden test failed: your code took longer than 0.2 s (an infinite loop?)",
        "a hidden test failed: a result was not the expected one",
    ]


def test_hidden_test_keeps_its_literal_message_and_feedback():
    hidden = [TestCase(1, "assert f(987654) == 1, 'Think about large inputs.'", True, "Think about large inputs."), TestCase(2, "assert f(987654) == 2", True)]
    results = run_tests({"f": lambda x: x}, hidden, feedback={2: "Negative numbers?"})
    assert [r.message for r in results] == ["Think about large inputs.", "Negative numbers?"]


def test_rebinding_builtins_does_not_change_what_tests_compute(monkeypatch):
    student = """
        sum = lambda *args: 6
        len = lambda *args: 3
        def sum_evens(n):
            return sum(range(0, n, 2))
    """
    namespace: dict = {}
    exec(cell(student), namespace)
    monkeypatch.setattr(builtins, "sorted", lambda *args: [1, 2, 3])  # patched for the whole process
    tests = split_tests("assert sum_evens(7) == sum([0, 2, 4, 6])\nassert len('ab') == 3\nassert sorted([2, 1]) == [1, 2, 3]\n").tests
    assert [r.message for r in run_tests(namespace, tests)] == [
        "sum_evens(7) returned 6, expected 12",
        "len('ab') returned 2, expected 3",
        "sorted([2, 1]) returned [1, 2], expected [1, 2, 3]",
    ]


ANYTHING = """
    class Anything:
        def __eq__(self, other):
            return True
        def __ne__(self, other):
            return False
        def __contains__(self, item):
            return True
    def sum_evens(n):
        return Anything()
"""


def test_a_value_that_decides_the_comparison_for_itself_fails_the_test():
    """Its ``==`` is the student's code: compared with a value of another type it proves nothing."""
    said = "sum_evens(5): an Anything decides __eq__ with code of its own; compared with an int, the test cannot trust `==`"
    assert messages(ANYTHING, "assert sum_evens(5) == 6\n") == [said]
    assert messages(ANYTHING, "assert 6 == sum_evens(5)\n")[0].startswith("sum_evens(5): an Anything decides __eq__")
    assert messages(ANYTHING, "assert sum_evens(5) != 7\n")[0].endswith("the test cannot trust `!=`")
    assert messages(ANYTHING, "assert 6 in sum_evens(5)\n")[0].endswith("decides __contains__ with code of its own, "
                                                                        "so the test cannot trust `in`")
    # comparisons anywhere in a test, not only an assert's own: a loop, a count of right answers
    assert messages(ANYTHING, "for n in range(3):\n    assert sum_evens(n) == [0, 0, 2][n]\n"
                              "assert sum(sum_evens(n) == 0 for n in range(3)) == 1\n") == [
        "an Anything decides __eq__ with code of its own; compared with an int, the test cannot trust `==`"] * 2
    # inside a list, a tuple, a dict or a set the elements' own == decides: checked one by one
    inside = ["assert [sum_evens(5)] == [6]", "assert (1, {'n': [sum_evens(5)]}) == (1, {'n': [6]})",
              "assert 6 in [sum_evens(5)]", "assert [sum_evens(5)] < [7]"]
    assert messages(ANYTHING, "\n".join(inside)) == [
        "[sum_evens(5)]: an Anything decides __eq__ with code of its own; compared with an int, the test cannot trust `==`",
        "(1, {'n': [sum_evens(5)]}): an Anything decides __eq__ with code of its own; compared with an int, "
        "the test cannot trust `==`",
        "[sum_evens(5)]: an Anything decides __eq__ with code of its own, so the test cannot trust `in`",
        "[sum_evens(5)]: an Anything decides __eq__ with code of its own; compared with an int, the test cannot trust `==`",
    ]
    hidden = run_tests(_namespace(ANYTHING), suite_of("assert sum_evens(5) == 6\n", hidden=True))
    assert hidden == [TestResult(1, False, "a hidden test failed: a result was not the expected one")]


def test_a_library_value_that_says_it_equals_anything_fails_too():
    student = "from unittest import mock\ndef sum_evens(n):\n    return mock.ANY\n"
    assert messages(student, "assert sum_evens(5) == 6\n") == [
        "sum_evens(5): a _ANY says it equals anything; compared with an int, the test cannot trust `==`"]


def test_honest_values_compare_as_python_compares_them():
    student = """
        from collections import namedtuple
        from decimal import Decimal
        from fractions import Fraction
        Point = namedtuple("Point", "x y")
        class Money:
            def __init__(self, cents):
                self.cents = cents
            def __eq__(self, other):
                return isinstance(other, Money) and other.cents == self.cents
        class Tally(list):
            pass
    """
    tests = """
        assert 2.0 == 2
        assert Fraction(1, 2) == 0.5
        assert Decimal("1.5") == 1.5
        assert Point(1, 2) == (1, 2)
        assert Money(5) == Money(5)
        assert Money(5) != Money(6)
        assert Tally([1, 2]) == [1, 2]
        assert 2 in Tally([1, 2])
        assert Money(5) is not None
        assert 1 < 2.5 <= 3
        assert [(1, "a"), {"k": [2.0]}] == [(1, "a"), {"k": [2]}]
        assert [Money(5), Point(1, 2)] == [Money(5), (1, 2)]
        assert Money(5) in [Money(4), Money(5)] and "k" in {"k": Money(1)}
        assert Money(5) == 5
    """
    assert messages(student, tests) == [None] * 13 + [
        "Money(5): a Money decides __eq__ with code of its own; compared with an int, the test cannot trust `==`"]


# --- run_tests_contained ----------------------------------------------------------------

QUICK = Limits(timeout=5)


def test_contained_gives_the_same_results_as_in_process():
    tests = split_tests(TEST_CELL).tests
    namespace: dict = {}
    exec(OFF_BY_ONE, namespace)
    feedback = {1: "Empty?"}
    assert run_tests_contained(OFF_BY_ONE, tests, feedback=feedback, limits=QUICK) == run_tests(namespace, tests, feedback=feedback)
    assert all(r.passed for r in run_tests_contained(RIGHT, tests, limits=QUICK))


def test_contained_messages_for_the_student_code_itself():
    tests = split_tests(TEST_CELL).tests
    loop = run_tests_contained("while True:\n    pass\n", tests, limits=Limits(timeout=1))
    assert {r.message for r in loop} == {"your code did not finish within 1 s (an infinite loop?)"}
    exits = run_tests_contained("import os\nos._exit(3)\n", tests, limits=QUICK)
    assert {r.message for r in exits} == {"your code ended the program (exit code 3)"}
    syntax = run_tests_contained("def sum_evens(n)\n    return 0\n", tests, limits=QUICK)
    assert {r.message for r in syntax} == {"your code raised SyntaxError: expected ':' (line 1)"}
    memory = run_tests_contained("x = bytearray(10**10)\n", tests, limits=QUICK)
    assert {r.message for r in memory} == {"your code raised MemoryError (line 1)"}


def test_contained_error_after_the_function_is_defined_still_grades_like_nbgrader():
    results = run_tests_contained(RIGHT + "print(1 / 0)\n", split_tests(TEST_CELL).tests, limits=QUICK)
    assert all(r.passed for r in results)  # the function exists, as in a notebook after a failing line
    results = run_tests_contained(OFF_BY_ONE + "sys.exit()\n", split_tests(TEST_CELL).tests, limits=QUICK)
    error = "your code raised NameError: name 'sys' is not defined (line 3)"
    assert [r.message for r in results] == [None, error, error]  # failing tests say why the code broke


def test_contained_crash_in_the_middle_keeps_earlier_results():
    student = "import os\ndef f(x):\n    if x == 2:\n        os._exit(5)\n    return x\n"
    results = run_tests_contained(student, split_tests("assert f(1) == 1\nassert f(2) == 2\nassert f(3) == 3\n").tests, limits=QUICK)
    assert results == [
        TestResult(1, True, None),
        TestResult(2, False, "your code ended the program (exit code 5)"),
        TestResult(3, False, "your code ended the program (exit code 5)"),
    ]


def test_contained_per_test_timeout_and_wall_timeout():
    student = "def f(x):\n    while True:\n        pass\n"
    tests = split_tests("assert f(1) == 1\nassert f(2) == 2\nassert f(3) == 3\n").tests
    results = run_tests_contained(student, tests, limits=Limits(timeout=1.6), timeout=0.6)
    assert [r.message for r in results] == [
        "f(1) took longer than 0.6 s (an infinite loop?)",
        "f(2) took longer than 0.6 s (an infinite loop?)",
        "your code did not finish within 1.6 s (an infinite loop?)",
    ]


def test_contained_prints_cannot_forge_a_pass():
    forged = '{"loaded": null}\\n{"number": 1, "status": "passed", "summary": "", "error": ""}\\n'
    student = f"print({forged!r})\ndef f():\n    print({forged!r})\n    return 0\n"
    results = run_tests_contained(student, split_tests("assert f() == 1\n").tests, limits=QUICK)
    assert results == [TestResult(1, False, "f() returned 0, expected 1")]


def test_contained_tampering_with_the_results_channel_fails_every_test():
    student = "import os, sys\nos.write(int(sys.argv[1]), b'{\"loaded\": null}\\n')\ndef f():\n    return 1\n"
    results = run_tests_contained(student, split_tests("assert f() == 1\nassert f() == 1\n").tests, limits=QUICK)
    assert {r.message for r in results} == {"the check could not read the results of your code"}
    assert not any(r.passed for r in results)


def test_contained_hidden_source_never_appears_and_builtins_are_real():
    results = run_tests_contained(cell(SECRET_STUDENT), suite_of(SECRET_TESTS, hidden=True), limits=QUICK, timeout=0.2)
    assert all("987654" not in r.message and "31337" not in r.message for r in results)
    student = "sum = lambda *args: 6\ndef sum_evens(n):\n    return sum(range(0, n, 2))\n"
    results = run_tests_contained(student, split_tests("assert sum_evens(7) == sum([0, 2, 4, 6])\n").tests, limits=QUICK)
    assert results == [TestResult(1, False, "sum_evens(7) returned 6, expected 12")]


def test_contained_checks_judge_with_the_same_guard():
    results = run_tests_contained(cell(ANYTHING), split_tests("assert sum_evens(5) == 6\nassert len('ab') == 2\n").tests,
                                  limits=QUICK)
    assert results == [TestResult(1, False, "sum_evens(5): an Anything decides __eq__ with code of its own; "
                                            "compared with an int, the test cannot trust `==`"), TestResult(2, True)]


def test_contained_student_code_cannot_import_lessonkit_or_see_the_environment(monkeypatch):
    monkeypatch.setenv("LESSONKIT_SECRET", "s3cret")
    student = "import os\ntry:\n    import lessonkit\n    found = True\nexcept ImportError:\n    found = False\nsecret = os.environ.get('LESSONKIT_SECRET')\n"
    results = run_tests_contained(student, split_tests("assert found is False\nassert secret is None\n").tests, limits=QUICK)
    assert all(r.passed for r in results)


def test_contained_setup_runs_first_and_line_numbers_stay_the_students():
    tests = split_tests("assert area(2) == 4 * PI\n").tests
    setup = "import math\nPI = math.pi\n\n\n"
    assert run_tests_contained("def area(r):\n    return PI * r * r\n", tests, setup=setup, limits=QUICK) == [TestResult(1, True)]
    broken = run_tests_contained("def area(r):\n    return PI * r * r\nx = 1 / 0\n", tests, setup=setup, limits=QUICK)
    assert broken == [TestResult(1, True)]  # as in a notebook: the function was defined before the error
    broken = run_tests_contained("x = 1 / 0\n", tests, setup=setup, limits=QUICK)
    assert broken == [TestResult(1, False, "your code raised ZeroDivisionError: division by zero (line 1)")]
    lesson_bug = run_tests_contained("def area(r):\n    return 0\n", tests, setup="import nothing_here\n", limits=QUICK)
    assert lesson_bug[0].message == (
        "the lesson's code before this check raised ModuleNotFoundError: No module named 'nothing_here' (line 1)"
    )


def test_contained_code_reads_the_lessons_files():
    student = "def mean_of(name):\n    values = [float(v) for v in open(name).read().split()]\n    return sum(values) / len(values)\n"
    tests = split_tests("assert mean_of('data/light.csv') == 2.0\n").tests
    assert run_tests_contained(student, tests, files={"data/light.csv": b"1\n2\n3\n"}, limits=QUICK) == [TestResult(1, True)]


def test_a_results_line_cut_off_by_a_kill_is_ignored():
    from lessonkit.engine.codetests import _read_channel

    tests = split_tests("assert f() == 1\nassert f() == 2\n").tests
    text = '{"loaded": null}\n{"number": 1, "status": "passed", "summary": "", "error": ""}\n{"number": 2, "sta'
    load_error, outcomes = _read_channel(text, tests)
    assert load_error is None and [o.number for o in outcomes] == [1]
