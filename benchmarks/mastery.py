"""Mastery updates per second: lessonkit's closed-form BKT against pyBKT's Roster.

architecture §7 says a closed-form update costs microseconds; pyBKT is the reference.  Both
trace the same answers with the same (default) parameters; pyBKT is timed with
``parallel=False`` (its fastest) and, on fewer updates, with its default
``parallel=True``, which starts a process pool for every update.

    python benchmarks/mastery.py          # prints a table, updates benchmarks/RESULTS.md
"""

from __future__ import annotations

import random
import time
import warnings
from typing import Callable

from results import RESULTS, machine, write_section

from lessonkit.engine.mastery import pybkt_model, update
from lessonkit.model import MasteryPolicy, Skill

TITLE = "Mastery updates"
GOAL = 100  # lessonkit must be at least this many times faster
REPEATS = 5


def rates(runs: list[tuple[Callable[[list[bool]], None], list[bool]]], repeats: int) -> list[float]:
    """Best-of-``repeats`` updates per second of each run; the runs take turns, so a
    busy spell on a shared machine slows all of them rather than one."""
    best = [float("inf")] * len(runs)
    for _ in range(repeats):
        for index, (run, answers) in enumerate(runs):
            started = time.perf_counter()
            run(answers)
            best[index] = min(best[index], time.perf_counter() - started)
    return [len(answers) / seconds for (_, answers), seconds in zip(runs, best)]


def lessonkit_updates(answers: list[bool]) -> None:
    skill, policy, state = Skill("s"), MasteryPolicy(), None
    for correct in answers:
        state = update(skill, policy, state, correct)


def pybkt_updates(parallel: bool) -> Callable[[list[bool]], None]:
    from pyBKT.models import Roster

    def run(answers: list[bool]) -> None:
        model = pybkt_model([Skill("s")])
        model.parallel = parallel
        roster = Roster(["student"], "s", model=model)
        with warnings.catch_warnings():  # pyBKT's unused backward pass divides 0 by 0
            warnings.simplefilter("ignore", RuntimeWarning)
            for correct in answers:
                roster.update_state("s", "student", int(correct))

    return run


def main() -> None:
    from importlib.metadata import version

    rng = random.Random(7)
    answers = [rng.random() < 0.6 for _ in range(200_000)]
    ours, reference = rates([(lessonkit_updates, answers), (pybkt_updates(False), answers[:2_000])], REPEATS)
    (default,) = rates([(pybkt_updates(True), answers[:20])], 1)
    rows = [
        ("lessonkit `update`", len(answers), ours),
        ("pyBKT `Roster.update_state`, parallel=False", 2_000, reference),
        ("pyBKT `Roster.update_state`, parallel=True (default)", 20, default),
    ]
    ratio = ours / reference
    table = ["| implementation | updates timed | updates/s | lessonkit is |", "|---|---:|---:|---:|"]
    for index, (name, count, per_second) in enumerate(rows):
        speedup = f"{ours / per_second:,.0f}× faster" if index else ""
        table.append(f"| {name} | {count:,} | {per_second:,.0f} | {speedup} |")
    verdict = "met" if ratio >= GOAL else "NOT met"
    section = "\n".join([
        f"{machine()}, pyBKT {version('pyBKT')}, numpy {version('numpy')}. "
        "`python benchmarks/mastery.py`; best of "
        f"{REPEATS}, taking turns (1 run for parallel=True); the same answers and default parameters for all.",
        "",
        *table,
        "",
        f"Goal: lessonkit ≥ {GOAL}× faster than pyBKT at its fastest: {ratio:,.0f}×, {verdict}.",
    ])
    print("\n".join(table))
    print(f"\nlessonkit / pyBKT (parallel=False) = {ratio:,.0f}× (goal ≥ {GOAL}×: {verdict})")
    write_section(TITLE, section)
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
