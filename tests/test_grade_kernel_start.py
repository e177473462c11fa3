"""What a pooled kernel is when it is handed out, and the guard's checks on the shortened paths.

The guard is installed by the forked kernel itself and the kernel is ready after one
``kernel_info`` round trip; the guard's check after a test cell travels with the cell's own
request, and in a request of its own when the test failed.  Real kernels, forked by the real
zygote, under the containment this machine allows.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import nbformat

from lessonkit.engine.sandbox import Limits
from lessonkit.grade.execute import ExecutionSettings, NotebookJob, run_notebook
from lessonkit.grade.kernels import KernelPool, KernelSettings

SETTINGS = ExecutionSettings(kernel=KernelSettings(limits=Limits(timeout=20, cpu_seconds=20)))


def _run(cells: list[str], protected: dict[int, tuple[str, ...]]) -> tuple[nbformat.NotebookNode, tuple[str, ...]]:
    """Grade one notebook of ``cells`` in a fresh pooled kernel; the executed notebook and its notes."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])

    async def grade() -> tuple[nbformat.NotebookNode, tuple[str, ...]]:
        async with KernelPool(SETTINGS.kernel, 1) as pool:
            kernel = await pool.acquire()
            try:
                outcome = await run_notebook(kernel, NotebookJob("nb", nb, protected), SETTINGS)
            finally:
                pool.release(kernel)
        return outcome.notebook, outcome.notes

    # a thread of its own: another test on this worker may have left an event loop running in this
    # one (Playwright's sync API keeps its loop for the session's browser)
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, grade()).result()


def _text(cell: nbformat.NotebookNode) -> str:
    return "".join(out.get("text", "") + str(out.get("data", {}).get("text/plain", "")) + out.get("ename", "")
                   for out in cell.outputs)


def test_the_guard_is_there_before_the_first_cell_and_the_language_is_recorded():
    nb, notes = _run(["import sys; print(sorted(m for m in sys.modules if m.startswith('_lessonkit_guard_')))",
                      "assert sum([1, 2]) == 3"], {1: ("sum",)})
    assert _text(nb.cells[0]).startswith("['_lessonkit_guard_")
    assert nb.cells[1].outputs == [] and notes == ()
    assert nb.metadata.language_info.name == "python"


def test_a_failed_test_still_gives_the_student_back_their_globals():
    """The kernel evaluates no expression after an error: the guard's after() then runs in a
    request of its own, which hands back the global it hid from the test."""
    nb, notes = _run(["sum = lambda values: 'mine'", "assert sum([1, 2]) == 4", "print(sum([1]))"],
                     {1: ("sum",)})
    assert "AssertionError" in _text(nb.cells[1])
    assert _text(nb.cells[2]) == "mine\n"
    assert notes == ("cell 2: the tests ran with Python's own sum (the submission had replaced them)",)


def test_a_passing_test_that_changed_the_machinery_scores_nothing():
    """The check after the test, in the test's own request, still sees a patch made while it ran."""
    patch = "from IPython.core.interactiveshell import InteractiveShell\nInteractiveShell.showtraceback = lambda *a, **k: None"
    nb, notes = _run(["def sneaky():\n    exec(PATCH)\n    return 3".replace("PATCH", repr(patch)),
                      "assert sneaky() == 3"], {1: ()})
    assert nb.cells[1].outputs[0].ename == "TestsTamperedWith"
    assert any("changed InteractiveShell.showtraceback while the tests ran" in note for note in notes)


def test_input_fails_at_once_as_under_nbgrader():
    nb, notes = _run(["input('name? ')"], {})
    assert nb.cells[0].outputs[-1].ename == "StdinNotImplementedError"
    assert not any("ran longer" in note for note in notes)
