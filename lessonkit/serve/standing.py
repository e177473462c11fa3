"""Where each student stands in each served lesson, folded from the progress store.

The student's home and the teacher's class view read the same events the pages write, so
what they show is what a page would resume from.  The catalog (what ``lessonkit serve``
built: each page's lesson id, steps and skills) is computed at build time and handed to the
server, so reading standing never loads a lesson notebook.  The home also says what to do
next across the course (``engine.recommend``, the same advice a page's end step gives) and
how far the student is towards the goals they set.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from lessonkit.engine.recommend import Recommendation, recommend
from lessonkit.model import Lesson
from lessonkit.model.course import CoursePlan
from lessonkit.progress import StudentState, open_store
from lessonkit.progress.course import course_progress
from lessonkit.progress.selfassessment import GOAL_LEVELS, latest_goal

#: Steps off the main route: visiting them is not progress through the lesson.
DETOURS = ("remediation", "enrichment", "review")


def catalog_entry(lesson: Lesson) -> dict[str, Any]:
    """What the server needs to know about one built lesson (JSON-able)."""
    return {"title": lesson.title, "lesson": lesson.id,
            "steps": {step.id: [step.title or step.id, step.kind] for step in lesson.steps},
            "skills": {skill.id: skill.name or skill.id for skill in lesson.skills.values()}}


@dataclass(frozen=True)
class Standing:
    """One student in one lesson."""

    page: str  # the page's path under the build folder
    title: str
    percent: int  # of the main route's steps visited (100 when finished)
    started: bool
    finished: bool
    current_step: str  # the title of the step a page would resume at ('' before starting)
    detour: str  # '' on the main route, else the kind of step the student is in (remediation, ...)
    due_reviews: tuple[str, ...]  # the names of skills due for review now
    checks_correct: int
    checks_tried: int
    flags: int
    last_active: float | None  # epoch seconds


def standing(state: StudentState, page: str, entry: Mapping[str, Any], now: float) -> Standing:
    steps: Mapping[str, list[str]] = entry["steps"]
    main = [step for step, (_, kind) in steps.items() if kind not in DETOURS]
    visited = sum(1 for step in main if step in state.visits)
    percent = 100 if state.finished else (round(100 * visited / len(main)) if main else 0)
    title, kind = steps.get(state.current_step or "", ["", ""])
    due = tuple(entry["skills"].get(skill, skill) for skill, skill_state in sorted(state.skills.items())
                if skill_state.next_due is not None and skill_state.next_due <= now)
    tried = [check for check in state.checks.values() if check.attempts]
    return Standing(page=page, title=entry["title"], percent=percent, started=state.started, finished=state.finished,
                    current_step=title, detour=kind if kind in DETOURS else "", due_reviews=due,
                    checks_correct=sum(check.correct for check in tried), checks_tried=len(tried),
                    flags=len(state.flags), last_active=state.last_ts)


@dataclass(frozen=True)
class GoalStanding:
    """A goal the student set in one lesson, and how far they are towards it across the course."""

    lesson: str  # the lesson's title
    skills: tuple[str, ...]  # the names of the goal's skills
    mastered: int  # how many of them are mastered now, in whichever lesson
    by: date | None
    level: str  # as the student chose it: "core" or "with enrichment"


@dataclass(frozen=True)
class Advice:
    """The course's recommendation as the home shows it: the lesson, why, and its page here."""

    recommendation: Recommendation
    page: str | None  # the served page of the recommended lesson (None: not served here, or nothing left)


@dataclass(frozen=True)
class Home:
    """Everything ``/`` shows a student: their lessons, the next move, their goals."""

    standings: list[Standing]
    advice: Advice | None  # None when the lessons are not in a course
    goals: list[GoalStanding]


def _standings(store: Any, student: str, catalog: Mapping[str, Mapping[str, Any]], now: float) -> list[Standing]:
    return [standing(StudentState.from_events(store.history(entry["lesson"], student)), page, entry, now)
            for page, entry in catalog.items()]


def student_home(db: str | None, student: str, catalog: Mapping[str, Mapping[str, Any]],
                 plan: CoursePlan | None) -> Home:
    """``student``'s home: only their own events are read.  The goal that steers the advice
    is the one set last, in whichever lesson (a new goal replaces the old one)."""
    now = time.time()
    served = [entry["lesson"] for entry in catalog.values()]
    # the course's order first: the order a class meets the lessons
    lesson_ids = list(dict.fromkeys(([lesson.id for lesson in plan.lessons] if plan else []) + served))
    with open_store(db) as store:
        progress = course_progress(store, student, lesson_ids)
        goals = [(entry, goal) for entry in catalog.values()
                 if (goal := latest_goal(store.history(entry["lesson"], student))) is not None]
    standings = [standing(progress.lessons[entry["lesson"]], page, entry, now) for page, entry in catalog.items()]
    standings.sort(key=lambda item: lesson_ids.index(catalog[item.page]["lesson"]))

    def mastered(skill: str) -> bool:
        record = progress.skills.get(skill)
        return bool(record and record.mastered)

    goal_standings = [GoalStanding(entry["title"], tuple(entry["skills"].get(s, s) for s in goal.skills),
                                   goal.progress(mastered)[0], goal.by, GOAL_LEVELS[goal.level])
                      for entry, goal in goals]
    advice = None
    if plan is not None:
        steering: Sequence[str] = max((goal for _, goal in goals), key=lambda g: g.set_at).skills if goals else ()
        recommendation = recommend(plan, progress.learner(now, steering))
        page = next((page for page, entry in catalog.items() if entry["lesson"] == recommendation.lesson_id), None)
        advice = Advice(recommendation, page)
    return Home(standings, advice, goal_standings)


def class_standing(db: str | None, students: Iterable[str], catalog: Mapping[str, Mapping[str, Any]], *,
                   leaving_out: Iterable[str] = ()) -> dict[str, list[Standing]]:
    """Every student's standing: ``students`` and anyone else with events in a served lesson,
    except ``leaving_out`` (the teachers, whose own trials are not the class's)."""
    now = time.time()
    with open_store(db) as store:
        everyone = set(students).union(*(store.students(entry["lesson"]) for entry in catalog.values()))
        return {student: _standings(store, student, catalog, now) for student in sorted(everyone - set(leaving_out))}
