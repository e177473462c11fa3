"""The lesson as students get it: every answer sealed, every hidden test left out.

One function makes the sealed lesson that the student notebook and the page embed, so
both hold exactly the same (non-)secrets; ``secrets`` lists what must never appear in
them, which the build's own tests search for.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from lessonkit.engine import sealing
from lessonkit.engine.kinds import Item, get_kind
from lessonkit.model import Check, Lesson


def check_items(lesson: Lesson, check: Check) -> list[Item]:
    """The items of a check with answers in the clear (variants drawn): teacher side only."""
    return get_kind(check.kind).items(check, lesson.id)


def item_salt(lesson: Lesson, check: Check, index: int) -> str:
    return sealing.make_salt(lesson.id, lesson.version, check.id, str(index))


def seal_check(lesson: Lesson, check: Check) -> dict[str, Any]:
    kind = get_kind(check.kind)
    clear = check_items(lesson, check)
    items = [kind.seal(kind.in_lesson(item, lesson, check), item_salt(lesson, check, n))
             for n, item in enumerate(clear)]
    if check.variants is not None and check.hints:
        # each variant's hints are filled in with its own values (shown to the student anyway:
        # validation has checked that none gives the answer away)
        items = [{**sealed, "hints": item["hints"]} for sealed, item in zip(items, clear)]
    return {
        "id": check.id,
        "kind": check.kind,
        "input": kind.input,
        "skills": list(check.skills),
        "points": check.points,
        "hints": [asdict(h) for h in check.hints],
        "items": items,
    }


def seal_lesson(lesson: Lesson) -> dict[str, Any]:
    """The sealed lesson: structure, content and checks, with no answer in the clear."""
    steps = []
    for step in lesson.steps:
        ends = step.branch is not None or step.choice is not None or step.kind == "end"
        steps.append({
            "id": step.id,
            "kind": step.kind,
            "title": step.title,
            "blocks": [{"kind": b.kind, "source": b.source} if b.kind != "check" else {"kind": "check", "check": b.check}
                       for b in step.blocks],
            "branch": [{"if": r.condition, "goto": r.goto} for r in step.branch.rules] if step.branch else None,
            "choice": {"id": step.choice.id, "prompt": step.choice.prompt,
                       "options": [{"label": o.label, "goto": o.goto} for o in step.choice.options]}
            if step.choice else None,
            "next": None if ends else lesson.next_in_order(step.id),
            "review": list(step.review),
        })
    return {
        "id": lesson.id,
        "title": lesson.title,
        "version": lesson.version,
        "skills": {s.id: {"name": s.name, "requires": list(s.requires), "prior": s.prior, "learn": s.learn,
                          "guess": s.guess, "slip": s.slip} for s in lesson.skills.values()},
        "mastery": asdict(lesson.mastery),
        "steps": steps,
        "checks": {c.id: seal_check(lesson, c) for c in lesson.checks.values()},
        **({"confidence": True} if lesson.confidence else {}),  # absent when off: older builds stay byte-identical
    }


def grading_key(lesson: Lesson, check: Check) -> dict[str, Any]:
    """What a grade cell needs to score a check: its items in the clear (teacher side only)."""
    return {"kind": check.kind, "points": check.points, "items": check_items(lesson, check)}


def secrets(lesson: Lesson) -> list[str]:
    """Every text that must never reach a student: answers, solutions, hidden tests."""
    found: list[str] = []
    for check in lesson.checks.values():
        kind = get_kind(check.kind)
        for item in check_items(lesson, check):
            found.extend(kind.secrets(item))
    return sorted(set(found))
