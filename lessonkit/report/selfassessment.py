"""Self-assessment in the class report: how well the class's confidence matched its answers
(calibration), and who set which goal.

The same pairing as the student's own view (:func:`lessonkit.progress.selfassessment.calibration`):
a ``confidence_given`` is about the next judged answer to the same check and item; done here
in SQL, with ``LEAD`` over each student's events of that check and item, and counted per
student and level with ``GROUP BY``.  Goals are each student's latest ``goal_set``.
Nothing here is a score: it is what the students said about themselves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Mapping

from lessonkit.progress.selfassessment import CONFIDENCE_LEVELS, GOAL_LEVELS
from lessonkit.progress.sql import SqlEventStore
from lessonkit.report.queries import LessonQuery

#: How far the share right may sit from the share claimed before a student reads as over- or
#: under-confident: the student's own view uses the same bar.
CALIBRATION_GAP = 0.15


@dataclass(frozen=True)
class Level:
    """One confidence level: the answers given at it and how many were right."""

    level: int
    answers: int
    right: int

    @property
    def name(self) -> str:
        return CONFIDENCE_LEVELS[self.level][0]

    @property
    def claimed(self) -> float:
        return CONFIDENCE_LEVELS[self.level][1]

    @property
    def share_right(self) -> float:
        return self.right / self.answers if self.answers else 0.0


@dataclass(frozen=True)
class StudentCalibration:
    student: str
    levels: tuple[Level, ...]

    @property
    def answers(self) -> int:
        return sum(lv.answers for lv in self.levels)

    @property
    def claimed(self) -> float:
        return sum(lv.claimed * lv.answers for lv in self.levels) / self.answers

    @property
    def share_right(self) -> float:
        return sum(lv.right for lv in self.levels) / self.answers

    @property
    def verdict(self) -> str:
        gap = self.claimed - self.share_right
        return "over-confident" if gap > CALIBRATION_GAP else "under-confident" if -gap > CALIBRATION_GAP \
            else "well calibrated"


@dataclass(frozen=True)
class GoalSet:
    """A student's latest goal, and how many of its skills the report's grid has them master."""

    student: str
    skills: tuple[str, ...]
    by: str | None  # YYYY-MM-DD as the student set it
    level: str  # "core" or "with enrichment"
    mastered: int = 0


@dataclass(frozen=True)
class SelfAssessment:
    levels: tuple[Level, ...] = ()  # the class's, per level
    students: tuple[StudentCalibration, ...] = ()
    goals: tuple[GoalSet, ...] = ()

    @property
    def brier(self) -> float | None:
        """The class's mean squared gap between the chance claimed and the result (0 is perfect)."""
        answers = sum(lv.answers for lv in self.levels)
        if not answers:
            return None
        return sum(lv.right * (1 - lv.claimed) ** 2 + (lv.answers - lv.right) * lv.claimed ** 2
                   for lv in self.levels) / answers

    def with_progress(self, mastered: Mapping[str, set[str]]) -> SelfAssessment:
        """The goals with how many of their skills each student has mastered (student -> skills)."""
        return replace(self, goals=tuple(replace(g, mastered=len(set(g.skills) & mastered.get(g.student, set())))
                                         for g in self.goals))


def lesson_selfassessment(store: SqlEventStore, lesson_id: str) -> SelfAssessment:
    q = LessonQuery(store, lesson_id)
    return SelfAssessment(*_calibration(q), goals=_goals(q))


def _calibration(q: LessonQuery) -> tuple[tuple[Level, ...], tuple[StudentCalibration, ...]]:
    known = ", ".join(str(level) for level in CONFIDENCE_LEVELS)
    level = q.integer("confidence")
    rows = q.rows(f"""
        SELECT student_id, level, COUNT(*) AS answers, SUM(next_right) AS right_ones FROM (
            SELECT student_id, type, {level} AS level,
                   LEAD(type) OVER pair AS next_type, LEAD(correct) OVER pair AS next_right
            FROM events
            WHERE lesson_id = :lesson AND check_id IS NOT NULL
              AND (type = 'confidence_given' AND {level} IN ({known})
                   OR type = 'answered' AND pending = 0)
              -- only the checks a student rated: most answers have no confidence, and sorting them all is the cost
              AND (student_id, check_id) IN (SELECT student_id, check_id FROM events
                                             WHERE lesson_id = :lesson AND type = 'confidence_given')
            WINDOW pair AS (PARTITION BY student_id, check_id, {q.text('item')} ORDER BY seq)) AS paired
        WHERE type = 'confidence_given' AND next_type = 'answered'
        GROUP BY student_id, level""")
    per_student: dict[str, list[Level]] = {}
    totals: dict[int, list[int]] = {}
    for r in rows:
        lv = Level(int(r.level), int(r.answers), int(r.right_ones))
        per_student.setdefault(r.student_id, []).append(lv)
        counts = totals.setdefault(lv.level, [0, 0])
        counts[0] += lv.answers
        counts[1] += lv.right
    return (tuple(Level(lv, n, right) for lv, (n, right) in sorted(totals.items())),
            tuple(StudentCalibration(s, tuple(sorted(levels, key=lambda lv: lv.level)))
                  for s, levels in sorted(per_student.items())))


def _goals(q: LessonQuery) -> tuple[GoalSet, ...]:
    rows = q.rows(f"""
        SELECT student_id, MAX({q.latest('data')}) AS latest FROM events
        WHERE lesson_id = :lesson AND type = 'goal_set' GROUP BY student_id""")
    goals = []
    for r in sorted(rows, key=lambda r: r.student_id):
        try:
            data = json.loads(r.latest[19:])
        except ValueError:  # a hand-edited log: no goal to show rather than no report
            continue
        skills = data.get("skills") if isinstance(data.get("skills"), list) else []
        by = data.get("by") if isinstance(data.get("by"), str) and data.get("by") else None
        goals.append(GoalSet(r.student_id, tuple(str(s) for s in skills), by,
                             GOAL_LEVELS.get(str(data.get("level")), GOAL_LEVELS["core"])))
    return tuple(goals)
