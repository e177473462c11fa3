"""Event store throughput: a class of writers, each appending events one by one.

    python benchmarks/events.py                   # the documented run; updates benchmarks/RESULTS.md
    python benchmarks/events.py --store sqlite-normal --events 100 --runs 1 --no-record

Twenty writer processes (a class's kernels) each append N events, one ``append`` at a
time, every one acknowledged (committed) before the next, as the player does.  The
figure is the sustained rate: all events divided by the time from the first writer's
start to the last writer's end.  Latencies are per append, across all writers.

Each store is measured as it is configured, and its row says so: SQLite with each of its
durability settings (``normal``, the default: no fsync per commit; ``full``: an fsync per
commit), and PostgreSQL on a throw-away server started as the tests' is (tests/pg.py),
with its durable defaults, ``synchronous_commit`` and ``fsync`` as the server reports them.
The goal is 2,000 events/s on SQLite with its default durability (a class on a laptop).

The check: after every run, every acknowledged event must be in the store, or the run
records nothing and fails.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.synchronize
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace

from results import Run, arguments, percentile

from lessonkit.progress import ANSWERED, Event, open_store
from lessonkit.progress.sql import SqlEventStore

TITLE = "Event store"
SQLITE_GOAL = 2000.0
LESSON = "bench"
#: store name -> durability of the SQLite URL (None: PostgreSQL, whose server decides)
STORES = {"sqlite-normal": "normal", "sqlite-full": "full", "postgresql": None}
DEFAULT_STORE = "sqlite-normal"  # what the goal is about: SQLite as a laptop class gets it


@dataclass(frozen=True)
class Result:
    store: str
    writers: int
    events: int
    seconds: float
    latencies_ms: list[float]
    lost: list[str]
    all_rates: tuple[float, ...] = ()  # every run's rate, when this is the median of several

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    def row(self) -> str:
        return (
            f"| {self.store} | {self.writers} | {self.events} | {self.seconds:.2f} | {self.rate:,.0f} "
            f"| {statistics.median(self.latencies_ms):.2f} | {percentile(self.latencies_ms, 0.99):.2f} "
            f"| {max(self.latencies_ms):.1f} "
            f"| {', '.join(f'{rate:,.0f}' for rate in self.all_rates)} |"
        )


HEADER = (
    "| store (durability as configured) | writers | events | seconds | events/s | p50 ms | p99 ms | max ms "
    "| events/s of every run |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---|"
)


def writer(url: str, student: str, count: int, start: multiprocessing.synchronize.Barrier,
           results: multiprocessing.Queue) -> None:
    """One kernel: open the store once, then append ``count`` events, each acknowledged."""
    with open_store(url) as store:
        start.wait()
        latencies, acknowledged = [], []
        began = time.perf_counter()  # CLOCK_MONOTONIC: comparable across processes
        for n in range(count):
            data = {"answer": n, "correct": n % 3 == 0, "attempt": n + 1}
            event = Event(LESSON, student, ANSWERED, check_id="c", data=data)
            sent = time.perf_counter()
            acknowledged.append(store.append(event).uid)
            latencies.append((time.perf_counter() - sent) * 1000)
        results.put((began, time.perf_counter(), latencies, acknowledged))


def lost_events(url: str, acknowledged: list[str]) -> list[str]:
    """The check: which acknowledged events the store does not have (read afresh)."""
    with open_store(url) as store:
        stored = {event.uid for event in store.lesson_events(LESSON)}
    missing = [uid for uid in acknowledged if uid not in stored]
    return [f"{len(missing)} of {len(acknowledged)} acknowledged events are not in {url}"] if missing else []


def median_of(runs: int, label: str, url: str, writers: int, events: int) -> Result:
    """The run with the median rate: on a shared 2-core machine single runs vary by 2x."""
    results = sorted((measure(label, url, writers, events) for _ in range(runs)), key=lambda r: r.rate)
    middle = results[len(results) // 2]
    return replace(middle, all_rates=tuple(r.rate for r in results), lost=[p for r in results for p in r.lost])


def measure(label: str, url: str, writers: int, events: int) -> Result:
    with open_store(url):  # create the table before the clock starts
        pass
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
    seconds = max(end for _, end, *_ in outcomes) - min(began for began, *_ in outcomes)
    return Result(label, writers, writers * events, seconds, [ms for *_, lat, _ in outcomes for ms in lat],
                  lost_events(url, [uid for *_, uids in outcomes for uid in uids]))


@contextlib.contextmanager
def store_url(store: str) -> Iterator[tuple[str, str]]:
    """The URL of a new, empty store of this kind, and the row's label saying its durability."""
    durability = STORES[store]
    if durability is not None:
        with tempfile.TemporaryDirectory(prefix="lessonkit-bench-") as folder:
            url = f"sqlite:///{folder}/progress.sqlite?durability={durability}"
            with SqlEventStore(url) as opened:  # the label is what the store runs with, not what was asked
                label = f"SQLite, durability={opened.durability}"
            yield url, label
    else:
        from pg import (  # tests/pg.py (results.py puts tests/ on the path)
            create_database,
            temporary_postgres,
        )

        with temporary_postgres() as server:
            url = create_database(server)
            yield url, f"PostgreSQL, {postgres_settings(url)}"


def postgres_settings(url: str) -> str:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return ", ".join(f"{name}={conn.exec_driver_sql(f'SHOW {name}').scalar()}"
                             for name in ("synchronous_commit", "fsync"))
    finally:
        engine.dispose()


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--store", nargs="+", choices=list(STORES), default=list(STORES))
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--events", type=int, default=500, help="events per writer")
    parser.add_argument("--runs", type=int, default=3, help="runs per store; the median is reported")
    args = parser.parse_args()
    run = Run(TITLE)
    results = {}
    for store in args.store:
        with store_url(store) as (url, label):
            results[store] = median_of(args.runs, label, url, args.writers, args.events)
            print(results[store].row(), flush=True)
    lines = [
        f"{args.writers} writer processes, as a class of kernels, each appending {args.events} events one by "
        f"one, each committed before the next; the row is the run with the median rate of {args.runs}. "
        "SQLite `durability=normal` (the default) is WAL with `synchronous=NORMAL`: no fsync per commit, an "
        "acknowledged event survives a crash of any process, a power cut can lose the last commits; "
        "`durability=full` fsyncs every commit. PostgreSQL runs on a throw-away local server (tests/pg.py) "
        "with the settings its row shows. After every run, every acknowledged event was found in the store.",
        "",
        HEADER,
        *(result.row() for result in results.values()),
    ]
    if DEFAULT_STORE in results:
        rate = results[DEFAULT_STORE].rate
        lines += ["", f"Goal: {SQLITE_GOAL:,.0f} events/s on SQLite with its default durability: {rate:,.0f}/s, "
                      f"{'met' if rate >= SQLITE_GOAL else 'NOT met'}."]
    run.finish("\n".join(lines), [p for result in results.values() for p in result.lost],
               record=not args.no_record)


if __name__ == "__main__":
    main()
