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

#: Up to this many students the heat map names each row and prints each value; a larger
#: class is drawn as a picture of the whole class (rows sorted by mastery), because 1,000
#: row labels are unreadable on any screen and the table above gives every value anyway.
LABELLED_ROWS = 40

#: Resolution of the PNGs: sharp on a projector, small enough to keep the file light.
DPI = 90


@dataclass(frozen=True)
class Figure:
    title: str
    alt: str
    src: str  # a data: URI, so the report opens with no network and no side files


def new_figure(width: float, height: float):  # type: ignore[no-untyped-def]
    """A figure drawn off screen.  matplotlib's object API rather than pyplot: pyplot's import and
    its registry of open figures (which a server must close) were a second of every report."""
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams.update({"font.size": FONT_SIZE, "axes.titlesize": FONT_SIZE + 2})
    return Figure(figsize=(width, height), dpi=DPI)


def data_uri(figure) -> str:  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def mastery_heatmap(report: ClassReport) -> Figure:
    """P(learned) per student and skill; a skill not started is left blank (grey), not zero."""
    cols = report.skills
    rows = list(report.students)
    labelled = len(rows) <= LABELLED_ROWS

    def p(student: str, skill: str) -> float:
        value = report.grid[student][skill].p
        return math.nan if value is None else value

    if not labelled:  # the whole class at a glance: strongest on top
        rows.sort(key=lambda s: -sum(0.0 if math.isnan(v := p(s, k)) else v for k in cols))
    grid = [[p(s, k) for k in cols] for s in rows]
    height = 0.55 * len(rows) + 1.5 if labelled else 7.0
    figure = new_figure(max(6.0, 1.8 * len(cols) + 3), max(3.0, height))
    axes = figure.add_subplot()
    axes.set_facecolor("#e6e6e6")
    image = axes.imshow(grid, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto", interpolation="nearest")
    axes.set_xticks(range(len(cols)), cols, rotation=30 if len(cols) > 6 else 0, ha="right" if len(cols) > 6 else "center")
    if labelled:
        axes.set_yticks(range(len(rows)), rows)
        for i in range(len(rows)):
            for j in range(len(cols)):
                value = grid[i][j]
                label = "\u2013" if math.isnan(value) else f"{value:.2f}"
                dark = not math.isnan(value) and value < 0.45  # where black on viridis falls under 4.5:1
                axes.text(j, i, label, ha="center", va="center", color="white" if dark else "black",
                          fontsize=FONT_SIZE - 2)
    else:
        axes.set_yticks([])
        axes.set_ylabel(f"{len(rows)} students, strongest on top")
    figure.colorbar(image, ax=axes, label="P(learned)")
    axes.set_title("Mastery by student and skill")
    mastered = sum(c.status in DONE for row in report.grid.values() for c in row.values())
    alt = (f"Heat map of P(learned) for {len(rows)} students (rows) and {len(cols)} skills (columns): "
           f"{mastered} of {len(rows) * len(cols)} student-skill pairs mastered. The table above gives every value.")
    return Figure("Mastery by student and skill", alt, data_uri(figure))


def facility_bars(report: ClassReport) -> Figure:
    """Right-first-time per check, lowest first: the check that needs a look is on top."""
    checks = sorted(report.checks, key=lambda c: c.first_attempt_facility, reverse=True)
    figure = new_figure(9.0, max(2.5, 0.7 * len(checks) + 1.5))
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
    return Figure("First-attempt facility per check", alt, data_uri(figure))


def figures(report: ClassReport) -> dict[str, Figure]:
    """The report's figures by name (``heatmap``, ``facility``); a figure with nothing to draw is left out."""
    out = {}
    if report.students and report.skills:
        out["heatmap"] = mastery_heatmap(report)
    if report.checks:
        out["facility"] = facility_bars(report)
    return out
