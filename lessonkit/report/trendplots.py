"""The figures of the class over time and of self-assessment, drawn as :mod:`lessonkit.report.plots`
draws the others (inline SVG, projector-sized type, alt text written from the same numbers).

Every figure sits beside a table of the same numbers in the report, so colour is never the
only way to read one: bars are labelled with their values, and the two colours used (blue
and orange) stay apart for the common colour-vision deficiencies.
"""

from __future__ import annotations

from lessonkit.report.plots import BLUE, Figure
from lessonkit.report.stats import ClassReport
from lessonkit.report.svg import Series, columns_chart, rows_chart

#: Orange 5.4:1 on white; the grey of the bars it is drawn inside and beside is a background, not a text.
ORANGE, GREY = "#b35900", "#b8bec6"


def mastery_per_day(report: ClassReport) -> Figure:
    days = report.trends.days
    title = "Skills mastered per day"
    alt = "Bar chart of skills first mastered per day: " + "; ".join(f"{d.day} {d.mastered}" for d in days) + "."
    bars = Series("skills first mastered", BLUE, [d.mastered for d in days], [str(d.mastered) for d in days])
    return Figure(title, alt, columns_chart("days", title, alt, [d.day for d in days], [bars],
                                            axis="skills first mastered", top=max(d.mastered for d in days)))


def drop_off(report: ClassReport) -> Figure:
    """Per step, students who entered it (grey) and, inside it, those who stopped there (orange), first step on top."""
    steps = report.trends.steps
    title = "Where students leave the lesson"
    stopped = [s for s in steps if s.left_here]
    alt = (f"Bar chart per step of students who entered it and who stopped there: {report.trends.unfinished} "
           "students have not finished; " + ("; ".join(f"{s.left_here} stopped at {s.step}" for s in stopped)
                                             or "none stopped") + ".")
    entered = Series("entered the step", GREY, [s.entered for s in steps], [""] * len(steps))
    left = Series("stopped here, not finished", ORANGE, [s.left_here for s in steps],
                  [f"{s.left_here} stopped" if s.left_here else "" for s in steps])
    return Figure(title, alt, rows_chart("dropoff", title, alt, [s.step for s in steps], [entered, left],
                                         axis="students", top=max(s.entered for s in steps)))


def choices(report: ClassReport) -> Figure:
    picked = [(f"{c.choice}: {o.label}", o.students) for c in report.trends.choices for o in c.options]
    title = "Choices students made"
    alt = "Bar chart of the options students picked: " + "; ".join(
        f"{c.choice} {o.label} by {o.students}" for c in report.trends.choices for o in c.options) + "."
    bars = Series("students who picked it", BLUE, [n for _, n in picked], [str(n) for _, n in picked])
    return Figure(title, alt, rows_chart("choices", title, alt, [name for name, _ in picked], [bars],
                                         axis="students who picked it", top=max(n for _, n in picked)))


def calibration(report: ClassReport) -> Figure:
    """Per confidence level, the chance of being right it claims beside the share really right."""
    levels = report.selfassessment.levels
    title = "Confidence against correctness"
    alt = "Bar chart of confidence against correctness: " + "; ".join(
        f"{lv.name}, claiming {100 * lv.claimed:.0f}%, right {lv.right} of {lv.answers} "
        f"({100 * lv.share_right:.0f}%)" for lv in levels) + "."
    claimed = [100 * lv.claimed for lv in levels]
    right = [100 * lv.share_right for lv in levels]
    bars = [Series("what the level claims", GREY, claimed, [f"{v:.0f}%" for v in claimed]),
            Series("really right", BLUE, right, [f"{v:.0f}%" for v in right])]
    names = [f"{lv.name}\n({lv.answers} answer{'s' if lv.answers != 1 else ''})" for lv in levels]
    return Figure(title, alt, columns_chart("calibration", title, alt, names, bars, axis="answers right (%)",
                                            top=100, unit="%"))


def trend_figures(report: ClassReport) -> dict[str, Figure]:
    """The figures by name (``days``, ``dropoff``, ``choices``, ``calibration``); one with nothing
    to draw is left out."""
    out = {}
    if report.trends.days:
        out["days"] = mastery_per_day(report)
    if report.trends.unfinished:
        out["dropoff"] = drop_off(report)
    if report.trends.choices:
        out["choices"] = choices(report)
    if report.selfassessment.levels:
        out["calibration"] = calibration(report)
    return out
