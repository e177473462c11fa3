"""Drawing a check's variants: seeded values, data rows, and a constraint they meet.

Items are drawn at build time with a generator seeded by the lesson and check ids, so the
same source always builds the same items (and the same salts).  A constraint
(``where="a != b and a * b < 50"``) is the condition language's pure expression subset
(``engine.conditions``: no student state, nothing executed), tried on each draw; draws
that miss it are thrown away, at most :data:`MAX_DRAWS` of them, so a constraint nothing
meets is a message for the teacher, not a build that never ends.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from lessonkit.engine.conditions import (
    ConditionError,
    evaluate_expression,
    evaluate_template,
)
from lessonkit.errors import LessonkitError
from lessonkit.model import Variants

__all__ = ["MAX_DRAWS", "VariantError", "draw", "render"]

MAX_DRAWS = 1000
"""Draws tried for one check's items before its constraint is declared unsatisfiable: far
more than any constraint a teacher means to be met needs, and still instant."""


class VariantError(LessonkitError, ValueError):
    """A check's variants cannot be made; ``field`` is the check's field at fault
    (``variants.where``, ``hints[1]``, ``feedback[0].message``), ``hint`` how to fix it."""

    def __init__(self, field: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.hint = hint


def draw(variants: Variants, seed: str) -> list[dict[str, Any]]:
    """The values of each of ``variants.count`` items (with rows alone and no count, of every
    row that meets the constraint).

    Without rows or a constraint this is exactly the draw lessonkit has always made (one
    ``choice`` per parameter, in name order), so adding the feature changed no built item.
    Rows alone are dealt in a seeded shuffle, each at most once; with parameters too, each
    draw takes the next row of the shuffle and draws the parameters beside it.
    """
    rng = random.Random(seed)
    names = sorted(variants.params)
    rows = [dict(row) for row in variants.rows]
    if rows:
        rng.shuffle(rows)
    if not names:
        meeting = [row for row in rows if _meets(variants.where, row)]
        wanted = len(meeting) if variants.count is None else variants.count
        if not meeting or len(meeting) < wanted:
            field = "variants.where" if variants.where else "variants.count"
            raise VariantError(field, f"only {len(meeting)} of the {len(rows)} rows "
                               + (f"meet where={variants.where!r}" if variants.where else "are there")
                               + (f", and {wanted} variants are asked for" if wanted else ""),
                               "lower the count, add rows, or loosen the constraint")
        return meeting[:wanted]
    count = 5 if variants.count is None else variants.count
    drawn: list[dict[str, Any]] = []
    for tries in range(MAX_DRAWS):
        values = {**(rows[tries % len(rows)] if rows else {}),
                  **{name: rng.choice(list(variants.params[name])) for name in names}}
        if _meets(variants.where, values):
            drawn.append(values)
            if len(drawn) == count:
                return drawn
    raise VariantError("variants.where", f"only {len(drawn)} of {MAX_DRAWS} draws met where={variants.where!r}, "
                       f"and {count} variants are asked for",
                       "loosen the constraint or widen the parameters' values: it may be impossible to meet")


def _meets(where: str | None, values: Mapping[str, Any]) -> bool:
    if where is None:
        return True
    try:
        return bool(evaluate_expression(where, values))
    except ConditionError as error:
        raise VariantError("variants.where", f"the constraint {where!r} cannot be read: {error}",
                           "a constraint is an expression over the variant's values, e.g. \"a != b and a * b < 50\"") \
            from None


def render(value: Any, values: Mapping[str, Any], field: str) -> Any:
    """``value`` with every template filled in from ``values``; texts nested in lists and
    dicts too, each error naming the part it is in (``hints[1]``, ``feedback[0].message``)."""
    if isinstance(value, str):
        try:
            return evaluate_template(value, values)
        except ConditionError as error:
            raise VariantError(field, f"the template {value!r} cannot be filled in: {error}",
                               "every {...} is an expression over the variant's values; "
                               "write {{ and }} for literal braces") from None
    if isinstance(value, list):
        return [render(v, values, f"{field}[{n}]") for n, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: render(v, values, f"{field}.{k}") for k, v in value.items()}
    return value
