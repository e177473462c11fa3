"""Numeric checks with an absolute or relative tolerance, sealed as hashed buckets.

A tolerance cannot be checked against one hash, so the number line is cut into buckets
an eighth of the tolerance wide (logarithmic buckets for a relative tolerance).  The
buckets that overlap ``answer ± tolerance`` are sealed; a student's number is right when
its bucket is one of them.  The tolerance is thus honoured to within an eighth of itself.
"""

from __future__ import annotations

import math
import re
from typing import Any

from lessonkit.engine import sealing
from lessonkit.engine.kinds.base import CheckKind, Field, Item, Verdict, judge_sealed, seal_feedback
from lessonkit.model import Check, Problem

BUCKETS_PER_TOLERANCE = 8
DEFAULT_TOLERANCE = {"rel": 1e-9}

_MIXED = re.compile(r"^([+-]?\d+)\s+(\d+)\s*/\s*(\d+)$")
_FRACTION = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*/\s*([+-]?\d+(?:\.\d+)?)$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def read_number(text: Any) -> float | None:
    """A number as students write it: ``0.75``, ``3/4``, ``1 1/2``, ``75%``, ``1,000``, ``1e3``."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    if not isinstance(text, str):
        return None
    s = text.strip().replace("\u2212", "-").replace(" ", " ")
    if not s:
        return None
    scale = 1.0
    if s.endswith("%"):
        s, scale = s[:-1].strip(), 0.01
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    try:
        if m := _MIXED.match(s):
            whole, num, den = (int(g) for g in m.groups())
            value = abs(whole) + num / den
            return math.copysign(value, -1 if s.startswith("-") else 1) * scale
        if m := _FRACTION.match(s):
            return float(m.group(1)) / float(m.group(2)) * scale
        value = float(s.replace(",", "."))  # a decimal comma, as much of the world writes it
    except (ValueError, ZeroDivisionError):
        return None
    return value * scale if math.isfinite(value) else None


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
        "unit": Field((str,), "shown after the answer box, e.g. \"cm\""),
    }

    def problems(self, check: Check) -> list[Problem]:
        found = super().problems(check)
        tolerance = check.spec.get("tolerance", DEFAULT_TOLERANCE)
        if isinstance(tolerance, dict):
            if len(tolerance) != 1 or next(iter(tolerance)) not in ("abs", "rel"):
                found.append(Problem(check.where.at("tolerance"), 'must be {"abs": number} or {"rel": number}'))
            elif not isinstance(next(iter(tolerance.values())), (int, float)) or next(iter(tolerance.values())) <= 0:
                found.append(Problem(check.where.at("tolerance"), "must be a positive number"))
        answer = check.spec.get("answer")
        if isinstance(answer, str) and check.variants is None and read_number(answer) is None:
            found.append(Problem(check.where.at("answer"), f"'{answer}' is not a number",
                                 "expressions are only allowed in checks with variants"))
        return found

    def complete(self, item: Item, params: dict[str, Any]) -> Item:
        answer = item["answer"]
        if isinstance(answer, str) and read_number(answer) is None and params:
            from lessonkit.engine.conditions import evaluate_expression

            answer = evaluate_expression(answer, params)
        item["answer"] = read_number(answer)
        item["tolerance"] = dict(item.get("tolerance", DEFAULT_TOLERANCE))
        return item

    def key(self, item: Item) -> float:
        return item["answer"]

    def secrets(self, item: Item) -> list[str]:
        # short numbers ("6") appear in any text; only distinctive ones are worth searching for
        text = repr(item["answer"])
        return [text] if len(text.strip("-0.")) >= 3 else []

    def seal(self, item: Item, salt: str) -> Item:
        tolerance = item["tolerance"]
        return {
            "prompt": item["prompt"],
            "unit": item.get("unit", ""),
            "tolerance": tolerance,
            "salt": salt,
            "accept": [sealing.digest(salt, b) for b in accepted_buckets(item["answer"], tolerance)],
            "feedback": seal_feedback(item, salt, lambda a: None if read_number(a) is None
                                      else bucket(read_number(a), tolerance)),
        }

    def judge(self, sealed: Item, answer: Any) -> Verdict:
        value = read_number(answer)
        if value is None:
            return Verdict(False, message=f"I could not read {str(answer)!r} as a number. "
                                          "Try something like 0.75, 3/4 or 75%.", readable=False)
        return judge_sealed(sealed, bucket(value, sealed["tolerance"]))
