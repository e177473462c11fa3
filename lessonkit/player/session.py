"""One student working through one lesson: the single place that judges, decides and records.

The widgets in JupyterLab and the Voila page are thin views over a :class:`Session`:
they hand it what the student did and show what it returns.  Everything the session
knows is folded from the student's events (``lessonkit.progress``), so a session opened
on the same events, in another process or on another day, is in exactly the same state:
same step, same answers, same items, same mastery.  Each action is recorded as one batch
(one fsync) before its result is shown, so what a student was told is never lost.

What counts as evidence of mastery follows architecture §7 (``engine.mastery.evidence_of``):
the first answer to a fresh item, without help.  A check's items are its variants: after
a wrong answer the next try is the next item, and on a page coming back to a step after a
right answer brings a new item too, so practice keeps giving evidence.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from lessonkit.engine.conditions import ConditionError
from lessonkit.engine.flags import Activity, detect_flags
from lessonkit.engine.kinds import Verdict, get_kind
from lessonkit.engine.mastery import (
    SkillMastery,
    evidence_of,
    update,
    void_item,
    weakest_prerequisite,
)
from lessonkit.engine.path import LessonPath, Route
from lessonkit.model import Check, Hint, MasteryPolicy, Rule, Skill
from lessonkit.player.identity import Identity
from lessonkit.progress import (
    ANSWERED,
    BRANCH_TAKEN,
    CHOICE_MADE,
    FLAG_RAISED,
    HINT_REVEALED,
    LESSON_STARTED,
    MASTERY_CHANGED,
    REVIEW_DONE,
    STEP_ENTERED,
    STEP_LEFT,
    Event,
    EventStore,
    StudentState,
)

__all__ = ["HintOffer", "Outcome", "Session"]

log = logging.getLogger(__name__)

_HATCH = re.compile(r"^needs_remediation\('([^']+)'\)$")


@dataclass(frozen=True)
class Outcome:
    """What one press of Check did.

    ``recorded`` is False when the answer could not even be read (nothing was stored and
    it is not an attempt).  ``next_item`` differs from ``item`` when the next try gets a
    new variant.  ``mastery`` holds the skills whose estimate this answer changed.
    """

    verdict: Verdict
    recorded: bool
    item: int
    next_item: int
    evidence: bool | None = None
    mastery: Mapping[str, SkillMastery] = field(default_factory=dict)
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class HintOffer:
    """The next rung of a check's hint ladder, as the Hint button announces it.

    ``locked_for`` is how many more answers the student must submit before it opens
    (0: available now); ``cost`` is the points it takes off, told before revealing.
    """

    rung: int
    total: int
    cost: float
    bottom_out: bool
    locked_for: int


@dataclass
class _Track:
    """Per check, what the evidence rule needs beyond ``StudentState``: the current item,
    the items already answered, and the help asked for since the last answer."""

    current: int
    since: float  # when the item was shown or last acted on (for elapsed_s)
    seen: set[int] = field(default_factory=set)
    hints: int = 0
    bottom_out: bool = False
    answered_here: bool = False  # answered since its step was last entered (a review counts once)


class Session:
    """One student's run through one sealed lesson, resumed from their event history.

    ``mode`` is ``"notebook"`` (JupyterLab: steps are entered as the student works in
    them) or ``"page"`` (Voila: one step at a time, entered through :meth:`go`).  The
    session is also the branch rules' :class:`~lessonkit.engine.conditions.ConditionContext`.
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
        self._step_of = {c: s for s in self.path.order for c in self.path.checks_of(s)}
        self._ladders = {cid: Check(cid, c["kind"], hints=tuple(Hint(**h) for h in c["hints"]))
                         for cid, c in lesson["checks"].items()}
        self.state = StudentState(lesson_id=lesson["id"], student_id=identity.student_id)
        self.events: list[Event] = []
        self._tracks: dict[str, _Track] = {}
        self._mastery: dict[str, SkillMastery] = {}
        self._reviews: dict[str, list[tuple[float, bool]]] = {}  # skill -> (when, passed), from mastery on
        self._hatch_taken: set[str] = set()
        self._return_to: str | None = None  # where a review detour goes back to
        self._left_last = False  # the student left their current step by its end route
        self._activity: list[Activity] = []
        self._listeners: list[Callable[[], None]] = []
        for event in store.history(lesson["id"], identity.student_id):
            self._fold(event)

    # -- reading the state ------------------------------------------------------------

    @property
    def lesson_id(self) -> str:
        return self.lesson["id"]

    @property
    def current_step(self) -> str | None:
        return self.state.current_step if self.state.current_step in self.path.steps else None

    def check(self, check_id: str) -> Mapping[str, Any]:
        """The sealed check (KeyError for an id the lesson does not have)."""
        return self.lesson["checks"][check_id]

    def step_of(self, check_id: str) -> str:
        return self._step_of[check_id]

    def item(self, check_id: str) -> tuple[int, Mapping[str, Any]]:
        """The item the student's next answer to a check goes to, and its index."""
        track = self._track(check_id)
        return track.current, self.check(check_id)["items"][track.current]

    def last_answer(self, check_id: str) -> Any:
        """The latest answer recorded for a check (None before any), to restore a widget."""
        answers = self.state.check(check_id).answers
        return answers[-1] if answers else None

    def hints_shown(self, check_id: str) -> list[str]:
        """The texts of the hints revealed so far, in ladder order."""
        hints = self.check(check_id)["hints"]
        return [hints[rung]["text"] for rung in sorted(self.state.check(check_id).hints_revealed) if rung < len(hints)]

    def hint_offer(self, check_id: str) -> HintOffer | None:
        """The next hint the student may ask for, or None when the ladder is used up."""
        hints = self.check(check_id)["hints"]
        rung = len(self.state.check(check_id).hints_revealed)
        if rung >= len(hints):
            return None
        hint = hints[rung]
        locked_for = max(0, int(hint.get("after", 0)) - self.state.check(check_id).attempts)
        return HintOffer(rung, len(hints), float(hint.get("cost", 0.0)), bool(hint.get("bottom_out")), locked_for)

    def points_at_stake(self, check_id: str) -> float:
        """The points a check is worth now, after the costs of the hints revealed."""
        return max(0.0, float(self.check(check_id)["points"]) - self.state.check(check_id).hint_cost)

    def skill_mastery(self, skill_id: str) -> SkillMastery:
        """The current estimate for a skill (its prior before any evidence)."""
        return self._mastery.get(skill_id) or SkillMastery.initial(self.skills.get(skill_id) or Skill(skill_id))

    def progress(self) -> float:
        """How far along the lesson the student is, 0 to 1 (see ``LessonPath.progress``)."""
        step = self.current_step
        return self.path.progress(self.state.visits, step) if step else 0.0

    @property
    def finished(self) -> bool:
        """The student reached an end step, or left a last step that leads nowhere."""
        return self.state.finished or self._left_last

    def can_leave(self) -> bool:
        """Whether the student may move on from the current step: every check on it answered
        at least once (right or wrong: the branch rules decide where a struggle leads)."""
        step = self.current_step
        return step is not None and all(self.state.check(c).attempts > 0 for c in self.path.checks_of(step))

    def due_reviews(self, now: float | None = None) -> list[str]:
        """Mastered skills whose spaced review is due and that a review step can retrieve."""
        if not self._reviews:
            return []
        from lessonkit.engine.review import due_reviews

        moment = datetime.fromtimestamp(self.clock() if now is None else now, timezone.utc)
        due = due_reviews({s: self._card(s) for s in self._reviews}, moment)
        return [s for s in due if self.path.review_step_for(s)]

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` after every recorded action (views refresh their indicators);
        returns the function that stops it (a view calls it when closed)."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    # -- the condition language's view of the student (ConditionContext) ---------------

    def mastery(self, skill: str) -> float:
        return self.skill_mastery(skill).p

    def mastered(self, skill: str) -> bool:
        return self.skill_mastery(skill).mastered

    def needs_remediation(self, skill: str) -> bool:
        return self.skill_mastery(skill).needs_remediation

    def evidence(self, skill: str) -> int:
        return self.skill_mastery(skill).evidence

    def attempts(self, check: str) -> int:
        return self.state.check(check).attempts

    def score(self, check: str) -> float:
        return self.state.check(check).best_score

    def correct(self, check: str) -> bool:
        return self.state.check(check).correct

    def hints(self, check: str) -> int:
        return self.state.check(check).hints

    def chose(self, choice: str) -> str:
        return self.state.choices.get(choice, "")

    def visits(self, step: str) -> int:
        return self.state.visits.get(step, 0)

    # -- actions ------------------------------------------------------------------------

    def start(self) -> None:
        """Open a page: record the start of the lesson once and enter its first step (or,
        after a lesson update removed the step the student was on, start again at the top).

        A notebook records nothing until the student acts: running it (or autograding a
        submission) must not write to the student's log.
        """
        if self.mode != "page":
            return
        events = []
        if not self.state.started:
            events.append(self._event(LESSON_STARTED, data={"version": self.lesson.get("version")}))
        if self.current_step is None:
            events += self._entering(self.path.first)
        self._record(events)

    def answer(self, check_id: str, answer: Any) -> Outcome:
        """Judge an answer to a check's current item, record it with the mastery it moves and
        any flag it raises, and say what happened.

        ``answer`` is what the check's input gives: an option index (single), a list of
        them (multiple), text (number, text), source code (a page's code check) or the
        student's namespace (a notebook's code check, which is judged but not stored).
        """
        check = self.check(check_id)
        kind = get_kind(check["kind"])
        self._enter_lazily(self.step_of(check_id))
        index, item = self.item(check_id)
        verdict = _judge(kind, item, answer)
        if not verdict.readable:
            return Outcome(verdict, False, index, index)
        assert kind is not None  # an unknown kind's answers are never readable
        track = self._track(check_id)
        pending = verdict.correct is None
        fresh = index not in track.seen  # a fresh item's answer is also the first attempt at it
        now = self.clock()
        events: list[Event] = []
        correct = bool(verdict.correct)
        reviewing = [] if track.answered_here or pending else self._review_skills(check_id)
        evidence = None
        if not pending and not kind.graded_by_person and not reviewing:
            evidence = evidence_of(fresh, fresh, track.hints, track.bottom_out, correct)
        recorded_answer = answer if _storable(answer) else None
        events.append(self._event(ANSWERED, check_id=check_id, data={
            "answer": recorded_answer, "item": index, "correct": None if pending else correct,
            "score": float(verdict.score), "pending": pending, "attempt": self.state.check(check_id).attempts + 1,
            "evidence": evidence, "elapsed_s": round(max(0.0, now - track.since), 3),
        }))
        changed: dict[str, SkillMastery] = {}
        for skill_id in check["skills"]:
            if skill_id not in self.skills:
                continue
            before = self.skill_mastery(skill_id)
            if skill_id in reviewing:
                after = self._review(skill_id, check_id, before, correct, now, events)
                if after is None:
                    continue
            elif evidence is not None:
                after = update(self.skills[skill_id], self.policy, before, evidence)
            elif fresh and track.bottom_out and not pending:
                after = void_item(self.skills[skill_id], self.policy, before)
            else:
                continue
            changed[skill_id] = after
            events.append(self._mastery_event(skill_id, after, check_id))
        activity = Activity(now, "answered", check_id, None if pending else correct, recorded_answer)
        flags = self._new_flags(activity, changed)
        events += flags
        self._record(events)
        return Outcome(verdict, True, index, self._track(check_id).current, evidence, changed,
                       tuple(e.data["kind"] for e in flags))

    def reveal_hint(self, check_id: str) -> str:
        """Reveal the next hint (its cost was announced by :meth:`hint_offer`) and return it.

        Raises ValueError when the ladder is used up or the next hint is still gated.
        """
        offer = self.hint_offer(check_id)
        if offer is None:
            raise ValueError(f"check '{check_id}' has no more hints")
        if offer.locked_for:
            raise ValueError(f"the next hint of '{check_id}' opens after {offer.locked_for} more answer(s)")
        self._enter_lazily(self.step_of(check_id))
        events = [self._event(HINT_REVEALED, check_id=check_id, data={
            "rung": offer.rung, "bottom_out": offer.bottom_out, "cost": offer.cost})]
        events += self._new_flags(Activity(self.clock(), "hint_revealed", check_id, bottom_out=offer.bottom_out), {})
        self._record(events)
        return self.check(check_id)["hints"][offer.rung]["text"]

    def route(self) -> Route | None:
        """Where the current step leads for this student now (None at an unchosen choice).

        The teacher's rules decide, with two exceptions the engine owns: the escape hatch
        (a skill practised here needs remediation, once per skill, architecture §7) and the way
        back from a review detour.
        """
        step = self.current_step
        if step is None:
            return None
        if self._return_to and self.path.step(step)["kind"] == "review" and self._return_to != step:
            return Route(self._return_to, "review", condition="back from review")
        route = self.path.route(step, self, on_error=self._rule_failed)
        if route is None:
            return None
        return self._escape_hatch(step, route) or route

    def review_route(self) -> Route | None:
        """A detour to the review step of the most overdue skill, when one is due."""
        for skill_id in self.due_reviews():
            target = self.path.review_step_for(skill_id)
            if target and target != self.current_step:
                return Route(target, "review", condition=f"review due for '{skill_id}'")
        return None

    def choose(self, label: str) -> Route:
        """Take the current step's choice-point option ``label``; returns where it led."""
        step = self.current_step
        if step is None:
            raise ValueError("no step to choose from")
        route = self.path.choose(step, label)
        self.go(route)
        return route

    def go(self, route: Route) -> None:
        """Leave the current step along ``route`` (from :meth:`route`, :meth:`review_route` or
        a choice), recording why, and enter its target.  An end route only records the
        leaving."""
        here = self.current_step
        events = []
        if here is not None and route.reason in ("branch", "remediation", "review"):
            events.append(self._event(BRANCH_TAKEN, step_id=here, data={
                "from": here, "to": route.to, "rule": route.rule, "condition": route.condition}))
        if here is not None and route.reason == "choice":
            choice = self.path.step(here)["choice"]
            events.append(self._event(CHOICE_MADE, step_id=here, data={
                "choice": choice["id"], "label": route.label, "goto": route.to}))
        if here is not None:
            events.append(self._left(here))
        if route.to is not None:
            events += self._entering(route.to)
        self._record(events)

    # -- internals ------------------------------------------------------------------------

    def _event(self, type_: str, *, step_id: str | None = None, check_id: str | None = None,
               data: Mapping[str, Any] | None = None) -> Event:
        if step_id is None and check_id is not None:
            step_id = self._step_of.get(check_id)
        return Event(self.lesson_id, self.identity.student_id, type_, ts=self.clock(), step_id=step_id,
                     check_id=check_id, data=dict(data or {}))

    def _entering(self, step_id: str) -> list[Event]:
        """Entering a step; entering remediation also re-opens practice: a skill that
        needed it gets a fresh item budget, so coming back is not an instant second escape."""
        events = [self._event(STEP_ENTERED, step_id=step_id, data={"kind": self.path.step(step_id)["kind"]})]
        if self.path.step(step_id)["kind"] == "remediation":
            for skill_id, state in self._mastery.items():
                if state.needs_remediation:
                    reopened = SkillMastery(state.p, state.evidence, 0, state.mastered, False)
                    events.append(self._mastery_event(skill_id, reopened, None, step_id=step_id))
        return events

    def _left(self, step_id: str) -> Event:
        entered = next((e.ts for e in reversed(self.events) if e.type == STEP_ENTERED and e.step_id == step_id), None)
        elapsed = round(self.clock() - entered, 3) if entered is not None else None
        return self._event(STEP_LEFT, step_id=step_id, data={"elapsed_s": elapsed})

    def _enter_lazily(self, step_id: str) -> None:
        """In a notebook the student starts the lesson and enters a step by working in it:
        the first answer or hint there records the move.  A page enters steps through
        :meth:`go`."""
        if self.mode != "notebook" or self.state.current_step == step_id:
            return
        events = [] if self.state.started else [
            self._event(LESSON_STARTED, data={"version": self.lesson.get("version")})]
        if self.current_step:
            events.append(self._left(self.current_step))
        self._record(events + self._entering(step_id))

    def _mastery_event(self, skill_id: str, after: SkillMastery, check_id: str | None,
                       step_id: str | None = None) -> Event:
        # "items" is beyond the documented fields: it makes the escape-hatch budget resumable
        return self._event(MASTERY_CHANGED, step_id=step_id, check_id=check_id, data={
            "skill": skill_id, "p": after.p, "evidence": after.evidence, "items": after.items,
            "mastered": after.mastered, "needs_remediation": after.needs_remediation})

    def _review(self, skill_id: str, check_id: str, before: SkillMastery, correct: bool, now: float,
                events: list[Event]) -> SkillMastery | None:
        """A retrieval check of a mastered skill: schedule the next review; a failure costs
        mastery and re-opens practice (``engine.review.after_failed_review``).  Returns the
        new mastery, None when it did not change."""
        from lessonkit.engine.review import after_failed_review, schedule_review

        _, due = schedule_review(self._card(skill_id), correct, datetime.fromtimestamp(now, timezone.utc))
        events.append(self._event(REVIEW_DONE, check_id=check_id, data={
            "skill": skill_id, "correct": correct, "next_due": due.timestamp()}))
        return None if correct else after_failed_review(before, self.skills[skill_id], self.policy)

    def _review_skills(self, check_id: str) -> list[str]:
        """The skills an answer to this check reviews: it sits in a review step that
        retrieves them, and they have been mastered (they have a review schedule)."""
        step = self.path.step(self.step_of(check_id))
        if step["kind"] != "review":
            return []
        wanted = step.get("review") or self.check(check_id)["skills"]
        return [s for s in self.check(check_id)["skills"] if s in wanted and s in self._reviews]

    def _card(self, skill_id: str) -> dict[str, Any]:
        """The skill's FSRS card, rebuilt from its history: mastery counts as the first
        successful retrieval, then each review (the scheduler is deterministic)."""
        from lessonkit.engine.review import schedule_review

        card = None
        for when, passed in self._reviews[skill_id]:
            card, _ = schedule_review(card, passed, datetime.fromtimestamp(when, timezone.utc))
        assert card is not None
        return card

    def _escape_hatch(self, step: str, route: Route) -> Route | None:
        if route.to is not None and self.path.step(route.to)["kind"] == "remediation":
            return None  # the teacher's rules already remediate
        for skill_id in self.path.skills_of(step):
            if skill_id in self._hatch_taken or not self.needs_remediation(skill_id) or skill_id not in self.skills:
                continue
            masteries = {s: self.skill_mastery(s) for s in self.skills}
            weakest = weakest_prerequisite(self.skills, skill_id, masteries)
            target = self.path.remediation_for(weakest) or self.path.remediation_for(skill_id)
            if target and target != step:
                return Route(target, "remediation", condition=f"needs_remediation('{skill_id}')")
        return None

    def _rule_failed(self, index: int, rule: Rule, error: ConditionError) -> None:
        # validate catches these; at run time a broken rule is skipped, never shown to a student
        log.debug("lesson %s: branch rule %d (%r) skipped: %s", self.lesson_id, index, rule.condition, error)

    def _new_flags(self, activity: Activity, changed: Mapping[str, SkillMastery]) -> list[Event]:
        masteries = {**self._mastery, **changed}
        raised = {(f.kind, f.check, f.skill) for f in self.state.flags}
        events = []
        for flag in detect_flags([*self._activity, activity], checks=self._ladders, masteries=masteries):
            key = (flag.kind, flag.check_id, flag.skill_id)
            if key not in raised:
                raised.add(key)
                events.append(self._event(FLAG_RAISED, check_id=flag.check_id, data={
                    "kind": flag.kind, "skill": flag.skill_id, "check": flag.check_id, "detail": flag.detail}))
        return events

    def _record(self, events: list[Event]) -> None:
        if not events:
            return
        for event in self.store.append_many(events):
            self._fold(event)
        for listener in list(self._listeners):
            listener()

    def _track(self, check_id: str) -> _Track:
        track = self._tracks.get(check_id)
        if track is None:
            count = len(self.check(check_id)["items"])
            seed = hashlib.sha256(f"{self.identity.student_id}\x1f{check_id}".encode()).digest()
            track = self._tracks[check_id] = _Track(int.from_bytes(seed[:4], "big") % count, since=self.clock())
        return track

    def _next_item(self, check_id: str) -> None:
        """Move a check on to its next item, preferring one the student has not seen."""
        track = self._track(check_id)
        count = len(self.check(check_id)["items"])
        if count < 2:
            return
        order = [(track.current + k) % count for k in range(1, count + 1)]
        track.current = next((i for i in order if i not in track.seen), order[0])

    def _fold_entry(self, step_id: str, when: float) -> None:
        """Coming (back) to a step.  On a page, a check whose item was already answered
        offers a new one (the step is drawn afresh).  A notebook's check stays on the item
        its widget shows, so that what the student answers is what gets judged."""
        for check_id in self.path.checks_of(step_id):
            track = self._track(check_id)
            track.since, track.answered_here = when, False
            if self.mode == "page" and track.current in track.seen:
                self._next_item(check_id)

    def _fold(self, event: Event) -> None:
        """Apply one event: to ``StudentState``, and to what the evidence rule, reviews and
        detours need (so a resumed session decides exactly as the first one did)."""
        if event.type == STEP_ENTERED and event.step_id in self.path.steps:
            self._fold_entry(event.step_id, event.ts)
            if event.step_id == self._return_to:
                self._return_to = None
        if event.type in (STEP_ENTERED, STEP_LEFT):
            self._left_last = event.type == STEP_LEFT and event.step_id == self.state.current_step
        self.state.apply(event)
        self.events.append(event)
        data, check_id = event.data, event.check_id
        if check_id is not None and check_id in self.lesson["checks"]:
            track = self._track(check_id)
            if event.type == ANSWERED:
                self._activity.append(Activity(event.ts, "answered", check_id, data.get("correct"),
                                               data.get("answer")))
                item = data.get("item")
                track.seen.add(item if isinstance(item, int) else track.current)
                track.hints, track.bottom_out, track.since, track.answered_here = 0, False, event.ts, True
                if data.get("correct") is False:
                    self._next_item(check_id)
            elif event.type == HINT_REVEALED:
                self._activity.append(Activity(event.ts, "hint_revealed", check_id,
                                               bottom_out=bool(data.get("bottom_out"))))
                track.hints += 1
                track.bottom_out = track.bottom_out or bool(data.get("bottom_out"))
                track.since = event.ts
        if event.type == MASTERY_CHANGED and data.get("skill") in self.skills:
            skill_id = data["skill"]
            before = self._mastery.get(skill_id)
            self._mastery[skill_id] = SkillMastery(float(data["p"]), int(data.get("evidence", 0)),
                                                   int(data.get("items", before.items if before else 0)),
                                                   bool(data.get("mastered")), bool(data.get("needs_remediation")))
            if data.get("mastered") and skill_id not in self._reviews:
                self._reviews[skill_id] = [(event.ts, True)]
        elif event.type == REVIEW_DONE and data.get("skill") in self._reviews:
            self._reviews[data["skill"]].append((event.ts, bool(data.get("correct"))))
        elif event.type == BRANCH_TAKEN and data.get("rule") is None and data.get("to") in self.path.steps:
            kind = self.path.step(data["to"])["kind"]
            if kind == "remediation" and (match := _HATCH.match(str(data.get("condition") or ""))):
                self._hatch_taken.add(match.group(1))
            elif kind == "review" and str(data.get("condition") or "").startswith("review due"):
                self._return_to = data.get("from")


def _judge(kind: Any, item: Mapping[str, Any], answer: Any) -> Verdict:
    """The kind's verdict; a check never breaks the lesson, so a failure to judge is a
    message to try again, not a traceback."""
    if kind is None:
        return Verdict(False, message="This check cannot be answered here: this lessonkit does not know its "
                                      "kind. Ask your teacher.", readable=False)
    try:
        return kind.judge(item, answer)
    except Exception:  # the student sees a message; the details are for the teacher's logs
        log.debug("judging failed", exc_info=True)
        return Verdict(False, message="Something went wrong while checking your answer; it was not counted. "
                                      "Try again.", readable=False)


def _storable(answer: Any) -> bool:
    """Answers are stored as JSON; a notebook's code check passes a namespace, which is not."""
    try:
        json.dumps(answer, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True
