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
"""

from __future__ import annotations

import ast
import operator
import re
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Callable, Collection, Mapping, Protocol, Sequence

from lessonkit.errors import LessonkitError
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
]

MAX_SOURCE_LENGTH = 1000
"""Characters in one condition or placeholder: far beyond any real rule, and it bounds the
parser's work and the size of any literal."""

MAX_DEPTH = 32
"""Nesting levels of the expression tree, so that compiling and evaluating never recurse
deeply (``-(-(-(...)))``, ``not not not ...``)."""

MAX_INT_BITS = 4096
"""Largest integer (in bits, about 1,200 digits) a computation may produce; ``**`` is
checked *before* computing, so ``10**10**10`` is refused instantly."""

MAX_STRING_LENGTH = 10_000
"""Longest string a computation may produce (``'ab' * n``)."""

MAX_ROUND_DIGITS = 100
"""Bound on ``round(x, n)``'s ``n``: ``round(1, -10**9)`` would compute ``10**(10**9)``."""

FUNCTION_ID_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "mastery": "skill",
        "mastered": "skill",
        "needs_remediation": "skill",
        "evidence": "skill",
        "attempts": "check",
        "score": "check",
        "correct": "check",
        "visible_passed": "check",
        "hints": "check",
        "chose": "choice",
        "visits": "step",
    }
)
"""The student-state functions, each taking one literal id of the kind given here, which
the validator checks against the lesson's ids."""

_PURE_FUNCTIONS: Mapping[str, Callable[..., Any]] = MappingProxyType(
    {"min": min, "max": max, "abs": abs, "round": round}
)
_ARITY = {  # fewest and most arguments, and how to say it
    "min": (2, 99, "at least two values"),
    "max": (2, 99, "at least two values"),
    "abs": (1, 1, "one number"),
    "round": (1, 2, "a number and, optionally, a number of digits"),
}

FUNCTIONS: tuple[str, ...] = (*FUNCTION_ID_KINDS, *_PURE_FUNCTIONS)
"""Every function a condition may call, in the order the documentation lists them."""

_TOO_DEEP = f"the expression is nested too deeply (more than {MAX_DEPTH} levels)"

_ID = re.compile(r"[A-Za-z0-9_-]+\Z")

_NUMBER = (int, float)  # bool is an int, as in Python


class ConditionError(LessonkitError, ValueError):
    """A condition that cannot be compiled or evaluated, in words a teacher understands.

    ``offset`` is the 0-based character offset in the source (or template) of the part at
    fault, for pointing at it.
    """

    def __init__(self, message: str, offset: int = 0):
        super().__init__(message)
        self.message = message
        self.offset = offset


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


_Evaluator = Callable[[Any, Mapping[str, Any]], Any]
_NO_VARIABLES: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, eq=False)
class Condition:
    """A compiled condition: evaluate it as often as needed, it never re-parses."""

    source: str
    variables: frozenset[str]
    _references: frozenset[tuple[str, str]] = field(repr=False)
    _evaluate: _Evaluator = field(repr=False)

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


# --- compiling -----------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _compile(source: str, variables: frozenset[str], with_context: bool) -> Condition:
    if len(source) > MAX_SOURCE_LENGTH:
        raise ConditionError(
            f"the expression is too long ({len(source)} characters; at most {MAX_SOURCE_LENGTH})"
        )
    text = source.strip()
    if not text:
        raise ConditionError("the expression is empty")
    lead = len(source) - len(source.lstrip())
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as error:
        raise _syntax_error(text, error, lead) from None
    except RecursionError:  # the parser counts the caller's stack too, so a deep caller gets here
        raise ConditionError(_TOO_DEEP, lead) from None
    compiler = _Compiler(text, lead, variables, with_context)
    evaluate = compiler.compile(tree.body, 0)
    return Condition(source, variables, frozenset(compiler.references), evaluate)


def _syntax_error(text: str, error: SyntaxError, lead: int) -> ConditionError:
    lines = text.splitlines(keepends=True)
    line = min(max(error.lineno or 1, 1), len(lines))
    column = error.offset - 1 if error.offset and error.offset > 0 else None
    if column is None or column >= len(lines[line - 1]):
        return ConditionError(
            "the expression ends too early: something is missing at the end", lead + len(text)
        )
    at = sum(len(part) for part in lines[: line - 1]) + column
    for start in (at - 1, at):  # Python points at either character of '&&'
        if text.startswith(("&&", "||"), start):
            word = "and" if text[start] == "&" else "or"
            return ConditionError(f"use '{word}' instead of '{text[start:start + 2]}'", lead + start)
    if text.startswith("!", at) and not text.startswith("!=", at):
        return ConditionError("use 'not' instead of '!'", lead + at)
    if text.startswith("=", at) and not text.startswith("==", at):
        return ConditionError("use '==' to compare ('=' is not allowed)", lead + at)
    return ConditionError(f"syntax error: {error.msg}", lead + at)


