"""Where the student goes next, and the record of every move between steps.

The teacher's branch rules decide (``engine.path`` over the student's :class:`Standing`),
with two exceptions the engine owns: the escape hatch (a skill practised here needs
remediation: taken once per skill, architecture §7) and the way back from a review detour.
Both are recorded as branches without a rule, and read back from those events, so a
resumed session neither escapes twice nor forgets where a review interrupted.

A page moves through :meth:`Router.go`; in a notebook the student moves by working in a
step (:meth:`Router.work_on`), since nothing else tells the kernel where they are.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from lessonkit.engine.conditions import ConditionError
from lessonkit.engine.path import LessonPath, Route
from lessonkit.engine.placement import PLACEMENT, route_after_placement
from lessonkit.model import Rule
from lessonkit.player.estimates import Estimates
from lessonkit.player.journal import Journal
from lessonkit.player.standing import Standing
from lessonkit.progress import (
    BRANCH_TAKEN,
    CHOICE_MADE,
    LESSON_STARTED,
    STEP_ENTERED,
    STEP_LEFT,
    Event,
    StudentState,
)

__all__ = ["Router"]

log = logging.getLogger(__name__)

# the conditions the engine's own branches are recorded with, and recognised by on resume
_HATCH = re.compile(r"^needs_remediation\('([^']+)'\)$")
_REVIEW_DUE = "review due for "


class Router:
    """One student's moves through one lesson's steps."""

    def __init__(self, lesson: Mapping[str, Any], path: LessonPath, state: StudentState, standing: Standing,
                 estimates: Estimates, journal: Journal, *, mode: str, step_of: Mapping[str, str]) -> None:
        self._lesson = lesson
        self._path = path
        self._state = state
        self._standing = standing
        self._estimates = estimates
        self._journal = journal
        self._mode = mode
        self._step_of = step_of
        self._hatch_taken: set[str] = set()
        self._return_to: str | None = None  # where a review detour goes back to
        self._left_last = False  # the student left their current step by its end route

    @property
    def current_step(self) -> str | None:
        """The step the student is in (None before the first, or when a lesson update
        removed it)."""
        return self._state.current_step if self._state.current_step in self._path.steps else None

    @property
    def finished(self) -> bool:
        """The student reached an end step, or left a last step that leads nowhere."""
        return self._state.finished or self._left_last

    def route(self) -> Route | None:
        """Where the current step leads for this student now (None at an unchosen choice)."""
        step = self.current_step
        if step is None:
            return None
        if self._return_to and self._path.step(step)["kind"] == "review" and self._return_to != step:
            return Route(self._return_to, "review", condition="back from review")
        route = self._path.route(step, self._standing, on_error=self._rule_failed)
        if route is None:
            return None
        if route.reason == "next" and self._path.step(step)["kind"] == PLACEMENT:  # test-out: engine.placement
            return route_after_placement(self._path, step, self._estimates.skills, self._estimates.policy,
                                         self._estimates.of, self._state.visits.get(step, 0))
        return self._escape_hatch(step, route) or route

    def review_detour(self, due: Iterable[str]) -> Route | None:
        """A detour to the review step of the first of the ``due`` skills that has one."""
        for skill_id in due:
            target = self._path.review_step_for(skill_id)
            if target and target != self.current_step:
                return Route(target, "review", condition=f"{_REVIEW_DUE}'{skill_id}'")
        return None

    def choose(self, label: str) -> Route:
        """Take the current step's choice-point option ``label``; returns where it led."""
        step = self.current_step
        if step is None:
            raise ValueError("no step to choose from")
        route = self._path.choose(step, label)
        self.go(route)
        return route

    def go(self, route: Route) -> None:
        """Leave the current step along ``route``, recording why, and enter its target.  An
        end route only records the leaving."""
        here = self.current_step
        events = []
        if here is not None and route.reason in ("branch", "remediation", "review"):
            events.append(self._journal.event(BRANCH_TAKEN, step_id=here, data={
                "from": here, "to": route.to, "rule": route.rule, "condition": route.condition}))
        if here is not None and route.reason == "choice":
            choice = self._path.step(here)["choice"]
            events.append(self._journal.event(CHOICE_MADE, step_id=here, data={
                "choice": choice["id"], "label": route.label, "goto": route.to}))
        if here is not None:
            events.append(self._left(here))
        if route.to is not None:
            events += self._entering(route.to)
        self._journal.record(events)

    def open_page(self) -> None:
        """A page opens: record the start of the lesson once and enter its first step (or,
        after a lesson update removed the step the student was on, start again at the top)."""
        events = self._lesson_started()
        if self.current_step is None:
            events += self._entering(self._path.first)
        self._journal.record(events)

    def work_on(self, check_id: str) -> None:
        """In a notebook the student starts the lesson and enters a step by working in it:
        the first answer or hint there records the move.  A page enters steps through
        :meth:`go`."""
        step_id = self._step_of[check_id]
        if self._mode != "notebook" or self._state.current_step == step_id:
            return
        events = self._lesson_started()
        if self.current_step:
            events.append(self._left(self.current_step))
        self._journal.record(events + self._entering(step_id))

    def fold(self, event: Event) -> None:
        """Keep what the engine's own routes need: where the student left off, which escape
        hatches were taken, and where a review detour goes back to."""
        data = event.data
        if event.type == STEP_ENTERED and event.step_id in self._path.steps and event.step_id == self._return_to:
            self._return_to = None
        if event.type in (STEP_ENTERED, STEP_LEFT):
            # leaving does not change the current step, so this is the step being left
            self._left_last = event.type == STEP_LEFT and event.step_id == self._state.current_step
        elif event.type == BRANCH_TAKEN and data.get("rule") is None and data.get("to") in self._path.steps:
            kind = self._path.step(data["to"])["kind"]
            condition = str(data.get("condition") or "")
            if kind == "remediation" and (match := _HATCH.match(condition)):
                self._hatch_taken.add(match.group(1))
            elif kind == "review" and condition.startswith(_REVIEW_DUE):
                self._return_to = data.get("from")

    def _lesson_started(self) -> list[Event]:
        if self._state.started:
            return []
        return [self._journal.event(LESSON_STARTED, data={"version": self._lesson.get("version")})]

    def _entering(self, step_id: str) -> list[Event]:
        return [self._journal.event(STEP_ENTERED, step_id=step_id, data={"kind": self._path.step(step_id)["kind"]}),
                *(self._estimates.reopened(step_id) if self._path.step(step_id)["kind"] == "remediation" else ())]

    def _left(self, step_id: str) -> Event:
        entered = self._journal.entered_at(step_id)
        elapsed = round(self._journal.clock() - entered, 3) if entered is not None else None
        return self._journal.event(STEP_LEFT, step_id=step_id, data={"elapsed_s": elapsed})

    def _escape_hatch(self, step: str, route: Route) -> Route | None:
        return self._path.escape_hatch(step, route, self._estimates.of, self._hatch_taken)

    def _rule_failed(self, index: int, rule: Rule, error: ConditionError) -> None:
        # validate catches these; at run time a broken rule is skipped, never shown to a student
        log.debug("lesson %s: branch rule %d (%r) skipped: %s", self._lesson["id"], index, rule.condition, error)
