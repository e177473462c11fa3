"""Click-to-feedback latency of a check, in-process: Check pressed to feedback shown.

    python benchmarks/check_latency.py            # the documented run; updates benchmarks/RESULTS.md
    python benchmarks/check_latency.py --presses 40 --no-record

What a student waits for after pressing Check on a choice or numeric check: the widget
reads the answer, the session judges it against the sealed item (one salted PBKDF2 hash,
deliberately slow, see ``lessonkit.engine.sealing``), updates mastery, looks for flags,
appends the events and the view draws the feedback.  Measured through the real widgets
(``CheckView.check_button.click()``) on ``lessons/fractions``, in both modes, with each
store as it can be configured: a page writing to a SQLite store with each durability
(``normal``, the default: committed to the WAL without an fsync; ``full``: an fsync per
commit) and a notebook writing its JSON-lines log (an fsync per append).  Answers cycle
through right and wrong ones; every 40 answers a new student starts, so histories stay the
size of a real lesson's.  Goal: p95 at most 30 ms.

The check: after each row, the events are read back from the store or the logs afresh;
every answer the sessions were acknowledged must be there, and among them right and wrong
ones judged so, or the run records nothing and fails.
"""

from __future__ import annotations

import re
import statistics
import tempfile
import time
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

from results import REPO, Run, arguments, percentile

from lessonkit.engine.kinds import get_kind
from lessonkit.engine.seal import seal_lesson
from lessonkit.engine.sealing import clear_cache
from lessonkit.format.reader import read_lesson
from lessonkit.player.identity import Identity
from lessonkit.player.session import Session
from lessonkit.player.widgets import CheckView
from lessonkit.progress import ANSWERED, Event, EventStore, JsonlLog, open_store

TITLE = "Check latency"
LESSON = REPO / "lessons" / "fractions" / "fractions.ipynb"
GOAL_MS = 30.0
FRACTION = re.compile(r"\\frac\{(\d+)\}\{(\d+)\}")


def sum_in_prompt(item: Mapping[str, Any]) -> str:
    """The right answer to a variant of "a/b + 1/c": the item is drawn when the student
    starts or answers wrong, so a fixed answer would be right only by luck."""
    return str(sum(Fraction(int(top), int(bottom)) for top, bottom in FRACTION.findall(item["prompt"])))


#: check id -> answers a student types or picks, right and wrong, cycled through; a function
#: gives the answer to the item the student sees
ANSWERS: dict[str, list[Any]] = {
    "which-equal": [0, 2, 1, 0],  # single choice (option indices)
    "common-denominators": [[1, 3, 4], [0, 1], [2]],  # multiple choice
    "add-sevenths": ["5/7", "0.5", "0.714", "abc"],  # numeric, one item ("abc" is unreadable)
    "unlike-practice": [sum_in_prompt, "1/3", "0.25"],  # numeric with variants: wrong answers draw new items
}
#: row label -> the store a row's sessions write to: a SQLite URL's durability, or None for
#: a notebook's JSON-lines log per student
STORES = {
    "page (SQLite store, durability=normal)": "normal",
    "page (SQLite store, durability=full)": "full",
    "notebook (JSON-lines log, fsync per append)": None,
}


def sqlite_url(folder: Path, durability: str) -> str:
    return f"sqlite:///{folder}/progress.sqlite?durability={durability}"


def read_back(folder: Path, durability: str | None, lesson_id: str) -> list[Event]:
    """Every event of a row, read afresh from its SQLite store or its students' logs."""
    if durability:
        with open_store(sqlite_url(folder, durability)) as store:
            return list(store.lesson_events(lesson_id))
    return [event for path in sorted(folder.glob("*.jsonl")) for event in JsonlLog(path).read().events]