_BINARY: Mapping[type, tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("+", operator.add),
    ast.Sub: ("-", operator.sub),
    ast.Mult: ("*", operator.mul),
    ast.Div: ("/", operator.truediv),
    ast.FloorDiv: ("//", operator.floordiv),
    ast.Mod: ("%", operator.mod),
    ast.Pow: ("**", operator.pow),
}
_FORBIDDEN_BINARY = {
    ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
    ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^",
}
_COMPARE: Mapping[type, tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Lt: ("<", operator.lt),
    ast.LtE: ("<=", operator.le),
    ast.Gt: (">", operator.gt),
    ast.GtE: (">=", operator.ge),
    ast.Eq: ("==", operator.eq),
    ast.NotEq: ("!=", operator.ne),
    ast.In: ("in", lambda a, b: a in b),
    ast.NotIn: ("not in", lambda a, b: a not in b),
}
_REFUSED: Mapping[type, str] = {
    ast.Subscript: "indexing and slicing ('[...]') are not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.IfExp: "'... if ... else ...' is not allowed: write one branch rule per case",
    ast.Dict: "dictionaries are not allowed",
    ast.Set: "sets are not allowed: use a list after 'in'",
    ast.JoinedStr: "f-strings are not allowed",
    ast.NamedExpr: "':=' is not allowed",
    ast.Starred: "'*' unpacking is not allowed",
    ast.Await: "'await' is not allowed",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
}


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "True/False"
    if isinstance(value, _NUMBER):
        return "a number"
    if isinstance(value, str):
        return "text"
    return type(value).__name__


def _suggest(name: str, candidates: Collection[str]) -> str:
    from difflib import get_close_matches  # only on the error path

    close = get_close_matches(name, list(candidates), n=1, cutoff=0.7)
    return f" (did you mean '{close[0]}'?)" if close else ""


