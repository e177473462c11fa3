"""Click-to-feedback latency of a check, in-process: Check pressed to feedback shown.

    python benchmarks/check_latency.py            # prints a table, updates benchmarks/RESULTS.md

What a student waits for after pressing Check on a choice or numeric check: the widget
reads the answer, the session judges it against the sealed item (one salted PBKDF2 hash,
deliberately slow, see ``lessonkit.engine.sealing``), updates mastery, looks for flags,
appends the events durably (fsync) and the view draws the feedback.  Measured through the
real widgets (``CheckView.check_button.click()``) on ``lessons/fractions``, in both modes:
a page writing to a SQLite store and a notebook writing its JSON-lines log.  Answers cycle
through right and wrong ones; every 40 answers a new student starts, so histories stay the
size of a real lesson's.  Goal: p95 at most 30 ms.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from results import machine, write_section

from lessonkit.engine.seal import seal_lesson
from lessonkit.engine.kinds import get_kind
from lessonkit.engine.sealing import clear_cache
from lessonkit.format.reader import read_lesson
from lessonkit.player.identity import Identity
from lessonkit.player.session import Session
from lessonkit.player.widgets import CheckView
from lessonkit.progress import JsonlLog, open_store

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "lessons" / "fractions" / "fractions.ipynb"
CLICKS = 400
PER_STUDENT = 40
GOAL_MS = 30.0
#: check id -> answers a student types or picks, right and wrong, cycled through
ANSWERS = {
    "which-equal": [0, 2, 1, 0],  # single choice (option indices)
    "common-denominators": [[1, 3, 4], [0, 1], [2]],  # multiple choice
    "add-sevenths": ["5/7", "0.5", "0.714", "abc"],  # numeric, one item ("abc" is unreadable)
    "unlike-practice": ["0.5", "1/3", "0.25"],  # numeric with variants: wrong answers draw new items
}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(sealed: dict, check_id: str, mode: str, folder: Path) -> list[float]:
    """Milliseconds from Check pressed to feedback drawn, for CLICKS presses."""
    answers = ANSWERS[check_id]
    store = open_store(str(folder / "progress.sqlite")) if mode == "page" else None
    timings: list[float] = []
    for n in range(CLICKS):
        if n % PER_STUDENT == 0:
            student = Identity(f"{mode}-{check_id}-{n}", "header")
            log = store if store is not None else JsonlLog(folder / f"{student.student_id}.progress.jsonl")
            session = Session(sealed, student, log, mode="page" if store is not None else "notebook")
            session.start()
            view = CheckView(session, check_id)
        view.set_answer(answers[n % len(answers)])
        clear_cache()  # answers repeat here; a student's rarely do: hash every one
        start = time.perf_counter()
        view.check_button.click()
        timings.append((time.perf_counter() - start) * 1000)
        assert view.feedback.value
    return timings


def judge_only(sealed: dict, check_id: str) -> float:
    """Median milliseconds of the kind's judge alone (the sealed-hash comparison)."""
    check = sealed["checks"][check_id]
    kind, item = get_kind(check["kind"]), check["items"][0]
    times = []
    for n in range(50):
        clear_cache()
        start = time.perf_counter()
        kind.judge(item, ANSWERS[check_id][n % len(ANSWERS[check_id])])
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    context = machine()
    sealed = seal_lesson(read_lesson(LESSON))
    rows, worst = [], 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for mode, store in (("page", "SQLite store"), ("notebook", "JSON-lines log")):
            for check_id in ANSWERS:
                folder = Path(tmp) / f"{mode}-{check_id}"
                folder.mkdir()
                timings = measure(sealed, check_id, mode, folder)
                p50, p95, p99 = (_pct(timings, q) for q in (0.5, 0.95, 0.99))
                worst = max(worst, p95)
                kind = sealed["checks"][check_id]["kind"]
                rows.append(f"| {mode} ({store}) | `{check_id}` ({kind}) | {len(timings)} | {p50:.1f} | {p95:.1f} | "
                            f"{p99:.1f} | {max(timings):.1f} | {judge_only(sealed, check_id):.1f} |")
                print(rows[-1], flush=True)
    verdict = "met" if worst <= GOAL_MS else "NOT met"
    body = f"""{context}. `python benchmarks/check_latency.py`: {CLICKS} presses of Check per row through the real
widgets (`CheckView.check_button.click()`), answers cycling through right, wrong and unreadable ones, a new
student every {PER_STUDENT} presses; lesson `lessons/fractions`. Each press judges against the sealed item, updates
mastery, looks for flags, appends the events with an fsync and draws the feedback. "judge" is the kind's
`judge` alone (mostly the salted PBKDF2 hash that keeps answers out of the student's reach).

| mode (events to) | check | presses | p50 ms | p95 ms | p99 ms | max ms | judge ms (p50) |
|---|---|---:|---:|---:|---:|---:|---:|
{chr(10).join(rows)}

Goal: p95 ≤ {GOAL_MS:.0f} ms: worst p95 {worst:.1f} ms, {verdict}."""
    write_section("Check latency", body)
    print(f"worst p95 {worst:.1f} ms: goal {verdict}")


if __name__ == "__main__":
    main()
