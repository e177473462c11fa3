"""The class over time: skills mastered per day, where students leave the lesson, and which
choice branches they pick.

Each figure is one ``GROUP BY`` over the lesson's events (see :mod:`lessonkit.report.queries`):

- **Mastery per day**: the first time each student's estimate of each skill reached mastered,
  counted per UTC day (days nobody mastered anything are left out).  A skill mastered, lost on
  a failed review and mastered again counts once, on the first day: it is what was learned.
  (How many students worked each day is not shown: it costs a pass over every event.)
- **Drop-off**: per step, how many students entered it, and how many of those who have not
  finished the lesson entered it last: the step they left on (or are still on).  Steps come
  in the order students usually meet them (the report has the events, not the lesson file).
- **Choices**: per ``lk.choose``, how many times each option was picked and by how many
  students.  An option nobody picked has no event, so it is not listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from lessonkit.progress.sql import SqlEventStore
from lessonkit.report.queries import LessonQuery, day_name


@dataclass(frozen=True)
class Day:
    day: str  # YYYY-MM-DD, UTC
    mastered: int  # skills first mastered that day, across the class


@dataclass(frozen=True)
class StepReach:
    """A step, in the order the class first entered it."""

    step: str
    kind: str | None
    entered: int  # students who entered it
    left_here: int  # students not finished whose last step entered is this one


@dataclass(frozen=True)
class ChoiceCount:
    label: str
    times: int
    students: int


@dataclass(frozen=True)
class ChoicePoint:
    """One ``lk.choose``: its options as picked, most picked first."""

    choice: str
    step: str | None
    options: tuple[ChoiceCount, ...]

    @property
    def times(self) -> int:
        return sum(o.times for o in self.options)


@dataclass(frozen=True)
class Trends:
    days: tuple[Day, ...] = ()
    steps: tuple[StepReach, ...] = ()
    choices: tuple[ChoicePoint, ...] = ()

    @property
    def unfinished(self) -> int:
        return sum(s.left_here for s in self.steps)


def lesson_trends(store: SqlEventStore, lesson_id: str) -> Trends:
    q = LessonQuery(store, lesson_id)
    return Trends(_days(q), _steps(q), _choices(q))


def _days(q: LessonQuery) -> tuple[Day, ...]:
    mastered = {int(r.day): int(r.n) for r in q.rows(f"""
        SELECT {q.day('first_ts')} AS day, COUNT(*) AS n FROM (
            SELECT student_id, skill, MIN(ts) AS first_ts FROM events
            WHERE lesson_id = :lesson AND type = 'mastery_changed' AND mastered = 1
            GROUP BY student_id, skill) AS firsts
        GROUP BY {q.day('first_ts')}""")}
    return tuple(Day(day_name(day), n) for day, n in sorted(mastered.items()))


def _steps(q: LessonQuery) -> tuple[StepReach, ...]:
    """Steps in the order students usually meet them: by the mean place of the step in each
    student's own order of first entering steps (a remediation step a few needed sits where
    they met it, not last), ties by who entered first."""
    # one pass: each student's first and last entry of each step, then, per student, the order of
    # first entries, the latest entry of all and whether one was the end
    reached = q.rows("""
        SELECT step_id, MAX(kind) AS kind, COUNT(*) AS students, SUM(place) AS places, MIN(first_seq) AS first_seq,
               SUM(CASE WHEN last_seq = student_last AND finished = 0 THEN 1 ELSE 0 END) AS left_here
        FROM (SELECT step_id, kind, first_seq, last_seq,
                     ROW_NUMBER() OVER (PARTITION BY student_id ORDER BY first_seq) AS place,
                     MAX(last_seq) OVER (PARTITION BY student_id) AS student_last,
                     MAX(CASE WHEN kind = 'end' THEN 1 ELSE 0 END) OVER (PARTITION BY student_id) AS finished
              FROM (SELECT student_id, step_id, MAX(kind) AS kind, MIN(seq) AS first_seq,
                           MAX(seq) AS last_seq FROM events
                    WHERE lesson_id = :lesson AND type = 'step_entered' AND step_id IS NOT NULL
                    GROUP BY student_id, step_id) AS firsts) AS placed
        GROUP BY step_id""")
    in_order = sorted(reached, key=lambda r: (Fraction(int(r.places), int(r.students)), int(r.first_seq), r.step_id))
    return tuple(StepReach(r.step_id, r.kind, int(r.students), int(r.left_here)) for r in in_order)


def _choices(q: LessonQuery) -> tuple[ChoicePoint, ...]:
    choice, label = q.text("choice"), q.text("label")
    rows = q.rows(f"""
        SELECT {choice} AS choice, {label} AS label, MIN(step_id) AS step, COUNT(*) AS times,
               COUNT(DISTINCT student_id) AS students
        FROM events WHERE lesson_id = :lesson AND type = 'choice_made' GROUP BY {choice}, {label}""")
    by_choice: dict[str, list[tuple[str | None, ChoiceCount]]] = {}
    for r in rows:
        by_choice.setdefault(str(r.choice), []).append((r.step, ChoiceCount(str(r.label), int(r.times),
                                                                             int(r.students))))
    return tuple(ChoicePoint(name, min((s for s, _ in picked if s), default=None),
                             tuple(sorted((c for _, c in picked), key=lambda c: (-c.times, c.label))))
                 for name, picked in sorted(by_choice.items()))
