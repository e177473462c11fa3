"""Run a prepared submission in pooled kernels, with nbgrader's execution semantics.

The executing client *is* nbgrader's :class:`~nbgrader.preprocessors.Execute` (nbclient
with nbgrader's timeout, interrupt and error settings and its ``on_cell_executed``), so the
outputs a grade cell is scored on are the ones ``nbgrader autograde`` would record.  What
this module adds is what a batch of untrusted notebooks needs and nbgrader lacks:

* a kernel that dies (``os._exit``, a memory or CPU limit) or ignores the interrupt after
  a timeout ends that notebook, not the batch: the cells it could not run, grade cells
  included, get an error output saying why, so they score 0 and the reason is visible;
* an output budget per notebook (``Limits.output_bytes``): past it, output is dropped, but
  every fact a score depends on (an error, something on stderr, a test's result) is kept
  in a shortened form, so cutting output never changes a score;
* a display is updated only in the cell that runs the update (an earlier cell's output
  cannot be rewritten after hidden tests ran);
* a time budget per notebook (``ExecutionSettings.notebook_seconds``): a cell gets what is
  left of it when that is less than the per-cell timeout, and once it is spent the cells
  left are not run (their tests score 0, with the reason);
* before each test cell, the guard of :mod:`lessonkit.engine.guard` puts back the builtins and
  IPython's machinery and has the test's comparisons checked; after it, a test whose machinery
  changed while it ran gets an error output, so it scores 0.
"""

from __future__ import annotations

import ast
import json
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any, Mapping

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets.config import Config

from lessonkit.grade.course import NBGRADER_LOG
from lessonkit.grade.kernels import KernelPool, KernelSettings, PooledKernel

log = logging.getLogger("lessonkit.grade")

RESPONSIVE_GRACE_S = 5.0
"""After a timeout, how long an interrupted kernel gets to become idle before it is killed."""

_KEEP_CHARS = 500  # what survives of a score-bearing output past the budget


@dataclass(frozen=True)
class ExecutionSettings:
    """Everything a worker needs to run notebooks (picklable, for Dask)."""

    kernel: KernelSettings
    execute: Mapping[str, Any] = field(default_factory=dict)
    """nbgrader ``Execute`` options from the course configuration; the timeout is ``kernel.limits.timeout``."""
    notebook_seconds: float = 0.0
    """Wall time a notebook may take in all (0: no budget, only the per-cell timeout): without it one
    submission of many slow cells holds its kernel's slot for cells × timeout."""


@dataclass(frozen=True)
class NotebookJob:
    name: str
    notebook: Mapping[str, Any]
    protected: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    """Test cells (by index) to guard, with the builtin names each one reads."""


@dataclass(frozen=True)
class SubmissionJob:
    """One student's notebooks and the files they run beside: a unit of work, locally or on Dask."""

    student_id: str
    notebooks: tuple[NotebookJob, ...]
    files: tuple[tuple[str, str | bytes], ...] = ()
    """``(relative path, path or contents)``: the submission's folder, then the assignment's files."""


@dataclass(frozen=True)
class NotebookOutcome:
    name: str
    notebook: Mapping[str, Any]
    notes: tuple[str, ...] = ()
    seconds: float = 0.0
    """Time its cells took to execute (the floor a faster grader could approach)."""
    error: str | None = None
    """Why the notebook could not be run to the end by the grader itself (not a student's error)."""


@dataclass(frozen=True)
class SubmissionOutcome:
    student_id: str
    notebooks: tuple[NotebookOutcome, ...]


async def execute_submission(pool: KernelPool, job: SubmissionJob, settings: ExecutionSettings) -> SubmissionOutcome:
    """Run each notebook of ``job`` in a fresh kernel of ``pool``, in a copy of the submission's files."""
    outcomes = []
    for notebook in job.notebooks:
        kernel = await pool.acquire()
        try:
            kernel.populate(job.files)
            outcomes.append(await run_notebook(kernel, notebook, settings))
        except Exception as error:  # the grader's own failure on this notebook: report it, go on
            log.exception("grading %s/%s", job.student_id, notebook.name)
            outcomes.append(NotebookOutcome(notebook.name, notebook.notebook, error=f"{type(error).__name__}: {error}"))
        finally:
            pool.release(kernel)
    return SubmissionOutcome(job.student_id, tuple(outcomes))


