"""The condition language of branch rules and variant templates (docs/authoring.md).

A teacher's condition (``mastered('add-unlike') or attempts('half-plus-quarter') >= 3``)
is read by the student's kernel, so it must never be Python: it is parsed with :mod:`ast`
and only a whitelist of nodes is compiled, into closures; nothing is ever ``eval``-ed.
Every refusal is a :class:`ConditionError` a teacher can act on, with the character
offset of the offending part.

What is allowed: ``and or not``, comparisons (``< <= > >= == != in``, ``not in``),
arithmetic (``+ - * / // % **``), numbers, strings, ``True``/``False``, list or tuple
literals after ``in``, the caller's variables (variant parameters), and calls of
:data:`FUNCTIONS` with literal ids.  Values are guarded at run time too: integers stay
under :data:`MAX_INT_BITS`, strings under :data:`MAX_STRING_LENGTH`, so neither
``10**10**10`` nor ``'x' * 10**9`` can stall a kernel.

Variant templates (:func:`evaluate_template`) and numeric variant answers
(:func:`evaluate_expression`) use the same language over the variant's parameters, with
only the pure functions ``min max abs round``.

This module is the language's public face; what the language is (its functions, limits and
error) is :mod:`~lessonkit.engine.conditionlanguage`, how a source becomes closures
:mod:`~lessonkit.engine.conditioncompiler`, and the checks of values as they are computed
:mod:`~lessonkit.engine.conditionvalues`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Callable, Collection, Mapping, Protocol, Sequence

from lessonkit.engine.conditioncompiler import Evaluator, compile_source
from lessonkit.engine.conditionlanguage import (
    FUNCTION_ID_KINDS,
    FUNCTIONS,
    MAX_DEPTH,
    MAX_INT_BITS,
    MAX_ROUND_DIGITS,
    MAX_SOURCE_LENGTH,
    MAX_STRING_LENGTH,
    ConditionError,
)
from lessonkit.model import Rule

__all__ = [
    "FUNCTIONS",
    "FUNCTION_ID_KINDS",
    "Condition",
    "ConditionContext",
    "ConditionError",
    "compile_condition",
    "evaluate_expression",
    "evaluate_template",
    "first_matching_rule",
    "render_value",
    "MAX_DEPTH",
    "MAX_INT_BITS",
    "MAX_ROUND_DIGITS",
    "MAX_SOURCE_LENGTH",
    "MAX_STRING_LENGTH",
]


class ConditionContext(Protocol):
    """A student's state as conditions read it: one method per function of the language."""

    def mastery(self, skill: str) -> float: ...
    def mastered(self, skill: str) -> bool: ...
    def needs_remediation(self, skill: str) -> bool: ...
    def evidence(self, skill: str) -> int: ...
    def attempts(self, check: str) -> int: ...
    def score(self, check: str) -> float: ...
    def correct(self, check: str) -> bool: ...
    def visible_passed(self, check: str) -> bool: ...
    def hints(self, check: str) -> int: ...
    def chose(self, choice: str) -> str: ...
    def visits(self, step: str) -> int: ...


_NO_VARIABLES: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, eq=False)
class Condition:
    """A compiled condition: evaluate it as often as needed, it never re-parses."""

    source: str
    variables: frozenset[str]
    _references: frozenset[tuple[str, str]] = field(repr=False)
    _evaluate: Evaluator = field(repr=False)

    @property
    def references(self) -> set[tuple[str, str]]:
        """``(function, id)`` pairs it reads, e.g. ``('mastered', 'add-unlike')``; the
        kind of each id is :data:`FUNCTION_ID_KINDS` ``[function]``."""
        return set(self._references)

    def evaluate(
        self, context: ConditionContext | None = None, variables: Mapping[str, Any] = _NO_VARIABLES
    ) -> object:
        """The condition's value for one student (``context``) and variant (``variables``).

        Raises :class:`ConditionError` for what only shows at run time (division by zero,
        ``'a' < 1``, a missing variable, a value over the size limits).
        """
        return self._evaluate(context, variables)


def compile_condition(source: str, *, variables: Collection[str] = ()) -> Condition:
    """Parse and check a branch condition; ``variables`` are the names it may read."""
    return _compile(source, frozenset(variables), True)


def evaluate_expression(source: str, variables: Mapping[str, Any]) -> object:
    """The value of a variant expression such as ``(a + b) / d`` (a numeric answer)."""
    return _compile(source, frozenset(variables), False).evaluate(None, variables)


def evaluate_template(text: str, variables: Mapping[str, Any]) -> str:
    """Fill a variant template: ``{expr}`` is replaced by the rendered value of ``expr``
    over ``variables``; ``{{`` and ``}}`` are literal braces (as in ``str.format``).

    A placeholder ends at the first ``}``.  Errors carry offsets into ``text``.
    """
    names = frozenset(variables)
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        brace = min((j for j in (text.find("{", i), text.find("}", i)) if j >= 0), default=n)
        out.append(text[i:brace])
        if brace == n:
            break
        if text.startswith(("{{", "}}"), brace):
            out.append(text[brace])
            i = brace + 2
        elif text[brace] == "}":
            raise ConditionError("a single '}' in the template: write '}}' for a literal brace", brace)
        else:
            end = text.find("}", brace + 1)
            if end < 0:
                raise ConditionError("'{' is never closed: write '{{' for a literal brace", brace)
            try:
                condition = _compile(text[brace + 1 : end], names, False)
                out.append(render_value(condition.evaluate(None, variables)))
            except ConditionError as error:
                raise ConditionError(error.message, brace + 1 + error.offset) from None
            i = end + 1
    return "".join(out)


def render_value(value: object) -> str:
    """A value as a student should read it: ``3.0`` → ``3``, ``0.1 + 0.2`` → ``0.3``.

    Floats are rounded to 12 significant digits (hiding binary rounding noise), then
    written without a trailing ``.0`` when whole (below 1e15).
    """
    if isinstance(value, float):
        rounded = float(f"{value:.12g}")
        if rounded.is_integer() and abs(rounded) < 1e15:
            return str(int(rounded))
        return repr(rounded)
    return str(value)


def first_matching_rule(
    rules: Sequence[Rule],
    context: ConditionContext,
    variables: Mapping[str, Any] = _NO_VARIABLES,
    *,
    on_error: Callable[[int, Rule, ConditionError], None] | None = None,
) -> tuple[int, Rule] | None:
    """The first rule whose condition holds (a rule without one always holds), with its
    index; ``None`` only for a branch without a default rule, which ``validate`` rejects.

    A condition that fails to compile or evaluate raises, unless ``on_error`` is given:
    then it is reported there and the rule is skipped, so that a student's page always
    moves on (the default rule is the way forward).
    """
    names = frozenset(variables)
    for index, rule in enumerate(rules):
        if rule.condition is None:
            return index, rule
        try:
            holds = bool(_compile(rule.condition, names, True).evaluate(context, variables))
        except ConditionError as error:
            if on_error is None:
                raise
            on_error(index, rule, error)
            continue
        if holds:
            return index, rule
    return None


@lru_cache(maxsize=1024)
def _compile(source: str, variables: frozenset[str], with_context: bool) -> Condition:
    """Compiled once per source and variables: a page evaluates the same rules again and again."""
    evaluate, references = compile_source(source, variables, with_context)
    return Condition(source, variables, references, evaluate)
