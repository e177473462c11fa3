"""A teacher's test cell, split into numbered tests, the hidden ones marked.

Each top-level statement of the test cell is one test, numbered from 1 over the whole cell, so
a teacher's ``feedback=[{"test": 2, ...}]`` keeps meaning the same test whether or not the
hidden ones are present.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from lessonkit.engine.testrunner import TestCase
from lessonkit.errors import LessonkitError
from lessonkit.format.markers import MarkerError
from lessonkit.format.markers import hidden_lines as marked


class CodeTestsError(LessonkitError, ValueError):
    """A teacher's test or solution cell cannot be used as written; the message names the line."""


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


def split_tests(test_source: str) -> TestSuite:
    """Parse a test cell into numbered tests, marking those in the hidden region.

    Markers are found as nbgrader finds them (the words anywhere in a line).  Raises
    :class:`CodeTestsError` for unbalanced markers, a syntax error, or a statement that
    straddles a marker.
    """
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
