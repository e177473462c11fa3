"""Where each student stands in each served lesson, folded from the progress store.

The student's home and the teacher's class view read the same events the pages write, so
what they show is what a page would resume from.  The catalog (what ``lessonkit serve``
built: each page's lesson id, steps and skills) is computed at build time and handed to the
server, so reading standing never loads a lesson notebook.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lessonkit.model import Lesson
from lessonkit.progress import StudentState, open_store

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


def _standings(store: Any, student: str, catalog: Mapping[str, Mapping[str, Any]], now: float) -> list[Standing]:
    return [standing(StudentState.from_events(store.history(entry["lesson"], student)), page, entry, now)
            for page, entry in catalog.items()]


def student_standing(db: str | None, student: str, catalog: Mapping[str, Mapping[str, Any]]) -> list[Standing]:
    """``student``'s standing in every served lesson, in the catalog's order (only their own events are read)."""
    with open_store(db) as store:
        return _standings(store, student, catalog, time.time())


def class_standing(db: str | None, students: Iterable[str], catalog: Mapping[str, Mapping[str, Any]], *,
                   leaving_out: Iterable[str] = ()) -> dict[str, list[Standing]]:
    """Every student's standing: ``students`` and anyone else with events in a served lesson,
    except ``leaving_out`` (the teachers, whose own trials are not the class's)."""
    now = time.time()
    with open_store(db) as store:
        everyone = set(students).union(*(store.students(entry["lesson"]) for entry in catalog.values()))
        return {student: _standings(store, student, catalog, now) for student in sorted(everyone - set(leaving_out))}
