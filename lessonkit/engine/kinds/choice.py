"""Single- and multiple-choice checks.

The student picks options by position; an answer is sealed as the sorted option indices,
so the options' text can be shown while which ones are right stays hidden.
"""

from __future__ import annotations

from typing import Any

from lessonkit.engine import sealing
from lessonkit.engine.kinds.base import CheckKind, Field, Item, Verdict, judge_sealed, seal_feedback
from lessonkit.model import Check, Problem


def option_index(options: list[str], answer: Any) -> int | None:
    """An option given by its text or by its 0-based index, as the teacher may write either."""
    if isinstance(answer, int) and not isinstance(answer, bool):
        return answer if 0 <= answer < len(options) else None
    for index, option in enumerate(options):
        if str(option) == str(answer):
            return index
    return None


def canonical_choice(indices: Any) -> str:
    return ",".join(str(i) for i in sorted(set(indices)))


class _Choice(CheckKind):
    answer_field: str

    def _indices(self, item: Item) -> list[int | None]:
        answers = item[self.answer_field]
        answers = answers if isinstance(answers, list) else [answers]
        return [option_index(item["options"], a) for a in answers]

    def problems(self, check: Check) -> list[Problem]:
        found = super().problems(check)
        if found or check.variants is not None:
            return found  # variant items are checked one by one by the validator
        item = {"options": check.spec["options"], self.answer_field: check.spec[self.answer_field]}
        if len(item["options"]) < 2:
            found.append(Problem(check.where.at("options"), "a choice needs at least two options"))
        if len(set(map(str, item["options"]))) != len(item["options"]):
            found.append(Problem(check.where.at("options"), "two options have the same text"))
        if None in self._indices(item):
            found.append(Problem(check.where.at(self.answer_field), "names an option that is not in 'options'",
                                 "give the option's exact text, or its position counting from 0"))
        for n, entry in enumerate(check.feedback):
            if entry.answer is not None and option_index(item["options"], entry.answer) is None:
                found.append(Problem(check.where.at(f"feedback[{n}].answer"), "is not one of the options"))
        return found

    def key(self, item: Item) -> list[int]:
        return sorted(i for i in self._indices(item) if i is not None)

    def seal(self, item: Item, salt: str) -> Item:
        options = list(map(str, item["options"]))
        return {
            "prompt": item["prompt"],
            "options": options,
            "salt": salt,
            "accept": [sealing.digest(salt, canonical_choice(self.key(item)))],
            "feedback": seal_feedback(item, salt, lambda a: self._feedback_form(options, a)),
        }

    def _feedback_form(self, options: list[str], answer: Any) -> str | None:
        answers = answer if isinstance(answer, list) else [answer]
        indices = [option_index(options, a) for a in answers]
        return None if None in indices else canonical_choice(indices)

    def judge(self, sealed: Item, answer: Any) -> Verdict:
        chosen = answer if isinstance(answer, (list, tuple, set)) else [answer]
        if not chosen or any(option_index(sealed["options"], a) is None for a in chosen):
            return Verdict(False, message="Pick an option first.", readable=False)
        return judge_sealed(sealed, canonical_choice(option_index(sealed["options"], a) for a in chosen))


class SingleChoice(_Choice):
    name = "single"
    input = "single"
    answer_field = "answer"
    fields = {
        "options": Field((list,), "the options, in the order shown", required=True),
        "answer": Field((str, int, float), "the right option: its text, or its index from 0", required=True),
    }


class MultipleChoice(_Choice):
    name = "multiple"
    input = "multiple"
    answer_field = "answers"
    fields = {
        "options": Field((list,), "the options, in the order shown", required=True),
        "answers": Field((list,), "every right option (texts or indices); the student must pick exactly these",
                         required=True),
    }
