"""What a hint may show of the answer: the check behind "the hint gives the answer away".

A hint ladder leads towards the answer; only the last, bottom-out hint may show the answer's
shape ("£60 - £9 = £?"), and no hint may state the answer.  Short answers ("51") are too
common to find as text, so each number in a hint is judged by the check's own kind, exactly
as a student's answer would be: a kind defines what counts as the same answer.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from lessonkit.engine import sealing

if TYPE_CHECKING:
    from lessonkit.engine.kinds.base import CheckKind, Item
    from lessonkit.model import Check, Hint


#: a number as a hint may write it: 51, £51, 0.75, 1,000, 3/4, 25%
_HINT_NUMBER = re.compile(r"(?<![\w./])-?\d+(?:[.,]\d+)*(?:\s*/\s*\d+)?(?:\s*%)?(?![\w/])")
#: what, just before a number, says that it is the result: "is 51", "= 51", "£51", "gives 51"
_STATED = re.compile(r"(?:[=≈→£$€¥]|->|\b(?:is|are|was|equals?|makes?|gives?|gets?|answer|result|total)\b)"
                     r"\s*[£$€¥]?\s*$", re.IGNORECASE)


def answer_in_hint(kind: CheckKind, item: Item, hint: Hint) -> str:
    """The part of a hint that gives the answer away, or "".

    Long answers are searched for as text.  A short one ("51") is too common for that, so
    each number in the hint is judged as an answer: it gives the answer away if it is
    stated as the result ("which is £51"), or, in a hint before the bottom-out one, if
    it appears at all and the prompt does not show it already.  The bottom-out hint may
    show the numbers the answer is made of, and so the answer's own digits in passing.
    """
    text = hint.text.casefold()
    for secret in kind.secrets(item):
        if secret.casefold() in text:
            return secret
    shown = {" ".join(m.group().split()) for m in _HINT_NUMBER.finditer(item["prompt"])}
    with sealing.in_the_clear():  # the hint is the teacher's: nothing here reaches students
        clear = kind.seal(item, "hints")
        for match in _HINT_NUMBER.finditer(hint.text):
            number = " ".join(match.group().split())
            stated = _STATED.search(hint.text, 0, match.start()) is not None
            if (stated or not (hint.bottom_out or number in shown)) and kind.judge(clear, number).correct:
                return number
    return ""


def item_hints(check: Check, item: Item) -> list[Hint]:
    """The check's hint ladder as one item shows it: each text filled in from the item's
    variant (``CheckKind.items`` renders them), gates and costs as the teacher set them."""
    texts = item.get("hints")
    if not isinstance(texts, list) or len(texts) != len(check.hints):
        return list(check.hints)  # a kind whose items carry no hints (code, response)
    return [replace(hint, text=text) for hint, text in zip(check.hints, texts)]
