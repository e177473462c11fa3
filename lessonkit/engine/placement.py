"""Test-out: a placement step that lets a student skip the practice of what they already know.

A teacher offers test-out by opening a lesson with a step of kind ``placement``: a few
checks, tagged with the skills they place.  Its answers are evidence under the ordinary rule
(architecture §7: the first attempt at a fresh item, without help) and move BKT as any other
answer does; placement adds no shortcut, so "mastered" after a placement means exactly what
it means after practice (P(learned) ≥ threshold with at least ``min_evidence`` items).

The placement step repeats, with fresh items, while some skill it places is *undecided*:
not mastered, yet still able to become mastered if every remaining round were answered
right.  It has at most ``min_evidence + 1`` rounds (one slip forgiven), so it stays short.
When every skill is decided the student goes on to the first step of the lesson's main line
(content and check steps, in source order) that practises a skill still not mastered, the
teaching before it included; with every skill mastered, to the end step.  A teacher's own
branch rules on the placement step take precedence over all of this.

:func:`false_mastery_rate` is the exact probability that a student who does not know a skill
(and answers right only by guessing) is declared mastered by the placement: the rate the
simulation tests hold the engine to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from lessonkit.engine.mastery import SkillMastery, update
from lessonkit.engine.path import LessonPath, Route
from lessonkit.model import MasteryPolicy, Skill

__all__ = [
    "PLACEMENT",
    "can_still_master",
    "false_mastery_rate",
    "placement_rounds",
    "route_after_placement",
    "start_after_placement",
]

PLACEMENT = "placement"
_MAIN_LINE = ("content", "check")


def placement_rounds(policy: MasteryPolicy) -> int:
    """How many times at most the placement step is shown: enough to reach mastery, plus one
    round so that a single slip by a student who knows the skill is forgiven."""
    return policy.min_evidence + 1


def can_still_master(skill: Skill, policy: MasteryPolicy, state: SkillMastery, answers_left: int) -> bool:
    """Whether ``answers_left`` right answers in a row would make the skill mastered."""
    for _ in range(answers_left):
        if state.mastered:
            return True
        state = update(skill, policy, state, True)
    return state.mastered


def route_after_placement(path: LessonPath, step_id: str, skills: Mapping[str, Skill], policy: MasteryPolicy,
                          mastery: Callable[[str], SkillMastery], rounds_done: int) -> Route:
    """Where the placement step ``step_id`` leads after ``rounds_done`` rounds: again, while a
    skill it places is undecided; else to where the student's answers say to start."""
    left = placement_rounds(policy) - rounds_done
    undecided = [s for s in path.skills_of(step_id) if s in skills and not mastery(s).mastered
                 and can_still_master(skills[s], policy, mastery(s), left)]
    if undecided:
        return Route(step_id, "branch", None, f"placement: '{undecided[0]}' undecided")
    start = start_after_placement(path, step_id, lambda s: mastery(s).mastered)
    placed = ", ".join(f"'{s}'" for s in path.skills_of(step_id) if mastery(s).mastered) or "none"
    return Route(start, "branch", None, f"placement: mastered {placed}") if start else Route(None, "end")


def start_after_placement(path: LessonPath, step_id: str, mastered: Callable[[str], bool]) -> str | None:
    """The first main-line step after ``step_id`` that practises an unmastered skill, moved back
    over the check-less teaching steps just before it; else the first end step after it."""
    order = path.order[path.order.index(step_id) + 1:]
    teaching_from: str | None = None
    for candidate in order:
        kind = path.step(candidate)["kind"]
        if kind == "end":  # teaching with no practice after it belongs to nothing unmastered: skipped
            return candidate
        if kind not in _MAIN_LINE:
            continue
        skills = path.skills_of(candidate)
        if not skills:
            teaching_from = teaching_from or candidate
            continue
        if any(not mastered(s) for s in skills):
            return teaching_from or candidate
        teaching_from = None
    return None


def false_mastery_rate(skill: Skill, policy: MasteryPolicy, guess: float | None = None) -> float:
    """The exact probability that a student who does not know ``skill`` is declared mastered by
    a placement of the skill alone, each answer right with probability ``guess`` (the skill's
    own guess parameter by default), following the rounds rule above.

    Every answer sequence the placement can produce is walked through the engine's own
    :func:`~lessonkit.engine.mastery.update`, so the number is the rule's, not a formula's.
    """
    g = skill.guess if guess is None else guess
    rounds = placement_rounds(policy)

    def walk(state: SkillMastery, done: int, probability: float) -> float:
        if state.mastered:
            return probability
        if done == rounds or not can_still_master(skill, policy, state, rounds - done):
            return 0.0
        return (walk(update(skill, policy, state, True), done + 1, probability * g)
                + walk(update(skill, policy, state, False), done + 1, probability * (1 - g)))

    return walk(SkillMastery.initial(skill), 0, 1.0)