async def run_notebook(kernel: PooledKernel, job: NotebookJob, settings: ExecutionSettings) -> NotebookOutcome:
    """Execute one prepared notebook cell by cell in ``kernel`` (see the module docstring)."""
    nb = nbformat.from_dict(job.notebook)
    limits = settings.kernel.limits
    # nbgrader's Execute.timeout is whole seconds, and 0 would mean no timeout at all
    config = Config({"Execute": {**settings.execute, "timeout": max(1, round(limits.timeout))}})
    client = _GradingClient(nb, kernel, budget=limits.output_bytes, config=config, log=NBGRADER_LOG,
                            resources={"metadata": {"path": str(kernel.workdir)}})
    nb.metadata["language_info"] = nbformat.from_dict(kernel.language_info)
    notes: list[str] = []
    seconds = 0.0
    stopped: str | None = None
    budget = settings.notebook_seconds or math.inf
    began = time.monotonic()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        label = _label(cell, index)
        left = budget - (time.monotonic() - began)
        if not stopped and left <= 0:
            stopped = f"the notebook's time budget of {budget:g} s ran out before {label}"
            notes.append(stopped)
        if stopped:
            _not_run(cell, stopped)
            continue
        by_budget = left < limits.timeout
        client.timeout = max(1, math.ceil(left)) if by_budget else config.Execute.timeout
        guarded = kernel.guard_name is not None and index in job.protected
        if guarded:
            undone = await _guard(kernel, f"before({list(job.protected[index])!r})")
            if undone is None:
                stopped = f"the submission disabled the grader's test guard before {label}"
                notes.append(stopped)
                _not_run(cell, stopped)
                continue
            if undone:
                notes.append(f"{label}: the tests ran with Python's own {', '.join(undone)} "
                             "(the submission had replaced them)")
        started = time.monotonic()
        evaluated: dict[str, Any] = {}
        try:
            evaluated = await client.run_cell(cell, index, {"guard": _guard_call(kernel, "after()")} if guarded else {})
        except DeadKernelError:
            stopped = f"the kernel died in {label}: {kernel.death()}"
            _add_error(cell, "KernelDied", stopped)
        except CellTimeoutError:  # no idle status after the timeout's interrupt: stuck in a loop or in output
            stopped = _unresponsive(label, limits.timeout)
            _add_error(cell, "KernelUnresponsive", stopped)
        finally:
            seconds += time.monotonic() - started
        if not stopped and _timed_out(cell):
            if by_budget:
                stopped = f"{label} was interrupted when the notebook's time budget of {budget:g} s ran out"
            else:
                notes.append(f"{label} ran longer than {limits.timeout:g} s and was interrupted")
            if not await _responsive(kernel):
                stopped = _unresponsive(label, limits.timeout)
        if stopped:
            notes.append(stopped)
        elif guarded:  # a failed test's request evaluates no expression: then a request of its own
            changed = _guard_value(evaluated["guard"]) if "guard" in evaluated else await _guard(kernel, "after()")
            if changed is None:
                stopped = f"the submission disabled the grader's test guard in {label}"
                notes.append(stopped)
            elif changed:  # what ran the test was not what the guard had put back: its outputs prove nothing
                void = f"{label}: the submission changed {', '.join(changed)} while the tests ran; they score 0"
                notes.append(void)
                _add_error(cell, "TestsTamperedWith", void, first=True)
    client.set_widgets_metadata()
    if client.cut_cells:
        notes.append(f"output over {limits.output_bytes} bytes was cut in "
                     f"{', '.join(_label(nb.cells[i], i) for i in sorted(client.cut_cells))}")
    return NotebookOutcome(job.name, nb, tuple(notes), seconds)


class _GradingClient(Execute):
    """nbgrader's ``Execute``, on a pooled kernel, with an output budget (see the module docstring)."""

    def __init__(self, nb: NotebookNode, kernel: PooledKernel, *, budget: int, **kwargs: Any) -> None:
        # as a client of this notebook and kernel; ExecutePreprocessor's own __init__ takes neither
        NotebookClient.__init__(self, nb, kernel.km, **kwargs)
        self.kc = _WithExpressions(kernel.kc)
        self._reply: dict[str, Any] | None = None
        self._left = budget
        self.cut_cells: set[int] = set()
        self._stderr_kept: set[int] = set()
        self._running: int | None = None

    async def run_cell(self, cell: NotebookNode, index: int, expressions: dict[str, str]) -> dict[str, Any]:
        """Execute ``cell`` as nbgrader would, with ``expressions`` evaluated after it in the same
        request; their results by name (none when the cell ended in an error: the kernel then
        evaluates nothing)."""
        self.kc.expressions, self._reply = expressions, None
        try:
            await self.async_execute_cell(cell, index, execution_count=self.code_cells_executed + 1)
        finally:
            self.kc.expressions = {}
        return dict((self._reply or {}).get("content", {}).get("user_expressions") or {})

    def on_cell_executed(self, **kwargs: Any) -> None:
        self._reply = kwargs["execute_reply"]
        super().on_cell_executed(**kwargs)

    def process_message(self, msg: dict[str, Any], cell: NotebookNode, cell_index: int) -> NotebookNode | None:
        self._running = cell_index
        return super().process_message(msg, cell, cell_index)

    def _update_display_id(self, display_id: str, msg: dict[str, Any]) -> None:
        """Update a display only in the cell running now: a later cell that rewrote an earlier cell's
        output could put what it read of hidden tests where feedback shows outputs (before the
        first hidden test, see :mod:`lessonkit.grade.redact`)."""
        everywhere = self._display_id_map.get(display_id)
        if everywhere is None:
            return
        self._display_id_map[display_id] = {i: v for i, v in everywhere.items() if i == self._running}
        try:
            super()._update_display_id(display_id, msg)
        finally:
            self._display_id_map[display_id] = everywhere

    def output(self, outs: list[NotebookNode], msg: dict[str, Any], display_id: str | None,
               cell_index: int) -> NotebookNode | None:
        trimmed = self._within_budget(msg, cell_index)
        return None if trimmed is None else super().output(outs, trimmed, display_id, cell_index)

    def _within_budget(self, msg: dict[str, Any], cell_index: int) -> dict[str, Any] | None:
        content = msg["content"]
        size = _size(content)
        if size <= self._left:
            self._left -= size
            return msg
        self._left = 0
        first_cut = cell_index not in self.cut_cells
        self.cut_cells.add(cell_index)
        kind = msg["msg_type"]
        if kind == "stream" and content.get("name") == "stderr":
            if cell_index in self._stderr_kept:
                return None
            self._stderr_kept.add(cell_index)  # stderr zeroes a grade cell: keep that it happened
            return {**msg, "content": {**content, "text": content["text"][:_KEEP_CHARS] + "\n[output cut]\n"}}
        if kind == "error":
            tail = [line[-_KEEP_CHARS:] for line in content.get("traceback", [])[-5:]]
            return {**msg, "content": {**content, "evalue": str(content.get("evalue", ""))[:_KEEP_CHARS],
                                       "traceback": tail}}
        if kind == "execute_result":  # a test's result can be its partial credit
            text = content.get("data", {}).get("text/plain", "")
            return {**msg, "content": {**content, "data": {"text/plain": text[:_KEEP_CHARS]}, "metadata": {}}}
        if first_cut:
            note = "[lessonkit: the output limit was reached; further output from this cell was discarded]\n"
            return {**msg, "msg_type": "stream", "content": {"name": "stdout", "text": note}}
        return None


