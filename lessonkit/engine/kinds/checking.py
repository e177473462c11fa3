"""Everything wrong with one check, as ``lessonkit validate`` and the teacher's preview say it.

One function, so that a problem reads the same in the terminal and under the cell the teacher
just ran: an unknown kind, a misspelt field (with "did you mean" and every field the kind
takes), the kind's own field rules, variants that cannot be drawn, and an answer key that
fails its own check.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from lessonkit.engine.kinds import CheckKind, get_kind, kind_names
from lessonkit.engine.kinds.variants import VariantError
from lessonkit.format.reader import CHECK_COMMON
from lessonkit.model import Check, Lesson, Problem, did_you_mean

__all__ = ["check_problems"]


def check_problems(lesson: Lesson, check: Check, *, run_code: bool,
                   files: Callable[[], Mapping[str, bytes]]) -> list[Problem]:
    """The problems of ``check`` in ``lesson``, one per root mistake.

    A misspelt field is read as the field it is close to, so the kind judges the rest
    without a follow-on "needs 'answer'" for an ``answr=``; the answer key is checked
    only once the fields are right (``run_code`` and ``files`` are for a code check's runs).
    """
    from lessonkit.engine.seal import check_items

    if check.kind not in kind_names():
        if not check.kind:
            return []  # "every check needs a kind" is the reader's
        return [Problem(check.where.at("kind"), f"unknown check kind '{check.kind}'",
                        did_you_mean(check.kind, kind_names()) or f"kinds: {', '.join(kind_names())}")]
    kind = get_kind(check.kind)
    found = [Problem(check.where.at("skills"), f"unknown skill '{skill}'",
                     did_you_mean(skill, lesson.skills) or "declare it in lk.lesson(skills=...)")
             for skill in check.skills if skill not in lesson.skills]
    unknown, meant = _unknown_fields(check, kind)
    found += unknown
    kind_problems = kind.problems(replace(check, spec=meant) if unknown else check)
    found += kind_problems
    if kind_problems or unknown:
        return found
    try:
        items = check_items(lesson, check)
    except VariantError as error:
        return found + [Problem(check.where.at(error.field), error.message, error.hint)]
    except Exception as error:  # a kind (a plugin's) that cannot make its items must be reported, not crash
        return found + [Problem(check.where.at("variants"), f"a variant could not be made: {error}",
                                "every {...} must be an expression over the variant's parameters")]
    return found + kind.key_problems(check, items, lesson, run_code=run_code, files=files)


def _unknown_fields(check: Check, kind: CheckKind) -> tuple[list[Problem], dict[str, Any]]:
    """A problem per field the kind does not take, naming every field it does, and the fields
    read as meant (a misspelt one under the name it is close to)."""
    unknown = [name for name in check.spec if name not in kind.fields]
    accepted = sorted({*CHECK_COMMON, *kind.fields})
    meant = {k: v for k, v in check.spec.items() if k in kind.fields}
    found = []
    for name in unknown:
        suggestion = difflib.get_close_matches(name, accepted, n=1)
        found.append(Problem(check.where.at(name), f"'{check.kind}' checks have no field '{name}'",
                             " ".join(filter(None, [did_you_mean(name, accepted),
                                                    f"a '{check.kind}' check takes {', '.join(accepted)}"]))))
        if suggestion and suggestion[0] in kind.fields and suggestion[0] not in check.spec:
            meant[suggestion[0]] = check.spec[name]
    return found, meant
