"""``lessonkit grade``: every submission of an assignment scored, recorded and fed back.

One long-lived process does the bookkeeping (reading, sanitizing, the gradebook, feedback)
while kernels, started ahead of time, run the submissions in parallel, here or on a Dask
cluster.  The bookkeeping runs in threads beside the event loop, never on it: the loop is what
feeds every kernel its cells, and a gradebook commit waiting on the disk there (a fraction of
a second under load) would stop all of them at once.  :class:`LessonkitGrader` is configured
like nbgrader, in ``nbgrader_config.py`` (``c.LessonkitGrader.memory_mb = 2048``);
:func:`grade_assignment` is the one call.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Sequence

import nbformat
from jupyter_core.utils import run_sync
from nbformat.notebooknode import NotebookNode
from tqdm.auto import tqdm
from traitlets import Bool, Float, Integer, Unicode, default
from traitlets.config import Config, LoggingConfigurable

from lessonkit import settings as env
from lessonkit.engine.sandbox import Limits, containment
from lessonkit.grade.assignment import AssignmentSpec, load_assignment
from lessonkit.grade.course import Course, GradingError, Submission
from lessonkit.grade.execute import ExecutionSettings, NotebookJob, SubmissionJob, SubmissionOutcome
from lessonkit.grade.feedback import FeedbackWriter, read_autograded, ungraded_notice
from lessonkit.grade.kernels import LESSON_IMPORTS, KernelSettings
from lessonkit.grade.records import record_submission, submission_files, write_autograded
from lessonkit.progress import LOG_SUFFIX
from lessonkit.grade.report import GradeReport, SubmissionReport
from lessonkit.grade.runners import LocalRunner, Runner
from lessonkit.grade.sanitize import Prepared, finish_notebook, prepare_notebook
from lessonkit.grade.scoring import CellScore, failed_cells, score_notebook
from lessonkit.grade.secrets import refuse_readable_secrets

log = logging.getLogger("lessonkit.grade")

DEFAULT_NOTEBOOK_SECONDS = 120.0
"""A notebook's time budget when none is configured: minutes for a batch of hundreds, seconds are usual."""

EVENT_LOGS = f"*{LOG_SUFFIX}"  # the player's log beside each notebook
"""A student's lessonkit event log, which travels beside their notebook in the submission."""


