"""Layer 5, the student's side: what the notebooks built by ``lessonkit build`` call.

These are not the teacher's calls: ``import lessonkit as lk`` describes a lesson
(``lk.lesson``, ``lk.step``, ``lk.check``, ...), and ``lessonkit build`` reads those without
running them.  A built notebook runs the lesson under names of its own (``lkp.start_*``,
``lkp.show_*``), so neither a person nor ``lessonkit``'s reader of ``lk.*`` calls can take a
built notebook's cells for the teacher's.

Student notebook (JupyterLab)::

    import lessonkit.player as lkp
    lkp.start_notebook("<sealed lesson>")  # header cell: the lesson, whose progress, where it is saved
    ...
    lkp.show_check("which-equal")          # under each check: answer, Check, Hint, feedback, mastery
    lkp.show_next_step("practice")         # after a step ending in a branch or choice: what next

Page (Voila)::

    import lessonkit.player as lkp
    lkp.start_page("<sealed lesson>")      # the whole lesson, one step at a time

nbgrader grade cells (autograde, in the submission folder)::

    lkp.grade("which-equal", {<grading key>})                   # points for the last answer
    lkp.guard_builtins(); <teacher's tests>; lkp.points_after_hints("sum-evens", 2)
    lkp.guard_builtins(); <teacher's tests>; lkp.tests_passed("theme-code", 2)  # a pooled check's tests
    lkp.grade_slot("choice-theme", 1, [[<member>, ...], ...])  # the best theme's points (docs/grading.md)

Importing this module is nearly free (widgets and the engine load on the first call) and
snapshots the builtins for :func:`guard_builtins`, which is why the header cell imports it
before any student code runs.  In JupyterLab, events go to ``<lesson-id>.progress.jsonl``
in the notebook's folder (so they travel with an nbgrader submission); a page uses the
progress store (``LESSONKIT_DB``, SQLite by default).  See docs/player.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lessonkit.player.grading import grade, grade_slot, guard_builtins, points_after_hints, tests_passed

if TYPE_CHECKING:
    from lessonkit.player.session import Session

__all__ = ["current_session", "grade", "grade_slot", "guard_builtins", "points_after_hints", "show_check", "show_next_step",
           "start_notebook", "start_page", "tests_passed"]

_session: Session | None = None


def current_session() -> Session | None:
    """The session the header cell started in this kernel, if any."""
    return _session


def _display(obj: Any) -> None:
    from IPython.display import display

    display(obj)


def _problem(message: str) -> None:
    """A readable note instead of a traceback: a check never breaks the notebook."""
    from IPython.display import Markdown

    _display(Markdown(f"**lessonkit:** {message}"))


def _load(blob: str) -> dict[str, Any] | None:
    from lessonkit.format.blob import decode

    try:
        return decode(blob)
    except ValueError as error:
        _problem(str(error))
        return None


def start_notebook(blob: str) -> None:
    """Start (or resume) the lesson in a student notebook and show its header.

    Progress is read from and appended to ``<lesson-id>.progress.jsonl`` in the working
    folder; the student is ``JUPYTERHUB_USER``, else the OS user.  Running the cell again
    keeps the session, so the checks below stay connected to it.
    """
    global _session
    lesson = _load(blob)
    if lesson is None:
        return
    from lessonkit.player.identity import notebook_identity
    from lessonkit.player.session import Session
    from lessonkit.player.widgets import LessonHeader
    from lessonkit.progress import JsonlLog, log_path

    log = log_path(Path.cwd(), lesson["id"])
    if _session is None or _session.lesson != lesson or _session.mode != "notebook":
        _session = Session(lesson, notebook_identity(), JsonlLog(log), mode="notebook")
    _display(LessonHeader(_session, log.name))


def _started(what: str) -> Session | None:
    if _session is None:
        _problem(f"run the first cell of this notebook (lkp.start_notebook) before {what}.")
    return _session


def show_check(check_id: str) -> None:
    """Show a check: prompt, answer input, Check, Hint, feedback and mastery.  A code check
    runs its visible tests on what the student's cells defined in this kernel."""
    session = _started("the checks")
    if session is None:
        return
    if check_id not in session.lesson["checks"]:
        _problem(f"this notebook has no check '{check_id}'.")
        return
    from lessonkit.player.widgets import CheckView

    namespace = None
    if session.check(check_id)["input"] == "code":
        from IPython import get_ipython

        shell = get_ipython()
        namespace = (lambda: shell.user_ns) if shell is not None else (dict)
    _display(CheckView(session, check_id, namespace=namespace))


def show_next_step(step_id: str) -> None:
    """Show the "what next" panel of a step that ends with a branch rule set or a choice."""
    session = _started("this panel")
    if session is None:
        return
    if step_id not in session.path.steps:
        _problem(f"this notebook has no step '{step_id}'.")
        return
    from lessonkit.player.widgets import NextStepView

    _display(NextStepView(session, step_id))


def start_page(blob: str) -> None:
    """Run the lesson as a self-paced page (what Voila serves): one step at a time,
    resumed from the progress store for the student the request identifies (in a preheated
    kernel, everything else is done before that request comes: :mod:`lessonkit.player.pagestart`)."""
    global _session
    lesson = _load(blob)
    if lesson is None:
        return
    from lessonkit.player.pagestart import start_page_view
    from lessonkit.progress import StoreError, open_store

    try:
        store = open_store()
    except StoreError as error:
        _problem(f"progress cannot be saved, so the lesson cannot start: {error}. Tell your teacher.")
        return
    _session, view = start_page_view(lesson, store)
    _display(view)
