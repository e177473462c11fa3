"""The class report's figures, computed from a lesson's events and from nothing else.

Pure computation (no store, no files, no plotting): :class:`Tally` folds events one at a
time, so a class of a million events costs one pass and per-student summaries rather than
the events themselves; :meth:`Tally.report` turns the tallies into a :class:`ClassReport`.
The report can always be rebuilt from the log, and the same log gives the same report on
SQLite and PostgreSQL, because nothing here reads the clock: "now" is the lesson's last event.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from lessonkit.engine.flags import STUCK_ATTEMPTS
from lessonkit.progress import (
    ANSWERED,
    BRANCH_TAKEN,
    CHOICE_MADE,
    MASTERY_CHANGED,
    STEP_ENTERED,
    Event,
    StudentState,
)

IDLE_CAP_S = 300.0
"""A gap between two of a student's events counts as time on task up to this long: past
five minutes the student was most likely away, and one lunch break must not dwarf the lesson."""

MANY_ATTEMPTS = STUCK_ATTEMPTS - 2
"""Answers to one check without a correct one that put a student on the help list: two
fewer than the engine's stuck flag, so the teacher hears of it before the flag fires."""

IDLE_ON_CHECK_S = 600.0
"""A student whose last event is this long before the class's last, on a check they have
not yet got right, has probably given up on it rather than finished."""

DISCRIMINATION_MIN_STUDENTS = 5
"""Below this many students a correlation says more about chance than about the check."""

Status = Literal["not started", "practising", "mastered", "review due"]
DONE: tuple[Status, ...] = ("mastered", "review due")  # a review due is still a skill mastered
OPEN: tuple[Status, ...] = ("practising", "not started")


@dataclass(frozen=True)
class Cell:
    """One student's standing on one skill; ``p`` is None before any evidence."""

    status: Status
    p: float | None = None
    evidence: int = 0


@dataclass(frozen=True)
class HelpNeeded:
    """A student the teacher should go to now, why (``evidence``), and what to try."""

    student: str
    skill: str | None
    check: str | None
    evidence: tuple[str, ...]
    suggestions: tuple[str, ...]


@dataclass(frozen=True)
class Group:
    """Students who can be taught together tomorrow."""

    title: str
    why: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class CheckStats:
    """How the class did on one check.  Rates are fractions of the students who answered it."""

    check_id: str
    skill: str | None
    students: int
    first_attempt_facility: float
    median_attempts: float
    hint_rate: float
    bottom_out_rate: float
    wrong_answers: tuple[tuple[str, int], ...]  # the most common, with counts
    discrimination: float | None  # point-biserial; None with too few students or no spread


@dataclass(frozen=True, slots=True)  # one per answer of the class: kept small
class AnswerRecord:
    ts: float
    check: str
    answer: str
    correct: bool | None  # None while pending grading
    attempt: int


@dataclass(frozen=True)
class FlagRecord:
    kind: str
    ts: float
    about: str
    detail: str


@dataclass(frozen=True)
class StudentReport:
    """One student's section: the way they went, how long, what was flagged, what they answered."""

    student: str
    route: tuple[str, ...]
    seconds_on_task: float
    flags: tuple[FlagRecord, ...]
    answers: tuple[AnswerRecord, ...]
    finished: bool


@dataclass(frozen=True)
class ClassReport:
    """Everything the terminal summary and the HTML report show, in the order they show it."""

    lesson_id: str
    as_of: float  # the lesson's last event: "now" for idleness and reviews due
    events: int
    skills: tuple[str, ...]
    students: tuple[str, ...]
    needs_help: tuple[HelpNeeded, ...]
    groups: tuple[Group, ...]
    grid: dict[str, dict[str, Cell]]  # student -> skill -> cell
    checks: tuple[CheckStats, ...]
    per_student: tuple[StudentReport, ...]


def shown(answer: Any) -> str:
    """An answer as the teacher reads it: text as typed, anything else as compact JSON."""
    return answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)


@dataclass
class _Student:
    """What the report keeps of one student while the events stream past."""

    state: StudentState
    route: list[list[Any]] = field(default_factory=list)  # [step entered, why, visits in a row]
    why: str = ""  # the branch or choice that decided the next step entered
    answers: list[AnswerRecord] = field(default_factory=list)
    first_try: dict[str, bool] = field(default_factory=dict)  # check -> first attempt correct
    seconds: float = 0.0
    last_ts: float | None = None
    last_check: str | None = None
    stuck_skill: set[str] = field(default_factory=set)


