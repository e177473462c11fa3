"""The adversarial batch for ``lessonkit grade``: an assignment and the submissions that attack it.

``adv/source/adv/adv.ipynb`` is the teacher's nbgrader source: two functions to write, test
cells with visible and hidden tests (2 + 1 points), a partial-credit test (2 points) and a
written answer (1 point, graded by hand).  Each submission in ``adv/submitted/`` starts from
what nbgrader released to students and does one thing; ``adv/expected.json`` says what
grading must give it and, for those that fool ``nbgrader autograde`` into scoring wrong code
as right, what nbgrader gives (``"nbgrader"``).  Run ``python tests/grade_fixtures/build.py``
to rebuild them (it runs ``nbgrader generate_assignment`` for the released notebook); the
tests also craft a few submissions at run time with :func:`submission`, where they need the
run's own paths.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
COURSE = HERE / "adv"
ASSIGNMENT = "adv"
CONFIG = HERE.parents[1] / "grading" / "nbgrader_config.py"

SQUARES = '''def squares(n):
    """The squares of 1 to n; a ValueError for n < 1."""
    ### BEGIN SOLUTION
    if n < 1:
        raise ValueError("n must be at least 1")
    return [i * i for i in range(1, n + 1)]
    ### END SOLUTION'''
TEST_SQUARES = '''assert squares(1) == [1]
assert len(squares(3)) == 3
### BEGIN HIDDEN TESTS
assert sum(squares(10)) == 385, "the squares of 1..10 add up to 385"
assert max(squares(5)) == 25
### END HIDDEN TESTS'''
TOTAL = '''def total(values):
    ### BEGIN SOLUTION
    return sum(values)
    ### END SOLUTION'''
TEST_TOTAL = '''assert total([1, 2, 3]) == 6
### BEGIN HIDDEN TESTS
assert total([]) == 0, "an empty list totals 0"
### END HIDDEN TESTS'''
SCORE_SQUARES = '''# partial credit: half a point per size squares gets right, up to 2
right = sum(squares(k) == [i * i for i in range(1, k + 1)] for k in range(1, 5))
right / 2'''


ANSWERS = {grade_id: source.replace("    ### BEGIN SOLUTION\n", "").replace("\n    ### END SOLUTION", "")
           for grade_id, source in (("squares", SQUARES), ("total", TOTAL))}
ANSWERS["explain"] = "Because there are no squares from 1 to 0."


def teacher_notebook() -> nbformat.NotebookNode:
    def graded(source: str, grade_id: str, *, points: float | None = None, solution: bool = False,
               markdown: bool = False) -> nbformat.NotebookNode:
        cell = new_markdown_cell(source, id=grade_id) if markdown else new_code_cell(source, id=grade_id)
        cell.metadata["nbgrader"] = {"grade": points is not None, "grade_id": grade_id, "locked": not solution,
                                     "schema_version": 3, "solution": solution}
        if points is not None:
            cell.metadata["nbgrader"]["points"] = points
        return cell

    nb = new_notebook(cells=[
        graded("# Squares and totals\nWrite the two functions below.", "intro", markdown=True),
        graded(SQUARES, "squares", solution=True),
        graded(TEST_SQUARES, "test_squares", points=2),
        graded(TOTAL, "total", solution=True),
        graded(TEST_TOTAL, "test_total", points=1),
        graded(SCORE_SQUARES, "score_squares", points=2),
        graded("Why does `squares(0)` raise?\n\nYOUR ANSWER HERE", "explain", points=1, solution=True,
               markdown=True),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def release(course: Path) -> nbformat.NotebookNode:
    """What nbgrader gives students, made by nbgrader itself in a scratch course."""
    with tempfile.TemporaryDirectory() as scratch:
        shutil.copytree(course / "source", Path(scratch) / "source")
        shutil.copy(CONFIG, scratch)
        env = {**os.environ, "PATH": os.pathsep.join([os.path.dirname(sys.executable), os.environ["PATH"]])}
        subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT],
                       cwd=scratch, env=env, check=True, capture_output=True)
        return nbformat.read(Path(scratch) / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)


def submission(released: nbformat.NotebookNode, **cells: str | Callable[[nbformat.NotebookNode], None]) \
        -> nbformat.NotebookNode:
    """The released notebook with the given cells' sources replaced; a callable edits the notebook."""
    nb = copy.deepcopy(released)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in ANSWERS:
            cell.source = ANSWERS[grade_id]
    for key, change in cells.items():
        if callable(change):
            change(nb)
        else:
            cell_by_id(nb, key).source = change
    return nb


