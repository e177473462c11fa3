"""The class report's raw figures, aggregated by the database rather than in Python.

A class of 1,000 students leaves about a million events; folding them one by one in
Python (an ``Event`` and a JSON parse each) took most of a minute and grew with the log.
Here each figure the report needs is one query that reads only the events it needs: the
per-student pass reads every event once and parses no JSON but a step's kind; the others
reach their one or two event types through the (lesson, type, student, seq) index, so that
reading an answer's fields costs the answers, not the whole log.  What reaches Python is one
row per student and check, per wrong answer, per step entered: tens of thousands of rows,
not a million.  The same SQL runs on SQLite and PostgreSQL; only a few functions differ
(:class:`~lessonkit.report.queries.LessonQuery`).  A JSON-lines log is copied
into an in-memory SQLite store first (:func:`lesson_facts`), so there is one way of
counting, whatever the store.

Every query orders its rows fully, so both databases return the same report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa

from lessonkit.progress import EventStore
from lessonkit.progress.sql import SqlEventStore
from lessonkit.report.queries import LessonQuery, decoded, sql_store

#: The most recent answers kept per student for the report's "answers in order": a class's
#: full log would be a book per student, and the teacher reads the latest ones.
RECENT_ANSWERS = 40


@dataclass(frozen=True, slots=True)
class CheckFact:
    """One student's work on one check."""

    student: str
    check: str
    attempts: int
    correct: bool  # right at least once
    first_try: bool | None  # the first judged answer was right; None before one was judged
    hints: int
    bottom_out: bool
    first_seq: int  # orders a student's checks as they met them


@dataclass(frozen=True, slots=True)
class StudentFact:
    student: str
    events: int
    last_ts: float
    seconds: float  # time on task, each gap capped
    finished: bool
    last_check: str | None


@dataclass(frozen=True, slots=True)
class SkillFact:
    """A student's latest mastery estimate of a skill, and the next review due."""

    student: str
    skill: str
    p: float | None
    evidence: int
    mastered: bool
    next_due: float | None


@dataclass(frozen=True, slots=True)
class Milestone:
    """One event of a student's way through the lesson, in order: a step entered, a branch or a
    choice that decided the next one, or an escape hatch (``needs_remediation``)."""

    student: str
    type: str
    step: str | None
    kind: str | None = None  # a step's kind
    condition: str | None = None  # a branch's rule
    label: str | None = None  # a choice's option
    choice: str | None = None
    skill: str | None = None  # the escape hatch's skill
    visits: int = 1  # a step entered again at once (a practice loop's items), folded by the query


@dataclass(frozen=True, slots=True)
class FlagFact:
    student: str
    ts: float
    kind: str
    skill: str | None
    check: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class AnswerFact:
    student: str
    ts: float
    check: str
    answer: Any
    correct: bool | None  # None while pending grading
    attempt: int
    feedback: int | None


@dataclass(frozen=True, slots=True)
class WrongFact:
    """How many judged wrong answers to a check were ``answer`` and got feedback ``feedback``."""

    check: str
    answer: Any
    feedback: int | None
    count: int


@dataclass
class LessonFacts:
    """Everything the report is computed from, for one lesson."""

    lesson_id: str
    checks: list[CheckFact] = field(default_factory=list)
    students: list[StudentFact] = field(default_factory=list)
    skills: list[SkillFact] = field(default_factory=list)
    skill_order: list[str] = field(default_factory=list)  # by first evidence
    skill_of: dict[str, str] = field(default_factory=dict)  # check -> the skill its first evidence moved
    milestones: list[Milestone] = field(default_factory=list)
    flags: list[FlagFact] = field(default_factory=list)
    answers: list[AnswerFact] = field(default_factory=list)  # the recent ones, per student in order
    wrong: list[WrongFact] = field(default_factory=list)

    @property
    def events(self) -> int:
        return sum(s.events for s in self.students)

    @property
    def as_of(self) -> float:
        return max((s.last_ts for s in self.students), default=0.0)


def event_count(store: EventStore, lesson_id: str) -> int:
    """How many events the lesson has: what the live dashboard polls to know the report changed."""
    if isinstance(store, SqlEventStore):
        return int(next(store.read(sa.text("SELECT COUNT(*) FROM events WHERE lesson_id = :lesson"),
                                   {"lesson": lesson_id}))[0])
    return sum(1 for _ in store.lesson_events(lesson_id))


def lesson_facts(store: EventStore, lesson_id: str) -> LessonFacts:
    """The lesson's figures from any store; a store that is not SQL is copied into memory first."""
    with sql_store(store, lesson_id) as sql:
        return _Queries(sql, lesson_id).all()