class _Compiler:
    """Turns a checked AST into nested closures ``(context, variables) -> value``."""

    def __init__(self, text: str, lead: int, variables: frozenset[str], with_context: bool):
        self.text = text
        self.lead = lead
        self.variables = variables
        self.with_context = with_context
        self.references: set[tuple[str, str]] = set()
        self._line_starts = [0]
        for line in text.splitlines(keepends=True):
            self._line_starts.append(self._line_starts[-1] + len(line))

    def offset(self, node: ast.AST) -> int:
        """Character offset of ``node`` in the original source (``col_offset`` counts bytes)."""
        start = self._line_starts[node.lineno - 1]  # type: ignore[attr-defined]
        line = self.text[start : self._line_starts[node.lineno]]  # type: ignore[attr-defined]
        column = len(line.encode()[: node.col_offset].decode(errors="ignore"))  # type: ignore[attr-defined]
        return self.lead + start + column

    def error(self, node: ast.AST, message: str) -> ConditionError:
        return ConditionError(message, self.offset(node))

    def compile(self, node: ast.expr, depth: int) -> _Evaluator:
        if depth > MAX_DEPTH:
            raise self.error(node, _TOO_DEEP)
        handler = getattr(self, f"_{type(node).__name__}", None)
        if handler is None:
            raise self.error(node, _REFUSED.get(type(node), f"{type(node).__name__} is not allowed"))
        return handler(node, depth + 1)

    # leaves

    def _Constant(self, node: ast.Constant, depth: int) -> _Evaluator:
        value = node.value
        if not isinstance(value, (bool, int, float, str)):
            what = "None" if value is None else type(value).__name__
            raise self.error(node, f"{what} is not allowed: use numbers, text, True or False")
        return lambda context, variables: value

    def _Name(self, node: ast.Name, depth: int) -> _Evaluator:
        name = node.id
        if name in self.variables:
            offset = self.offset(node)

            def variable(context: Any, variables: Mapping[str, Any]) -> Any:
                try:
                    return variables[name]
                except KeyError:
                    raise ConditionError(f"no value was given for '{name}'", offset) from None

            return variable
        if name in FUNCTIONS:
            example = f"{name}('id')" if name in FUNCTION_ID_KINDS else f"{name}(...)"
            raise self.error(node, f"'{name}' is a function: call it, as in {example}")
        if name in ("true", "false"):
            raise self.error(node, f"unknown name '{name}' (did you mean '{name.capitalize()}'?)")
        if self.variables:
            hint = _suggest(name, self.variables) or f": the variables are {', '.join(sorted(self.variables))}"
        else:
            hint = " (ids are written in quotes, inside a function: mastered('skill-id'))"
        raise self.error(node, f"unknown name '{name}'{hint}")

    # operators

    def _BoolOp(self, node: ast.BoolOp, depth: int) -> _Evaluator:
        parts = [self.compile(value, depth) for value in node.values]
        if isinstance(node.op, ast.And):

            def all_of(context: Any, variables: Mapping[str, Any]) -> Any:
                for part in parts:
                    value = part(context, variables)
                    if not value:
                        return value
                return value

            return all_of

        def any_of(context: Any, variables: Mapping[str, Any]) -> Any:
            for part in parts:
                value = part(context, variables)
                if value:
                    return value
            return value

        return any_of

    def _UnaryOp(self, node: ast.UnaryOp, depth: int) -> _Evaluator:
        operand = self.compile(node.operand, depth)
        if isinstance(node.op, ast.Not):
            return lambda context, variables: not operand(context, variables)
        if isinstance(node.op, ast.Invert):
            raise self.error(node, "'~' is not allowed")
        symbol, apply = ("-", operator.neg) if isinstance(node.op, ast.USub) else ("+", operator.pos)
        offset = self.offset(node)

        def signed(context: Any, variables: Mapping[str, Any]) -> Any:
            value = operand(context, variables)
            if not isinstance(value, _NUMBER):
                raise ConditionError(f"'{symbol}' needs a number, not {_kind(value)}", offset)
            return apply(value)

        return signed

    def _BinOp(self, node: ast.BinOp, depth: int) -> _Evaluator:
        op = type(node.op)
        if op in _FORBIDDEN_BINARY:
            raise self.error(node, f"the operator '{_FORBIDDEN_BINARY[op]}' is not allowed")
        symbol, apply = _BINARY[op]
        left, right = self.compile(node.left, depth), self.compile(node.right, depth)
        offset = self.offset(node)

        def arithmetic(context: Any, variables: Mapping[str, Any]) -> Any:
            a, b = left(context, variables), right(context, variables)
            _check_operands(symbol, a, b, offset)
            try:
                result = apply(a, b)
            except ZeroDivisionError:
                raise ConditionError(f"division by zero in '{symbol}'", offset) from None
            except OverflowError:
                raise ConditionError(f"the result of '{symbol}' is too large", offset) from None
            return _checked_result(symbol, result, offset)

        return arithmetic

    def _Compare(self, node: ast.Compare, depth: int) -> _Evaluator:
        left = self.compile(node.left, depth)
        steps = []
        for op, comparator in zip(node.ops, node.comparators):
            if isinstance(op, (ast.Is, ast.IsNot)):
                word = "==" if isinstance(op, ast.Is) else "!="
                raise self.error(comparator, f"use '{word}' instead of 'is'")
            symbol, apply = _COMPARE[type(op)]
            if isinstance(comparator, (ast.List, ast.Tuple)) and symbol in ("in", "not in"):
                evaluate = self._literal_list(comparator, depth)
            else:
                evaluate = self.compile(comparator, depth)
            steps.append((symbol, apply, evaluate, self.offset(comparator)))

        def compare(context: Any, variables: Mapping[str, Any]) -> bool:
            a = left(context, variables)
            for symbol, apply, evaluate, offset in steps:
                b = evaluate(context, variables)
                try:
                    if not apply(a, b):
                        return False
                except TypeError:
                    raise ConditionError(
                        f"'{symbol}' cannot compare {_kind(a)} with {_kind(b)}", offset
                    ) from None
                a = b
            return True

        return compare

    def _literal_list(self, node: ast.List | ast.Tuple, depth: int) -> _Evaluator:
        items = [self.compile(item, depth + 1) for item in node.elts]
        return lambda context, variables: tuple(item(context, variables) for item in items)

    def _List(self, node: ast.List, depth: int) -> _Evaluator:
        raise self.error(node, "a list is only allowed after 'in' or 'not in'")

    _Tuple = _List

    def _Attribute(self, node: ast.Attribute, depth: int) -> _Evaluator:
        raise self.error(node, f"attribute access ('.{node.attr}') is not allowed")

    # calls

    def _Call(self, node: ast.Call, depth: int) -> _Evaluator:
        if isinstance(node.func, ast.Attribute):
            raise self.error(node.func, f"attribute access ('.{node.func.attr}') is not allowed")
        if not isinstance(node.func, ast.Name):
            raise self.error(node, f"only these functions can be called: {', '.join(FUNCTIONS)}")
        name = node.func.id
        allowed = FUNCTIONS if self.with_context else tuple(_PURE_FUNCTIONS)
        if name not in allowed:
            if name in FUNCTIONS:
                raise self.error(
                    node, f"{name}(...) cannot be used here: only {', '.join(allowed)} can"
                )
            hint = _suggest(name, allowed) or f": the functions are {', '.join(allowed)}"
            raise self.error(node, f"unknown function '{name}'{hint}")
        if node.keywords:
            raise self.error(node.keywords[0].value, f"{name}(...) takes no keyword arguments")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.error(arg, _REFUSED[ast.Starred])
        if name in FUNCTION_ID_KINDS:
            return self._state_call(node, name)
        return self._pure_call(node, name, depth)

    def _state_call(self, node: ast.Call, name: str) -> _Evaluator:
        kind = FUNCTION_ID_KINDS[name]
        if len(node.args) != 1:
            raise self.error(node, f"{name}(...) takes one {kind} id, as in {name}('my-{kind}')")
        arg = node.args[0]
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            raise self.error(
                arg, f"only literal ids are allowed in {name}(...): write {name}('my-{kind}')"
            )
        ident = arg.value
        if not _ID.match(ident):
            raise self.error(
                arg, f"'{ident}' is not a valid {kind} id (letters, digits, '-' and '_' only)"
            )
        self.references.add((name, ident))
        read = operator.methodcaller(name, ident)
        return lambda context, variables: read(context)

    def _pure_call(self, node: ast.Call, name: str, depth: int) -> _Evaluator:
        args = [self.compile(arg, depth) for arg in node.args]
        low, high, wanted = _ARITY[name]
        if not low <= len(args) <= high:
            raise self.error(node, f"{name}(...) takes {wanted}")
        apply = _PURE_FUNCTIONS[name]
        offset = self.offset(node)

        def call(context: Any, variables: Mapping[str, Any]) -> Any:
            values = [arg(context, variables) for arg in args]
            if name == "round" and len(values) == 2 and not (
                isinstance(values[1], int) and abs(values[1]) <= MAX_ROUND_DIGITS
            ):
                raise ConditionError(
                    f"round(x, n) needs a whole number n between -{MAX_ROUND_DIGITS} and {MAX_ROUND_DIGITS}",
                    offset,
                )
            try:
                return apply(*values)
            except (TypeError, ValueError, OverflowError):
                kinds = " and ".join(sorted({_kind(v) for v in values}))
                raise ConditionError(f"{name}(...) cannot take {kinds}", offset) from None

        return call


