"""What the grade cells of an nbgrader assignment call, in the student's submission folder.

nbgrader's autograde runs the student's notebook top to bottom in a fresh kernel, in the
folder that holds the student's ``<lesson>.progress.jsonl`` log.  A grade cell scores 0
if it writes anything to stderr and crashes the whole submission if it returns more
than its points (architecture §8), so everything here is silent and clamped, and a missing or
damaged log gives 0 rather than an error.

The answer keys are in the grade cells themselves (hidden by nbgrader's markers, restored
from the gradebook at autograde) and never in the student's log or lesson blob.

``guard_builtins`` is the test guard (:mod:`lessonkit.engine.guard`) as a grade cell can
use it, from a snapshot taken when the header cell imported ``lessonkit.player``, before any
student code ran: it puts back every builtin that student code rebound (``builtins.sum =
...``) and hides those it shadowed at the top level of the notebook (``sum = ...``, ``def
len(...)``; they stay hidden: nothing runs after the tests to give them back), and puts back
the methods of IPython's shell and kernel and the custom exception handlers, which report
the cell's error.  It runs inside the test cell, so it comes too late for what acts on the
cell's source (input and AST transformers) and cannot check the cell's comparisons: an object
whose ``__eq__`` is always true still passes under nbgrader's own autograde (``lessonkit
grade`` refuses it).  Nor can it help against modules the tests import, or a student function
named like a builtin that a test means to call (ask for ``my_max``, not ``max``).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from lessonkit.engine.guard import Guard, Machinery

__all__ = ["grade", "grade_slot", "guard_builtins", "points_after_hints", "tests_passed"]


def _ipython() -> Any:
    module = sys.modules.get("IPython")
    return module.get_ipython() if module is not None else None


# taken at import, from the header cell: before student code runs
_GUARD = Guard()
_SHELL = _ipython()
_MACHINERY = Machinery(_SHELL) if _SHELL is not None else None


@contextlib.contextmanager
def _silently() -> Iterator[None]:
    """No output and no warning can escape: any stderr would zero the grade cell."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def _events() -> list[Any]:
    """Every event in the submission's log, in order.

    The log is the running lesson's (the header cell started it), else every log in the
    working folder (a notebook whose header cell failed).  All student ids count: the log
    is the submission's, whoever the kernel took the student to be.
    """
    from lessonkit.player import current_session
    from lessonkit.progress import LOG_SUFFIX, JsonlLog, log_path

    session = current_session()
    lesson_id = session.lesson_id if session is not None else None
    paths = [log_path(Path.cwd(), lesson_id)] if lesson_id else sorted(Path.cwd().glob(f"*{LOG_SUFFIX}"))
    return [event for path in paths for event in JsonlLog(path).read().events if lesson_id in (None, event.lesson_id)]


def _check_events(check_id: str) -> list[Any]:
    """Every event about one check in the submission's log, in order."""
    return [event for event in _events() if event.check_id == check_id]


def _hint_cost(events: list[Any]) -> float:
    """The points the revealed hints cost (a rung revealed twice costs once)."""
    costs = {e.data.get("rung"): float(e.data.get("cost") or 0.0) for e in events if e.type == "hint_revealed"}
    return sum(costs.values())


def _clamp(value: float, points: float) -> float:
    return float(min(max(value, 0.0), max(points, 0.0)))


def grade(check_id: str, key: Mapping[str, Any] | str) -> float:
    """The points the student's last answer to a check earns, judged with the answers in
    the clear: the kind's ``grade`` of the item the answer was given to, times the
    check's points, minus the costs of the hints revealed, within [0, points].

    ``key`` is the check's grading key (``kind``, ``points``, ``items``), as a dict or as
    its JSON text.  No answer, a damaged log or an unknown kind give 0.0; nothing is
    ever printed.
    """
    try:
        with _silently():
            return _grade(check_id, json.loads(key) if isinstance(key, str) else key)
    except Exception:  # noqa: BLE001 - a grade cell must not fail: an unreadable answer or key earns nothing
        return 0.0