def measure(sealed: dict, check_id: str, folder: Path, durability: str | None, presses: int,
            per_student: int) -> tuple[list[float], list[str]]:
    """Milliseconds from Check pressed to feedback drawn, for ``presses`` presses; and what
    the check found wrong.  A page's students share one store, as a server's do; a notebook's
    student has a log of their own."""
    answers = ANSWERS[check_id]
    timings: list[float] = []
    sessions: list[Session] = []
    stores: list[EventStore] = [open_store(sqlite_url(folder, durability))] if durability else []
    try:
        for n in range(presses):
            if n % per_student == 0:
                student = Identity(f"{check_id}-{n}", "header")
                if not durability:
                    stores.append(JsonlLog(folder / f"{student.student_id}.progress.jsonl"))
                sessions.append(Session(sealed, student, stores[-1], mode="page" if durability else "notebook"))
                sessions[-1].start()
                view = CheckView(sessions[-1], check_id)
            given = answers[n % len(answers)]
            view.set_answer(given(sessions[-1].item(check_id)[1]) if callable(given) else given)
            clear_cache()  # answers repeat here; a student's rarely do: hash every one
            start = time.perf_counter()
            view.check_button.click()
            timings.append((time.perf_counter() - start) * 1000)
            if not view.feedback.value:
                raise SystemExit(f"{check_id}: no feedback drawn for answer {n}")
    finally:
        for store in stores:
            store.close()
    acknowledged = [event for session in sessions for event in session.events]
    return timings, recorded_problems(check_id, acknowledged, read_back(folder, durability, sealed["id"]))


def recorded_problems(check_id: str, acknowledged: list[Event], stored: list[Event]) -> list[str]:
    """The check: each acknowledged answer is stored, and the judge told right from wrong."""
    answered = [event for event in acknowledged if event.type == ANSWERED]
    kept = {event.uid for event in stored}
    missing = sum(event.uid not in kept for event in answered)
    problems = [f"{check_id}: {missing} of {len(answered)} acknowledged answers are not in the store"] if missing else []
    verdicts = {event.data["correct"] for event in stored if event.type == ANSWERED}
    problems += [f"{check_id}: no answer was judged {'right' if wanted else 'wrong'}"
                 for wanted in (True, False) if wanted not in verdicts]
    return problems


def judge_only(sealed: dict, check_id: str) -> float:
    """Median milliseconds of the kind's judge alone (the sealed-hash comparison)."""
    check = sealed["checks"][check_id]
    kind, item, answers = get_kind(check["kind"]), check["items"][0], ANSWERS[check_id]
    times = []
    for n in range(50):
        given = answers[n % len(answers)]
        clear_cache()
        start = time.perf_counter()
        kind.judge(item, given(item) if callable(given) else given)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--presses", type=int, default=400, help="presses of Check per row")
    parser.add_argument("--per-student", type=int, default=40, help="presses before a new student starts")
    args = parser.parse_args()
    run = Run(TITLE)
    sealed = seal_lesson(read_lesson(LESSON))
    rows, problems, worst = [], [], 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for label, durability in STORES.items():
            for check_id in ANSWERS:
                folder = Path(tmp) / f"{durability}-{check_id}"
                folder.mkdir()
                timings, wrong = measure(sealed, check_id, folder, durability, args.presses, args.per_student)
                problems += wrong
                p50, p95, p99 = (percentile(timings, q) for q in (0.5, 0.95, 0.99))
                worst = max(worst, p95)
                kind = sealed["checks"][check_id]["kind"]
                rows.append(f"| {label} | `{check_id}` ({kind}) | {len(timings)} | {p50:.1f} | {p95:.1f} | "
                            f"{p99:.1f} | {max(timings):.1f} | {judge_only(sealed, check_id):.1f} |")
                print(rows[-1], flush=True)
    verdict = "met" if worst <= GOAL_MS else "NOT met"
    body = f"""{args.presses} presses of Check per row through the real widgets
(`CheckView.check_button.click()`), answers cycling through right, wrong and unreadable ones, a new
student every {args.per_student} presses; lesson `lessons/fractions`. Each press judges against the sealed
item, updates mastery, looks for flags, appends the events and draws the feedback. How durable the append
is, is the row's store setting: SQLite `durability=normal` (the default) commits to the write-ahead log
without an fsync (survives a crash of the process, a power cut can lose the last commits),
`durability=full` fsyncs every commit, the JSON-lines log fsyncs every append. "judge" is the kind's
`judge` alone (mostly the salted PBKDF2 hash that keeps answers out of the student's reach). Every
acknowledged answer was read back from its store afterwards.

| mode (events to) | check | presses | p50 ms | p95 ms | p99 ms | max ms | judge ms (p50) |
|---|---|---:|---:|---:|---:|---:|---:|
{chr(10).join(rows)}

Goal: p95 ≤ {GOAL_MS:.0f} ms: worst p95 {worst:.1f} ms, {verdict}."""
    run.finish(body, problems, record=not args.no_record)


if __name__ == "__main__":
    main()
