"""Shared by every benchmark: its options, what machine this is, and writing its section of RESULTS.md.

Each benchmark owns one ``## `` section of benchmarks/RESULTS.md and replaces only that
section, so benchmarks can be rerun one at a time.  A section is written only by a run
whose correctness check passed: a figure from a wrong run is not a figure, so such a run
leaves RESULTS.md as it was and exits non-zero.

Importing this module puts this checkout first on ``sys.path``, so that a benchmark
measures this checkout's lessonkit even where another copy is installed, and the tests'
folder last, so that the tests' helpers (tests/pg.py, which imports its sibling
``system`` by bare name as it is under pytest) work from a benchmark too.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("RESULTS.md")

sys.path.insert(0, str(REPO))
if str(REPO / "tests") not in sys.path:
    sys.path.append(str(REPO / "tests"))


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> str:
    """One line that says when and on what a figure was measured."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    now = datetime.datetime.now(datetime.timezone.utc)
    return (f"{now:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores ({cpu_model()}), "
            f"Python {platform.python_version()}, load average {load:.1f} at the start")


def invocation() -> str:
    """The command line of this run, as RESULTS.md shows it: how to get the figures again."""
    script = os.path.relpath(Path(sys.argv[0]).resolve(), REPO)
    return shlex.join(["python", script, *(arg for arg in sys.argv[1:] if arg != "--no-record")])


def arguments(doc: str) -> argparse.ArgumentParser:
    """A benchmark's option parser: ``doc`` (its module docstring) is the help, whose first
    lines show the full invocation; every benchmark can be told not to record."""
    summary, _, details = doc.partition("\n\n")
    parser = argparse.ArgumentParser(description=summary, epilog=details,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-record", action="store_true",
                        help=f"print only; leave {os.path.relpath(RESULTS, REPO)} alone")
    return parser


def percentile(values: list[float], fraction: float) -> float:
    """The value at ``fraction`` of the sorted ``values`` (nearest rank; 0.5 is a median)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@dataclass
class Run:
    """One run of a benchmark, begun when made: the machine line's load is the one before the run."""

    title: str
    started: str = field(default_factory=machine)
    command: str = field(default_factory=invocation)

    def finish(self, body: str, problems: list[str], *, record: bool) -> None:
        """Print the section and write it to RESULTS.md when ``record``; when the run's check
        found ``problems``, say them and exit non-zero instead, writing nothing."""
        section = f"{self.started}. `{self.command}`: {body.strip()}"
        print(f"## {self.title}\n\n{section}\n", flush=True)
        if problems:
            raise SystemExit(f"{self.title}: the run is wrong, RESULTS.md left alone:\n"
                             + "\n".join(f"- {problem}" for problem in problems))
        if record:
            write_section(self.title, section)
            print(f"recorded in {os.path.relpath(RESULTS, REPO)}")


def _pattern(title: str) -> re.Pattern[str]:
    return re.compile(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", re.S | re.M)


def write_section(title: str, body: str) -> None:
    """Replace the ``## title`` section of RESULTS.md with ``body`` (other sections stay)."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmarks\n"
    section = f"## {title}\n\n{body.strip()}\n"
    pattern = _pattern(title)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1)
    else:
        text = text.rstrip() + "\n\n" + section
    RESULTS.write_text(text.rstrip() + "\n", encoding="utf-8")
