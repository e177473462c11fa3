"""Flags for the teacher: who is stuck, who games the hints, who guesses, who avoids help.

architecture §7 names four behaviours worth a teacher's attention.  Each detector here is a
pure function over a student's recent activity (:class:`Activity`, in any order) and
returns :class:`Flag` values, at most one per kind and check (or skill).  The research
behind the behaviours: wheel-spinning (Beck & Gong, AIED 2013: no mastery after about
10 opportunities), gaming the system by systematic guessing and hint abuse (Baker et
al., ITS 2004), help abuse and help avoidance (Aleven et al., IJAIED 2006), rapid
guessing measured by response time (Wise & Kong, 2005).  The exact thresholds below are
lessonkit's own, chosen to be conservative: a flag asks a teacher to look, so a false
alarm costs more trust than a late one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Literal, Mapping

from lessonkit.engine.mastery import SkillMastery
from lessonkit.model import Check

__all__ = [
    "HELP_AVOIDANCE_WRONG",
    "HINT_CLICK_SECONDS",
    "RAPID_ANSWER_SECONDS",
    "RAPID_GUESS_COUNT",
    "REPEAT_GUESS_SECONDS",
    "STUCK_ATTEMPTS",
    "Activity",
    "Flag",
    "FlagKind",
    "detect_flags",
    "help_avoidance",
    "hint_click_through",
    "rapid_guessing",
    "stuck",
]

STUCK_ATTEMPTS = 6
"""Answers to one check without a correct one.  By then feedback and the hint ladder
have had several chances; more practice of the same item is wheel-spinning."""

HINT_CLICK_SECONDS = 5.0
"""Revealing the bottom-out hint within this many seconds of the previous hint means the
previous hint was not read (a one-line hint takes longer than that to read and try)."""

RAPID_ANSWER_SECONDS = 5.0
"""A wrong answer this soon after the previous answer to the same check cannot have used
the feedback in between: a guess rather than a second attempt."""

RAPID_GUESS_COUNT = 3
"""Guess-like wrong answers (rapid, repeated or blank) to one check before it is flagged;
one or two can be slips or typos."""

REPEAT_GUESS_SECONDS = 20.0
"""A repeat of an earlier wrong answer this soon after the previous answer is a guess: too
soon to have read the feedback and thought again.  Given later, the same wrong answer is a
misconception held (the report counts it among the common wrong answers), not guessing; the
simulated classes of tests/test_flags.py showed struggling students flagged as guessers
when every repeat counted."""

HELP_AVOIDANCE_WRONG = 4
"""Wrong answers to one check while a hint was available and left unrevealed."""

FlagKind = Literal["stuck", "hint_click_through", "rapid_guessing", "help_avoidance"]


@dataclass(frozen=True)
class Activity:
    """One thing a student did on a check.

    ``ts`` is in seconds (e.g. ``datetime.timestamp()``).  ``correct`` and ``answer``
    describe an ``answered`` record; ``bottom_out`` a ``hint_revealed`` one.
    """

    ts: float
    type: Literal["answered", "hint_revealed"]
    check_id: str
    correct: bool | None = None
    answer: object = None
    bottom_out: bool = False


@dataclass(frozen=True)
class Flag:
    """Something for the teacher to look at; ``detail`` says what, in a sentence."""

    kind: FlagKind
    check_id: str | None
    detail: str
    skill_id: str | None = None


def detect_flags(
    activity: Iterable[Activity],
    *,
    checks: Mapping[str, Check] | None = None,
    masteries: Mapping[str, SkillMastery] | None = None,
) -> list[Flag]:
    """Every flag for one student: stuck, hint click-through, rapid guessing, help avoidance.

    ``checks`` (the lesson's, for their hint ladders) enables help avoidance;
    ``masteries`` (per skill) enables the skill-level stuck flag.
    """
    records = list(activity)
    return [
        *stuck(records, masteries),
        *hint_click_through(records),
        *rapid_guessing(records),
        *help_avoidance(records, checks or {}),
    ]


def _by_check(activity: Iterable[Activity]) -> dict[str, list[Activity]]:
    """Records per check, in time order, checks in order of first activity."""
    grouped: dict[str, list[Activity]] = defaultdict(list)
    for record in sorted(activity, key=lambda r: r.ts):
        grouped[record.check_id].append(record)
    return grouped


def stuck(
    activity: Iterable[Activity], masteries: Mapping[str, SkillMastery] | None = None
) -> list[Flag]:
    """Stuck on a skill (``max_items`` items without mastery: the escape hatch of architecture
    §7 fired) or on a check (:data:`STUCK_ATTEMPTS` answers, none correct)."""
    flags = [
        Flag("stuck", None, f"{state.items} items without mastery (P = {state.p:.2f})", skill)
        for skill, state in (masteries or {}).items()
        if state.needs_remediation
    ]
    for check_id, records in _by_check(activity).items():
        answers = [r for r in records if r.type == "answered"]
        if len(answers) >= STUCK_ATTEMPTS and not any(r.correct for r in answers):
            flags.append(Flag("stuck", check_id, f"{len(answers)} answers, none correct"))
    return flags


def hint_click_through(activity: Iterable[Activity]) -> list[Flag]:
    """The bottom-out hint revealed within :data:`HINT_CLICK_SECONDS` of the previous hint
    on the same check, with no answer between: the ladder was clicked through."""
    flags = []
    for check_id, records in _by_check(activity).items():
        for previous, record in zip(records, records[1:]):
            if (
                record.type == "hint_revealed"
                and record.bottom_out
                and previous.type == "hint_revealed"
                and record.ts - previous.ts <= HINT_CLICK_SECONDS
            ):
                gap = record.ts - previous.ts
                flags.append(Flag(
                    "hint_click_through", check_id,
                    f"bottom-out hint revealed {gap:.1f} s after the previous hint",
                ))
                break
    return flags


def _blank(answer: object) -> bool:
    if isinstance(answer, str):
        return not answer.strip()
    return answer is None or (isinstance(answer, (list, tuple, set, dict)) and not answer)


def _same(a: object, b: object) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.strip().casefold() == b.strip().casefold()
    return a == b


def rapid_guessing(activity: Iterable[Activity]) -> list[Flag]:
    """:data:`RAPID_GUESS_COUNT` guess-like wrong answers to one check: each within
    :data:`RAPID_ANSWER_SECONDS` of the previous answer, a repeat of an earlier wrong
    answer within :data:`REPEAT_GUESS_SECONDS`, or blank."""
    flags = []
    for check_id, records in _by_check(activity).items():
        guesses, wrong_answers, last_answer_ts = 0, [], None
        for record in records:
            if record.type != "answered":
                continue
            if not record.correct:
                gap = None if last_answer_ts is None else record.ts - last_answer_ts
                guess_like = (
                    _blank(record.answer)
                    or (gap is not None and gap <= RAPID_ANSWER_SECONDS)
                    or (gap is not None and gap <= REPEAT_GUESS_SECONDS
                        and any(_same(record.answer, earlier) for earlier in wrong_answers))
                )
                if guess_like:
                    guesses += 1
                wrong_answers.append(record.answer)
            last_answer_ts = record.ts
        if guesses >= RAPID_GUESS_COUNT:
            flags.append(Flag(
                "rapid_guessing", check_id,
                f"{guesses} wrong answers that were rapid, repeated or blank",
            ))
    return flags


def help_avoidance(activity: Iterable[Activity], checks: Mapping[str, Check]) -> list[Flag]:
    """:data:`HELP_AVOIDANCE_WRONG` wrong answers to one check while its next hint was
    available (its ``after`` gate passed) and not revealed; rapid answers (guesses) do not count.  Checks missing from
    ``checks`` are skipped: without their ladder there is no telling."""
    flags = []
    for check_id, records in _by_check(activity).items():
        check = checks.get(check_id)
        if check is None or not check.hints:
            continue
        submitted = revealed = avoided = 0
        last_answer_ts: float | None = None
        for record in records:
            if record.type == "hint_revealed":
                revealed += 1
                avoided = 0
                continue
            available = revealed < len(check.hints) and check.hints[revealed].after <= submitted
            # an answer within RAPID_ANSWER_SECONDS of the last is a guess (rapid_guessing's to
            # flag), not an effortful try a hint would have helped: help avoidance is the latter
            rapid = last_answer_ts is not None and record.ts - last_answer_ts <= RAPID_ANSWER_SECONDS
            last_answer_ts = record.ts
            if available and not record.correct and not rapid:
                avoided += 1
                if avoided >= HELP_AVOIDANCE_WRONG:
                    flags.append(Flag(
                        "help_avoidance", check_id,
                        f"{avoided} wrong answers without revealing the available hint",
                    ))
                    break
            submitted += 1
    return flags
