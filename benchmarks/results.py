"""Shared by every benchmark: what machine this is, and writing one section of RESULTS.md.

Each benchmark owns one ``## `` section of benchmarks/RESULTS.md and replaces only that
section, so benchmarks can be rerun one at a time.
"""

from __future__ import annotations

import datetime
import os
import platform
import re
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


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
    return (f"{datetime.date.today().isoformat()}, {os.cpu_count()} cores ({cpu_model()}), "
            f"Python {platform.python_version()}, load average {load:.1f} at the start")


def _pattern(title: str) -> re.Pattern[str]:
    return re.compile(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", re.S | re.M)


def read_section(title: str) -> str:
    """The body of the ``## title`` section ("" when there is none), for a benchmark that
    keeps a history of its runs."""
    found = _pattern(title).search(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else None
    return found.group(1).strip() if found else ""


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
