"""The run-time checks of a condition's values, and the words its refusals are put in.

What a compiled condition computes is checked as it goes (:func:`check_operands` before an
operator, :func:`checked_result` after it), so that no value a teacher or a variant could
write stalls a student's kernel; every refusal names the kinds of value involved, as a teacher
reads them ("a number", "text"), not Python's type names.
"""

from __future__ import annotations

from typing import Any, Collection

from lessonkit.engine.conditionlanguage import MAX_INT_BITS, MAX_STRING_LENGTH, ConditionError

NUMBER = (int, float)  # bool is an int, as in Python


def syntax_error(text: str, error: SyntaxError, lead: int) -> ConditionError:
    """Python's syntax error as the mistake a teacher made, most often writing another
    language's operator (``&&``, ``!``, ``=``); ``lead`` is the blank space stripped before ``text``."""
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


def kind_of(value: object) -> str:
    """What a value is, in a teacher's words, for the refusals that name it."""
    if isinstance(value, bool):
        return "True/False"
    if isinstance(value, NUMBER):
        return "a number"
    if isinstance(value, str):
        return "text"
    return type(value).__name__


def suggest(name: str, candidates: Collection[str]) -> str:
    """`` (did you mean 'x'?)`` for a misspelt name, or nothing."""
    from difflib import get_close_matches  # only on the error path

    close = get_close_matches(name, list(candidates), n=1, cutoff=0.7)
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_operands(symbol: str, a: object, b: object, offset: int) -> None:
    """Numbers combine with every operator; text only joins (``+``) or repeats (``*``)."""
    if isinstance(a, NUMBER) and isinstance(b, NUMBER):
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
    raise ConditionError(f"'{symbol}' cannot combine {kind_of(a)} and {kind_of(b)}", offset)


def checked_result(symbol: str, result: Any, offset: int) -> Any:
    """``result`` if it stays within the limits and the real numbers; else the refusal."""
    if isinstance(result, int) and result.bit_length() > MAX_INT_BITS:
        raise ConditionError(f"the result of '{symbol}' is too large", offset)
    if isinstance(result, str) and len(result) > MAX_STRING_LENGTH:
        raise ConditionError(f"'{symbol}' would make text longer than {MAX_STRING_LENGTH} characters", offset)
    if isinstance(result, complex):
        raise ConditionError(f"the result of '{symbol}' is not a real number", offset)
    return result
