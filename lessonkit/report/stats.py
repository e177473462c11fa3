"""The class report's figures, computed from a lesson's events and from nothing else.

Pure computation (no store, no files, no plotting): the database has already aggregated
the events into per-student and per-check figures (:mod:`lessonkit.report.facts`), and
:func:`assemble` turns those into a :class:`ClassReport`.  The report can always be
rebuilt from the log, and the same log gives the same report on SQLite and PostgreSQL,
because nothing here reads the clock: "now" is the lesson's last event.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from lessonkit.engine.flags import STUCK_ATTEMPTS
from lessonkit.progress import BRANCH_TAKEN, CHOICE_MADE, MASTERY_CHANGED, STEP_ENTERED
from lessonkit.report.codechecks import CodeCheckFailures
from lessonkit.report.facts import CheckFact, FlagFact, LessonFacts, Milestone, SkillFact
from lessonkit.report.selfassessment import SelfAssessment
from lessonkit.report.trends import Trends

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
    feedback_fired: tuple[FeedbackFired, ...]  # the teacher's messages shown most, most first
    discrimination: float | None  # point-biserial; None with too few students or no spread


@dataclass(frozen=True)
class FeedbackFired:
    """One of the teacher's feedback messages of a check (``feedback`` is its index in the
    check's ``feedback=[...]``, from 0), how often it was shown, and on which answer most."""

    feedback: int
    count: int
    answer: str


@dataclass(frozen=True, slots=True)  # one per answer shown: kept small
class AnswerRecord:
    ts: float
    check: str
    answer: str
    correct: bool | None  # None while pending grading
    attempt: int
    feedback: int | None = None  # the teacher's feedback message shown, by index


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
    answers: tuple[AnswerRecord, ...]  # the most recent ones (facts.RECENT_ANSWERS), in order
    answered: int  # every answer, shown or not
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
    # from their own queries (lessonkit.report.codechecks, .trends, .selfassessment), added by build_report
    code_checks: tuple[CodeCheckFailures, ...] = ()
    trends: Trends = Trends()
    selfassessment: SelfAssessment = SelfAssessment()


def shown(answer: Any) -> str:
    """An answer as the teacher reads it: text as typed, anything else as compact JSON."""
    return answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)


