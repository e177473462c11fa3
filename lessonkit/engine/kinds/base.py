"""What every check kind provides, and the shared machinery (fields, variants, feedback).

A kind turns the teacher's fields into *items* (one per variant, answers in the clear),
seals an item for students (answers as salted hashes), and judges a student's answer
against a sealed item.  Everything a kind needs to say about its own fields lives in its
module; the rest of lessonkit only talks to this interface.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Mapping

from lessonkit.engine import sealing
from lessonkit.model import Check, Lesson, Problem

Item = dict[str, Any]


@dataclass(frozen=True)
class Verdict:
    """The outcome of one answer.

    ``correct`` is None when part of the answer can only be judged at grading (hidden
    tests, a pattern): the player must then say so, never claim "correct".  ``readable``
    is False when the answer could not even be read (``"abc"`` for a number); such an
    answer is not an attempt.  ``failed_tests`` (code checks) names the tests that failed
    and how, for the teacher's report.
    """

    correct: bool | None
    score: float = 0.0
    message: str = ""
    details: tuple[str, ...] = ()
    readable: bool = True
    failed_tests: tuple[FailedTest, ...] = ()


@dataclass(frozen=True)
class FailedTest:
    """A code check's test that failed: its number, the teacher's label for it (the ``assert``'s
    literal message, if it has one) and the kind of failure (``TestResult.error``).  Only tests
    the student can see are ever judged by the player, so nothing here is hidden."""

    test: int
    label: str | None
    error: str


@dataclass(frozen=True)
class Field:
    """A kind-specific field: its accepted Python types and what it is for."""

    types: tuple[type, ...]
    doc: str
    required: bool = False
    templated: bool = True  # filled in from variant parameters


class CheckKind(ABC):
    """One kind of check.  Subclass, fill in the class attributes, register in ``kinds``."""

    name: ClassVar[str]
    #: the answer widget the player shows: "single", "multiple", "number", "text", "code"
    input: ClassVar[str]
    fields: ClassVar[Mapping[str, Field]]
    #: a person grades it (nbgrader's manually graded answers): no answer key, no evidence
    graded_by_person: ClassVar[bool] = False

    # -- teacher side -------------------------------------------------------------

    def problems(self, check: Check) -> list[Problem]:
        """Problems with the kind's own fields: unknown, missing, wrongly typed, inconsistent."""
        found = []
        for name, value in check.spec.items():
            spec = self.fields.get(name)
            if spec is None:
                known = ", ".join(sorted(self.fields)) or "none"
                found.append(Problem(check.where.at(name), f"'{self.name}' checks have no field '{name}'",
                                     f"fields of a '{self.name}' check: {known}"))
            elif not isinstance(value, spec.types) or isinstance(value, bool) and bool not in spec.types:
                wanted = " or ".join(t.__name__ for t in spec.types)
                found.append(Problem(check.where.at(name), f"must be {wanted}, not {type(value).__name__}",
                                     spec.doc))
        for name, spec in self.fields.items():
            if spec.required and name not in check.spec:
                found.append(Problem(check.where.at(name), f"a '{self.name}' check needs '{name}'", spec.doc))
        return found

    def items(self, check: Check, lesson_id: str) -> list[Item]:
        """The concrete items of a check: one, or one per variant drawn (``variants.draw``).

        An item carries its hint texts, filled in from the variant's values like its prompt
        and feedback, so "{a} + {b}" in a hint shows the numbers the student was given.
        Raises :class:`~lessonkit.engine.kinds.variants.VariantError` naming the field whose
        template or constraint cannot be used.
        """
        base: Item = {"prompt": check.prompt, **check.spec,
                      "feedback": [dict(answer=f.answer, test=f.test, message=f.message) for f in check.feedback],
                      "hints": [h.text for h in check.hints]}
        if check.variants is None:
            return [self.complete(base, {})]
        from lessonkit.engine.conditions import ConditionError
        from lessonkit.engine.kinds.variants import VariantError, draw, render

        items = []
        for values in draw(check.variants, f"{lesson_id}\x1f{check.id}"):
            rendered = {key: render(value, values, key) if self._templated(key) else value
                        for key, value in base.items()}
            try:
                items.append(self.complete(rendered, values))
            except ConditionError as error:  # an answer expression over the values
                raise VariantError("answer", f"the expression {rendered.get('answer')!r} cannot be worked out: "
                                   f"{error}", "write it over the variant's values, e.g. \"(a + b) / d\"") from None
        return items

    def _templated(self, key: str) -> bool:
        return key in ("prompt", "feedback", "hints") or (key in self.fields and self.fields[key].templated)

    def complete(self, item: Item, params: Mapping[str, Any]) -> Item:
        """Finish an item once its templates are filled in (e.g. evaluate an answer expression)."""
        return item

    @abstractmethod
    def key(self, item: Item) -> Any:
        """The right answer as a student would give it: the answer key must pass its own check."""

    def secrets(self, item: Item) -> list[str]:
        """Text that must never reach a student (answers, solutions, hidden tests)."""
        return []

    def describe_key(self, item: Item) -> str:
        """The answer key in the teacher's words, for the preview of a lesson source (only the
        teacher runs it): what counts as right, with any tolerance or alternatives."""
        return str(self.key(item))

    def wrong_answer(self, item: Item) -> Any:
        """An answer this item judges wrong, so a preview can walk a student who gets it wrong
        along the lesson; None when the kind cannot make one (a program, a person's grade)."""
        return None

    def key_problems(self, check: Check, items: list[Item], lesson: Lesson, *, run_code: bool,
                     files: Callable[[], Mapping[str, bytes]]) -> list[Problem]:
        """What is wrong with the answer key, found at validation.

        By default every item's key must pass its own check, no wrong-answer feedback may
        name an accepted answer, and no hint may give the answer away.  ``run_code`` and
        ``files`` (the lesson's files, read once for the lesson) are for a kind whose key
        is a program to run.
        """
        from lessonkit.engine.kinds.hints import answer_in_hint, item_hints
        from lessonkit.engine.seal import item_salt

        if self.graded_by_person:
            return []
        found = []
        variant = len(items) > 1
        for number, item in enumerate(items):
            where = check.where.at(f"variants[{number}]") if variant else check.where.at("answer")
            try:
                sealed = self.seal(item, item_salt(lesson, check, number))
                verdict = self.judge(sealed, self.key(item))
            except Exception as error:  # a broken item must be reported, not crash validation
                found.append(Problem(where, f"the answer key cannot be checked: {error}"))
                continue
            if verdict.correct is not True:
                found.append(Problem(where, "the answer key does not pass its own check"
                                     + (f" (variant {number}: {item['prompt']!r})" if variant else ""),
                                     "fix the answer, the tolerance or the normalisation"))
            for n, entry in enumerate(item.get("feedback", [])):
                if entry.get("answer") is not None and self.judge(sealed, entry["answer"]).correct:
                    found.append(Problem(check.where.at(f"feedback[{n}]"), f"{entry['answer']!r} has wrong-answer "
                                         "feedback but is accepted as right", "remove it, or narrow the tolerance"))
            for n, hint in enumerate(item_hints(check, item)):
                if given := answer_in_hint(self, item, hint):
                    found.append(Problem(check.where.at(f"hints[{n}]"), f"the hint gives the answer away ({given!r})",
                                         "earlier hints lead towards the answer; the bottom-out hint may show its shape "
                                         "(\"60 - 9 = ?\"), never the answer itself"))
        return found

    # -- student side -------------------------------------------------------------

    def in_lesson(self, item: Item, lesson: Lesson, check: Check) -> Item:
        """The item with what it needs from the lesson around it, before it is sealed.

        Nothing by default; a code check takes the example code before it and the names of
        the lesson's files, as a page runs the student's code after that code, beside them.
        """
        return item

    @abstractmethod
    def seal(self, item: Item, salt: str) -> Item:
        """The item as students get it: prompt and options in the clear, answers hashed."""

    @abstractmethod
    def judge(self, sealed: Item, answer: Any) -> Verdict:
        """Judge one answer against a sealed item, with elaborated feedback."""

    # -- grader side --------------------------------------------------------------

    def grade(self, item: Item, answer: Any) -> float:
        """The fraction of the points an answer earns, judged where answers are in the clear.

        By default the same judgement students get; a kind with rules that cannot be
        sealed (a text pattern) widens it here.
        """
        with sealing.in_the_clear():
            return self.judge(self.seal(item, "grading"), answer).score


def seal_feedback(item: Item, salt: str, canonical: Any,
                  digest: Callable[[str, str], str] = sealing.digest) -> dict[str, str]:
    """Per-answer feedback keyed by the sealed wrong answer, so it does not list the wrong
    options (which would give the right one away by elimination); ``digest`` seals a form."""
    sealed = {}
    for entry in item.get("feedback", []):
        if entry.get("answer") is None:
            continue
        form = canonical(entry["answer"])
        if form is not None:
            sealed[digest(salt, form)] = entry["message"]
    return sealed


def judge_sealed(sealed: Item, canonical_answer: str, *, right: str = "Correct!") -> Verdict:
    """The verdict for a canonical answer against ``accept`` and ``feedback`` digests."""
    form = sealing.digest(sealed["salt"], canonical_answer)
    if form in sealed["accept"]:
        return Verdict(True, 1.0, right)
    message = sealed.get("feedback", {}).get(form, "Not quite. Try again, or ask for a hint.")
    return Verdict(False, 0.0, message)
