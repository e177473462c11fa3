"""``lk.check(...)``, read into a :class:`~lessonkit.model.Check`: the fields every kind shares.

What a kind adds (a choice's options, a numeric answer) stays in ``Check.spec`` for the kind
to check (``engine/kinds``); what is read here is common to all of them, so it is worded the
same for every kind: points and credit, the hint ladder, feedback on wrong answers, and the
variants a check is drawn from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lessonkit.format.arguments import Arguments, is_number
from lessonkit.format.calls import Call
from lessonkit.format.rows import RowsError, read_rows
from lessonkit.model import ONE_OPTION_FEEDBACK, Check, Feedback, Hint, Variants, Where, did_you_mean

CHECK_COMMON = ("id", "kind", "prompt", "skills", "points", "hints", "feedback", "variants", "credit")
#: what earns a check's points: its answer, or (``credit="mastery"``) also the mastery of its skills
CREDITS = ("answer", "mastery")
VARIANT_FIELDS = ("count", "params", "rows", "where")


def read_check(call: Call, args: Arguments, folder: Path) -> Check:
    """The check ``call`` defines; ``folder`` (the lesson's) holds the CSV files of its variant rows."""
    check_id = args.id(call, "id")
    kind = args.typed(call, "kind", str, "")
    if not kind:
        args.problem(call.where.at("kind"), "every check needs a kind",
                     "single, multiple, numeric, text or code")
    test_points = _points(call, args)
    return Check(
        id=check_id,
        kind=kind,
        prompt=args.typed(call, "prompt", str, ""),
        skills=tuple(args.str_list(call, "skills")),
        points=sum(test_points),
        test_points=test_points if kind == "code" else (),
        hints=_hints(call, args),
        feedback=_feedback(call, args),
        spec={k: v for k, v in call.args.items() if k not in CHECK_COMMON},
        variants=_variants(call, args, folder),
        credit=_credit(call, args),
        where=call.where,
    )


def _credit(call: Call, args: Arguments) -> str:
    credit = call.args.get("credit", "answer")
    if credit not in CREDITS:
        args.problem(call.where.at("credit"), f"must be one of {', '.join(map(repr, CREDITS))}, not {credit!r}",
                     'credit="mastery" lets a skill mastered on the student\'s route earn the check\'s points')
        return "answer"
    return str(credit)


def _points(call: Call, args: Arguments) -> tuple[float, ...]:
    """A check's points: one number, or (code checks) one number per test cell."""
    raw = call.args.get("points", 1.0)
    values = raw if isinstance(raw, list) and call.args.get("kind") == "code" and raw else [raw]
    if not all(is_number(v) and v >= 0 for v in values):
        args.problem(call.where.at("points"), "must be a number of points, 0 or more "
                     "(a code check with several test cells: a list, one number per test cell)")
        return (1.0,)
    return tuple(float(v) for v in values)


def _hints(call: Call, args: Arguments) -> tuple[Hint, ...]:
    entries = args.entries(call, "hints", "must be a list of hints (texts, or dicts with \"text\")")
    hints = []
    for n, (where, hint) in enumerate(entries):
        if isinstance(hint, str):
            hint = {"text": hint}
        if not isinstance(hint, dict) or not isinstance(hint.get("text"), str):
            args.problem(where, 'a hint is a text or a dict with "text"')
            continue
        extra = set(hint) - {"text", "after", "cost", "bottom_out"}
        if extra:
            args.problem(where, f"unknown key(s) {', '.join(sorted(extra))}",
                         'a hint has "text", "after", "cost" and "bottom_out"')
        after, cost = hint.get("after", 0), hint.get("cost", 0)
        if not is_number(after, whole=True) or after < 0:
            args.problem(where.at("after"), "must be a whole number of submissions (0 or more)")
            after = 0
        if not is_number(cost) or cost < 0:
            args.problem(where.at("cost"), "must be a number of points (0 or more)")
            cost = 0
        bottom_out = bool(hint.get("bottom_out", False))
        if bottom_out and n != len(entries) - 1:
            args.problem(where.at("bottom_out"), "only the last hint of a ladder can be the bottom-out hint")
        hints.append(Hint(hint["text"], after, float(cost), bottom_out))
    return tuple(hints)


def _feedback(call: Call, args: Arguments) -> tuple[Feedback, ...]:
    entries = []
    multiple = call.args.get("kind") == "multiple"
    for where, entry in args.entries(call, "feedback", 'must be a list of {"answer": ..., "message": ...}'):
        keys = set(entry) - {"message"} if isinstance(entry, dict) else set()
        if not isinstance(entry, dict) or not isinstance(entry.get("message"), str) or len(keys) != 1 \
                or not keys <= {"answer", "test", *ONE_OPTION_FEEDBACK}:
            args.problem(where, 'feedback is {"answer": a wrong answer, "message": text}, '
                                'for multiple choice also {"picked": a wrong option, ...} or '
                                '{"missed": a right option, ...}, and for code checks {"test": number, ...}')
            continue
        (key,) = keys
        if key in ONE_OPTION_FEEDBACK and not multiple:
            args.problem(where.at(key), f'"{key}" feedback names one option of a multiple-choice check',
                         'give the wrong answer itself: {"answer": ..., "message": ...}')
            continue
        # one option's feedback travels as the answer it matches, so every kind's items keep one shape
        answer = {key: entry[key]} if key in ONE_OPTION_FEEDBACK else entry.get("answer")
        entries.append(Feedback(entry["message"], answer, entry.get("test")))
    return tuple(entries)


def _variants(call: Call, args: Arguments, folder: Path) -> Variants | None:
    raw = call.args.get("variants")
    if raw is None:
        return None
    where = call.where.at("variants")
    shape = ('variants are {"params": {"name": [values, ...], ...}} or {"rows": [{"name": value, ...}, ...] '
             'or "file.csv"}, with "count" and a "where" constraint if wanted')
    if not isinstance(raw, dict) or not ("params" in raw or "rows" in raw):
        args.problem(where, shape)
        return None
    for key in set(raw) - set(VARIANT_FIELDS):
        args.problem(where.at(key), f"variants have no field '{key}'",
                     " ".join(filter(None, [did_you_mean(key, VARIANT_FIELDS),
                                            f"their fields are {', '.join(VARIANT_FIELDS)}"])))
    params = raw.get("params", {})
    if not isinstance(params, dict) or not all(isinstance(v, list) and v for v in params.values()) \
            or "params" in raw and not params:
        args.problem(where.at("params"), 'must be {"name": [values, ...], ...}, each with at least one value')
        params = {}
    for name in params:
        if not isinstance(name, str) or not name.isidentifier():
            args.problem(where.at(f"params.{name}"), "parameter names must be simple names like a, b, price")
    rows = _rows(where.at("rows"), raw["rows"], args, folder) if "rows" in raw else ()
    for name in sorted(set(params) & set(rows[0] if rows else ())):
        args.problem(where.at(f"params.{name}"), f"'{name}' is both a parameter and a column of the rows",
                     "rename one of them")
    count = raw.get("count", None if rows and not params else 5)
    if count is None and len(rows) > 100:
        args.problem(where.at("rows"), f"has {len(rows)} rows; a check has at most 100 variants",
                     'give "count" (at most 100) to draw that many of the rows')
    elif count is not None and not (is_number(count, whole=True) and 1 <= count <= 100):
        args.problem(where.at("count"), "must be a whole number from 1 to 100")
        count = 5
    constraint = raw.get("where")
    if constraint is not None and not (isinstance(constraint, str) and constraint.strip()):
        args.problem(where.at("where"), "must be a condition written as text, e.g. \"a != b and a * b < 50\"")
        constraint = None
    if not params and not rows:
        return None
    rows_file = raw["rows"] if isinstance(raw.get("rows"), str) and rows else None
    return Variants({k: tuple(v) for k, v in params.items()}, count, constraint, rows, rows_file)


def _rows(where: Where, raw: Any, args: Arguments, folder: Path) -> tuple[dict[str, Any], ...]:
    """Data rows: written out as a list of dicts, or the name of a CSV file beside the lesson."""
    if isinstance(raw, str):
        try:
            return read_rows(folder, raw)
        except RowsError as error:
            args.problem(where, str(error))
            return ()
    if not isinstance(raw, list) or not raw or not all(isinstance(row, dict) and row for row in raw):
        args.problem(where, 'must be a list of rows, each a dict of values ({"price": 12, "item": "pen"}), '
                            'or the name of a CSV file beside the lesson')
        return ()
    columns = set(raw[0])
    for n, row in enumerate(raw):
        if set(row) != columns:
            args.problem(where.at(f"[{n}]"), f"has the values {', '.join(sorted(map(str, row)))}, "
                         f"but the first row has {', '.join(sorted(map(str, columns)))}",
                         "every row names the same values")
            return ()
    bad = sorted(str(c) for c in columns if not (isinstance(c, str) and c.isidentifier()))
    if bad:
        args.problem(where, f"the value name(s) {', '.join(bad)} are not simple names like a, b, price")
        return ()
    return tuple(dict(row) for row in raw)