def cell_by_id(nb: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _delete(grade_id: str) -> Callable[[nbformat.NotebookNode], None]:
    def change(nb: nbformat.NotebookNode) -> None:
        nb.cells.remove(cell_by_id(nb, grade_id))
    return change


def _duplicate_with_pass(grade_id: str) -> Callable[[nbformat.NotebookNode], None]:
    def change(nb: nbformat.NotebookNode) -> None:
        original = cell_by_id(nb, grade_id)
        fake = copy.deepcopy(original)
        fake.id, fake.source = f"{grade_id}-copy", "pass"
        nb.cells.insert(nb.cells.index(original) + 1, fake)  # the last copy is graded: give it no tests
    return change


def _retype(grade_id: str) -> Callable[[nbformat.NotebookNode], None]:
    def change(nb: nbformat.NotebookNode) -> None:
        cell = cell_by_id(nb, grade_id)
        cell.cell_type = "markdown"
        del cell["outputs"], cell["execution_count"]
    return change


def _edit_tests(nb: nbformat.NotebookNode) -> None:
    cell = cell_by_id(nb, "test_squares")
    cell.source = "pass"
    cell.metadata["nbgrader"]["points"] = 100
    cell.metadata["nbgrader"]["grade"] = False
    cell_by_id(nb, "score_squares").source = "2"


WRONG_SQUARES = "def squares(n):\n    return [i * i for i in range(1, min(n, 2) + 1)]"  # right up to n = 2
CHEAT_SQUARES = "def squares(n):\n    return [1]"

WRONG_TOTAL = "def total(values):\n    return 0"
# IPython's machinery patched at class level: a failing test's error is neither shown nor reported
SILENCE_ERRORS = '''import functools
from IPython.core.interactiveshell import InteractiveShell
from ipykernel.zmqshell import ZMQInteractiveShell

_run_cell, _run_cell_async = ZMQInteractiveShell.run_cell, ZMQInteractiveShell.run_cell_async

@functools.wraps(_run_cell)
def run_cell(self, *args, **kwargs):
    result = _run_cell(self, *args, **kwargs)
    result.error_in_exec = None
    return result

@functools.wraps(_run_cell_async)  # the kernel reads the signature for what it may pass
async def run_cell_async(self, *args, **kwargs):
    result = await _run_cell_async(self, *args, **kwargs)
    result.error_in_exec = None
    return result

def silence():
    ZMQInteractiveShell.run_cell, ZMQInteractiveShell.run_cell_async = run_cell, run_cell_async
    InteractiveShell.showtraceback = lambda self, *args, **kwargs: None
'''
PATCHES_SHELL = SILENCE_ERRORS + "\nsilence()"
# the same patch, put back by a thread as fast as the grader's guard can take it away
REPATCHES_SHELL = SILENCE_ERRORS + '''
import threading, time

def keep_silencing():
    while True:
        silence()
        time.sleep(0.0005)

silence()
threading.Thread(target=keep_silencing, daemon=True).start()'''
# a value that says it equals anything, with what the tests' len, sum and max need of it
ALWAYS_EQUAL = '''class Anything:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __len__(self):
        return 3

    def __iter__(self):
        return iter([self])

    def __radd__(self, other):
        return self

    __add__ = __radd__
    __gt__ = __lt__ = __eq__

def squares(n):
    return Anything()'''

# correct functions that also read the source of the tests calling them, hidden tests
# included; a later cell prints it, encoded so that no filter looking for hidden lines finds it
SPIES = """import inspect
seen = []

def squares(n):
    seen.append(inspect.getsource(inspect.stack()[1].frame))  # the test cell calling it
    if n < 1:
        raise ValueError(n)
    return [i * i for i in range(1, n + 1)]"""
LEAKS = {  # how each submission shows `leak`, what the tests have called squares() from
    "leaks_base64": "import base64\nprint(base64.b64encode(leak.encode()).decode())",
    "leaks_rot13": "import codecs\nprint(codecs.encode(leak, 'rot13'))",
    "leaks_reversed": "print(leak[::-1])",
    "leaks_spaced": "print(' '.join(leak))",
    "leaks_html_spans": "from IPython.display import HTML, display\n"
                        "display(HTML(''.join(f'<span>{c}</span>' for c in leak)))",
}
LEAKING_TOTAL = "def total(values):\n    return sum(values)\n\nleak = ''.join(seen)\n"
# the leak as an exception's class name and message, raised by total() inside the tests
LEAKS_IN_AN_EXCEPTION = """import base64

def total(values):
    secret = base64.b32encode(''.join(seen).encode()).decode().rstrip('=')
    raise type(secret, (Exception,), {})(secret)"""

SUBMISSIONS: dict[str, Callable[[nbformat.NotebookNode], nbformat.NotebookNode]] = {
    "good_alice": lambda r: submission(r),
    "good_bob": lambda r: submission(r, squares="def squares(n):\n    if n < 1:\n        raise ValueError(n)\n"
                                                "    return [k ** 2 for k in range(1, n + 1)]",
                                     total="def total(values):\n    t = 0\n    for v in values:\n        t += v\n"
                                           "    return t"),
    "partial_carol": lambda r: submission(r, squares=WRONG_SQUARES),
    "error_dan": lambda r: submission(r, squares="def squares(n):\n    return [i * i for i in rnage(1, n + 1)]"),
    "old_format": lambda r: submission(r),
    "deleted_test": lambda r: submission(r, test=_delete("test_squares")),
    "duplicated_test": lambda r: submission(r, squares=WRONG_SQUARES, test=_duplicate_with_pass("test_squares")),
    "retyped_test": lambda r: submission(r, squares=WRONG_SQUARES, test=_retype("test_squares")),
    "edited_tests": lambda r: submission(r, squares=WRONG_SQUARES, test=_edit_tests),
    "infinite_loop": lambda r: submission(r, total="while True:\n    pass"),
    "ignores_interrupt": lambda r: submission(r, total="import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)"
                                                       "\nwhile True:\n    pass"),
    "memory_bomb": lambda r: submission(r, total=ANSWERS["total"] + "\n\nhoard = []\nwhile True:\n"
                                                                    "    hoard.append(bytearray(50_000_000))"),
    "fork_bomb": lambda r: submission(r, total=ANSWERS["total"] + '''

import os, time
children = 0
try:
    while True:
        if os.fork() == 0:
            while True:
                time.sleep(1)
        children += 1
except OSError as error:
    print(f"uid {os.getuid()} stopped after {children} processes: {error}")'''),
    "os_exit": lambda r: submission(r, total="import os\nos._exit(3)"),
    "sys_exit": lambda r: submission(r, total="def total(values):\n    return sum(values)\n\nimport sys\nsys.exit(1)"),
    "big_output": lambda r: submission(r, total="def total(values):\n    return sum(values)\n\n"
                                                "for i in range(200_000):\n    print('spam ' * 10, i)"),
    "warns_on_stderr": lambda r: submission(r, squares="import warnings\n\ndef squares(n):\n"
                                                       "    warnings.warn('squares is slow')\n"
                                                       "    if n < 1:\n        raise ValueError(n)\n"
                                                       "    return [i * i for i in range(1, n + 1)]"),
    "rebinds_builtins": lambda r: submission(r, squares=CHEAT_SQUARES + "\n\nlen = lambda x: 3\nsum = lambda x: 385"
                                                                        "\nmax = lambda x: 25"),
    "swallows_asserts": lambda r: submission(r, squares=CHEAT_SQUARES + "\n\nget_ipython().set_custom_exc("
                                                                        "(AssertionError,), lambda *args, **kw: None)"),
    "strips_asserts": lambda r: submission(r, squares=CHEAT_SQUARES + "\n\nget_ipython().input_transformers_post"
                                                                      ".append(lambda lines: [l for l in lines "
                                                                      "if 'assert' not in l])"),
    "patches_shell": lambda r: submission(r, squares=CHEAT_SQUARES + "\n\n" + PATCHES_SHELL, total=WRONG_TOTAL),
    "repatches_shell": lambda r: submission(r, squares=CHEAT_SQUARES + "\n\n" + REPATCHES_SHELL, total=WRONG_TOTAL),
    "always_equal": lambda r: submission(r, squares=ALWAYS_EQUAL, total="def total(values):\n    return Anything()"),
    "always_equal_inside": lambda r: submission(r, squares=ALWAYS_EQUAL.replace("return Anything()",
                                                                                "return [Anything()] * n"),
                                                total="def total(values):\n    return Anything()"),
    "retyped_test_v4_0": lambda r: submission(r, squares=WRONG_SQUARES, test=_retype("test_squares")),
    **{student: (lambda show: lambda r: submission(r, squares=SPIES, total=LEAKING_TOTAL + show))(show)
       for student, show in LEAKS.items()},
    "leaks_in_an_exception": lambda r: submission(r, squares=SPIES, total=LEAKS_IN_AN_EXCEPTION),
}
OLD_FORMATS = {"old_format": (3, 0), "retyped_test_v4_0": (4, 0)}  # nbgrader's own examples are 4.0

#: what grading must give each submission: test cell scores, and words the report must contain
EXPECTED = {
    "good_alice": ({"test_squares": 2, "test_total": 1, "score_squares": 2}, None),
    "good_bob": ({"test_squares": 2, "test_total": 1, "score_squares": 2}, None),
    "partial_carol": ({"test_squares": 0, "test_total": 1, "score_squares": 1}, "AssertionError"),
    "error_dan": ({"test_squares": 0, "test_total": 1, "score_squares": 0}, "NameError"),
    "invalid_json": ({"test_squares": 0, "test_total": 0, "score_squares": 0}, "not valid JSON"),
    "old_format": ({"test_squares": 2, "test_total": 1, "score_squares": 2}, "old notebook format 3"),
    "deleted_test": ({"test_squares": 2, "test_total": 1, "score_squares": 2}, "was deleted"),
    "duplicated_test": ({"test_squares": 0, "test_total": 1, "score_squares": 1}, "appears 2 times"),
    "retyped_test": ({"test_squares": 0, "test_total": 1, "score_squares": 1}, "changed from code to markdown"),
    "edited_tests": ({"test_squares": 0, "test_total": 1, "score_squares": 1}, "was edited"),
    "infinite_loop": ({"test_squares": 2, "test_total": 0, "score_squares": 2}, "was interrupted"),
    "ignores_interrupt": ({"test_squares": 2, "test_total": 0, "score_squares": 0}, "its kernel was stopped"),
    "memory_bomb": ({"test_squares": 2, "test_total": 1, "score_squares": 2}, "MemoryError"),
    "fork_bomb": ({"test_squares": 2, "test_total": 1, "score_squares": 2}, None),
    "os_exit": ({"test_squares": 2, "test_total": 0, "score_squares": 0}, "the kernel died in cell total"),
    "sys_exit": ({"test_squares": 2, "test_total": 1, "score_squares": 2}, "SystemExit"),
    "big_output": ({"test_squares": 2, "test_total": 1, "score_squares": 2}, "was cut"),
    # a warning is stderr, and nbgrader zeroes a test cell with stderr, a correct answer or not
    "warns_on_stderr": ({"test_squares": 0, "test_total": 1, "score_squares": 0}, "wrote to stderr"),
    # its own `sum` breaks its own total(): that is on the student, as under nbgrader
    "rebinds_builtins": ({"test_squares": 0, "test_total": 0, "score_squares": 0.5}, "Python's own"),
    "swallows_asserts": ({"test_squares": 0, "test_total": 1, "score_squares": 0.5}, "Python's own"),
    "strips_asserts": ({"test_squares": 0, "test_total": 1, "score_squares": 0.5}, "Python's own"),
    # wrong functions that nbgrader's own autograde scores as right (NBGRADER_FOOLED)
    "patches_shell": ({"test_squares": 0, "test_total": 0, "score_squares": 0.5}, "InteractiveShell.showtraceback"),
    "repatches_shell": ({"test_squares": 0, "test_total": 0, "score_squares": 0}, "while the tests ran"),
    "always_equal": ({"test_squares": 0, "test_total": 0, "score_squares": 0}, "decides __eq__ with code of its own"),
    "always_equal_inside": ({"test_squares": 0, "test_total": 0, "score_squares": 0}, "decides __eq__ with code of its own"),
    "retyped_test_v4_0": ({"test_squares": 0, "test_total": 1, "score_squares": 1}, "changed from code to markdown"),
    # honest scores; what they print is kept from their feedback (test_grade_batch.py)
    **{student: ({"test_squares": 2, "test_total": 1, "score_squares": 2}, None) for student in LEAKS},
    "leaks_in_an_exception": ({"test_squares": 2, "test_total": 0, "score_squares": 2}, None),
}

#: what ``nbgrader autograde`` gives the submissions that fool it (lessonkit gives EXPECTED)
NBGRADER_FOOLED = {
    "strips_asserts": {"test_squares": 2, "test_total": 1, "score_squares": 0.5},
    "patches_shell": {"test_squares": 2, "test_total": 1, "score_squares": 0.5},
    "repatches_shell": {"test_squares": 2, "test_total": 1, "score_squares": 0.5},
    "always_equal": {"test_squares": 2, "test_total": 1, "score_squares": 2},
    "always_equal_inside": {"test_squares": 2, "test_total": 1, "score_squares": 2},
}


def build() -> None:
    source = COURSE / "source" / ASSIGNMENT
    if COURSE.exists():
        shutil.rmtree(COURSE)
    source.mkdir(parents=True)
    nbformat.write(teacher_notebook(), source / f"{ASSIGNMENT}.ipynb")
    released = release(COURSE)
    for student, make in SUBMISSIONS.items():
        folder = COURSE / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / "timestamp.txt").write_text("2026-11-20 17:00:00.000000 UTC\n")
        nb = make(released)
        if student in OLD_FORMATS:
            _write_old(nb, folder / f"{ASSIGNMENT}.ipynb", *OLD_FORMATS[student])
        else:
            nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")
    folder = COURSE / "submitted" / "invalid_json" / ASSIGNMENT
    folder.mkdir(parents=True)
    text = nbformat.writes(submission(released))
    (folder / f"{ASSIGNMENT}.ipynb").write_text(text[: len(text) // 2])  # cut off mid-upload
    (COURSE / "expected.json").write_text(json.dumps(
        {student: {"scores": scores, "note": note, **({"nbgrader": NBGRADER_FOOLED[student]}
                                                       if student in NBGRADER_FOOLED else {})}
         for student, (scores, note) in EXPECTED.items()}, indent=1) + "\n")


def _write_old(nb: nbformat.NotebookNode, path: Path, major: int, minor: int) -> None:
    """``nb`` as a notebook of format ``major.minor`` (4.0 to 4.4 have no cell ids)."""
    if major == 3:
        nbformat.write(nbformat.convert(nb, 3), path, version=3)
        return
    old = copy.deepcopy(nb)
    old.nbformat_minor = minor
    for cell in old.cells:
        cell.pop("id", None)
    path.write_text(json.dumps(old, indent=1) + "\n")


if __name__ == "__main__":
    build()