class LessonkitGrader(LoggingConfigurable):
    """Grades an assignment's submissions; every option can be set in ``nbgrader_config.py``."""

    workers = Integer(0, help="Notebooks run at once (0: one per CPU core).").tag(config=True)
    cluster = Unicode("", help="A Dask scheduler's address (tcp://HOST:PORT) to run submissions on; "
                               "empty: this machine.").tag(config=True)
    timeout = Float(0.0, help="Seconds a cell may run before it is interrupted "
                              "(0: nbgrader's Execute.timeout).").tag(config=True)
    notebook_seconds = Float(help="Seconds a notebook may run in all, so that one submission cannot hold its "
                                  "kernel for cells × timeout (0: no budget; default: LESSONKIT_NOTEBOOK_SECONDS "
                                  "or 120).").tag(config=True)
    cpu_seconds = Integer(600, help="CPU seconds a notebook's kernel may use in all.").tag(config=True)
    memory_mb = Integer(2048, help="Address space of a kernel, in MiB (a kernel with numpy needs ~1 GiB).") \
        .tag(config=True)
    output_bytes = Integer(10_000_000, help="Output a notebook may produce; past it output is cut, "
                                            "never a score.").tag(config=True)
    processes = Integer(64, help="Processes and threads a kernel may have (a kernel uses ~15).").tag(config=True)
    file_mb = Integer(64, help="Largest file a kernel may write, in MiB.").tag(config=True)
    isolate_network = Bool(True, help="Give kernels no network (as root).").tag(config=True)
    guard_tests = Bool(True, help="Give test cells Python's own builtins and IPython machinery, and "
                                  "check their comparisons (see lessonkit.engine.guard).").tag(config=True)
    feedback = Bool(True, help="Write feedback HTML for every graded student.").tag(config=True)
    progress_store = Unicode(None, allow_none=True,
                             help="Where to load the students' event logs (a lessonkit.progress URL); "
                                  "None: LESSONKIT_DB or the default store.").tag(config=True)

    def __init__(self, course: Course, **kwargs: Any) -> None:
        super().__init__(config=course.config, **kwargs)
        self.course = course

    @default("notebook_seconds")
    def _notebook_seconds_from_environment(self) -> float:
        configured = (env.NOTEBOOK_SECONDS.read() or "").strip()
        if not configured:
            return DEFAULT_NOTEBOOK_SECONDS
        try:
            seconds = float(configured)
        except ValueError:
            seconds = -1.0
        if not seconds >= 0:
            raise GradingError(f"{env.NOTEBOOK_SECONDS.name}={configured!r} is not a number of seconds "
                               "(0 for no budget)")
        return seconds

    def limits(self) -> Limits:
        """The containment of one notebook's kernel, from the options above."""
        timeout = self.timeout or float(self.course.config.Execute.get("timeout", 30))
        return Limits(timeout=timeout, cpu_seconds=self.cpu_seconds, memory_mb=self.memory_mb,
                      output_bytes=self.output_bytes, processes=self.processes, file_mb=self.file_mb)

    def kernel_settings(self, spec: AssignmentSpec, limits: Limits) -> KernelSettings:
        """How the kernels for ``spec``'s notebooks start: under ``limits``, and for a lesson built
        by lessonkit with the player's imports done once, in the zygote."""
        kernel_names = {nb.kernel_name for nb in spec.notebooks}
        if len(kernel_names) > 1:
            raise GradingError(f"{spec.name}'s notebooks use several kernels ({', '.join(sorted(kernel_names))}); "
                               "grade them as separate assignments")
        lesson = any(nb.lessonkit is not None for nb in spec.notebooks)
        return KernelSettings(kernel_name=kernel_names.pop(), limits=limits, isolate_network=self.isolate_network,
                              guard=self.guard_tests, preload=LESSON_IMPORTS if lesson else ())

    def grade(self, assignment: str, **kwargs: Any) -> GradeReport:
        """:meth:`grade_async`, for callers without an event loop."""
        return run_sync(self.grade_async)(assignment, **kwargs)

    async def grade_async(self, assignment: str, *, submissions_dir: str | os.PathLike[str] | None = None,
                          collect: bool = False, students: Sequence[str] | None = None,
                          limits: Limits | None = None, progress: bool = True) -> GradeReport:
        """Grade every submission of ``assignment``; see :func:`grade_assignment`."""
        started = time.monotonic()
        course = self.course
        notes = []
        if collect:
            course.collect(assignment)
        if submissions_dir is not None:
            course.import_submissions(assignment, submissions_dir)
        if course.ensure_assignment(assignment):
            notes.append(f"{assignment} was not in the gradebook: nbgrader generate_assignment was run")
        spec = load_assignment(course, assignment)
        submissions = course.submissions(assignment, students)
        if not submissions:
            raise GradingError(f"no submissions of {assignment} in "
                               f"{course.folder('submitted_directory', '*', assignment)}")
        settings = ExecutionSettings(self.kernel_settings(spec, limits or self.limits()),
                                     execute=dict(course.config.Execute), notebook_seconds=self.notebook_seconds)
        if not self.cluster:  # a cluster's kernels run on other machines, where this process is not
            refuse_readable_secrets(containment(), {"progress store": self.progress_store or env.DB.read(),
                                                    "gradebook": course.db_url})
        if self.cluster:
            from lessonkit.grade.cluster import DaskRunner  # Dask is an optional dependency

            runner: Runner = DaskRunner(settings, self.cluster)
        else:
            runner = LocalRunner(settings, self.workers or os.cpu_count() or 1)
        run = _Run(self, spec, FeedbackWriter(course, spec) if self.feedback else None)
        writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lessonkit-record")
        bar = tqdm(total=len(submissions), desc=f"grading {assignment}", unit="submission", disable=not progress)
        try:
            async with runner:
                with course.gradebook() as gradebook, course.private():
                    run.gradebook = gradebook
                    run.writer = writer
                    ahead = asyncio.Semaphore(2 * runner.capacity)  # read and sanitize just ahead of the kernels

                    async def one(submission: Submission) -> SubmissionReport:
                        async with ahead:
                            report = await run.grade(submission, runner)
                        bar.update()
                        return report

                    tasks = [asyncio.ensure_future(one(s)) for s in submissions]
                    try:
                        reports = await asyncio.gather(*tasks)
                    except BaseException:  # the run cannot go on: stop the other submissions, then say why
                        for task in tasks:
                            task.cancel()
                        await asyncio.gather(*tasks, return_exceptions=True)
                        raise
                    finally:  # what the writer opened, closed by the writer, before the gradebook closes
                        await asyncio.get_running_loop().run_in_executor(writer, run.close)
        finally:
            writer.shutdown()
            bar.close()
        return GradeReport(assignment, tuple(reports), spec.max_score, time.monotonic() - started, runner.where,
                           feedback=self.feedback, events_imported=run.events_imported, notes=tuple(notes),
                           limits=_in_words(settings))


