"""Responses a person grades: explanations, proofs, open-ended code (nbgrader's manually
graded answers).

Nothing is judged automatically: the student is told the answer is saved for the
teacher, and the check gives no evidence of mastery.  The teacher's model answer follows
the check as a cell, as nbgrader keeps it, and never reaches students.
"""

from __future__ import annotations

from typing import Any, Mapping

from lessonkit.engine.kinds.base import CheckKind, Field, Item, Verdict
from lessonkit.model import Check, Problem

FORMATS = ("markdown", "code")


class Response(CheckKind):
    name = "response"
    input = "text"
    graded_by_person = True
    fields: Mapping[str, Field] = {
        "format": Field((str,), 'how the student answers: "markdown" (default) or "code"', templated=False),
    }

    def problems(self, check: Check) -> list[Problem]:
        found = super().problems(check)
        if check.spec.get("format", "markdown") not in FORMATS:
            found.append(Problem(check.where.at("format"), f"unknown format {check.spec['format']!r}",
                                 'use "markdown" or "code"'))
        if check.variants is not None:
            found.append(Problem(check.where.at("variants"), "response checks cannot have variants"))
        return found

    def items(self, check: Check, lesson_id: str) -> list[Item]:
        return [{"prompt": check.prompt, "format": check.spec.get("format", "markdown"),
                 "solution": check.solution or ""}]

    def key(self, item: Item) -> str:
        return item["solution"]

    def describe_key(self, item: Item) -> str:
        return "graded by a person, against the model answer in the cell after this check"

    def secrets(self, item: Item) -> list[str]:
        return [line.strip() for line in item["solution"].splitlines() if len(line.strip()) >= 12]

    def seal(self, item: Item, salt: str) -> Item:
        return {"prompt": item["prompt"], "format": item["format"]}

    def judge(self, sealed: Item, answer: Any) -> Verdict:
        if not str(answer or "").strip():
            return Verdict(False, message="Write your answer first.", readable=False)
        return Verdict(None, 0.0, "Your answer is saved. Your teacher will read and grade it.")