def _check_operands(symbol: str, a: object, b: object, offset: int) -> None:
    """Numbers combine with every operator; text only joins (``+``) or repeats (``*``)."""
    if isinstance(a, _NUMBER) and isinstance(b, _NUMBER):
        if symbol == "**" and isinstance(a, int) and isinstance(b, int) and b > 0:
            # the result has more than (bits(a) - 1) * b bits; 0, 1 and -1 stay small
            if abs(a) > 1 and (a.bit_length() - 1) * b >= MAX_INT_BITS:
                raise ConditionError(f"{a} ** {b} is too large to compute", offset)
        return
    if symbol == "+" and isinstance(a, str) and isinstance(b, str):
        return
    if symbol == "*" and (isinstance(a, str) and isinstance(b, int) or isinstance(a, int) and isinstance(b, str)):
        count, text = (b, a) if isinstance(a, str) else (a, b)
        if len(text) * max(count, 0) > MAX_STRING_LENGTH:
            raise ConditionError(f"'*' would make text longer than {MAX_STRING_LENGTH} characters", offset)
        return
    raise ConditionError(f"'{symbol}' cannot combine {_kind(a)} and {_kind(b)}", offset)


def _checked_result(symbol: str, result: Any, offset: int) -> Any:
    if isinstance(result, int) and result.bit_length() > MAX_INT_BITS:
        raise ConditionError(f"the result of '{symbol}' is too large", offset)
    if isinstance(result, str) and len(result) > MAX_STRING_LENGTH:
        raise ConditionError(f"'{symbol}' would make text longer than {MAX_STRING_LENGTH} characters", offset)
    if isinstance(result, complex):
        raise ConditionError(f"the result of '{symbol}' is not a real number", offset)
    return result
