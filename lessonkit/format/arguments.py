"""A call's literal arguments, read with the problems a teacher can make in them.

Every reader of a call kind (the header, a step, a check) takes its arguments through
:class:`Arguments`, so a wrong type, a malformed id or an unknown keyword is worded the
same way wherever it is, and a reader never stops at the first problem: it gets a usable
default and the problem is collected for the teacher.
"""

from __future__ import annotations

import re
from typing import Any

from lessonkit.format.calls import Call
from lessonkit.model import Problem, Where, did_you_mean, id_list

ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_NUMBER = (int, float)


def is_number(value: Any, *, whole: bool = False) -> bool:
    """Whether ``value`` is a number (a whole one with ``whole``): True and False are not,
    though Python counts them as integers."""
    return isinstance(value, int if whole else _NUMBER) and not isinstance(value, bool)


class Arguments:
    """Typed reads of a call's arguments, each refusal a :class:`Problem` in ``problems``."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems

    def problem(self, where: Where, message: str, hint: str = "", severity: str = "error") -> None:
        self.problems.append(Problem(where, message, hint, severity))

    def typed(self, call: Call, key: str, types: Any, default: Any) -> Any:
        """``call``'s argument ``key`` if it has one of ``types``, else ``default`` (and a problem if given)."""
        value = call.args.get(key, default)
        if value is default:
            return default
        wanted_types = types if isinstance(types, tuple) else (types,)
        if not isinstance(value, wanted_types) or (isinstance(value, bool) and bool not in wanted_types):
            wanted = " or ".join(t.__name__ for t in wanted_types)
            self.problem(call.where.at(key), f"must be {wanted}, not {type(value).__name__}")
            return default
        return value

    def id(self, call: Call, key: str) -> str:
        """An id argument; a wrong one is replaced by a name for its cell, so reading can go on."""
        value = call.args.get(key)
        if not isinstance(value, str) or not ID.match(value):
            self.problem(call.where.at(key), f"lk.{call.name}() needs an id made of letters, digits, - and _",
                         f"got {value!r}")
            return f"<cell {(call.where.cell_index or 0) + 1}>"
        return value

    def str_list(self, call: Call, key: str) -> list[str]:
        """A list of ids, one id alone standing for a list of it."""
        ids = id_list(call.args.get(key, []))
        if ids is None:
            self.problem(call.where.at(key), "must be a list of ids")
            return []
        return ids

    def entries(self, call: Call, key: str, shape: str) -> list[tuple[Where, Any]]:
        """Each item of a list argument with its place (``hints[2]``), for the caller to read;
        none, and ``shape`` (what the list should hold) as the problem, if it is not a list."""
        raw = call.args.get(key, [])
        if not isinstance(raw, list):
            self.problem(call.where.at(key), shape)
            return []
        return [(call.where.at(f"{key}[{n}]"), item) for n, item in enumerate(raw)]

    def unknown(self, call: Call, known: tuple[str, ...]) -> None:
        """A problem for each argument ``call`` has that is not in ``known``, with the nearest name."""
        for key in call.args:
            if key not in known:
                self.problem(call.where.at(key), f"lk.{call.name}() has no argument '{key}'",
                             " ".join(filter(None, [did_you_mean(key, known),
                                                    f"its arguments are {', '.join(known)}"])))
