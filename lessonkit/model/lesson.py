"""The lesson and its parts.

A lesson is a list of steps; a step is what a student sees as one page.  Checks live in
steps; branch rules and choice points end a step and pick the next one.  Defaults follow
architecture §7 (Bayesian Knowledge Tracing parameters and the mastery policy).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from lessonkit.model.problems import Where

STEP_KINDS = ("content", "check", "remediation", "enrichment", "review", "end", "placement")
#: multiple-choice feedback about one option: a wrong one picked, a right one left out
ONE_OPTION_FEEDBACK = ("picked", "missed")


@dataclass(frozen=True)
class Skill:
    """A knowledge component with its Bayesian Knowledge Tracing parameters."""

    id: str
    name: str = ""
    requires: tuple[str, ...] = ()
    prior: float = 0.2
    learn: float = 0.15
    guess: float = 0.2
    slip: float = 0.1


@dataclass(frozen=True)
class MasteryPolicy:
    """When a skill counts as mastered, and when to stop practising and remediate."""

    threshold: float = 0.95
    min_evidence: int = 3
    max_items: int = 10


@dataclass(frozen=True)
class Hint:
    """One rung of a hint ladder.

    ``after`` gates the hint until the student has submitted that many answers; ``cost``
    is the points it takes off the check when revealed; a ``bottom_out`` hint shows the
    answer's shape and voids the item as evidence of mastery.
    """

    text: str
    after: int = 0
    cost: float = 0.0
    bottom_out: bool = False


@dataclass(frozen=True)
class Feedback:
    """A message for one wrong answer (``answer``) or one failing test (``test``).

    For multiple choice ``answer`` may also be ``{"picked": option}`` (a wrong option among
    the picks) or ``{"missed": option}`` (a right option left out), not only the exact set.
    """

    message: str
    answer: Any = None
    test: int | str | None = None


@dataclass(frozen=True)
class Variants:
    """Seeded parameters: ``count`` items are drawn at build time.

    Each parameter in ``params`` maps to the values it may take; each of ``rows`` (a data
    table, one dict of values per row) gives one item all its values at once.  ``where``
    is a constraint over the values (``"a != b and a * b < 50"``) that every drawn item
    meets.  Templates in the check's text fields, its hints and its feedback refer to the
    values as ``{name}`` or ``{expression}``.  ``rows_file`` names the CSV file beside the
    lesson the rows were read from: it may hold answers, so it stays with the teacher.
    """

    params: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    count: int | None = 5  # None (rows alone): every row that meets ``where``
    where: str | None = None
    rows: tuple[Mapping[str, Any], ...] = ()
    rows_file: str | None = None


@dataclass(frozen=True)
class Check:
    """An auto-graded question.  ``spec`` holds the fields only its kind understands."""

    id: str
    kind: str
    prompt: str = ""
    skills: tuple[str, ...] = ()
    points: float = 1.0
    hints: tuple[Hint, ...] = ()
    feedback: tuple[Feedback, ...] = ()
    spec: Mapping[str, Any] = field(default_factory=dict)
    variants: Variants | None = None
    #: code and response checks: the teacher's answer cell (code: with ### BEGIN SOLUTION markers)
    solution: str | None = None
    #: code checks: the test cells (asserts; hidden ones inside ### BEGIN HIDDEN TESTS), each
    #: graded on its own as an nbgrader grade cell worth the matching ``test_points``
    tests: tuple[str, ...] = ()
    test_points: tuple[float, ...] = ()
    #: what earns the points: "answer", or "mastery" (a skill mastered on the route stands in)
    credit: str = "answer"
    where: Where = field(default_factory=Where, compare=False)


@dataclass(frozen=True)
class Rule:
    """``goto`` a step when ``condition`` holds; ``condition=None`` is the default rule."""

    goto: str
    condition: str | None = None
    where: Where = field(default_factory=Where, compare=False)


@dataclass(frozen=True)
class Branch:
    """Ordered rules after a step: the first whose condition holds picks the next step."""

    rules: tuple[Rule, ...]
    where: Where = field(default_factory=Where, compare=False)


@dataclass(frozen=True)
class ChoiceOption:
    label: str
    goto: str


@dataclass(frozen=True)
class Choice:
    """A choice point: the student picks the next step by interest."""

    id: str
    prompt: str
    options: tuple[ChoiceOption, ...]
    where: Where = field(default_factory=Where, compare=False)


@dataclass(frozen=True)
class Block:
    """One piece of a step, in order: markdown, example code, or a check (by id)."""

    kind: str  # "markdown" | "code" | "check" | "reflection" (source: the teacher's prompt)
    source: str = ""
    check: str | None = None
    where: Where = field(default_factory=Where, compare=False)


@dataclass(frozen=True)
class Step:
    """A page of the lesson.

    Without a branch or a choice, a step leads to the next step in the source; an ``end``
    step leads nowhere.  ``review`` names the skills a review step retrieves.
    """

    id: str
    kind: str = "content"
    title: str = ""
    blocks: tuple[Block, ...] = ()
    branch: Branch | None = None
    choice: Choice | None = None
    review: tuple[str, ...] = ()
    where: Where = field(default_factory=Where, compare=False)

    @property
    def check_ids(self) -> tuple[str, ...]:
        return tuple(b.check for b in self.blocks if b.kind == "check" and b.check)


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    version: str = "1"
    skills: Mapping[str, Skill] = field(default_factory=dict)
    mastery: MasteryPolicy = field(default_factory=MasteryPolicy)
    steps: tuple[Step, ...] = ()
    checks: Mapping[str, Check] = field(default_factory=dict)
    path: str = ""
    where: Where = field(default_factory=Where, compare=False)  # the lk.lesson(...) header cell
    #: ask "how sure are you?" before each check (shown as calibration, never scored)
    confidence: bool = False

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def blocks_before(self, check_id: str) -> list[Block]:
        """The blocks a student meets before a check, in source order (its code context)."""
        blocks: list[Block] = []
        for step in self.steps:
            for block in step.blocks:
                if block.kind == "check" and block.check == check_id:
                    return blocks
                blocks.append(block)
        return blocks

    def next_in_order(self, step_id: str) -> str | None:
        """The step after ``step_id`` in the source, the default way forward."""
        ids = [s.id for s in self.steps]
        index = ids.index(step_id)
        return ids[index + 1] if index + 1 < len(ids) else None
