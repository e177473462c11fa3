"""The report's figures as PNG data URIs, drawn with matplotlib for a projector.

Each figure comes with its alt text, written from the same numbers, because a figure a
screen reader cannot describe is not in the report for that reader.  PNG rather than SVG:
an SVG embeds its fonts' glyphs as paths and grows with a class's size, a PNG does not.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass

from lessonkit.report.stats import DONE, ClassReport

#: Large enough to read from the back of a classroom when projected.
FONT_SIZE = 16


@dataclass(frozen=True)
class Figure:
    title: str
    alt: str
    src: str  # a data: URI, so the report opens with no network and no side files


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")  # no display on a server; set before pyplot is imported
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": FONT_SIZE, "axes.titlesize": FONT_SIZE + 2, "figure.dpi": 100})
    return plt


def _encoded(figure) -> str:  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    figure.clf()
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def mastery_heatmap(report: ClassReport) -> Figure:
    """P(learned) per student and skill; a skill not started is left blank (hatched), not zero."""
    plt = _pyplot()
    rows, cols = report.students, report.skills
    grid = [[math.nan if (p := report.grid[s][k].p) is None else p for k in cols] for s in rows]
    figure = plt.figure(figsize=(max(6.0, 1.8 * len(cols) + 3), max(3.0, 0.55 * len(rows) + 1.5)))
    axes = figure.add_subplot()
    axes.set_facecolor("#e6e6e6")
    image = axes.imshow(grid, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    axes.set_xticks(range(len(cols)), cols)
    axes.set_yticks(range(len(rows)), rows)
    for i in range(len(rows)):
        for j in range(len(cols)):
            value = grid[i][j]
            label = "\u2013" if math.isnan(value) else f"{value:.2f}"
            dark = not math.isnan(value) and value < 0.45  # where black on viridis falls under 4.5:1
            axes.text(j, i, label, ha="center", va="center", color="white" if dark else "black",
                      fontsize=FONT_SIZE - 2)
    figure.colorbar(image, ax=axes, label="P(learned)")
    axes.set_title("Mastery by student and skill")
    mastered = sum(c.status in DONE for row in report.grid.values() for c in row.values())
    alt = (f"Heat map of P(learned) for {len(rows)} students (rows) and {len(cols)} skills (columns): "
           f"{mastered} of {len(rows) * len(cols)} student-skill pairs mastered. The table below gives every value.")
    return Figure("Mastery by student and skill", alt, _encoded(figure))


def facility_bars(report: ClassReport) -> Figure:
    """Right-first-time per check, lowest first: the check that needs a look is on top."""
    plt = _pyplot()
    checks = sorted(report.checks, key=lambda c: c.first_attempt_facility, reverse=True)
    figure = plt.figure(figsize=(9.0, max(2.5, 0.7 * len(checks) + 1.5)))
    axes = figure.add_subplot()
    names = [c.check_id for c in checks]
    values = [100 * c.first_attempt_facility for c in checks]
    bars = axes.barh(names, values, color="#1f5f99")
    axes.bar_label(bars, labels=[f"{v:.0f}%" for v in values], padding=4)
    axes.set_xlim(0, 110)
    axes.set_xlabel("students right at the first attempt (%)")
    axes.set_title("First-attempt facility per check")
    axes.spines[["top", "right"]].set_visible(False)
    alt = "Bar chart of first-attempt facility: " + "; ".join(
        f"{c.check_id} {100 * c.first_attempt_facility:.0f}%" for c in reversed(checks)) + "."
    return Figure("First-attempt facility per check", alt, _encoded(figure))


def figures(report: ClassReport) -> dict[str, Figure]:
    """The report's figures by name (``heatmap``, ``facility``); a figure with nothing to draw is left out."""
    out = {}
    if report.students and report.skills:
        out["heatmap"] = mastery_heatmap(report)
    if report.checks:
        out["facility"] = facility_bars(report)
    return out
