"""Text checks: normalised alternatives, order-insensitive sets, and patterns at grading.

Each accepted alternative is sealed after normalisation, so "The Denominator " and
"the denominator" are the same answer.  A regular expression cannot be sealed without
revealing what it accepts, so patterns are kept for grading and the student is told so.
"""

from __future__ import annotations

import re
import string
import unicodedata
from typing import Any

from lessonkit.engine import sealing
from lessonkit.engine.kinds.base import CheckKind, Field, Item, Verdict, judge_sealed, seal_feedback
from lessonkit.model import Check, Problem

NORMALISATIONS = ("case", "space", "punctuation")
DEFAULT_NORMALISE = ["case", "space"]
_SET_SEPARATORS = re.compile(r"\s*(?:,|;|\band\b)\s*")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def normalise(text: str, how: list[str], unordered: bool = False) -> str:
    """The canonical form of a text answer under the teacher's normalisations."""
    text = unicodedata.normalize("NFKC", str(text))
    if "case" in how:
        text = text.casefold()
    if "punctuation" in how and not unordered:
        text = text.translate(_PUNCTUATION)
    if unordered:
        parts = [normalise(p, how) for p in _SET_SEPARATORS.split(text)]
        return ", ".join(sorted({p for p in parts if p}))
    if "space" in how:
        text = " ".join(text.split())
    return text


class Text(CheckKind):
    name = "text"
    input = "text"
    fields = {
        "answer": Field((str,), "the right answer"),
        "answers": Field((list,), "several accepted answers"),
        "normalize": Field((list,), 'how answers are compared: any of "case", "space", "punctuation"',
                           templated=False),
        "unordered": Field((bool,), "the answer is a comma-separated set whose order does not matter",
                           templated=False),
        "pattern": Field((str,), "a regular expression that also counts as right (checked at grading)"),
    }

    def problems(self, check: Check) -> list[Problem]:
        found = super().problems(check)
        spec = check.spec
        if "answer" not in spec and "answers" not in spec:
            found.append(Problem(check.where.at("answer"), "a 'text' check needs 'answer' or 'answers'",
                                 "even with a pattern, give one right answer: it proves the pattern works"))
        for n, how in enumerate(spec.get("normalize", [])):
            if how not in NORMALISATIONS:
                found.append(Problem(check.where.at(f"normalize[{n}]"), f"unknown normalisation '{how}'",
                                     f"use any of {', '.join(NORMALISATIONS)}"))
        if isinstance(spec.get("pattern"), str):
            try:
                re.compile(spec["pattern"])
            except re.error as error:
                found.append(Problem(check.where.at("pattern"), f"is not a valid regular expression: {error}"))
        return found

    def _alternatives(self, item: Item) -> list[str]:
        return [item["answer"]] if "answer" in item else [str(a) for a in item.get("answers", [])]

    def _normal(self, item: Item, text: str) -> str:
        return normalise(text, item.get("normalize", DEFAULT_NORMALISE), item.get("unordered", False))

    def key(self, item: Item) -> str:
        return self._alternatives(item)[0]

    def describe_key(self, item: Item) -> str:
        alternatives = " or ".join(map(repr, self._alternatives(item)))
        return alternatives + (f", or matching the pattern {item['pattern']!r} (at grading)" if "pattern" in item else "")

    def wrong_answer(self, item: Item) -> str:
        return "\u2205 not the answer \u2205"

    def secrets(self, item: Item) -> list[str]:
        return [a for a in self._alternatives(item) if len(a) >= 4] + ([item["pattern"]] if "pattern" in item else [])

    def seal(self, item: Item, salt: str) -> Item:
        how = item.get("normalize", DEFAULT_NORMALISE)
        unordered = item.get("unordered", False)
        return {
            "prompt": item["prompt"],
            "normalize": how,
            "unordered": unordered,
            "salt": salt,
            "accept": sorted({sealing.digest(salt, self._normal(item, a)) for a in self._alternatives(item)}),
            "feedback": seal_feedback(item, salt, lambda a: self._normal(item, a)),
            "pattern_at_grading": "pattern" in item,
        }

    def judge(self, sealed: Item, answer: Any) -> Verdict:
        if not str(answer or "").strip():
            return Verdict(False, message="Type an answer first.", readable=False)
        canonical = normalise(answer, sealed["normalize"], sealed["unordered"])
        verdict = judge_sealed(sealed, canonical)
        known_wrong = sealing.digest(sealed["salt"], canonical) in sealed["feedback"]
        if verdict.correct is False and sealed["pattern_at_grading"] and not known_wrong:
            return Verdict(None, 0.0, "Your answer is saved. It is not one of the answers checked here, "
                                      "so your teacher's wider rule will check it at grading.")
        return verdict

    def grade(self, item: Item, answer: Any) -> float:
        canonical = self._normal(item, answer)
        if canonical in {self._normal(item, a) for a in self._alternatives(item)}:
            return 1.0
        return float("pattern" in item and re.fullmatch(item["pattern"], canonical) is not None)
