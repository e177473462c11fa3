"""nbgrader's solution and hidden-test markers: the one place lessonkit reads and strips them.

lessonkit reuses nbgrader's markers so that a teacher who knows nbgrader knows the format
and an nbgrader assignment imports as it is.  They are found as nbgrader finds them (the
words anywhere in a line), and stripped as nbgrader's ClearSolutions and ClearHiddenTests
strip them, so what lessonkit builds and what nbgrader releases agree line for line.
"""

from __future__ import annotations

from lessonkit.errors import LessonkitError

BEGIN_SOLUTION, END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
"""What a solution region becomes in the student's copy: nbgrader's Python stub."""


class MarkerError(LessonkitError, ValueError):
    """Markers that do not pair up; the message names the line."""


def regions(source: str, begin: str, end: str) -> tuple[list[tuple[int, int]], list[str]]:
    """The (begin, end) line numbers (1-based, markers included) of each marked region,
    and what is wrong with the markers, in a teacher's words."""
    found, problems, start = [], [], None
    for number, line in enumerate(source.split("\n"), 1):
        if begin in line:
            if start is not None:
                problems.append(f"line {number}: a second '### {begin}' before the '### {end}' of the one at line {start}")
            start = number
        elif end in line:
            if start is None:
                problems.append(f"line {number}: '### {end}' without a '### {begin}' before it")
            else:
                found.append((start, number))
            start = None
    if start is not None:
        problems.append(f"line {start}: '### {begin}' is never closed by '### {end}'")
    return found, problems


def _paired(source: str, begin: str, end: str) -> list[tuple[int, int]]:
    found, problems = regions(source, begin, end)
    if problems:
        raise MarkerError("; ".join(problems))
    return found


def solution_problems(source: str) -> list[str]:
    """What is wrong with a solution cell's markers (an empty list when nothing is)."""
    return regions(source, BEGIN_SOLUTION, END_SOLUTION)[1]


def strip_solution(source: str) -> str:
    """The code students start from, exactly as nbgrader's ClearSolutions makes it.

    Each region (markers included) becomes the stub, indented like its BEGIN line; a cell
    with no region is all solution and becomes the stub alone.  Raises
    :class:`MarkerError` for unpaired markers rather than hand students a leaking cell.
    """
    lines = source.split("\n")
    found = _paired(source, BEGIN_SOLUTION, END_SOLUTION)
    if not found:
        return "\n".join(CODE_STUB)
    for first, last in reversed(found):
        indent = lines[first - 1][: len(lines[first - 1]) - len(lines[first - 1].lstrip())]
        lines[first - 1:last] = [indent + stub for stub in CODE_STUB]
    return "\n".join(lines)


def solution_lines(source: str) -> list[str]:
    """The solution's lines, stripped: inside the regions, or the whole cell if it has none."""
    lines = source.split("\n")
    found = regions(source, BEGIN_SOLUTION, END_SOLUTION)[0]
    if not found:
        return [line.strip() for line in lines if line.strip()]
    return [lines[n].strip() for first, last in found for n in range(first, last - 1) if lines[n].strip()]


def hidden_lines(source: str) -> set[int]:
    """The line numbers (1-based) of the hidden-test regions, markers included."""
    return {n for first, last in _paired(source, BEGIN_HIDDEN, END_HIDDEN) for n in range(first, last + 1)}


def strip_hidden_tests(source: str) -> str:
    """A test cell without its hidden tests, as nbgrader's ClearHiddenTests releases it."""
    hidden = hidden_lines(source)
    return "\n".join(line for n, line in enumerate(source.split("\n"), 1) if n not in hidden)
