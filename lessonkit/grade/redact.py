"""What a student's feedback page may show of a graded notebook: decided by position, not by reading the text.

A hidden test is source code sent to the student's kernel.  From the moment the first cell
with hidden tests runs, student code can read that source (``linecache``, frames,
``inspect``, ``In``) and put it in any output of any later cell, in any encoding (base64,
ROT13, reversed, spaced, split across HTML spans), or in the message or even the class name
of an exception.  No filter that looks for hidden lines can recognise every encoding, so
:class:`HideHiddenTests` does not look:

* cells that ran *before* the first cell with hidden tests show their outputs as executed
  (the kernel held no hidden text yet);
* every code cell from that cell on shows none of its outputs.  A test cell shows the
  source students were given and a verdict put together by the grader from facts it
  controls: the score, the name of the exception if it is one of Python's own (a class the
  submission defined could be named anything, so it is not named), the grader's own
  reasons (timeout, kernel died, tests tampered with), and the assert message only when it
  is, character for character, one the teacher wrote in that cell.  Any other cell shows
  one sentence saying its output is withheld and, if it ended in one of Python's
  exceptions, which;
* the widget state saved with the notebook (the last values of every widget, whenever set)
  is dropped from a notebook with hidden tests.

What this leaves a submission is what the grader itself decides: scores, a few known
words, the teacher's own messages.  Partial credit is a number a test computes from
student values, so a test cell's score can carry a few bits (see docs/grading.md).
"""

from __future__ import annotations

import builtins
from typing import Any

import nbformat
from nbconvert.preprocessors import Preprocessor
from nbformat.notebooknode import NotebookNode
from traitlets import Unicode

from lessonkit.grade.assignment import NotebookSpec, TeacherCell

PYTHON_EXCEPTIONS = frozenset(name for name, value in vars(builtins).items()
                              if isinstance(value, type) and issubclass(value, BaseException))
"""Exception names a submission cannot make mean something else: Python's own."""

GRADER_REASONS = {
    "CellTimeoutError": "it ran past the time limit",
    "KernelDied": "the kernel stopped (a limit was reached or the code exited)",
    "KernelUnresponsive": "it ran past the time limit and ignored the interrupt",
    "CellNotRun": "it was not run, because the notebook stopped earlier",
    "TestsTamperedWith": "the submission changed the grader's machinery while the tests ran",
}
"""What the grader's own error outputs mean, in words fixed here (their text quotes the kernel)."""


class HideHiddenTests(Preprocessor):
    """Withhold, by position, everything a submission could have derived from hidden tests (module docstring)."""

    notice = Unicode("This cell also runs hidden tests; they are not shown.",
                     help="What a student reads in place of a cell's hidden tests.").tag(config=True)
    withheld = Unicode("[Output not shown: this cell ran after hidden tests, so its output could reveal them. "
                       "Your teacher sees it.]",
                       help="What replaces the outputs of a cell that ran after hidden tests.").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        spec: NotebookSpec = resources["lessonkit"]["spec"]
        exposed = False  # whether the kernel has been sent hidden tests by this cell
        for cell in nb.cells:
            teacher = spec.cells.get(cell.metadata.get("nbgrader", {}).get("grade_id", ""))
            hidden = teacher is not None and teacher.hidden_tests
            if hidden:
                cell.source = f"{teacher.released.rstrip()}\n# {self.notice}".lstrip()
            if cell.cell_type != "code":
                continue
            exposed = exposed or hidden
            if not exposed:
                continue
            if teacher is not None and teacher.autograded:
                text = verdict(cell, teacher)
            else:
                failure = _exception_name(cell)
                text = self.withheld + (f" It ended in {failure}." if failure else "")
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text + "\n")]
        if any(t.hidden_tests for t in spec.cells.values()):
            nb.metadata.pop("widgets", None)
        return nb, resources


def verdict(cell: NotebookNode, teacher: TeacherCell) -> str:
    """A test cell's result in the grader's words: its score and, if it lost points, why (module docstring)."""
    meta = cell.metadata.get("nbgrader", {})
    score, points = meta.get("score"), meta.get("points")
    if score is None or points is None:
        return "Result: to be graded."
    if float(score) >= float(points):
        return "Result: passed."
    if float(score) > 0:
        return f"Result: partly passed ({float(score):g} of {float(points):g} points)."
    return f"Result: failed ({_why(cell, teacher)})."


def _why(cell: NotebookNode, teacher: TeacherCell) -> str:
    for output in cell.outputs:
        if output.output_type == "error":
            name = output.get("ename", "")
            if name in GRADER_REASONS:
                return GRADER_REASONS[name]
            if name not in PYTHON_EXCEPTIONS:
                return "an exception of the submission's own"
            message = str(output.get("evalue", ""))
            return f"{name}: {message}" if message and message in teacher.assert_messages else name
        if output.output_type == "stream" and output.get("name") == "stderr":
            return "it wrote to stderr"
    return "its result was 0 points"


def _exception_name(cell: NotebookNode) -> str | None:
    error = next((o for o in cell.outputs if o.output_type == "error"), None)
    if error is None:
        return None
    name = error.get("ename", "")
    if name in GRADER_REASONS:
        return f"an interruption: {GRADER_REASONS[name]}"
    return name if name in PYTHON_EXCEPTIONS else "an exception of the submission's own"