class _Queries:
    """One query per figure, each reading only the rows it needs and no JSON but a few rare events':
    the fields the report groups by are the events table's own columns (``FIELDS`` in
    ``lessonkit/progress/sql.py``), written with each event.  The per-student scan reads every event
    once through the (lesson, student, seq) index; the others reach their event types through the
    (lesson, type, student, seq) index, so the checks' query reads the answers and hints, not the
    million events."""

    def __init__(self, store: SqlEventStore, lesson_id: str) -> None:
        self.q = LessonQuery(store, lesson_id)

    def all(self) -> LessonFacts:
        facts = LessonFacts(self.q.lesson)
        facts.students = self.students()
        if not facts.students:
            return facts
        facts.milestones = self.milestones()
        facts.flags = self.flags()
        facts.answers = self.answers()
        facts.checks = self.checks()
        self.skills(facts)
        facts.wrong = self.wrong()
        return facts

    def students(self) -> list[StudentFact]:
        """Per student: counts, whether they finished, the check they were last on and the time on
        task.  The times come as one text of "seq,ms,seq,ms..." per student that numpy parses:
        SQLite's window functions took seconds per million rows where this takes a fraction."""
        from lessonkit.report.stats import IDLE_CAP_S

        q = self.q
        sql = f"""
        SELECT student_id, COUNT(*) AS events, MAX(ts) AS last_ts,
               MAX(CASE WHEN type = 'step_entered' AND kind = 'end' THEN 1 ELSE 0 END) AS finished,
               MAX(CASE WHEN check_id IS NOT NULL THEN {q.latest('check_id')} END) AS last_check,
               {q.joined(q.pair("seq", q.milliseconds("ts")))} AS times
        FROM events WHERE lesson_id = :lesson GROUP BY student_id ORDER BY student_id"""
        found = []
        for r in q.rows(sql):
            pairs = np.fromstring(r.times, dtype=np.int64, sep=",").reshape(-1, 2)
            times = pairs[np.argsort(pairs[:, 0], kind="stable"), 1]
            gaps = np.clip(np.diff(times), 0, int(IDLE_CAP_S * 1000))  # integers: the same sum on every store
            last = r.last_check[19:] if r.last_check else None
            found.append(StudentFact(r.student_id, int(r.events), float(r.last_ts), int(gaps.sum()) / 1000,
                                     bool(r.finished), last))
        return sorted(found, key=lambda s: s.student)

    def milestones(self) -> list[Milestone]:
        """The way through the lesson: steps entered, choices, the branches a rule decided and the
        escape hatches, in order per student.  One SELECT per event type, so that each reaches its
        rows through the type index: one query with ``OR`` scanned the lesson's every event.

        A step entered right before the same step (same name, same kind as the report shows them,
        nothing between) is folded into it, as one row with its ``visits``: a practice loop's items
        are most of the steps entered, and the report prints them as one line anyway
        (``stats._Assembly._walk``), so a class's route reaches Python as one row per line of it.
        The row kept is a run's last (the next row does not continue it), so that ``visits`` is its
        row number less the previous kept row's: two window passes over the route, not three.
        """
        q = self.q
        select = ("SELECT student_id, seq, type, step_id, {} AS kind, {} AS condition, {} AS label, {} AS choice, "
                  "{} AS skill FROM events WHERE lesson_id = :lesson AND ")
        none = "NULL"
        found = " UNION ALL ".join([
            select.format("kind", none, none, none, none) + "type = 'step_entered'",
            select.format(none, none, q.text("label"), q.text("choice"), none) + "type = 'choice_made'",
            select.format(none, "condition", none, none, none) + "type = 'branch_taken' AND condition IS NOT NULL",
            select.format(none, none, none, none, "skill") + "type = 'mastery_changed' AND needs_remediation = 1",
        ])
        # what the report prints of a step entered: f"{step} ({kind or 'content'})"; NULL for other rows,
        # which never equals anything and so never folds
        shown = ("CASE WHEN type = 'step_entered' THEN "
                 "COALESCE(step_id, 'None') || ' (' || COALESCE(NULLIF(kind, ''), 'content') || ')' END")
        sql = f"""
        WITH m AS ({found}),
        numbered AS (
            SELECT m.*, ROW_NUMBER() OVER w AS n,
                   CASE WHEN LEAD({shown}) OVER w = {shown} THEN 0 ELSE 1 END AS last
            FROM m WINDOW w AS (PARTITION BY student_id ORDER BY seq))
        SELECT student_id, type, step_id, kind, condition, label, choice, skill,
               n - LAG(n, 1, 0) OVER (PARTITION BY student_id ORDER BY seq) AS visits
        FROM numbered WHERE last = 1 ORDER BY student_id, seq"""
        return [Milestone(student, type_, step, kind, condition, label, choice, skill, int(visits))
                for student, type_, step, kind, condition, label, choice, skill, visits in q.rows(sql)]

    def flags(self) -> list[FlagFact]:
        q = self.q
        sql = f"""
        SELECT student_id, {q.milliseconds('ts')} AS ms, check_id, kind, skill,
               {q.text('check')} AS flag_check, {q.text('detail')} AS detail
        FROM events WHERE lesson_id = :lesson AND type = 'flag_raised' ORDER BY student_id, seq"""
        return [FlagFact(r.student_id, r.ms / 1000, str(r.kind), r.skill, r.flag_check or r.check_id,
                         str(r.detail or "")) for r in q.rows(sql)]

    def answers(self) -> list[AnswerFact]:
        """Each student's latest :data:`RECENT_ANSWERS` answers: a cut-off ``seq`` per student, found
        in the type index, then the answers from it on; ``ROW_NUMBER()`` over every answer took longer."""
        q = self.q
        answered = "lesson_id = :lesson AND type = 'answered' AND check_id IS NOT NULL"
        sql = f"""
        WITH cut AS (
            SELECT s.student_id, COALESCE((SELECT seq FROM events WHERE {answered} AND student_id = s.student_id
                                           ORDER BY seq DESC LIMIT 1 OFFSET {RECENT_ANSWERS - 1}), 0) AS seq
            FROM (SELECT DISTINCT student_id FROM events WHERE {answered}) AS s)
        SELECT e.student_id, {q.milliseconds('e.ts')} AS ms, e.check_id, e.answer, e.correct, e.pending,
               e.attempt, e.feedback
        FROM events AS e JOIN cut ON e.student_id = cut.student_id AND e.seq >= cut.seq
        WHERE e.lesson_id = :lesson AND e.type = 'answered' AND e.check_id IS NOT NULL
        ORDER BY e.student_id, e.seq"""
        return [AnswerFact(student, ms / 1000, check, decoded(answer), None if pending else bool(correct),
                           int(attempt or 0), feedback)
                for student, ms, check, answer, correct, pending, attempt, feedback in q.rows(sql)]

    def checks(self) -> list[CheckFact]:
        judged = "type = 'answered' AND pending = 0"
        sql = f"""
        SELECT student_id, check_id,
               SUM(CASE WHEN type = 'answered' THEN 1 ELSE 0 END) AS attempts,
               MAX(CASE WHEN {judged} THEN correct ELSE 0 END) AS correct,
               MIN(CASE WHEN {judged} THEN seq * 2 + correct END) AS first_judged,
               COUNT(DISTINCT CASE WHEN type = 'hint_revealed' THEN COALESCE(rung, -1) END) AS hints,
               MAX(CASE WHEN type = 'hint_revealed' THEN bottom_out ELSE 0 END) AS bottom_out,
               MIN(seq) AS first_seq
        FROM events
        WHERE lesson_id = :lesson AND check_id IS NOT NULL AND type IN ('answered', 'hint_revealed')
        GROUP BY student_id, check_id"""
        # first_judged packs the first judged answer's seq with its verdict in the lowest bit
        found = [CheckFact(student, check, int(attempts), bool(correct),
                           None if first_judged is None else bool(int(first_judged) % 2), int(hints),
                           bool(bottom_out), int(first_seq))
                 for student, check, attempts, correct, first_judged, hints, bottom_out, first_seq in self.q.rows(sql)]
        return sorted(found, key=lambda c: (c.student, c.first_seq))

    def skills(self, facts: LessonFacts) -> None:
        """The latest estimate of each student's skills, the next review due, which skill came first
        and which skill each check moved first.  Only the latest event of each student and skill is
        parsed: the JSON of one row per student and skill, not of every update."""
        q = self.q
        types = "lesson_id = :lesson AND type IN ('mastery_changed', 'review_done')"
        latest = {(type_, student, skill): json.loads(data) for student, type_, skill, data in q.rows(f"""
            SELECT e.student_id, e.type, e.skill, e.data FROM events AS e
            JOIN (SELECT MAX(seq) AS seq FROM events WHERE {types} GROUP BY student_id, type, skill) AS last
              ON e.seq = last.seq""")}
        first_of_skill: dict[str, int] = {}
        first_of_check: dict[str, tuple[int, str]] = {}
        for r in q.rows("""
            SELECT skill, check_id, MIN(seq) AS first_seq FROM events
            WHERE lesson_id = :lesson AND type = 'mastery_changed' GROUP BY skill, check_id"""):
            first_of_skill[r.skill] = min(first_of_skill.get(r.skill, r.first_seq), r.first_seq)
            if r.check_id is not None:
                first_of_check[r.check_id] = min(first_of_check.get(r.check_id, (r.first_seq, r.skill)),
                                                 (r.first_seq, r.skill))
        facts.skill_order = sorted(first_of_skill, key=first_of_skill.__getitem__)
        facts.skill_of = {check: skill for check, (_, skill) in sorted(first_of_check.items())}
        for (kind, student, skill), d in sorted(latest.items(), key=lambda kv: (kv[0][1], str(kv[0][2]))):
            if kind != "mastery_changed":
                continue
            review = latest.get(("review_done", student, skill))
            due = review.get("next_due") if review else None
            facts.skills.append(SkillFact(student, skill, None if d.get("p") is None else float(d["p"]),
                                          int(d.get("evidence") or 0), bool(d.get("mastered")),
                                          None if due is None else float(due)))

    def wrong(self) -> list[WrongFact]:
        sql = """
        SELECT check_id, answer, feedback, COUNT(*) AS n FROM events
        WHERE lesson_id = :lesson AND type = 'answered' AND check_id IS NOT NULL AND pending = 0 AND correct = 0
        GROUP BY check_id, answer, feedback"""
        return [WrongFact(r.check_id, decoded(r.answer), None if r.feedback is None else int(r.feedback), int(r.n))
                for r in self.q.rows(sql)]
