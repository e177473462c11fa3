"""Import time of what a student kernel and the ``lessonkit`` command load, each in a fresh interpreter.

    python benchmarks/import_time.py                  # best of 7, results recorded
    python benchmarks/import_time.py --runs 3 --no-record

A student kernel imports lessonkit on every page load and every notebook run, so the
player must stay light: goals are 0.1 s for ``import lessonkit.player`` alone and 0.5 s for
everything ``lkp.start_notebook`` and ``lkp.start_page`` load.  ``lessonkit --help`` should feel instant:
0.2 s for the command's modules and its parser.  Each figure is the best of several runs
(other processes on a shared machine only ever make an import slower) and excludes the
interpreter's own start; for the kernel's imports it also excludes IPython and ipykernel,
which a kernel has loaded before it runs a cell (ipywidgets would otherwise seem to cost
the second IPython takes to import).  That nothing heavy (nbgrader, SQLAlchemy, nbformat...) is
loaded at all is a test, tests/test_layers.py; these are the figures.
Results go to benchmarks/RESULTS.md under "## Import time".
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from results import RESULTS, machine, write_section  # noqa: E402

TITLE = "Import time"


@dataclass(frozen=True)
class Case:
    name: str
    code: str  # what is timed, in a fresh interpreter
    goal: float  # seconds
    before: str = ""  # what that interpreter has loaded already, untimed


KERNEL = "import IPython, ipykernel.ipkernel"
CASES = (
    Case("`import lessonkit.player`, in a kernel", "import lessonkit, lessonkit.player", 0.1, KERNEL),
    Case("everything `lkp.start_notebook` and `lkp.start_page` load, in a kernel",
         "import lessonkit, lessonkit.player, lessonkit.format.blob, lessonkit.player.identity, "
         "lessonkit.player.session, lessonkit.player.widgets, lessonkit.player.pageview, lessonkit.progress", 0.5,
         KERNEL),
    Case("`lessonkit --help` (its modules and parser)", "import lessonkit.cli; lessonkit.cli.parser()", 0.2),
)

PROBE = """
import json, time
{before}
start = time.perf_counter()
{code}
print(json.dumps(time.perf_counter() - start))
"""


def seconds(case: Case) -> float:
    """One cold import, timed inside a fresh interpreter of this checkout."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    probe = PROBE.format(before=case.before, code=case.code)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters per case; the best is reported")
    parser.add_argument("--no-record", action="store_true", help=f"do not write {RESULTS.relative_to(REPO)}")
    args = parser.parse_args()

    where = machine()
    rows = ["| what is imported | best of runs | median | goal | |", "|---|---:|---:|---:|---|"]
    for case in CASES:
        times = sorted(seconds(case) for _ in range(args.runs))
        best, median = times[0], times[len(times) // 2]
        verdict = "met" if best <= case.goal else "MISSED"
        rows.append(f"| {case.name} | {best * 1000:.0f} ms | {median * 1000:.0f} ms | {case.goal * 1000:.0f} ms "
                    f"| {verdict} |")
    table = "\n".join(rows)
    print(where)
    print(table)
    if not args.no_record:
        write_section(TITLE, f"{where}. `python benchmarks/import_time.py --runs {args.runs}`: each import timed "
                      "inside a fresh interpreter (its start excluded); best and median of the runs.\n\n" + table)
        print(f"recorded in {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
