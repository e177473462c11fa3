"""The report's figures as PNG data URIs, drawn with matplotlib for a projector, and the
mastery heat map, which is a coloured table and so an HTML one (:class:`HeatMap`).

Each figure comes with its alt text, written from the same numbers, because a figure a
screen reader cannot describe is not in the report for that reader.  PNG rather than SVG:
an SVG embeds its fonts' glyphs as paths and grows with a class's size, a PNG does not.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

from lessonkit.report.stats import DONE, ClassReport

#: Large enough to read from the back of a classroom when projected.
FONT_SIZE = 16

#: Up to this many students the heat map names each row and prints each value; a larger
#: class is shown as a picture of the whole class (thin unlabelled rows sorted by mastery),
#: because 1,000 row labels are unreadable on any screen and the table above gives every value.
LABELLED_ROWS = 40

#: Resolution of the PNGs: sharp on a projector, small enough to keep the file light.
DPI = 90


@dataclass(frozen=True, slots=True)
class HeatCell:
    shade: int | None  # P(learned) in tenths, the index into SHADES; None before any evidence
    text: str  # what the cell prints: the value in a labelled map, nothing in a whole class's
    title: str  # the student, the skill and the value, on hover and to a screen reader


@dataclass(frozen=True)
class HeatMap:
    """The mastery heat map as the HTML table the report prints (``heatmap.html.j2``)."""

    title: str
    about: str
    labelled: bool  # one named row per student with the values printed; else the class as a picture
    skills: tuple[str, ...]
    rows: tuple[tuple[str, tuple[HeatCell, ...]], ...]


#: The heat map's colours, viridis at P(learned) = 0, 0.1, ... 1 (dark to light, readable in grey
#: and by the common colour-vision deficiencies).  Text on the first five is white, on the others
#: black: each pair is at least 4.5:1.
SHADES = ("#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c", "#22a884", "#44bf70", "#7ad151",
          "#bddf26", "#fde725")


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


def mastery_heatmap(report: ClassReport) -> HeatMap:
    """P(learned) per student and skill as coloured cells; a skill not started is left blank
    (grey), not zero.  An HTML table rather than a picture: it is a coloured table, and drawing it
    with matplotlib was a good part of a second on a large class."""
    cols = report.skills
    rows = list(report.students)
    labelled = len(rows) <= LABELLED_ROWS
    if not labelled:  # the whole class at a glance: strongest on top
        rows.sort(key=lambda s: -sum(c.p or 0.0 for c in report.grid[s].values()))

    def cell(student: str, skill: str) -> HeatCell:
        p = report.grid[student][skill].p
        if p is None:
            return HeatCell(None, "\u2013" if labelled else "", f"{student}, {skill}: not started")
        return HeatCell(min(10, max(0, int(p * 10 + 0.5))), f"{p:.2f}" if labelled else "", f"{student}, {skill}: P(learned) = {p:.2f}")

    mastered = sum(c.status in DONE for row in report.grid.values() for c in row.values())
    about = (f"P(learned) for {len(rows)} students (rows{'' if labelled else ', strongest on top'}) and "
             f"{len(cols)} skills (columns), dark to light as P rises, grey where not started: {mastered} of "
             f"{len(rows) * len(cols)} student-skill pairs mastered.")
    return HeatMap("Mastery by student and skill", about, labelled, tuple(cols),
                   tuple((s, tuple(cell(s, k) for k in cols)) for s in rows))


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
    """The report's pictures by name (``facility``); one with nothing to draw is left out.  The heat
    map is a table (:func:`mastery_heatmap`)."""
    out = {}
    if report.checks:
        out["facility"] = facility_bars(report)
    return out
