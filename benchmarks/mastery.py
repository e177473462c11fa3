"""Mastery updates per second: lessonkit's closed-form BKT against pyBKT's Roster.

    python benchmarks/mastery.py                  # the documented run; updates benchmarks/RESULTS.md
    python benchmarks/mastery.py --updates 20000 --repeats 2 --no-record

architecture §7 says a closed-form update costs microseconds; pyBKT is the reference.  Both
trace the same answers with the same (default) parameters; pyBKT is timed with
``parallel=False`` (its fastest) and, on fewer updates, with its default ``parallel=True``,
which starts a process pool for every update.  Only the updates are timed: each side's
set-up (lessonkit's skill and policy, pyBKT's model and roster) is made before the clock
starts, afresh for every repeat so that every repeat traces from the prior.

The check: before anything is timed, both trace the same answers and must agree on the
mastery probability after every one (to 1e-9), or the run records nothing and fails.
"""

from __future__ import annotations

import random
import time
import warnings
from collections.abc import Callable
from typing import Any
from importlib.metadata import version

from results import Run, arguments

from lessonkit.engine.mastery import pybkt_model, update
from lessonkit.model import MasteryPolicy, Skill

TITLE = "Mastery updates"
GOAL = 100  # lessonkit must be at least this many times faster
TOLERANCE = 1e-9
PARITY_ANSWERS = 1_000
SKILL = Skill("s")

#: A timed run: made (untimed) by its set-up, then called once under the clock.
Updates = Callable[[], None]


def lessonkit_updates(answers: list[bool]) -> Updates:
    policy = MasteryPolicy()

    def run() -> None:
        state = None
        for correct in answers:
            state = update(SKILL, policy, state, correct)

    return run


def new_roster(parallel: bool) -> Any:  # a pyBKT Roster (pyBKT has no type hints)
    from pyBKT.models import Roster

    model = pybkt_model([SKILL])
    model.parallel = parallel
    return Roster(["student"], SKILL.id, model=model)


def pybkt_updates(answers: list[bool], parallel: bool) -> Updates:
    roster, observations = new_roster(parallel), [int(correct) for correct in answers]

    def run() -> None:
        with warnings.catch_warnings():  # pyBKT's unused backward pass divides 0 by 0
            warnings.simplefilter("ignore", RuntimeWarning)
            for observed in observations:
                roster.update_state(SKILL.id, "student", observed)

    return run


def rates(setups: list[tuple[Callable[[], Updates], int]], repeats: int) -> list[float]:
    """Best-of-``repeats`` updates per second of each (set-up, number of updates); the runs
    take turns, so a busy spell on a shared machine slows all of them rather than one."""
    best = [float("inf")] * len(setups)
    for _ in range(repeats):
        for index, (setup, _count) in enumerate(setups):
            run = setup()
            started = time.perf_counter()
            run()
            best[index] = min(best[index], time.perf_counter() - started)
    return [count / seconds for (_, count), seconds in zip(setups, best, strict=True)]


def lessonkit_trace(answers: list[bool]) -> list[float]:
    state, trace, policy = None, [], MasteryPolicy()
    for correct in answers:
        state = update(SKILL, policy, state, correct)
        trace.append(state.p)
    return trace


def pybkt_trace(answers: list[bool]) -> list[float]:
    roster = new_roster(parallel=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return [float(roster.update_state(SKILL.id, "student", int(correct)).get_mastery_prob())
                for correct in answers]


def disagreements(ours: list[float], theirs: list[float]) -> list[str]:
    """What the check reports: the two traces must have the same length and agree everywhere."""
    if len(ours) != len(theirs):
        return [f"lessonkit traced {len(ours)} answers, pyBKT {len(theirs)}"]
    worst = max(range(len(ours)), key=lambda n: abs(ours[n] - theirs[n]), default=None)
    if worst is None or abs(ours[worst] - theirs[worst]) <= TOLERANCE:
        return []
    return [f"after answer {worst + 1}, lessonkit says p(mastery) = {ours[worst]:.12f}, "
            f"pyBKT {theirs[worst]:.12f} (allowed: {TOLERANCE:g})"]


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--updates", type=int, default=200_000, help="lessonkit's updates per repeat")
    parser.add_argument("--pybkt-updates", type=int, default=2_000, help="pyBKT's, parallel=False")
    parser.add_argument("--parallel-updates", type=int, default=20, help="pyBKT's, parallel=True (one repeat)")
    parser.add_argument("--repeats", type=int, default=5, help="the best of this many is reported")
    args = parser.parse_args()
    run = Run(TITLE)
    rng = random.Random(7)
    answers = [rng.random() < 0.6 for _ in range(args.updates)]
    problems = disagreements(lessonkit_trace(answers[:PARITY_ANSWERS]), pybkt_trace(answers[:PARITY_ANSWERS]))
    pybkt, parallel = answers[:args.pybkt_updates], answers[:args.parallel_updates]
    ours, reference = rates([(lambda: lessonkit_updates(answers), len(answers)),
                             (lambda: pybkt_updates(pybkt, False), len(pybkt))], args.repeats)
    (default,) = rates([(lambda: pybkt_updates(parallel, True), len(parallel))], 1)
    rows = [
        ("lessonkit `update`", len(answers), ours),
        ("pyBKT `Roster.update_state`, parallel=False", len(pybkt), reference),
        ("pyBKT `Roster.update_state`, parallel=True (default)", len(parallel), default),
    ]
    ratio = ours / reference
    table = ["| implementation | updates timed | updates/s | lessonkit is |", "|---|---:|---:|---:|"]
    for index, (name, count, per_second) in enumerate(rows):
        speedup = f"{ours / per_second:,.0f}× faster" if index else ""
        table.append(f"| {name} | {count:,} | {per_second:,.0f} | {speedup} |")
    verdict = "met" if ratio >= GOAL else "NOT met"
    run.finish("\n".join([
        f"pyBKT {version('pyBKT')}, numpy {version('numpy')}; best of {args.repeats}, taking turns (1 run for "
        "parallel=True); the same answers and default parameters for all; only the updates are timed "
        "(lessonkit's skill and policy, pyBKT's model and roster are set up before the clock starts). "
        f"Both traced the same {PARITY_ANSWERS:,} answers to the same mastery (within {TOLERANCE:g}) first.",
        "",
        *table,
        "",
        f"Goal: lessonkit ≥ {GOAL}× faster than pyBKT at its fastest: {ratio:,.0f}×, {verdict}.",
    ]), problems, record=not args.no_record)


if __name__ == "__main__":
    main()
