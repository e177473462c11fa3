"""nbgrader's solution and hidden-test markers, as lessonkit reads and strips them.

lessonkit reuses nbgrader's markers so that a teacher who knows nbgrader knows the format
and an nbgrader assignment imports as it is.  Stripping follows nbgrader's ClearSolutions:
the region is replaced by a placeholder at the marker's indentation.
"""

from __future__ import annotations

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")


def _regions(source: str, begin: str, end: str) -> tuple[list[tuple[int, int]], list[str]]:
    """(first, last) line numbers of each marked region, and problems with the markers."""
    regions, problems, start = [], [], None
    for number, line in enumerate(source.splitlines()):
        marker = line.strip()
        if marker == begin:
            if start is not None:
                problems.append(f"line {number + 1}: '{begin}' inside another region; close the first with '{end}'")
            start = number
        elif marker == end:
            if start is None:
                problems.append(f"line {number + 1}: '{end}' without a '{begin}' before it")
            else:
                regions.append((start, number))
                start = None
    if start is not None:
        problems.append(f"line {start + 1}: '{begin}' is never closed with '{end}'")
    return regions, problems


def solution_problems(source: str) -> list[str]:
    """Problems with a solution cell's markers (unbalanced, nested, or missing)."""
    regions, problems = _regions(source, BEGIN_SOLUTION, END_SOLUTION)
    if not regions and not problems:
        problems.append(f"has no '{BEGIN_SOLUTION}' ... '{END_SOLUTION}' region: students would get the solution")
    return problems


def strip_solution(source: str) -> str:
    """The code students start from: each solution region becomes nbgrader's placeholder.

    As in nbgrader, a cell with no region is all solution and becomes the placeholder alone.
    """
    lines = source.splitlines()
    regions, _ = _regions(source, BEGIN_SOLUTION, END_SOLUTION)
    if not regions:
        return "\n".join(CODE_STUB)
    for first, last in reversed(regions):
        indent = lines[first][: len(lines[first]) - len(lines[first].lstrip())]
        lines[first:last + 1] = [indent + stub for stub in CODE_STUB]
    return "\n".join(lines)


def solution_lines(source: str) -> list[str]:
    """The lines inside solution regions, stripped: what students must never be given."""
    lines = source.splitlines()
    regions, _ = _regions(source, BEGIN_SOLUTION, END_SOLUTION)
    return [lines[n].strip() for first, last in regions for n in range(first + 1, last)]


def strip_hidden_tests(source: str) -> str:
    """A test cell without its hidden tests (markers included), as nbgrader releases it."""
    lines = source.splitlines()
    regions, _ = _regions(source, BEGIN_HIDDEN, END_HIDDEN)
    for first, last in reversed(regions):
        del lines[first:last + 1]
    return "\n".join(lines)