def _grade(check_id: str, key: Mapping[str, Any]) -> float:
    from lessonkit.engine.kinds import get_kind, kind_names

    points = float(key["points"])
    events = _check_events(check_id)
    answers = [e for e in events if e.type == "answered" and e.data.get("answer") is not None]
    if not answers or str(key["kind"]) not in kind_names():
        return 0.0
    kind = get_kind(str(key["kind"]))
    last, items = answers[-1].data, key["items"]
    index = last.get("item") if isinstance(last.get("item"), int) and 0 <= last["item"] < len(items) else 0
    fraction = float(kind.grade(items[index], last["answer"]))
    return _clamp(fraction * points - _hint_cost(events), points)


def points_after_hints(check_id: str, points: float, before: float = 0.0) -> float:
    """The end of a code check's test cell (reached only when its asserts passed): its
    ``points`` minus its share of the hint costs.

    A check's tests may be split over several grade cells; ``before`` is the points of the
    check's earlier test cells.  The hint costs are taken from the cells in order, so
    across all cells they are taken once: a cell pays what the earlier cells could not.
    """
    try:
        with _silently():
            cost = _hint_cost(_check_events(check_id))
    except Exception:  # noqa: BLE001 - an unreadable log: the hints cannot be charged
        cost = 0.0
    share = min(max(cost - before, 0.0), points)
    return _clamp(points - share, points)


# The points a pooled or practice code check's test cells earned (after hint costs), by check,
# for the slot cell that runs after them: each test cell adds its share when its asserts pass.
_PASSED: dict[str, float] = {}


def tests_passed(check_id: str, points: float, before: float = 0.0) -> None:
    """The end of a test cell of a code check whose points are pooled in a slot (a theme of a
    choice, mastery credit) or are practice: reached only when its asserts passed, it keeps
    the points they earn for the slot (:func:`grade_slot`) and returns nothing, so nbgrader
    gives the cell its 0 points."""
    _PASSED[check_id] = _PASSED.get(check_id, 0.0) + points_after_hints(check_id, points, before)


def grade_slot(slot_id: str, points: float, options: list[list[Mapping[str, Any]]] | str) -> float:
    """The points of a slot (docs/grading.md, "Points and routes"): the best of its options,
    each the sum of its members, within [0, points].

    A member is ``{"check", "points"}`` with either ``"key"`` (a check judged from the log, as
    :func:`grade` does) or ``"tests": True`` (a code check: what its test cells passed, see
    :func:`tests_passed`), and optionally ``"mastery"``: skills whose mastery in the log (any
    ``mastery_changed`` to mastered) earns the member's points instead.  Nothing is printed and
    nothing raises: a slot nobody earned is 0.0.
    """
    try:
        with _silently():
            chosen = json.loads(options) if isinstance(options, str) else options
            best = max((sum(_member_points(member) for member in option) for option in chosen), default=0.0)
            return _clamp(best, float(points))
    except Exception:  # noqa: BLE001 - a grade cell must not fail
        return 0.0


def _member_points(member: Mapping[str, Any]) -> float:
    points = float(member["points"])
    if member.get("mastery") and all(_ever_mastered(skill) for skill in member["mastery"]):
        return points
    if member.get("tests"):
        return _clamp(_PASSED.get(str(member["check"]), 0.0), points)
    return _clamp(_grade(str(member["check"]), {**member["key"], "points": points}), points)


def _ever_mastered(skill_id: str) -> bool:
    """Whether the submission's log ever judged the skill mastered."""
    from lessonkit.progress import MASTERY_CHANGED

    return any(e.type == MASTERY_CHANGED and e.data.get("skill") == skill_id and e.data.get("mastered")
               for e in _events())


def guard_builtins() -> None:
    """Undo student code's changes to builtins and to IPython's reporting before the teacher's
    tests run (see the module doc for what this can and cannot protect)."""
    shell = _ipython()
    namespace = getattr(shell, "user_ns", None)
    if not isinstance(namespace, dict):
        namespace = {}
    _GUARD.before(namespace, _GUARD.shadowing(namespace))
    if _MACHINERY is not None:
        _MACHINERY.reporting()
