"""Numeric checks with an absolute or relative tolerance, sealed as hashed buckets.

A tolerance cannot be checked against one hash, so the number line is cut into buckets
an eighth of the tolerance wide (logarithmic buckets for a relative tolerance).  The
buckets that overlap ``answer ± tolerance`` are sealed; a student's number is right when
its bucket is one of them.  The tolerance is thus honoured to within an eighth of itself.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from lessonkit.engine import sealing
from lessonkit.engine.kinds.base import CheckKind, Field, Item, Verdict, judge_sealed, seal_feedback
from lessonkit.model import Check, Problem

BUCKETS_PER_TOLERANCE = 8
DEFAULT_TOLERANCE = {"rel": 1e-9}

_MIXED = re.compile(r"^([+-]?\d+)\s+(\d+)\s*/\s*(\d+)$")
_FRACTION = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*/\s*([+-]?\d+(?:\.\d+)?)$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
#: a unit written before the number ("£12") or after it ("12 cm", "25%", "30 km/h")
_UNIT_BEFORE = re.compile(r"^[^\d\s+\-.,]+")
_UNIT_AFTER = re.compile(r"(?<=[\d\s.])[^\d\s.,+\-/][^\d]*$")
#: what a teacher may give as ``unit``: a word or symbol, no digits, no spaces
_UNIT_NAME = re.compile(r"^(?!.*\d)[^\s+\-.,/]\S*$")


@dataclass(frozen=True)
class Reading:
    """A student's number in the check's unit, or (``value`` None) why it cannot be judged."""

    value: float | None
    problem: str = ""


def read_number(text: Any) -> float | None:
    """A number as students write it: ``0.75``, ``3/4``, ``1 1/2``, ``75%``, ``1,000``, ``1e3``."""
    return read_answer(text).value


def read_answer(answer: Any, unit: str = "") -> Reading:
    """A number in the check's ``unit``, which the student may write or leave out.

    Without a unit, ``75%`` is 0.75.  With ``unit="%"`` the answer *is* a percentage, so
    ``25``, ``25%`` and ``25 %`` are all 25.  Any other unit written is refused, not
    converted: ``12 m`` for a check in cm is a slip to point out, not a wrong number.
    """
    if isinstance(answer, (int, float)) and not isinstance(answer, bool):
        return Reading(float(answer))
    text = answer.strip().replace("\u2212", "-").replace("\u00a0", " ") if isinstance(answer, str) else ""
    before, after = _UNIT_BEFORE.search(text), _UNIT_AFTER.search(text)
    number = text[before.end() if before else 0:after.start() if after else len(text)].strip()
    written = "".join(((before.group() if before else "") + (after.group() if after else "")).split())
    value = _plain_number(number) if not (before and after) else None
    if value is None:
        examples = f"7.5 or 7.5 {unit}" if unit else "0.75, 3/4 or 75%"
        return Reading(None, f"I could not read {str(answer)!r} as a number. Try something like {examples}.")
    if written in ("", unit):
        return Reading(value)
    if written == "%" and not unit:
        return Reading(value / 100)
    if not unit:
        return Reading(None, f"The answer is a plain number: leave out {written!r}.")
    return Reading(None, f"Give the answer in {unit}: {written!r} is not the unit asked for.")


def _plain_number(s: str) -> float | None:
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    try:
        if m := _MIXED.match(s):
            whole, num, den = (int(g) for g in m.groups())
            return math.copysign(abs(whole) + num / den, -1 if s.startswith("-") else 1)
        if m := _FRACTION.match(s):
            return float(m.group(1)) / float(m.group(2))
        value = float(s.replace(",", "."))  # a decimal comma, as much of the world writes it
    except (ValueError, ZeroDivisionError):
        return None
    return value if math.isfinite(value) else None


def bucket(value: float, tolerance: dict[str, float]) -> str:
    """The bucket a number falls in, as the text that gets hashed."""
    if "abs" in tolerance:
        width = tolerance["abs"] / BUCKETS_PER_TOLERANCE
        return f"a:{math.floor(value / width)}"
    if value == 0:
        return "r:0"
    step = math.log1p(tolerance["rel"] / BUCKETS_PER_TOLERANCE)
    return f"r:{'-' if value < 0 else '+'}{math.floor(math.log(abs(value)) / step)}"


def accepted_buckets(answer: float, tolerance: dict[str, float]) -> list[str]:
    """Every bucket that overlaps [answer - tol, answer + tol]."""
    if "abs" in tolerance:
        width = tolerance["abs"] / BUCKETS_PER_TOLERANCE
        low, high = math.floor((answer - tolerance["abs"]) / width), math.floor((answer + tolerance["abs"]) / width)
        return [f"a:{k}" for k in range(low, high + 1)]
    if answer == 0:
        return ["r:0"]
    rel = tolerance["rel"]
    step = math.log1p(rel / BUCKETS_PER_TOLERANCE)
    sign = "-" if answer < 0 else "+"
    low = math.floor(math.log(abs(answer) * (1 - min(rel, 0.999999))) / step)
    high = math.floor(math.log(abs(answer) * (1 + rel)) / step)
    return [f"r:{sign}{k}" for k in range(low, high + 1)]


class Numeric(CheckKind):
    name = "numeric"
    input = "number"
    fields = {
        "answer": Field((int, float, str), "the right number (with variants: an expression such as \"(a + b) / d\")",
                        required=True),
        "tolerance": Field((dict,), 'how far off an answer may be: {"abs": 0.01} or {"rel": 0.05}',
                           templated=False),
        "unit": Field((str,), "the unit the answer is in, shown after the answer box, e.g. \"cm\"; "
                      "\"%\" makes the answer a percentage (25 for 25 %)"),
    }

    def problems(self, check: Check) -> list[Problem]:
        found = super().problems(check)
        tolerance = check.spec.get("tolerance", DEFAULT_TOLERANCE)
        if isinstance(tolerance, dict):
            if len(tolerance) != 1 or next(iter(tolerance)) not in ("abs", "rel"):
                found.append(Problem(check.where.at("tolerance"), 'must be {"abs": number} or {"rel": number}'))
            elif not isinstance(next(iter(tolerance.values())), (int, float)) or next(iter(tolerance.values())) <= 0:
                found.append(Problem(check.where.at("tolerance"), "must be a positive number"))
        unit = check.spec.get("unit")
        if isinstance(unit, str) and not _UNIT_NAME.match(unit):
            found.append(Problem(check.where.at("unit"), f"{unit!r} is not a unit",
                                 'a unit is a word or symbol without digits or spaces: "%", "cm", "km/h", "£"'))
        answer = check.spec.get("answer")
        unreadable = isinstance(answer, str) and read_answer(answer, _unit(check.spec)).value is None
        if unreadable and check.variants is None:
            found.append(Problem(check.where.at("answer"), f"'{answer}' is not a number",
                                 "expressions are only allowed in checks with variants"))
        return found

    def complete(self, item: Item, params: dict[str, Any]) -> Item:
        answer = item["answer"]
        unit = _unit(item)
        if isinstance(answer, str) and read_answer(answer, unit).value is None and params:
            from lessonkit.engine.conditions import evaluate_expression

            answer = evaluate_expression(answer, params)
        item["answer"] = read_answer(answer, unit).value
        item["tolerance"] = dict(item.get("tolerance", DEFAULT_TOLERANCE))
        return item

    def key(self, item: Item) -> float:
        return item["answer"]

    def describe_key(self, item: Item) -> str:
        from lessonkit.engine.conditions import render_value

        tolerance, unit = item["tolerance"], _unit(item)
        within = ("exactly" if tolerance == DEFAULT_TOLERANCE else f"\u00b1 {render_value(tolerance['abs'])}"
                  if "abs" in tolerance else f"within {render_value(tolerance['rel'] * 100)} %")
        return f"{render_value(item['answer'])}{' ' + unit if unit else ''} ({within})"

    def wrong_answer(self, item: Item) -> float:
        # far outside any tolerance a teacher sets: ten times the answer's size away
        return item["answer"] + 10 * (item["tolerance"].get("abs", 0) + max(1.0, abs(item["answer"])))

    def secrets(self, item: Item) -> list[str]:
        # short numbers ("6") appear in any text; only distinctive ones are worth searching for
        text = repr(item["answer"])
        return [text] if len(text.strip("-0.")) >= 3 else []

    def seal(self, item: Item, salt: str) -> Item:
        tolerance, unit = item["tolerance"], _unit(item)

        def feedback_form(answer: Any) -> str | None:
            value = read_answer(answer, unit).value
            return None if value is None else bucket(value, tolerance)

        return {
            "prompt": item["prompt"],
            "unit": unit,
            "tolerance": tolerance,
            "salt": salt,
            "accept": [sealing.digest(salt, b) for b in accepted_buckets(item["answer"], tolerance)],
            "feedback": seal_feedback(item, salt, feedback_form),
        }

    def judge(self, sealed: Item, answer: Any) -> Verdict:
        reading = read_answer(answer, sealed["unit"])
        if reading.value is None:
            return Verdict(False, message=reading.problem, readable=False)
        tolerance, salt = sealed["tolerance"], sealed["salt"]
        form = bucket(reading.value, tolerance)
        verdict = judge_sealed(sealed, form)
        if (verdict.correct or sealed["unit"] != "%" or sealing.digest(salt, form) in sealed["feedback"]
                or sealing.digest(salt, bucket(reading.value * 100, tolerance)) not in sealed["accept"]):
            return verdict
        # right as a fraction of one: the student knows the answer and slipped on the form
        return Verdict(False, 0.0, "Not quite: give the answer in %, e.g. 50 (or 50 %) for a half.")


def _unit(spec: Any) -> str:
    """The unit of a check or item; not a string (a field problem reported elsewhere) is none."""
    unit = spec.get("unit", "")
    return unit if isinstance(unit, str) else ""