def _in_words(settings: ExecutionSettings) -> str:
    limits = settings.kernel.limits
    budget = f"{settings.notebook_seconds:g} s per notebook" if settings.notebook_seconds else \
        "no time budget per notebook"
    return (f"{limits.timeout:g} s per cell, {budget}, {limits.cpu_seconds} CPU s and {limits.memory_mb} MiB "
            "per kernel")


class _Run:
    """The per-run state of grading one assignment: one submission at a time through :meth:`grade`."""

    def __init__(self, grader: LessonkitGrader, spec: AssignmentSpec, feedback: FeedbackWriter | None) -> None:
        self.grader = grader
        self.course = grader.course
        self.spec = spec
        self.feedback = feedback
        self.gradebook: Any = None
        self.writer: Executor | None = None
        """The one thread that writes results (the gradebook's session is per thread, and one at a
        time keeps its writes in order)."""
        self.events_imported = 0
        self._store: Any = None

    async def grade(self, submission: Submission, runner: Runner) -> SubmissionReport:
        """Prepare, run, score and record one submission; whatever goes wrong becomes its report."""
        try:
            prepared = await asyncio.to_thread(self._prepare, submission)
            jobs = tuple(NotebookJob(name, p.notebook, p.protected(self.spec.notebook(name)))
                         for name, p in prepared.items() if p.notebook is not None)
            files = tuple((rel, str(path)) for rel, path in
                          [*submission_files(submission.path, self.course.coursedir.ignore),
                           *self.spec.source_files])
            outcome = await runner.run(SubmissionJob(submission.student_id, jobs, files)) if jobs else \
                SubmissionOutcome(submission.student_id, ())
            return await asyncio.get_running_loop().run_in_executor(self.writer, self._record, submission,
                                                                   prepared, outcome)
        except GradingError:  # the run's own trouble (a kernel cannot start ...), not this submission's
            raise
        except Exception as error:  # one submission's trouble never stops the batch
            log.exception("grading %s", submission.student_id)
            reason = f"grading failed: {type(error).__name__}: {error}"
            cells = [s for nb in self.spec.notebooks for s in score_notebook(None, nb, unread=reason)]
            return SubmissionReport(submission.student_id, 0.0, self.spec.max_score, tuple(cells), (reason,))

    def close(self) -> None:
        """Close the progress store and the writer's session of the gradebook (nbgrader's sessions
        are per thread); in the writer's thread, where they were opened."""
        if self._store is not None:
            self._store.close()
        if self.gradebook is not None:
            self.gradebook.db.remove()

    def _prepare(self, submission: Submission) -> dict[str, Prepared]:
        prepared = {}
        for notebook in self.spec.notebooks:
            path = submission.path / f"{notebook.name}.ipynb"
            if not path.is_file():
                prepared[notebook.name] = Prepared(None, problem=f"{notebook.name}.ipynb was not submitted")
                continue
            prepared[notebook.name] = prepare_notebook(
                path.read_bytes(), notebook, assignment=self.spec.name, student_id=submission.student_id,
                config=self.course.config)
        return prepared

    def _record(self, submission: Submission, prepared: dict[str, Prepared],
                outcome: SubmissionOutcome) -> SubmissionReport:
        ran = {o.name: o for o in outcome.notebooks}
        notes: list[str] = []
        scores: list[CellScore] = []
        graded: dict[str, NotebookNode] = {}
        ungraded: dict[str, NotebookNode] = {}
        seconds = 0.0
        for notebook in self.spec.notebooks:
            done = prepared[notebook.name]
            notes.extend(done.notes)
            result = ran.get(notebook.name)
            if done.notebook is None or result is None:
                problem = done.problem or "not run"
                notes.append(problem)
                scores.extend(score_notebook(None, notebook, unread=problem))
                ungraded[notebook.name] = ungraded_notice(problem)
                continue
            notes.extend(f"{notebook.name}.ipynb: {note}" for note in result.notes)
            seconds += result.seconds
            nb = finish_notebook(nbformat.from_dict(result.notebook), self.course.config)
            graded[notebook.name] = nb
            if result.error:
                problem = f"{notebook.name}.ipynb could not be run to the end by the grader: {result.error}"
                notes.append(problem)
                scores.extend(score_notebook(None, notebook, unread=problem))
            else:
                scores.extend(score_notebook(nb, notebook))
                notes.extend(failed_cells(nb, notebook))
        write_autograded(self.course, self.spec, submission, graded)
        record_submission(self.gradebook, self.spec, submission,
                          {nb.name: graded.get(nb.name) for nb in self.spec.notebooks}, scores, self.course.config)
        if self.feedback is not None:
            self.feedback.write(submission.student_id, {**graded, **ungraded}, self.gradebook)
        notes.extend(self._import_events(submission))
        earned = sum(s.score for s in scores if s.score is not None)
        return SubmissionReport(submission.student_id, earned, self.spec.max_score, tuple(scores), tuple(notes),
                                seconds)

    def _import_events(self, submission: Submission) -> list[str]:
        """Load the event logs that came with the submission into the progress store."""
        logs = sorted(submission.path.rglob(EVENT_LOGS))
        if not logs:
            return []
        from lessonkit.progress import StoreError, import_jsonl, open_store

        notes = []
        for path in logs:
            try:
                if self._store is None:
                    self._store = open_store(self.grader.progress_store)
                self.events_imported += import_jsonl(self._store, path, student_id=submission.student_id)
            except (StoreError, OSError, ValueError) as error:
                notes.append(f"{path.name}: events not imported ({error})")
        return notes


