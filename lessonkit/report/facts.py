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

Every figure's rows are put in a full order (by the query, or in Python where the query has none),
so both databases return the same report.
"""

from __future__ import annotations

import json
from concurrent.futures import Executor
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from typing import Any

import numpy as np
import sqlalchemy as sa

from lessonkit.progress import EventStore
from lessonkit.progress.sql import SqlEventStore
from lessonkit.report.queries import LessonQuery, decoded, readers, sql_store

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


def newest_seq(store: EventStore) -> int | None:
    """The store's highest ``seq``, one lookup in the primary key: what tells a poller that nothing
    was written since it last counted.  ``None`` for a store that is not SQL (it has no seq to ask)."""
    if not isinstance(store, SqlEventStore):
        return None
    return int(next(store.read(sa.text("SELECT COALESCE(MAX(seq), 0) FROM events")))[0])


def event_count(store: EventStore, lesson_id: str) -> int:
    """How many events the lesson has: what the live dashboard polls to know the report changed."""
    if isinstance(store, SqlEventStore):
        return int(next(store.read(sa.text("SELECT COUNT(*) FROM events WHERE lesson_id = :lesson"),
                                   {"lesson": lesson_id}))[0])
    return sum(1 for _ in store.lesson_events(lesson_id))


def lesson_facts(store: EventStore, lesson_id: str, pool: Executor | None = None) -> LessonFacts:
    """The lesson's figures from any store; a store that is not SQL is copied into memory first.
    The queries go to ``pool`` (:func:`~lessonkit.report.queries.readers`), several at a time,
    the longest first, so that two cores share them; without one, they run here in turn."""
    if pool is None:
        with sql_store(store, lesson_id) as sql, readers(sql) as own:
            return lesson_facts(sql, lesson_id, own)
    q = _Queries(store, lesson_id)  # type: ignore[arg-type]  # a pool is only made for a SQL store
    jobs = {name: pool.submit(getattr(q, name))
            for name in ("milestones", "students", "checks", "skills", "wrong", "answers", "flags")}
    facts = LessonFacts(lesson_id, **{name: job.result() for name, job in jobs.items() if name != "skills"})
    facts.skills, facts.skill_order, facts.skill_of = jobs["skills"].result()
    return facts


class _Queries:
    """One query per figure, each reading only the rows it needs and no JSON but a few rare events':
    the fields the report groups by are the events table's own columns (``FIELDS`` in
    ``lessonkit/progress/sql.py``), written with each event.  The per-student scan reads every event
    once through the (lesson, student, seq) index; the others reach their event types through the
    (lesson, type, student, seq) index, so the checks' query reads the answers and hints, not the
    million events."""

    def __init__(self, store: SqlEventStore, lesson_id: str) -> None:
        self.q = LessonQuery(store, lesson_id)

    def students(self) -> list[StudentFact]:
        """Per student: counts, whether they finished, the check they were last on and the time on
        task, in one pass over the (lesson, student, seq) index.  The times come as one text of
        milliseconds per student, in ``seq`` order (:meth:`LessonQuery.in_order`), that numpy parses:
        SQLite's window functions took seconds per million rows where this takes a fraction.  The last
        check is found by its ``seq`` and read from that one row: formatting a sortable text for each of
        half a million events, to take the greatest, was a third of the pass."""
        from lessonkit.report.stats import IDLE_CAP_S

        cap = int(IDLE_CAP_S * 1000)
        found = []
        for student, events, last_ts, finished, last_check, times in self.q.tuples(self.student_pass()):
            # integers: the same sum on every store
            gaps = np.clip(np.diff(np.fromstring(times, dtype=np.int64, sep=",")), 0, cap)
            found.append(StudentFact(student, int(events), float(last_ts), int(gaps.sum()) / 1000, bool(finished),
                                     last_check))
        return sorted(found, key=lambda s: s.student)

    def student_pass(self) -> str:
        """The SQL of :meth:`students`: its plan is what makes the times come in order on SQLite."""
        q = self.q
        return f"""
        SELECT s.student_id, s.events, s.last_ts, s.finished, e.check_id, s.times FROM (
            SELECT student_id, COUNT(*) AS events, MAX(ts) AS last_ts,
                   MAX(CASE WHEN type = 'step_entered' AND kind = 'end' THEN 1 ELSE 0 END) AS finished,
                   MAX(CASE WHEN check_id IS NOT NULL THEN seq END) AS last_check,
                   {q.in_order(q.milliseconds("ts"))} AS times
            FROM events WHERE lesson_id = :lesson GROUP BY student_id) AS s
        LEFT JOIN events AS e ON e.seq = s.last_check
        ORDER BY s.student_id"""

    def milestones(self) -> list[Milestone]:
        """The way through the lesson: steps entered, choices, the branches a rule decided and the
        escape hatches, in order per student.  The steps entered are one SELECT, the three rare kinds
        another, each reaching its rows through the type index: one query with ``OR`` scanned the
        lesson's every event.

        A step entered right before the same step (same name, same kind as the report shows them,
        nothing between) is folded into it, as one row with its ``visits``: a practice loop's items
        are most of the steps entered, and the report prints them as one line anyway
        (``stats._Assembly._walk``).  The fold is a walk in Python over the rows as tuples: SQL's
        ``LEAD``/``LAG`` windows over them cost SQLite three times the reading (1.2 s against 0.4 s of
        CPU on a class of 1,000).  The row kept is a run's last.
        """
        q = self.q
        select = ("SELECT student_id, seq, type, step_id, {} AS kind, {} AS condition, {} AS label, {} AS choice, "
                  "{} AS skill FROM events WHERE lesson_id = :lesson AND ")
        none = "NULL"
        steps = q.tuples(select.format("kind", none, none, none, none) + "type = 'step_entered'")
        rare = q.tuples(" UNION ALL ".join([
            select.format(none, none, q.text("label"), q.text("choice"), none) + "type = 'choice_made'",
            select.format(none, "condition", none, none, none) + "type = 'branch_taken' AND condition IS NOT NULL",
            select.format(none, none, none, none, "skill") + "type = 'mastery_changed' AND needs_remediation = 1",
        ]))
        ordered = sorted(steps + rare, key=itemgetter(0, 1))  # by student and seq, in Python's order on every store
        runs = (list(run) for _, run in groupby(ordered, key=_folds_with))
        return [Milestone(run[-1][0], *run[-1][2:], visits=len(run)) for run in runs]

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
        in the type index, then the answers from it on; ``ROW_NUMBER()`` over every answer took longer.
        The cut-offs are computed once per student: PostgreSQL, left to inline them, looked each up
        again for every answer (23 s on a class of 1,000)."""
        q = self.q
        answered = "lesson_id = :lesson AND type = 'answered' AND check_id IS NOT NULL"
        sql = f"""
        WITH cut AS {q.materialized} (
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
                for student, ms, check, answer, correct, pending, attempt, feedback in q.tuples(sql)]

    def checks(self) -> list[CheckFact]:
        """Per student and check: the answers, and the hints revealed.  A query per event type, each
        reading the type index alone: one query over both types read the table's rows through the
        other index (twice the CPU on a class of 1,000)."""
        answered = self.q.tuples("""
            SELECT student_id, check_id, COUNT(*) AS attempts,
                   MAX(CASE WHEN pending = 0 THEN correct ELSE 0 END) AS correct,
                   MIN(CASE WHEN pending = 0 THEN seq * 2 + correct END) AS first_judged, MIN(seq) AS first_seq
            FROM events WHERE lesson_id = :lesson AND type = 'answered' AND check_id IS NOT NULL
            GROUP BY student_id, check_id""")
        hinted = {(student, check): (int(hints), bool(bottom_out), int(first_seq))
                  for student, check, hints, bottom_out, first_seq in self.q.tuples("""
            SELECT student_id, check_id, COUNT(DISTINCT COALESCE(rung, -1)) AS hints, MAX(bottom_out) AS bottom_out,
                   MIN(seq) AS first_seq
            FROM events WHERE lesson_id = :lesson AND type = 'hint_revealed' AND check_id IS NOT NULL
            GROUP BY student_id, check_id""")}
        found = []
        # first_judged packs the first judged answer's seq with its verdict in the lowest bit
        for student, check, attempts, correct, first_judged, first_seq in answered:
            hints, bottom_out, first_hint = hinted.pop((student, check), (0, False, first_seq))
            found.append(CheckFact(student, check, int(attempts), bool(correct),
                                   None if first_judged is None else bool(int(first_judged) % 2), hints, bottom_out,
                                   min(int(first_seq), first_hint)))
        found += [CheckFact(student, check, 0, False, None, hints, bottom_out, first_seq)  # hints, no answer yet
                  for (student, check), (hints, bottom_out, first_seq) in hinted.items()]
        return sorted(found, key=lambda c: (c.student, c.first_seq))

    def skills(self) -> tuple[list[SkillFact], list[str], dict[str, str]]:
        """The latest estimate of each student's skills, the next review due, which skill came first
        and which skill each check moved first (``LessonFacts.skills``, ``skill_order``, ``skill_of``).
        Only the latest event of each student and skill is parsed: the JSON of one row per student and
        skill, not of every update."""
        q = self.q
        types = "lesson_id = :lesson AND type IN ('mastery_changed', 'review_done')"
        latest = {(type_, student, skill): json.loads(data) for student, type_, skill, data in q.tuples(f"""
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
        found = []
        for (kind, student, skill), d in sorted(latest.items(), key=lambda kv: (kv[0][1], str(kv[0][2]))):
            if kind != "mastery_changed":
                continue
            review = latest.get(("review_done", student, skill))
            due = review.get("next_due") if review else None
            found.append(SkillFact(student, skill, None if d.get("p") is None else float(d["p"]),
                                   int(d.get("evidence") or 0), bool(d.get("mastered")),
                                   None if due is None else float(due)))
        return (found, sorted(first_of_skill, key=first_of_skill.__getitem__),
                {check: skill for check, (_, skill) in sorted(first_of_check.items())})

    def wrong(self) -> list[WrongFact]:
        sql = """
        SELECT check_id, answer, feedback, COUNT(*) AS n FROM events
        WHERE lesson_id = :lesson AND type = 'answered' AND check_id IS NOT NULL AND pending = 0 AND correct = 0
        GROUP BY check_id, answer, feedback"""
        return [WrongFact(r.check_id, decoded(r.answer), None if r.feedback is None else int(r.feedback), int(r.n))
                for r in self.q.rows(sql)]


def _folds_with(row: tuple[Any, ...]) -> object:
    """What a route row folds by: a step entered, as the report prints it, for its student; any other
    row a key of its own (equal to nothing), so that it never folds."""
    return (row[0], f"{row[3]} ({row[4] or 'content'})") if row[2] == "step_entered" else object()