class Tally:
    """Fold a lesson's events, in store order, into the figures of a :class:`ClassReport`."""

    def __init__(self, lesson_id: str) -> None:
        self.lesson_id = lesson_id
        self.events = 0
        self.as_of = 0.0
        self._students: dict[str, _Student] = {}
        self._skills: dict[str, None] = {}  # in order of first evidence
        self._skill_of: dict[str, str] = {}  # check -> the skill its answers moved
        self._remediation: dict[str, Counter[str]] = defaultdict(Counter)  # skill -> steps sent to
        self._waiting: dict[str, str] = {}  # student -> skill whose escape hatch just fired
        self._wrong: dict[str, Counter[str]] = defaultdict(Counter)

    def add_all(self, events: Iterable[Event]) -> Tally:
        for event in events:
            self.add(event)
        return self

    def add(self, event: Event) -> None:
        self.events += 1
        self.as_of = max(self.as_of, event.ts)
        student = self._students.get(event.student_id)
        if student is None:
            student = self._students[event.student_id] = _Student(StudentState(lesson_id=self.lesson_id))
        if student.last_ts is not None:
            student.seconds += min(max(event.ts - student.last_ts, 0.0), IDLE_CAP_S)
        student.last_ts = event.ts
        student.state.apply(event)
        if event.check_id:
            student.last_check = event.check_id
        d = event.data
        if event.type == STEP_ENTERED:
            entered = f"{event.step_id} ({d.get('kind', 'content')})"
            if student.route and student.route[-1][0] == entered and not student.why:
                student.route[-1][2] += 1  # a practice loop is one line, not one per item
            else:
                student.route.append([entered, student.why, 1])
            student.why = ""
            waiting = self._waiting.pop(event.student_id, None)
            if waiting and d.get("kind") == "remediation":
                self._remediation[waiting][str(event.step_id)] += 1
        elif event.type == BRANCH_TAKEN:
            student.why = f", as {d['condition']}" if d.get("condition") else ""
        elif event.type == CHOICE_MADE:
            student.why = f", having chosen {d.get('label')!s} at {d.get('choice')}"
        elif event.type == ANSWERED:
            self._answered(student, event)
        elif event.type == MASTERY_CHANGED:
            skill = str(d["skill"])
            self._skills.setdefault(skill)
            if event.check_id:
                self._skill_of.setdefault(event.check_id, skill)
            if d.get("needs_remediation"):
                self._waiting[event.student_id] = skill
                student.stuck_skill.add(skill)

    def _answered(self, student: _Student, event: Event) -> None:
        d, check = event.data, str(event.check_id)
        pending = bool(d.get("pending"))
        correct = None if pending else bool(d.get("correct"))
        attempt = int(d.get("attempt") or len(student.state.check(check).answers))
        student.answers.append(AnswerRecord(event.ts, check, shown(d.get("answer")), correct, attempt))
        if correct is not None:
            student.first_try.setdefault(check, correct)
        if correct is False:
            self._wrong[check][shown(d.get("answer"))] += 1

    # -- from the tallies to the report -------------------------------------------------

    def report(self) -> ClassReport:
        skills = tuple(self._skills)
        names = tuple(sorted(self._students))
        grid = {s: {k: self._cell(self._students[s].state, k) for k in skills} for s in names}
        paired: Counter[str] = Counter()  # spread the help-list over the peers who can give it
        help = tuple(h for s in names if (h := self._help(s, grid, paired)) is not None)
        return ClassReport(
            lesson_id=self.lesson_id, as_of=self.as_of, events=self.events, skills=skills, students=names,
            needs_help=help, groups=self._groups(names, grid, help), grid=grid, checks=self._check_stats(),
            per_student=tuple(self._student_report(s) for s in names),
        )

    def _cell(self, state: StudentState, skill: str) -> Cell:
        known = state.skills.get(skill)
        if known is None or known.p is None:
            return Cell("not started")
        if known.mastered and known.next_due is not None and known.next_due <= self.as_of:
            return Cell("review due", known.p, known.evidence)
        return Cell("mastered" if known.mastered else "practising", known.p, known.evidence)

    def _help(self, name: str, grid: dict[str, dict[str, Cell]], paired: Counter[str]) -> HelpNeeded | None:
        student = self._students[name]
        state, evidence = student.state, []
        skills: list[str] = []
        checks: list[str] = []
        open_skills = {k for k, c in grid[name].items() if c.status in OPEN}
        for flag in state.flags:  # an escape hatch the student has since climbed out of is history
            if flag.kind == "stuck" and flag.skill in open_skills and flag.skill not in skills:
                evidence.append(f"escape hatch on {flag.skill}: {flag.detail}")
                skills.append(flag.skill)
        for skill in sorted(student.stuck_skill & open_skills - set(skills)):
            evidence.append(f"escape hatch on {skill}: practice used up without mastery")
            skills.append(skill)
        for check_id, check in state.checks.items():
            if check.attempts >= MANY_ATTEMPTS and not check.correct:
                evidence.append(f"{check.attempts} answers to {check_id}, none correct")
                checks.append(check_id)
        idle = self.as_of - (student.last_ts or self.as_of)
        last = student.last_check
        if last and not state.finished and idle >= IDLE_ON_CHECK_S and not state.check(last).correct:
            evidence.append(f"idle {idle / 60:.0f} min on {last} without a correct answer")
            checks.append(last)
        if not evidence:
            return None
        skill = next(iter(skills), None) or next((self._skill_of[c] for c in checks if c in self._skill_of), None)
        return HelpNeeded(name, skill, next(iter(checks), None), tuple(evidence),
                          self._suggestions(name, skill, grid, paired))

    def _suggestions(self, name: str, skill: str | None, grid: dict[str, dict[str, Cell]],
                     paired: Counter[str]) -> tuple[str, ...]:
        moves = []
        if skill and self._remediation.get(skill):
            step = self._remediation[skill].most_common(1)[0][0]
            moves.append(f"work through the remediation step {step!r} with them")
        mine = grid[name]
        weakest = min((k for k, c in mine.items() if c.status == "practising" and k != skill and c.p is not None),
                      key=lambda k: mine[k].p or 0.0, default=None)
        if weakest is not None:
            moves.append(f"check {weakest} first: their weakest other skill (P = {mine[weakest].p:.2f})")
        if skill:
            peers = sorted((s for s, row in grid.items() if s != name and row[skill].status in DONE),
                           key=lambda s: (paired[s], -(grid[s][skill].p or 0.0), s))
            if peers:
                paired[peers[0]] += 1
                moves.append(f"pair them with {peers[0]}, who mastered {skill}")
        return tuple(moves) or ("sit with them and ask them to explain their last answer",)

    def _groups(self, names: tuple[str, ...], grid: dict[str, dict[str, Cell]],
                help: tuple[HelpNeeded, ...]) -> tuple[Group, ...]:
        stuck_on = {h.student: h.skill for h in help}
        ready, practising, idle = [], [], []
        reteach: dict[str, list[str]] = defaultdict(list)
        for name in names:
            row = grid[name]
            skill = stuck_on.get(name)
            if row and all(c.status in DONE for c in row.values()):
                ready.append(name)
            elif skill and row.get(skill, Cell("not started")).status in OPEN:
                reteach[skill].append(name)
            elif all(c.status == "not started" for c in row.values()):
                idle.append(name)
            else:
                practising.append(name)
        groups = [Group("Ready for enrichment", "every skill of the lesson mastered", tuple(ready))]
        groups += [Group(f"Reteach {skill}", f"stuck on {skill}: teach it again another way", tuple(members))
                   for skill, members in sorted(reteach.items())]
        groups.append(Group("Still practising", "making progress: more practice, no intervention yet",
                            tuple(practising)))
        groups.append(Group("Not started", "no evidence on any skill yet", tuple(idle)))
        return tuple(g for g in groups if g.members)

    def _check_stats(self) -> tuple[CheckStats, ...]:
        by_check: dict[str, list[_Student]] = defaultdict(list)
        for student in self._students.values():
            for check_id in student.state.checks:
                by_check[check_id].append(student)
        out = []
        for check_id in sorted(by_check):
            answered = [s for s in by_check[check_id] if s.state.checks[check_id].attempts]
            if not answered:
                continue
            judged = [s for s in answered if check_id in s.first_try]
            states = [s.state.checks[check_id] for s in answered]
            out.append(CheckStats(
                check_id=check_id, skill=self._skill_of.get(check_id), students=len(answered),
                first_attempt_facility=_rate(s.first_try[check_id] for s in judged),
                median_attempts=float(statistics.median(c.attempts for c in states)),
                hint_rate=_rate(c.hints > 0 for c in states), bottom_out_rate=_rate(c.bottom_out for c in states),
                wrong_answers=tuple(self._wrong[check_id].most_common(3)),
                discrimination=point_biserial([s.first_try[check_id] for s in judged],
                                              [sum(s.first_try.values()) for s in judged]),
            ))
        return tuple(out)

    def _student_report(self, name: str) -> StudentReport:
        student = self._students[name]
        flags = tuple(FlagRecord(f.kind, f.ts, f.skill or f.check or "the lesson", f.detail)
                      for f in student.state.flags)
        route = tuple(step + (f" \u00d7{visits}" if visits > 1 else "") + why for step, why, visits in student.route)
        return StudentReport(name, route, student.seconds, flags, tuple(student.answers), student.state.finished)


def _rate(values: Iterable[bool]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def point_biserial(correct: list[bool], totals: list[float]) -> float | None:
    """The correlation of right-first-time (0/1) with the students' totals: does the check
    separate the students who do well overall from those who do not?"""
    n = len(correct)
    right = [t for c, t in zip(correct, totals) if c]
    if n < DISCRIMINATION_MIN_STUDENTS or not right or len(right) == n:
        return None
    spread = statistics.pstdev(totals)
    if spread == 0:
        return None
    wrong = [t for c, t in zip(correct, totals) if not c]
    share = len(right) / n
    return (statistics.fmean(right) - statistics.fmean(wrong)) / spread * math.sqrt(share * (1 - share))
