"""nbgrader's markers, read and stripped exactly as nbgrader does."""

from __future__ import annotations

import textwrap

import pytest

from lessonkit.format.markers import CODE_STUB, MarkerError, solution_lines, solution_problems, strip_hidden_tests, strip_solution

TEST_CELL = """\
assert sum_evens(0) == 0, "An empty range sums to 0."
assert sum_evens(5) == 6
### BEGIN HIDDEN TESTS
assert sum_evens(101) == 2550
### END HIDDEN TESTS
"""


def cell(text: str) -> str:
    return textwrap.dedent(text).strip("\n") + "\n"


def test_solution_lines_are_what_students_never_get():
    assert solution_lines("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n") == ["return 1"]
    assert solution_lines("x = 42\n") == ["x = 42"]



def test_strip_solution_like_nbgrader():
    source = cell(
        """
        def sum_evens(n):
            ### BEGIN SOLUTION
            return sum(i for i in range(0, n, 2))
            ### END SOLUTION

        class Shape:
            def area(self):
                ### BEGIN SOLUTION
                return 0
                ### END SOLUTION
        """
    )
    assert strip_solution(source) == cell(
        """
        def sum_evens(n):
            # YOUR CODE HERE
            raise NotImplementedError()

        class Shape:
            def area(self):
                # YOUR CODE HERE
                raise NotImplementedError()
        """
    )
    assert "return" not in strip_solution(source)


def test_strip_solution_without_a_region_clears_the_whole_cell():
    assert strip_solution("x = 42\n") == "\n".join(CODE_STUB)


def test_solution_region_problems():
    assert solution_problems("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n") == []
    problems = solution_problems("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n### END SOLUTION\n### BEGIN SOLUTION\n")
    assert problems == [
        "line 2: a second '### BEGIN SOLUTION' before the '### END SOLUTION' of the one at line 1",
        "line 4: '### END SOLUTION' without a '### BEGIN SOLUTION' before it",
        "line 5: '### BEGIN SOLUTION' is never closed by '### END SOLUTION'",
    ]
    with pytest.raises(MarkerError, match="never closed"):
        strip_solution("def f():\n    ### BEGIN SOLUTION\n    return 1\n")


@pytest.mark.slow
def test_strip_solution_and_hidden_tests_match_nbgrader_itself():
    from nbformat.v4 import new_code_cell
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

    solution = "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n  # trailing\n"
    cleared = new_code_cell(solution, metadata={"nbgrader": {"solution": True, "grade": False, "grade_id": "a"}})
    ClearSolutions().preprocess_cell(cleared, {"language": "python"}, 0)
    assert strip_solution(solution) == cleared.source
    tests = new_code_cell(TEST_CELL, metadata={"nbgrader": {"grade": True, "solution": False, "grade_id": "b", "points": 1}})
    ClearHiddenTests().preprocess_cell(tests, {}, 0)
    assert strip_hidden_tests(TEST_CELL) == tests.source
