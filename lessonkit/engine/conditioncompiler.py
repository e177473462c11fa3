"""Compiling a condition: a whitelist of :mod:`ast` nodes turned into nested closures.

Nothing is ever ``eval``-ed: each allowed node has a method here that checks it and returns
a closure ``(context, variables) -> value``; any other node is refused with the words of
:data:`REFUSED`, at its character offset in the teacher's source.
"""

from __future__ import annotations

import ast
import operator
from typing import Any, Callable, Mapping

from lessonkit.engine.conditionlanguage import (
    ARITY,
    FUNCTION_ID_KINDS,
    FUNCTIONS,
    ID,
    MAX_DEPTH,
    MAX_ROUND_DIGITS,
    MAX_SOURCE_LENGTH,
    PURE_FUNCTIONS,
    TOO_DEEP,
    ConditionError,
)
from lessonkit.engine.conditionvalues import NUMBER, check_operands, checked_result, kind_of, suggest, syntax_error

Evaluator = Callable[[Any, Mapping[str, Any]], Any]


def compile_source(
    source: str, variables: frozenset[str], with_context: bool
) -> tuple[Evaluator, frozenset[tuple[str, str]]]:
    """The closure that evaluates ``source``, and the ``(function, id)`` pairs it reads.

    ``with_context`` allows the student-state functions (branch rules); without it only the
    pure ones (variant templates and answers).
    """
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
        raise syntax_error(text, error, lead) from None
    except RecursionError:  # the parser counts the caller's stack too, so a deep caller gets here
        raise ConditionError(TOO_DEEP, lead) from None
    compiler = _Compiler(text, lead, variables, with_context)
    evaluate = compiler.compile(tree.body, 0)
    return evaluate, frozenset(compiler.references)


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
REFUSED: Mapping[type, str] = {
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

    def compile(self, node: ast.expr, depth: int) -> Evaluator:
        if depth > MAX_DEPTH:
            raise self.error(node, TOO_DEEP)
        handler = getattr(self, f"_{type(node).__name__}", None)
        if handler is None:
            raise self.error(node, REFUSED.get(type(node), f"{type(node).__name__} is not allowed"))
        return handler(node, depth + 1)

    # leaves

    def _Constant(self, node: ast.Constant, depth: int) -> Evaluator:
        value = node.value
        if not isinstance(value, (bool, int, float, str)):
            what = "None" if value is None else type(value).__name__
            raise self.error(node, f"{what} is not allowed: use numbers, text, True or False")
        return lambda context, variables: value

    def _Name(self, node: ast.Name, depth: int) -> Evaluator:
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
            hint = suggest(name, self.variables) or f": the variables are {', '.join(sorted(self.variables))}"
        else:
            hint = " (ids are written in quotes, inside a function: mastered('skill-id'))"
        raise self.error(node, f"unknown name '{name}'{hint}")

    # operators

    def _BoolOp(self, node: ast.BoolOp, depth: int) -> Evaluator:
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

    def _UnaryOp(self, node: ast.UnaryOp, depth: int) -> Evaluator:
        operand = self.compile(node.operand, depth)
        if isinstance(node.op, ast.Not):
            return lambda context, variables: not operand(context, variables)
        if isinstance(node.op, ast.Invert):
            raise self.error(node, "'~' is not allowed")
        symbol, apply = ("-", operator.neg) if isinstance(node.op, ast.USub) else ("+", operator.pos)
        offset = self.offset(node)

        def signed(context: Any, variables: Mapping[str, Any]) -> Any:
            value = operand(context, variables)
            if not isinstance(value, NUMBER):
                raise ConditionError(f"'{symbol}' needs a number, not {kind_of(value)}", offset)
            return apply(value)

        return signed

    def _BinOp(self, node: ast.BinOp, depth: int) -> Evaluator:
        op = type(node.op)
        if op in _FORBIDDEN_BINARY:
            raise self.error(node, f"the operator '{_FORBIDDEN_BINARY[op]}' is not allowed")
        symbol, apply = _BINARY[op]
        left, right = self.compile(node.left, depth), self.compile(node.right, depth)
        offset = self.offset(node)

        def arithmetic(context: Any, variables: Mapping[str, Any]) -> Any:
            a, b = left(context, variables), right(context, variables)
            check_operands(symbol, a, b, offset)
            try:
                result = apply(a, b)
            except ZeroDivisionError:
                raise ConditionError(f"division by zero in '{symbol}'", offset) from None
            except OverflowError:
                raise ConditionError(f"the result of '{symbol}' is too large", offset) from None
            return checked_result(symbol, result, offset)

        return arithmetic

    def _Compare(self, node: ast.Compare, depth: int) -> Evaluator:
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
                        f"'{symbol}' cannot compare {kind_of(a)} with {kind_of(b)}", offset
                    ) from None
                a = b
            return True

        return compare

    def _literal_list(self, node: ast.List | ast.Tuple, depth: int) -> Evaluator:
        items = [self.compile(item, depth + 1) for item in node.elts]
        return lambda context, variables: tuple(item(context, variables) for item in items)

    def _List(self, node: ast.List, depth: int) -> Evaluator:
        raise self.error(node, "a list is only allowed after 'in' or 'not in'")

    _Tuple = _List

    def _Attribute(self, node: ast.Attribute, depth: int) -> Evaluator:
        raise self.error(node, f"attribute access ('.{node.attr}') is not allowed")

    # calls

    def _Call(self, node: ast.Call, depth: int) -> Evaluator:
        if isinstance(node.func, ast.Attribute):
            raise self.error(node.func, f"attribute access ('.{node.func.attr}') is not allowed")
        if not isinstance(node.func, ast.Name):
            raise self.error(node, f"only these functions can be called: {', '.join(FUNCTIONS)}")
        name = node.func.id
        allowed = FUNCTIONS if self.with_context else tuple(PURE_FUNCTIONS)
        if name not in allowed:
            if name in FUNCTIONS:
                raise self.error(
                    node, f"{name}(...) cannot be used here: only {', '.join(allowed)} can"
                )
            hint = suggest(name, allowed) or f": the functions are {', '.join(allowed)}"
            raise self.error(node, f"unknown function '{name}'{hint}")
        if node.keywords:
            raise self.error(node.keywords[0].value, f"{name}(...) takes no keyword arguments")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.error(arg, REFUSED[ast.Starred])
        if name in FUNCTION_ID_KINDS:
            return self._state_call(node, name)
        return self._pure_call(node, name, depth)

    def _state_call(self, node: ast.Call, name: str) -> Evaluator:
        kind = FUNCTION_ID_KINDS[name]
        if len(node.args) != 1:
            raise self.error(node, f"{name}(...) takes one {kind} id, as in {name}('my-{kind}')")
        arg = node.args[0]
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            raise self.error(
                arg, f"only literal ids are allowed in {name}(...): write {name}('my-{kind}')"
            )
        ident = arg.value
        if not ID.match(ident):
            raise self.error(
                arg, f"'{ident}' is not a valid {kind} id (letters, digits, '-' and '_' only)"
            )
        self.references.add((name, ident))
        read = operator.methodcaller(name, ident)
        return lambda context, variables: read(context)

    def _pure_call(self, node: ast.Call, name: str, depth: int) -> Evaluator:
        args = [self.compile(arg, depth) for arg in node.args]
        low, high, wanted = ARITY[name]
        if not low <= len(args) <= high:
            raise self.error(node, f"{name}(...) takes {wanted}")
        apply = PURE_FUNCTIONS[name]
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
                kinds = " and ".join(sorted({kind_of(v) for v in values}))
                raise ConditionError(f"{name}(...) cannot take {kinds}", offset) from None

        return call
