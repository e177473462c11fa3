"""Which lesson a student should open next, and why, from their mastery and the prerequisites.

Pure: it reads a :class:`~lessonkit.model.course.CoursePlan` and a :class:`Learner` (what the
student has mastered, what review is due, which lessons they started or finished) and
returns a :class:`Recommendation` whose ``reason`` is a sentence for the student.  The class
server's lesson index shows it; the same answer comes out for the same events anywhere.

"Next" is not the next line of the course file.  In order of priority:

1. a spaced review that is due (architecture §7): a few minutes now saves relearning later;
2. a lesson the student started and has not finished, if they are ready for it;
3. among the lessons they are ready for (every prerequisite outside the lesson mastered) that
   still hold an unmastered skill: the one whose skills unlock the most of the course, skills
   in the student's goal first, then the teacher's order;
4. everything mastered: nothing, and the sentence says so.

A lesson whose every skill is already mastered (in another lesson, or by testing out) is
never recommended: the student would only repeat what they have shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from lessonkit.engine.mastery import SkillMastery
from lessonkit.model.course import CoursePlan, PlannedLesson

__all__ = ["Learner", "Recommendation", "recommend"]


@dataclass(frozen=True)
class Learner:
    """One student as the recommender sees them."""

    mastery: Mapping[str, SkillMastery] = field(default_factory=dict)
    due: Sequence[str] = ()  # skills whose review is due, most overdue first
    started: frozenset[str] = frozenset()
    finished: frozenset[str] = frozenset()
    goal: Sequence[str] = ()  # skills the student set out to master

    def masters(self, skill_id: str) -> bool:
        state = self.mastery.get(skill_id)
        return bool(state and state.mastered)


@dataclass(frozen=True)
class Recommendation:
    """The next lesson (``None`` when the course is mastered), why, and what it is about."""

    lesson_id: str | None
    title: str
    reason: str
    kind: str  # "review" | "continue" | "next" | "done"; "prerequisite" only for a course that fails validation
    skills: tuple[str, ...] = ()


def recommend(plan: CoursePlan, learner: Learner) -> Recommendation:
    """The most useful lesson for this student now (see the module docstring for the order)."""
    names = {sid: (skill.name or sid) for sid, skill in plan.skills.items()}
    for skill_id in learner.due:
        lessons = plan.taught_in(skill_id)
        if lessons:
            lesson = plan.lesson(lessons[0])
            return Recommendation(lesson.id, lesson.title,
                                  f"Your review of \u201c{names.get(skill_id, skill_id)}\u201d is due: a short "
                                  f"retrieval in \u201c{lesson.title}\u201d keeps it from fading.", "review", (skill_id,))
    open_lessons = [l for l in plan.lessons if _unmastered(l, learner)]
    if not open_lessons:
        return Recommendation(None, "", "You have mastered every skill of this course. Well done: keep "
                              "your work in your portfolio, or try the enrichment steps again.", "done")
    ready = [l for l in open_lessons if not _missing(plan, l, learner)]
    for lesson in ready:
        if lesson.id in learner.started and lesson.id not in learner.finished:
            todo = _unmastered(lesson, learner)
            return Recommendation(lesson.id, lesson.title, f"Pick up where you left off: "
                                  f"{_listed(names, todo)} still to master.", "continue", todo)
    if ready:
        unlocks = _unlocks(plan)
        goal = set(learner.goal)

        def usefulness(indexed: tuple[int, PlannedLesson]) -> tuple[int, int, int]:
            index, lesson = indexed
            todo = _unmastered(lesson, learner)
            return (-len(goal.intersection(todo)), -sum(len(unlocks.get(s, ())) for s in todo), index)

        _, best = min(enumerate(ready), key=usefulness)
        todo = _unmastered(best, learner)
        opened = sorted({s for t in todo for s in unlocks.get(t, ())} - set(best.skills))
        why = f"You are ready for it: it teaches {_listed(names, todo)}"
        if goal.intersection(todo):
            why += ", which your goal names"
        if opened:
            why += f", and that opens the way to {_listed(names, tuple(opened))}"
        skipped = [l.title for l in plan.lessons[:plan.lessons.index(best)] if not _unmastered(l, learner)
                   and l.id not in learner.finished]
        if skipped:
            why += f". You already master everything in {_listed({}, tuple(skipped))}, so you can skip it"
        return Recommendation(best.id, best.title, why + ".", "next", todo)
    return _prerequisite_first(plan, open_lessons[0], learner, names)


def _prerequisite_first(plan: CoursePlan, wanted: PlannedLesson, learner: Learner,
                        names: Mapping[str, str]) -> Recommendation:
    """No lesson is ready.  In a course that validates this cannot happen (a missing
    prerequisite is taught by some open lesson, and following them ends at a ready one), so
    it means a prerequisite cycle or a skill no lesson teaches: say which, for the teacher."""
    missing = tuple(_missing(plan, wanted, learner))
    return Recommendation(wanted.id, wanted.title, f"\u201c{wanted.title}\u201d is next in the course, but it "
                          f"needs {_listed(names, missing)} first, and no lesson of the course is ready to teach "
                          "it: ask your teacher (lessonkit validate reports the course's problem).",
                          "prerequisite", missing)


def _unmastered(lesson: PlannedLesson, learner: Learner) -> tuple[str, ...]:
    return tuple(s for s in lesson.skills if not learner.masters(s))


def _missing(plan: CoursePlan, lesson: PlannedLesson, learner: Learner) -> list[str]:
    """The prerequisites from outside the lesson that the student has not mastered (a
    prerequisite taught in the same lesson is the lesson's own business)."""
    own = set(lesson.skills)
    needed = {r for s in lesson.skills if s in plan.skills for r in plan.skills[s].requires} - own
    return sorted(r for r in needed if not learner.masters(r) and r in plan.skills)


def _unlocks(plan: CoursePlan) -> dict[str, set[str]]:
    """Per skill, every skill that needs it, directly or not."""
    needs: dict[str, set[str]] = {s: set() for s in plan.skills}
    for skill in plan.skills.values():
        for required in skill.requires:
            needs.setdefault(required, set()).add(skill.id)
    closed: dict[str, set[str]] = {}

    def reach(skill_id: str, seen: frozenset[str]) -> set[str]:
        if skill_id in closed:
            return closed[skill_id]
        out: set[str] = set()
        for user in needs.get(skill_id, ()):
            if user not in seen:  # validation rejects cycles; a cycle here must not recurse forever
                out |= {user} | reach(user, seen | {user})
        closed[skill_id] = out
        return out

    return {s: reach(s, frozenset({s})) for s in plan.skills}


def _listed(names: Mapping[str, str], skills: Sequence[str]) -> str:
    quoted = [f"\u201c{names.get(s, s)}\u201d" for s in skills]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]