def grade_assignment(assignment: str, *, course_dir: str | os.PathLike[str] = "grading",
                     submissions_dir: str | os.PathLike[str] | None = None, collect: bool = False,
                     students: Sequence[str] | None = None, workers: int | None = None,
                     cluster: str | None = None, limits: Limits | None = None, feedback: bool | None = None,
                     progress: bool = True, progress_store: str | None = None,
                     config: Config | None = None) -> GradeReport:
    """Autograde every submission of ``assignment`` in the nbgrader course at ``course_dir``.

    Submissions come from ``submitted/`` (after nbgrader's ``collect`` from the exchange with
    ``collect=True``, or copied there from ``submissions_dir``, a folder laid out the same
    way: ``<student>/<assignment>/*.ipynb``).  Scores are nbgrader's, written into its
    gradebook, the executed notebooks into ``autograded/``, feedback HTML into ``feedback/``
    and the students' event logs into the progress store.  ``workers`` kernels run at once
    (default: one per core), or every submission is a task on the Dask scheduler at
    ``cluster``.  ``limits`` contain each notebook's kernel (``limits.timeout`` is per cell).
    Arguments left ``None`` come from ``c.LessonkitGrader`` in the course's ``nbgrader_config.py``.

    One bad submission never stops the run: it gets a score and a reason in the report.
    """
    course = Course(course_dir, config)
    given = {"workers": workers, "cluster": cluster, "feedback": feedback, "progress_store": progress_store}
    overrides = {key: value for key, value in given.items() if value is not None}
    grader = LessonkitGrader(course, **overrides)
    return grader.grade(assignment, submissions_dir=submissions_dir, collect=collect, students=students,
                        limits=limits, progress=progress)


def generate_feedback(assignment: str, *, course_dir: str | os.PathLike[str] = "grading",
                      students: Sequence[str] | None = None) -> list[Path]:
    """(Re)write feedback HTML from ``autograded/`` and the gradebook, e.g. after manual grading."""
    course = Course(course_dir)
    spec = load_assignment(course, assignment)
    writer = FeedbackWriter(course, spec)
    written = []
    with course.gradebook() as gradebook:
        for submission in course.submissions(assignment, students):
            written.extend(writer.write(submission.student_id, read_autograded(course, spec, submission.student_id),
                                        gradebook))
    return written