class _WithExpressions:
    """A kernel client whose execute requests carry ``expressions``: the guard's check after a
    test cell goes with the test's own request, a round trip fewer per test cell."""

    def __init__(self, kc: Any) -> None:
        self._kc = kc
        self.expressions: dict[str, str] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._kc, name)

    def execute(self, code: str, **kwargs: Any) -> Any:
        return self._kc.execute(code, user_expressions=self.expressions, **kwargs)


def _size(content: Mapping[str, Any]) -> int:
    """Roughly how many bytes an output adds to the notebook (cheap: no full JSON encoding)."""
    size = len(content.get("text", "")) + sum(len(line) for line in content.get("traceback", []))
    for value in content.get("data", {}).values():
        size += len(value) if isinstance(value, str) else len(json.dumps(value))
    return size


def _label(cell: NotebookNode, index: int) -> str:
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    return f"cell {grade_id}" if grade_id else f"cell {index + 1}"


def _add_error(cell: NotebookNode, name: str, reason: str, *, first: bool = False) -> None:
    """Record, as the cell's error output, why the grader could not finish it or trust it: it
    scores 0, ``first`` when the cell's own outputs may hold a result (nbgrader reads the first)."""
    error = nbformat.v4.new_output("error", ename=name, evalue=reason, traceback=[f"{name}: {reason}"])
    cell.outputs.insert(0 if first else len(cell.outputs), error)


def _not_run(cell: NotebookNode, reason: str) -> None:
    cell.outputs = []
    _add_error(cell, "CellNotRun", f"not run: {reason}")


def _unresponsive(label: str, timeout: float) -> str:
    return f"{label} went on past its {timeout:g} s timeout and the interrupt; its kernel was stopped"


def _timed_out(cell: NotebookNode) -> bool:
    return any(out.output_type == "error" and out.get("ename") == "CellTimeoutError" for out in cell.outputs)


async def _responsive(kernel: PooledKernel) -> bool:
    try:
        await kernel.kc.execute_interactive("", silent=True, store_history=False, timeout=RESPONSIVE_GRACE_S,
                                            output_hook=_ignore)
    except TimeoutError:
        return False
    return True


async def _guard(kernel: PooledKernel, call: str) -> list[str] | None:
    """Call the kernel's test guard in a request of its own; ``None`` if it is gone or fails (the
    submission disabled it)."""
    try:
        reply = await kernel.kc.execute_interactive("", silent=True, store_history=False,
                                                    user_expressions={"guard": _guard_call(kernel, call)},
                                                    timeout=RESPONSIVE_GRACE_S, output_hook=_ignore)
    except TimeoutError:
        return None
    return _guard_value(reply["content"].get("user_expressions", {}).get("guard", {}))


def _guard_call(kernel: PooledKernel, call: str) -> str:
    return f"__import__('sys').modules[{kernel.guard_name!r}].{call}"


def _guard_value(result: Mapping[str, Any]) -> list[str] | None:
    """What the guard's call returned (a user expression's result), or ``None`` if it failed."""
    if result.get("status") != "ok":
        return None
    try:
        value = ast.literal_eval(result["data"]["text/plain"])
    except (KeyError, ValueError, SyntaxError):
        return None
    return value if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


def _ignore(msg: dict[str, Any]) -> None:
    """``execute_interactive`` prints outputs unless given a hook; the guard's have none worth keeping."""
