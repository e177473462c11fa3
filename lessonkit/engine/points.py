"""How a lesson's points honour the route each student takes (docs/grading.md, "Points and routes").

nbgrader holds every student to one maximum, the sum of the grade cells' points, but a
lesson sends students different ways.  So the points are laid out in **slots** whose value
does not depend on the route:

- a check every route meets is graded by its own cells, at its points (``own``);
- a check on a remediation or enrichment step is practice: it adds nothing to the total
  (``practice``), so being sent to remediation, or skipping the enrichment, costs nothing;
- the checks in the themes of a choice are pooled in one slot worth one theme's points;
  the theme the student did best in counts, so each theme must be worth the same;
- a check with ``credit="mastery"`` is a slot too: its answer, or the mastery of all its
  skills on the route, earns its points.

:meth:`PointsPlan.attainable` says what a student right on every check of a walk earns,
so validation can prove that every route reaches the maximum and the route listing can
show it.  The plan is data: the writer lays the slots out as grade cells and
``player.grading`` scores them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from lessonkit.engine.path import LessonPath
from lessonkit.engine.routes import CheckFacts, Walk

__all__ = ["PRACTICE_KINDS", "Member", "PointsPlan", "Slot", "plan_points"]

#: steps whose checks are practice: they never add to the total a student is held to
PRACTICE_KINDS = ("remediation", "enrichment")


@dataclass(frozen=True)
class Member:
    """A check in a slot: its points, and the skills whose mastery stands in for it."""

    check: str
    points: float
    mastery: tuple[str, ...] = ()


@dataclass(frozen=True)
class Slot:
    """One grade cell whose points the best of its ``options`` earns (a choice's themes, or
    a check with mastery credit: one option)."""

    id: str
    title: str
    points: float
    options: tuple[tuple[Member, ...], ...]


@dataclass(frozen=True)
class PointsPlan:
    """Which cells carry a lesson's points: see the module doc."""

    own: Mapping[str, float]
    practice: tuple[str, ...]
    slots: tuple[Slot, ...]
    problems: tuple[tuple[str, str], ...] = field(default=())  # (step or check id, message)

    @property
    def maximum(self) -> float:
        """The total every student is held to: what nbgrader's gradebook shows as the maximum."""
        return sum(self.own.values()) + sum(slot.points for slot in self.slots)

    def role(self, check_id: str) -> str:
        """``own``, ``practice`` or ``member`` (its points are in a slot)."""
        if check_id in self.own:
            return "own"
        return "practice" if check_id in self.practice else "member"

    def attainable(self, walk: Walk) -> float:
        """The points a student who answers every check on ``walk`` right can earn."""
        return sum(self._shortfall(walk, full=True).values())

    def shortfall(self, walk: Walk) -> dict[str, float]:
        """Per check or slot that ``walk`` cannot earn in full, the points it leaves out."""
        return {name: lost for name, lost in self._shortfall(walk, full=False).items() if lost > 1e-9}

    def _shortfall(self, walk: Walk, *, full: bool) -> dict[str, float]:
        met, mastered = set(walk.checks), set(walk.mastered)
        earned = {check: points if check in met else 0.0 for check, points in self.own.items()}
        for slot in self.slots:
            best = max((sum(m.points for m in option if m.check in met or (m.mastery and mastered.issuperset(m.mastery)))
                        for option in slot.options), default=0.0)
            earned[slot.id] = min(best, slot.points)
        if full:
            return earned
        top = {**self.own, **{slot.id: slot.points for slot in self.slots}}
        return {name: top[name] - value for name, value in earned.items()}


