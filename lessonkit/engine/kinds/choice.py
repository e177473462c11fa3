"""Single- and multiple-choice checks.

The student picks options by position; an answer is sealed as the sorted option indices,
so the options' text can be shown while which ones are right stays hidden.  Multiple-choice
feedback may name the exact set picked, or one option: a wrong one picked
(``{"picked": option}``) or a right one left out (``{"missed": option}``); those are
sealed as ``picked:<index>`` and ``missed:<index>``, so which options they are about stays
as hidden as the answer.
"""

from __future__ import annotations

from typing import Any

from lessonkit.engine import sealing
from lessonkit.engine.kinds.base import CheckKind, Field, Item, Verdict, judge_sealed, seal_feedback
from lessonkit.model import ONE_OPTION_FEEDBACK, Check, Problem, Where


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
        right = set(self.key(item))
        for n, entry in enumerate(check.feedback):
            if entry.answer is not None:
                found.extend(self._feedback_problems(check.where.at(f"feedback[{n}]"), item["options"], right,
                                                     entry.answer))
        return found

    def _feedback_problems(self, where: Where, options: list[Any], right: set[int], answer: Any) -> list[Problem]:
        if isinstance(answer, (list, dict)):
            return [Problem(where, "names a set of options, but a single-choice answer is one option",
                            '{"answer": option, "message": ...}')]
        if option_index(options, answer) is None:
            return [Problem(where.at("answer"), "is not one of the options")]
        return []

    def key(self, item: Item) -> list[int]:
        return sorted(i for i in self._indices(item) if i is not None)

    def describe_key(self, item: Item) -> str:
        return " and ".join(repr(str(item["options"][i])) for i in self.key(item))

    def wrong_answer(self, item: Item) -> Any:
        wrong = next((i for i in range(len(item["options"])) if i not in self.key(item)), None)
        return None if wrong is None else self._answer_of([wrong])

    def _answer_of(self, indices: list[int]) -> Any:
        """What the player's input gives for these options picked."""
        return indices

    def seal(self, item: Item, salt: str) -> Item:
        options = list(map(str, item["options"]))
        return {
            "prompt": item["prompt"],
            "options": options,
            "salt": salt,
            "accept": [sealing.digest(salt, canonical_choice(self.key(item)))],
            "feedback": seal_feedback(item, salt, lambda a: self._feedback_form(options, a), _feedback_digest),
        }

    def _feedback_form(self, options: list[str], answer: Any) -> str | None:
        if isinstance(answer, dict):
            form, option = next(iter(answer.items()), (None, None))
            index = option_index(options, option)
            return None if index is None or form not in ONE_OPTION_FEEDBACK else f"{form}:{index}"
        answers = answer if isinstance(answer, list) else [answer]
        indices = [option_index(options, a) for a in answers]
        return None if None in indices else canonical_choice(indices)

    def judge(self, sealed: Item, answer: Any) -> Verdict:
        picks = answer if isinstance(answer, (list, tuple, set)) else [answer]
        chosen = {option_index(sealed["options"], a) for a in picks}
        if not picks or None in chosen:
            return Verdict(False, message="Pick an option first.", readable=False)
        return self._verdict(sealed, {i for i in chosen if i is not None})

    def _verdict(self, sealed: Item, chosen: set[int]) -> Verdict:
        return judge_sealed(sealed, canonical_choice(chosen))


def _feedback_digest(salt: str, form: str) -> str:
    """An exact set is sealed like an answer; one option's form (``picked:2``) as an option."""
    one_option = form.partition(":")[0] in ONE_OPTION_FEEDBACK
    return (sealing.option_digest if one_option else sealing.digest)(salt, form)


class SingleChoice(_Choice):
    name = "single"
    input = "single"
    answer_field = "answer"

    def _answer_of(self, indices: list[int]) -> Any:
        return indices[0]
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

    def _feedback_problems(self, where: Where, options: list[Any], right: set[int], answer: Any) -> list[Problem]:
        if isinstance(answer, list):
            if any(option_index(options, a) is None for a in answer):
                return [Problem(where.at("answer"), "is not one of the options",
                                "an exact-set answer lists options, e.g. [\"2/6\"]")]
            return []
        if not isinstance(answer, dict):
            return super()._feedback_problems(where, options, right, answer)
        if len(answer) != 1 or next(iter(answer)) not in ONE_OPTION_FEEDBACK:
            return [Problem(where, 'is either {"picked": a wrong option, "message": ...} '
                                   'or {"missed": a right option, "message": ...}')]
        (form, option), = answer.items()
        index = option_index(options, option)
        if index is None:
            return [Problem(where.at(form), "is not one of the options")]
        if form == "picked" and index in right:
            return [Problem(where.at(form), f"{option!r} is a right option: \"picked\" feedback is for a wrong pick",
                            'for a right option left out, use "missed"')]
        if form == "missed" and index not in right:
            return [Problem(where.at(form), f"{option!r} is not a right option: \"missed\" feedback is for a "
                                            "right option left out", 'for a wrong pick, use "picked"')]
        return []

    def _verdict(self, sealed: Item, chosen: set[int]) -> Verdict:
        """The exact set's feedback if there is one, else every message about one option.

        Per-option messages are looked up only for a wrong answer without exact-set
        feedback, so a right answer still costs one digest.
        """
        verdict = super()._verdict(sealed, chosen)
        feedback, salt = sealed["feedback"], sealed["salt"]
        if verdict.correct or sealing.digest(salt, canonical_choice(chosen)) in feedback:
            return verdict
        forms = (f"{'picked' if i in chosen else 'missed'}:{i}" for i in range(len(sealed["options"])))
        messages = [feedback[d] for d in (sealing.option_digest(salt, form) for form in forms) if d in feedback]
        return Verdict(False, 0.0, messages[0], tuple(messages[1:])) if messages else verdict
