"""The report's figures as inline SVG bar charts (:mod:`lessonkit.report.svg`), and the mastery
heat map, which is a coloured table and so an HTML one (:class:`HeatMap`).

Each figure comes with its alt text, written from the same numbers, because a figure a
screen reader cannot describe is not in the report for that reader.
"""

from __future__ import annotations

from dataclasses import dataclass

from lessonkit.report.stats import DONE, ClassReport
from lessonkit.report.svg import Series, rows_chart

#: Up to this many students the heat map names each row and prints each value; a larger
#: class is shown as a picture of the whole class (thin unlabelled rows sorted by mastery),
#: because 1,000 row labels are unreadable on any screen and the table above gives every value.
LABELLED_ROWS = 40


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


#: The bars' colour: 6.9:1 on white, apart from the orange of :mod:`lessonkit.report.trendplots`
#: for the common colour-vision deficiencies.
BLUE = "#1f5f99"

#: The heat map's colours, viridis at P(learned) = 0, 0.1, ... 1 (dark to light, readable in grey
#: and by the common colour-vision deficiencies).  Text on the first five is white, on the others
#: black: each pair is at least 4.5:1.
SHADES = ("#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c", "#22a884", "#44bf70", "#7ad151",
          "#bddf26", "#fde725")


@dataclass(frozen=True)
class Figure:
    title: str
    alt: str
    svg: str  # the chart's markup, every text in it escaped: the page holds it, so it loads nothing


def mastery_heatmap(report: ClassReport) -> HeatMap:
    """P(learned) per student and skill as coloured cells; a skill not started is left blank
    (grey), not zero.  An HTML table rather than a picture: it is a coloured table, and drawing it
    was a good part of a second on a large class."""
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
    checks = sorted(report.checks, key=lambda c: c.first_attempt_facility)
    values = [100 * c.first_attempt_facility for c in checks]
    title = "First-attempt facility per check"
    alt = "Bar chart of first-attempt facility: " + "; ".join(
        f"{c.check_id} {100 * c.first_attempt_facility:.0f}%" for c in checks) + "."
    bars = Series("right at the first attempt", BLUE, values, [f"{v:.0f}%" for v in values])
    return Figure(title, alt, rows_chart("facility", title, alt, [c.check_id for c in checks], [bars],
                                         axis="students right at the first attempt (%)", top=100, unit="%"))


def figures(report: ClassReport) -> dict[str, Figure]:
    """The report's pictures by name (``facility``); one with nothing to draw is left out.  The heat
    map is a table (:func:`mastery_heatmap`)."""
    out = {}
    if report.checks:
        out["facility"] = facility_bars(report)
    return out