def plan_points(path: LessonPath, facts: Mapping[str, CheckFacts]) -> PointsPlan:
    """The points plan of a lesson (see the module doc), with the problems that keep some
    route from full marks whatever the student does (themes worth different points, a
    choice inside a theme, a person-graded check in one theme)."""
    problems: list[tuple[str, str]] = []
    step_of = {check: step for step in path.order for check in path.checks_of(step)}
    practice = tuple(c for c in facts if c in step_of and path.step(step_of[c])["kind"] in PRACTICE_KINDS)
    themes = _themes(path)
    slots: list[Slot] = []
    pooled: set[str] = set()
    for choice_step, regions in themes.items():
        choice = path.step(choice_step)["choice"]
        options = []
        for option, region in zip(choice["options"], regions):
            inner = [s for s in region if path.step(s).get("choice")]
            if inner:
                problems.append((inner[0], (f"the choice in step '{inner[0]}' lies inside the theme "
                                           f"'{option['label']}' of choice '{choice['id']}': themes cannot be "
                                           "graded by route when they hold another choice")))
            members = []
            for check in (c for s in region for c in path.checks_of(s) if c in facts and c not in practice):
                if facts[check].kind == "response":
                    problems.append((check, (f"the person-graded check '{check}' is in the theme "
                                            f"'{option['label']}' of choice '{choice['id']}' only: a student who "
                                            "chose another theme cannot earn its points; give it points=0 or "
                                            "move it where every route meets it")))
                    continue
                members.append(_member(check, facts[check]))
                pooled.add(check)
            options.append(tuple(members))
        totals = {option["label"]: sum(m.points for m in members) for option, members in zip(choice["options"], options)}
        if len(set(totals.values())) > 1:
            problems.append((choice_step, f"the themes of choice '{choice['id']}' are worth different points ("
                                          + ", ".join(f"'{label}' {_n(points)}" for label, points in totals.items())
                                          + "): make them equal, so every theme can reach full marks"))
        if any(options):
            slots.append(Slot(f"choice-{choice['id']}", f"the theme chosen at '{choice['id']}'",
                              max(totals.values(), default=0.0), tuple(options)))
    own: dict[str, float] = {}
    for check, fact in facts.items():
        if check in practice or check in pooled:
            continue
        if fact.credit == "mastery" and fact.kind != "response":
            slot_id = f"{check}-credit" if fact.kind == "code" else check
            slots.append(Slot(slot_id, f"'{check}' (or mastery of its skills)", fact.points,
                              ((_member(check, fact),),)))
        else:
            own[check] = fact.points
    return PointsPlan(own, practice, tuple(slots), tuple(problems))


def _member(check: str, fact: CheckFacts) -> Member:
    return Member(check, fact.points, tuple(fact.skills) if fact.credit == "mastery" else ())


def _n(points: float) -> str:
    return f"{points:g}"


def _themes(path: LessonPath) -> dict[str, list[list[str]]]:
    """Per choice step, the steps of each option's theme: those its option leads to before
    the themes meet again (the first step every way from the choice passes through)."""
    found: dict[str, list[list[str]]] = {}
    for step_id in path.order:
        choice = path.step(step_id).get("choice")
        if not choice:
            continue
        join = _rejoin(path, step_id)
        found[step_id] = [_reach(path, [o["goto"]], stop={join, step_id}) for o in choice["options"]
                          if o["goto"] in path.steps]
    return found


def _rejoin(path: LessonPath, choice_step: str) -> str | None:
    """The nearest step that every way on from ``choice_step`` to an end passes through
    (its immediate post-dominator), None if the themes never meet again."""
    starts = path.targets(choice_step)
    ahead = _reach(path, starts, stop={choice_step})
    ends = {s for s in ahead if path.step(s)["kind"] == "end" or not path.targets(s)}
    meeting = [s for s in ahead if not ends & set(_reach(path, starts, stop={choice_step, s}))]
    # every meeting step lies on each way on, so the nearest one reaches all the others
    return max(meeting, key=lambda s: len(set(_reach(path, [s], stop=set())) & set(meeting)), default=None)


def _reach(path: LessonPath, starts: Iterable[str], stop: set[str | None]) -> list[str]:
    """The steps reachable from ``starts`` (themselves included) without entering ``stop``,
    in source order."""
    seen: set[str] = set()
    todo = [s for s in starts if s not in stop]
    while todo:
        here = todo.pop()
        if here in seen:
            continue
        seen.add(here)
        todo.extend(t for t in path.targets(here) if t not in stop and t not in seen)
    return [s for s in path.order if s in seen]
