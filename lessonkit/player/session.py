"""One student working through one lesson: the single place the views ask and tell.

The widgets in JupyterLab and the Voila page are thin views over a :class:`Session`: they
hand it what the student did and show what it returns.  The session itself only wires
together the parts that decide, each a module of its own:

- ``journal``: the student's events, recorded one batch per action and folded on replay
  (everything below is folded from them, so a resumed session is in exactly the same state);
- ``items``: which variant of a check the next answer goes to;
- ``answers``: judging an answer and what it is evidence of;
- ``estimates``: the mastery estimate of each skill;
- ``hints``: the hint ladders, their gates and costs;
- ``review``: spaced review of mastered skills;
- ``flags``: behaviour flags for the teacher;
- ``routing`` and ``standing``: where the student goes next, and the student as the
  teacher's branch rules see them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from lessonkit.engine.mastery import SkillMastery
from lessonkit.engine.path import LessonPath, Route
from lessonkit.model import MasteryPolicy, Skill
from lessonkit.player.answers import Answers, Outcome
from lessonkit.player.estimates import Estimates, carried_mastery
from lessonkit.player.flags import FlagWatch
from lessonkit.player.hints import HintOffer, Hints
from lessonkit.player.identity import Identity
from lessonkit.player.items import Items
from lessonkit.player.journal import Journal
from lessonkit.player.review import Reviews
from lessonkit.player.routing import Router
from lessonkit.player.standing import Standing
from lessonkit.progress import CONFIDENCE_GIVEN, GOAL_SET, REFLECTION_SAVED, Event, EventStore, StudentState

__all__ = ["HintOffer", "Outcome", "Session"]

#: the events a student writes about themselves (:meth:`Session.note`)
STUDENT_NOTES = (GOAL_SET, CONFIDENCE_GIVEN, REFLECTION_SAVED)


class Session:
    """One student's run through one sealed lesson, resumed from their event history.

    ``mode`` is ``"notebook"`` (JupyterLab: steps are entered as the student works in
    them) or ``"page"`` (Voila: one step at a time, entered through :meth:`go`).
    ``standing`` is the student as the branch rules read them
    (:class:`~lessonkit.engine.conditions.ConditionContext`).
    """

    def __init__(
        self,
        lesson: Mapping[str, Any],
        identity: Identity,
        store: EventStore,
        *,
        mode: str = "page",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if mode not in ("notebook", "page"):
            raise ValueError(f"mode must be 'notebook' or 'page', not {mode!r}")
        self.lesson = lesson
        self.identity = identity
        self.store = store
        self.mode = mode
        self.clock = clock
        self.path = LessonPath(lesson)
        self.policy = MasteryPolicy(**lesson["mastery"])
        self.skills = {sid: Skill(sid, s["name"], tuple(s["requires"]), s["prior"], s["learn"], s["guess"], s["slip"])
                       for sid, s in lesson["skills"].items()}
        self.state = StudentState(lesson_id=lesson["id"], student_id=identity.student_id)
        checks = lesson["checks"]
        self._step_of = {c: s for s in self.path.order for c in self.path.checks_of(s)}
        self._journal = Journal(lesson["id"], identity.student_id, store, self._fold, clock=clock,
                                step_of=self._step_of)
        self._estimates = Estimates(self.skills, self.policy, self._journal, carried_mastery(lesson, identity, store))
        self.standing = Standing(self.state, self._estimates)
        self._items = Items(checks, self.path, identity.student_id, mode=mode, clock=clock)
        self._reviews = Reviews(self.path, checks, self._step_of, self._estimates, self._journal)
        self._flags = FlagWatch(checks, self.state, self._estimates, self._journal)
        self._router = Router(lesson, self.path, self.state, self.standing, self._estimates, self._journal,
                              mode=mode, step_of=self._step_of)
        self._hints = Hints(checks, self.state, self._router, self._flags, self._journal,
                            lambda check_id: self._items.current(check_id)[1])
        self._answers = Answers(checks, self.state, self._items, self._estimates, self._reviews, self._flags,
                                self._router, self._journal)
        self._journal.replay()

    # -- reading the state ------------------------------------------------------------

    @property
    def lesson_id(self) -> str:
        """The lesson's id, which names its events and its progress log."""
        return self.lesson["id"]

    @property
    def events(self) -> list[Event]:
        """Every event of this student on this lesson, oldest first."""
        return self._journal.events

    @property
    def current_step(self) -> str | None:
        """The step the student is in (None before the first, or when a lesson update
        removed it)."""
        return self._router.current_step

    @property
    def finished(self) -> bool:
        """The student reached an end step, or left a last step that leads nowhere."""
        return self._router.finished

    def check(self, check_id: str) -> Mapping[str, Any]:
        """The sealed check (KeyError for an id the lesson does not have)."""
        return self.lesson["checks"][check_id]

    def step_of(self, check_id: str) -> str:
        """The step a check is in (a check points to remediation only while its step is current)."""
        return self._step_of[check_id]

    def item(self, check_id: str) -> tuple[int, Mapping[str, Any]]:
        """The item the student's next answer to a check goes to, and its index."""
        return self._items.current(check_id)

    def last_answer(self, check_id: str) -> Any:
        """The latest answer recorded for a check (None before any), to restore a widget."""
        answers = self.state.check(check_id).answers
        return answers[-1] if answers else None

    def hints_shown(self, check_id: str) -> list[str]:
        """The texts of the hints revealed so far, in ladder order."""
        return self._hints.shown(check_id)

    def hint_offer(self, check_id: str) -> HintOffer | None:
        """The next hint the student may ask for, or None when the ladder is used up."""
        return self._hints.offer(check_id)

    def points_at_stake(self, check_id: str) -> float:
        """The points a check is worth now, after the costs of the hints revealed."""
        return self._hints.points_at_stake(check_id)

    def skill_mastery(self, skill_id: str) -> SkillMastery:
        """The current estimate for a skill (its prior before any evidence)."""
        return self._estimates.of(skill_id)

    def progress(self) -> float:
        """How far along the lesson the student is, 0 to 1 (see ``LessonPath.progress``)."""
        step = self.current_step
        return self.path.progress(self.state.visits, step) if step else 0.0

    def can_leave(self) -> bool:
        """Whether the student may move on from the current step: every check on it answered
        at least once (right or wrong: the branch rules decide where a struggle leads)."""
        step = self.current_step
        return step is not None and all(self.state.check(c).attempts > 0 for c in self.path.checks_of(step))

    def due_reviews(self, now: float | None = None) -> list[str]:
        """Mastered skills whose spaced review is due and that a review step can retrieve."""
        return self._reviews.due(now)

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` after every recorded action (views refresh their indicators);
        returns the function that stops it (a view calls it when closed)."""
        return self._journal.subscribe(listener)

    # -- actions ------------------------------------------------------------------------

    def start(self) -> None:
        """Open a page: record the start of the lesson once and enter its first step (or,
        after a lesson update removed the step the student was on, start again at the top).

        A notebook records nothing until the student acts: running it (or autograding a
        submission) must not write to the student's log.
        """
        if self.mode == "page":
            self._router.open_page()

    def answer(self, check_id: str, answer: Any) -> Outcome:
        """Judge an answer to a check's current item, record it with the mastery it moves and
        any flag it raises, and say what happened.

        ``answer`` is what the check's input gives: an option index (single), a list of
        them (multiple), text (number, text), source code (a page's code check) or the
        student's namespace (a notebook's code check, which is judged but not stored).
        """
        return self._answers.take(check_id, answer)

    def reveal_hint(self, check_id: str) -> str:
        """Reveal the next hint (its cost was announced by :meth:`hint_offer`) and return it.

        Raises ValueError when the ladder is used up or the next hint is still gated.
        """
        return self._hints.reveal(check_id)

    def route(self) -> Route | None:
        """Where the current step leads for this student now (None at an unchosen choice):
        the teacher's rules, the escape hatch, or the way back from a review."""
        return self._router.route()

    def review_route(self) -> Route | None:
        """A detour to the review step of the most overdue skill, when one is due."""
        return self._router.review_detour(self.due_reviews())

    def choose(self, label: str) -> Route:
        """Take the current step's choice-point option ``label``; returns where it led."""
        return self._router.choose(label)

    def go(self, route: Route) -> None:
        """Leave the current step along ``route`` (from :meth:`route`, :meth:`review_route` or
        a choice), recording why, and enter its target.  An end route only records the
        leaving."""
        self._router.go(route)

    def note(self, event_type: str, data: Mapping[str, Any], *, check_id: str | None = None) -> Event:
        """Record the student's own goal, confidence or reflection (``player.goals``,
        ``player.reflection``) in the current step: events no score, estimate or route reads."""
        if event_type not in STUDENT_NOTES:
            raise ValueError(f"note() records {', '.join(STUDENT_NOTES)}, not {event_type!r}")
        event = self._journal.event(event_type, step_id=self.current_step, check_id=check_id, data=dict(data))
        self._journal.record([event])
        return self.events[-1]

    def _fold(self, event: Event) -> None:
        """Apply one event to ``StudentState`` and to every part that keeps more than it."""
        self.state.apply(event)
        for part in (self._items, self._flags, self._estimates, self._reviews, self._router):
            part.fold(event)