class _Assembly:
    """Turn a lesson's :class:`~lessonkit.report.facts.LessonFacts` into a :class:`ClassReport`."""

    def __init__(self, facts: LessonFacts) -> None:
        self.facts = facts
        self.as_of = facts.as_of
        self.names = tuple(sorted(s.student for s in facts.students))
        self.student = {s.student: s for s in facts.students}
        self.checks: dict[str, dict[str, CheckFact]] = defaultdict(dict)  # student -> check -> fact, as met
        for c in facts.checks:
            self.checks[c.student][c.check] = c
        self.flags: dict[str, list[FlagFact]] = defaultdict(list)
        for f in facts.flags:
            self.flags[f.student].append(f)
        self.answers: dict[str, list[AnswerRecord]] = defaultdict(list)
        for a in facts.answers:
            self.answers[a.student].append(AnswerRecord(a.ts, a.check, shown(a.answer), a.correct, a.attempt,
                                                        a.feedback))
        self.routes: dict[str, list[str]] = {}
        self.stuck_skill: dict[str, set[str]] = defaultdict(set)
        self.remediation: dict[str, Counter[str]] = defaultdict(Counter)  # skill -> steps its escape hatch sent to
        self._masters_of: dict[str, list[str]] = {}
        self._walk(facts.milestones)

    def _walk(self, milestones: list[Milestone]) -> None:
        """Routes, escape hatches and the remediation steps they led to, from each student's milestones."""
        by_student: dict[str, list[Milestone]] = defaultdict(list)
        for m in milestones:
            by_student[m.student].append(m)
        for name, steps in by_student.items():
            route: list[list[Any]] = []  # [step entered, why, visits in a row]
            why, waiting = "", None
            for m in steps:
                if m.type == STEP_ENTERED:
                    entered = f"{m.step} ({m.kind or 'content'})"
                    if route and route[-1][0] == entered and not why:
                        route[-1][2] += m.visits  # a practice loop is one line, not one per item
                    else:
                        route.append([entered, why, m.visits])
                    why = ""
                    if waiting and m.kind == "remediation":
                        self.remediation[waiting][str(m.step)] += 1
                    waiting = None
                elif m.type == BRANCH_TAKEN:
                    why = f", as {m.condition}" if m.condition else ""
                elif m.type == CHOICE_MADE:
                    why = f", having chosen {m.label!s} at {m.choice}"
                elif m.type == MASTERY_CHANGED and m.skill:
                    waiting = m.skill
                    self.stuck_skill[name].add(m.skill)
            self.routes[name] = [step + (f" \u00d7{visits}" if visits > 1 else "") + reason
                                 for step, reason, visits in route]

    def report(self) -> ClassReport:
        skills = tuple(self.facts.skill_order)
        known = {(k.student, k.skill): k for k in self.facts.skills}
        grid = {s: {k: self._cell(known.get((s, k))) for k in skills} for s in self.names}
        paired: Counter[str] = Counter()  # spread the help-list over the peers who can give it
        help = tuple(h for s in self.names if (h := self._help(s, grid, paired)) is not None)
        return ClassReport(
            lesson_id=self.facts.lesson_id, as_of=self.as_of, events=self.facts.events, skills=skills,
            students=self.names, needs_help=help, groups=self._groups(grid, help), grid=grid,
            checks=self._check_stats(), per_student=tuple(self._student_report(s) for s in self.names),
        )

    def _cell(self, known: SkillFact | None) -> Cell:
        if known is None or known.p is None:
            return Cell("not started")
        if known.mastered and known.next_due is not None and known.next_due <= self.as_of:
            return Cell("review due", known.p, known.evidence)
        return Cell("mastered" if known.mastered else "practising", known.p, known.evidence)

    def _help(self, name: str, grid: dict[str, dict[str, Cell]], paired: Counter[str]) -> HelpNeeded | None:
        student, checks_of = self.student[name], self.checks[name]
        evidence: list[str] = []
        skills: list[str] = []
        checks: list[str] = []
        open_skills = {k for k, c in grid[name].items() if c.status in OPEN}
        for flag in self.flags[name]:  # an escape hatch the student has since climbed out of is history
            if flag.kind == "stuck" and flag.skill in open_skills and flag.skill not in skills:
                evidence.append(f"escape hatch on {flag.skill}: {flag.detail}")
                skills.append(flag.skill)
        for skill in sorted(self.stuck_skill[name] & open_skills - set(skills)):
            evidence.append(f"escape hatch on {skill}: practice used up without mastery")
            skills.append(skill)
        for check_id, check in checks_of.items():
            if check.attempts >= MANY_ATTEMPTS and not check.correct:
                evidence.append(f"{check.attempts} answers to {check_id}, none correct")
                checks.append(check_id)
        idle = self.as_of - student.last_ts
        last = student.last_check
        if last and not student.finished and idle >= IDLE_ON_CHECK_S and not (
                last in checks_of and checks_of[last].correct):
            evidence.append(f"idle {idle / 60:.0f} min on {last} without a correct answer")
            checks.append(last)
        if not evidence:
            return None
        skill_of = self.facts.skill_of
        skill = next(iter(skills), None) or next((skill_of[c] for c in checks if c in skill_of), None)
        return HelpNeeded(name, skill, next(iter(checks), None), tuple(evidence),
                          self._suggestions(name, skill, grid, paired))

    def _suggestions(self, name: str, skill: str | None, grid: dict[str, dict[str, Cell]],
                     paired: Counter[str]) -> tuple[str, ...]:
        moves = []
        if skill and self.remediation.get(skill):
            step = self.remediation[skill].most_common(1)[0][0]
            moves.append(f"work through the remediation step {step!r} with them")
        mine = grid[name]
        weakest = min((k for k, c in mine.items() if c.status == "practising" and k != skill and c.p is not None),
                      key=lambda k: mine[k].p or 0.0, default=None)
        if weakest is not None:
            moves.append(f"check {weakest} first: their weakest other skill (P = {mine[weakest].p:.2f})")
        if skill:
            peer = min((s for s in self._masters(skill, grid) if s != name),
                       key=lambda s: (paired[s], -(grid[s][skill].p or 0.0), s), default=None)
            if peer is not None:
                paired[peer] += 1
                moves.append(f"pair them with {peer}, who mastered {skill}")
        return tuple(moves) or ("sit with them and ask them to explain their last answer",)

    def _masters(self, skill: str, grid: dict[str, dict[str, Cell]]) -> list[str]:
        """Who mastered ``skill``: found once per skill, not once per student to help."""
        if skill not in self._masters_of:
            self._masters_of[skill] = [s for s, row in grid.items() if row[skill].status in DONE]
        return self._masters_of[skill]

    def _groups(self, grid: dict[str, dict[str, Cell]], help: tuple[HelpNeeded, ...]) -> tuple[Group, ...]:
        stuck_on = {h.student: h.skill for h in help}
        ready, practising, idle = [], [], []
        reteach: dict[str, list[str]] = defaultdict(list)
        for name in self.names:
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
        by_check: dict[str, list[CheckFact]] = defaultdict(list)
        totals: Counter[str] = Counter()  # student -> checks right first time
        for c in self.facts.checks:
            if c.attempts:
                by_check[c.check].append(c)
            totals[c.student] += bool(c.first_try)
        wrong: dict[str, Counter[str]] = defaultdict(Counter)
        fired: dict[str, Counter[int]] = defaultdict(Counter)
        fired_on: dict[tuple[str, int], Counter[str]] = defaultdict(Counter)
        for w in self.facts.wrong:
            wrong[w.check][shown(w.answer)] += w.count
            if w.feedback is not None:
                fired[w.check][w.feedback] += w.count
                fired_on[w.check, w.feedback][shown(w.answer)] += w.count
        out = []
        for check_id in sorted(by_check):
            answered = by_check[check_id]
            judged = [c for c in answered if c.first_try is not None]
            out.append(CheckStats(
                check_id=check_id, skill=self.facts.skill_of.get(check_id), students=len(answered),
                first_attempt_facility=_rate(bool(c.first_try) for c in judged),
                median_attempts=float(statistics.median(c.attempts for c in answered)),
                hint_rate=_rate(c.hints > 0 for c in answered), bottom_out_rate=_rate(c.bottom_out for c in answered),
                wrong_answers=_top(wrong[check_id], 3),
                feedback_fired=tuple(FeedbackFired(n, count, _top(fired_on[check_id, n], 1)[0][0])
                                     for n, count in _top(fired[check_id], 3)),
                discrimination=point_biserial([bool(c.first_try) for c in judged],
                                              [totals[c.student] for c in judged]),
            ))
        return tuple(out)

    def _student_report(self, name: str) -> StudentReport:
        flags = tuple(FlagRecord(f.kind, f.ts, f.skill or f.check or "the lesson", f.detail) for f in self.flags[name])
        answered = sum(c.attempts for c in self.checks[name].values())
        return StudentReport(name, tuple(self.routes.get(name, ())), self.student[name].seconds, flags,
                             tuple(self.answers[name]), answered, self.student[name].finished)


def assemble(facts: LessonFacts) -> ClassReport:
    """The report from a lesson's figures (:func:`lessonkit.report.facts.lesson_facts`)."""
    return _Assembly(facts).report()


def _top(counts: Counter[Any], n: int) -> tuple[tuple[Any, int], ...]:
    """The ``n`` most common, ties broken by value so that every store gives the same order."""
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))[:n])


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
