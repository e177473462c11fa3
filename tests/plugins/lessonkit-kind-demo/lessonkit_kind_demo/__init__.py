"""A yes/no check: one module, registered through the ``lessonkit.kinds`` entry point.

It uses only :class:`lessonkit.engine.kinds.CheckKind`'s hooks, as any plugin must, including
``in_lesson`` (the sealed item carries the lesson's title, which the test looks for).
"""

from __future__ import annotations

from typing import Any, Mapping

from lessonkit.engine.kinds import CheckKind, Field, Item, Verdict
from lessonkit.engine.kinds.base import judge_sealed
from lessonkit.model import Check, Lesson

OPTIONS = ("yes", "no")


def canonical(answer: Any) -> str | None:
    """"yes"/"no" in any case, True/False, or the option's index."""
    if isinstance(answer, bool):
        return "yes" if answer else "no"
    if isinstance(answer, int):
        return OPTIONS[answer] if answer in (0, 1) else None
    text = str(answer).strip().casefold()
    return text if text in OPTIONS else None


class YesNo(CheckKind):
    name = "yesno"
    input = "single"
    fields: Mapping[str, Field] = {"answer": Field((bool,), "True when the right answer is yes", required=True)}

    def items(self, check: Check, lesson_id: str) -> list[Item]:
        return [{"prompt": check.prompt, "answer": check.spec["answer"]}]

    def key(self, item: Item) -> str:
        return "yes" if item["answer"] else "no"

    def in_lesson(self, item: Item, lesson: Lesson, check: Check) -> Item:
        return {**item, "lesson": lesson.title}

    def seal(self, item: Item, salt: str) -> Item:
        from lessonkit.engine import sealing

        return {"prompt": item["prompt"], "options": list(OPTIONS), "salt": salt, "lesson": item.get("lesson", ""),
                "accept": [sealing.digest(salt, self.key(item))]}

    def judge(self, sealed: Item, answer: Any) -> Verdict:
        form = canonical(answer)
        if form is None:
            return Verdict(False, message="Answer yes or no.", readable=False)
        return judge_sealed(sealed, form)
