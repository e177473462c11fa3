"""Event store throughput: a class of writers, each appending events one by one.

Twenty writer processes (a class's kernels) each append N events, one ``append`` at a
time, every one acknowledged (committed) before the next, as the player does.  The
figure is the sustained rate: all events divided by the time from the first writer's
start to the last writer's end.  Latencies are per append, across all writers.

    python benchmarks/events.py                   # SQLite and PostgreSQL, results recorded
    python benchmarks/events.py --backend sqlite --events 200 --no-record

The goal is 2,000 events/s on SQLite (a class on a laptop).  PostgreSQL runs on
a throw-away server started like the tests' (tests/pg.py), with its durable defaults.
Results go to benchmarks/RESULTS.md under "## Event store".
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import multiprocessing
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from results import RESULTS, machine, read_section, write_section  # noqa: E402

from lessonkit.progress import ANSWERED, Event, open_store  # noqa: E402

TITLE = "Event store"
SQLITE_GOAL = 2000.0


@dataclass(frozen=True)
class Result:
    backend: str
    writers: int
    events: int
    seconds: float
    latencies_ms: list[float]
    all_rates: tuple[float, ...] = ()  # every run's rate, when this is the median of several

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def row(self) -> str:
        return (
            f"| {self.backend} | {self.writers} | {self.events} | {self.seconds:.2f} | {self.rate:,.0f} "
            f"| {statistics.median(self.latencies_ms):.2f} | {self.percentile(0.99):.2f} "
            f"| {max(self.latencies_ms):.1f} "
            f"| {', '.join(f'{rate:,.0f}' for rate in self.all_rates)} |"
        )


HEADER = (
    "| store | writers | events | seconds | events/s | p50 ms | p99 ms | max ms | events/s of every run |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---|"
)


def writer(url: str, student: str, count: int, start: multiprocessing.synchronize.Barrier, results) -> None:
    """One kernel: open the store once, then append ``count`` events, each acknowledged."""
    with open_store(url) as store:
        start.wait()
        latencies = []
        began = time.perf_counter()  # CLOCK_MONOTONIC: comparable across processes
        for n in range(count):
            data = {"answer": n, "correct": n % 3 == 0, "attempt": n + 1}
            event = Event("bench", student, ANSWERED, check_id="c", data=data)
            sent = time.perf_counter()
            store.append(event)
            latencies.append((time.perf_counter() - sent) * 1000)
        results.put((began, time.perf_counter(), latencies))


def median_of(runs: int, backend: str, url: str, writers: int, events: int) -> Result:
    """The run with the median rate: on a shared 2-core machine single runs vary by 2x."""
    results = sorted((measure(backend, url, writers, events) for _ in range(runs)), key=lambda r: r.rate)
    middle = results[len(results) // 2]
    return replace(middle, all_rates=tuple(r.rate for r in results))


def measure(backend: str, url: str, writers: int, events: int) -> Result:
    with open_store(url) as store:  # create the table before the clock starts
        before = sum(1 for _ in store.lesson_events("bench"))
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(writers), context.Queue()
    processes = [
        context.Process(target=writer, args=(url, f"s{n:02}", events, start, results)) for n in range(writers)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise SystemExit(f"a writer failed (exit {process.exitcode})")
    with open_store(url) as store:
        stored = sum(1 for _ in store.lesson_events("bench")) - before
    if stored != writers * events:
        raise SystemExit(f"{backend}: {stored} events stored, {writers * events} acknowledged")
    seconds = max(end for _, end, _ in outcomes) - min(began for began, _, _ in outcomes)
    return Result(backend, writers, writers * events, seconds, [ms for *_, lat in outcomes for ms in lat])


@contextlib.contextmanager
def backend_url(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="lessonkit-bench-") as folder:
            yield f"sqlite:///{folder}/progress.sqlite"
    else:
        from tests.pg import create_database, temporary_postgres

        with temporary_postgres() as server:
            yield create_database(server)


def record(results: list[Result], events: int, runs: int, where: str) -> None:
    """Add this run to the "## Event store" section of RESULTS.md, leaving other sections alone."""
    block = (
        f"\n### {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}: {where}\n\n"
        f"`python benchmarks/events.py --events {events} --runs {runs}`: each writer process appends {events} events "
        f"one by one, each committed before the next; the row is the run with the median rate of {runs}.\n\n"
        + HEADER + "\n" + "\n".join(r.row() for r in results) + "\n"
    )
    history = read_section(TITLE) or (
        "Sustained append rate of the event store (`benchmarks/events.py`): "
        f"20 writer processes, as a class of kernels. Goal on SQLite: {SQLITE_GOAL:,.0f} events/s."
    )
    write_section(TITLE, history + "\n" + block)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"])
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--events", type=int, default=500, help="events per writer")
    parser.add_argument("--runs", type=int, default=3, help="runs per store; the median is reported")
    parser.add_argument("--no-record", action="store_true", help=f"do not write {RESULTS.relative_to(REPO)}")
    args = parser.parse_args()

    where = machine()
    results = []
    for backend in args.backend:
        with backend_url(backend) as url:
            results.append(median_of(args.runs, backend, url, args.writers, args.events))
    print(where)
    print(HEADER)
    for result in results:
        print(result.row())
    for result in results:
        if result.backend == "sqlite":
            verdict = "meets" if result.rate >= SQLITE_GOAL else "MISSES"
            print(f"SQLite {verdict} the goal of {SQLITE_GOAL:,.0f} events/s ({result.rate:,.0f}/s)")
    if not args.no_record:
        record(results, args.events, args.runs, where)
        print(f"recorded in {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
