"""The figures of the class over time and of self-assessment, drawn as :mod:`lessonkit.report.plots`
draws the others (PNG data URIs, projector-sized type, alt text written from the same numbers).

Every figure sits beside a table of the same numbers in the report, so colour is never the
only way to read one: bars are labelled with their values, and the two colours used (blue
and orange) stay apart for the common colour-vision deficiencies.
"""

from __future__ import annotations

from lessonkit.report.plots import Figure, data_uri, new_figure
from lessonkit.report.stats import ClassReport

BLUE, ORANGE, GREY = "#1f5f99", "#b35900", "#c8c8c8"


def _whole_numbers(axis) -> None:  # type: ignore[no-untyped-def]
    """Ticks at whole numbers only: these axes count students and skills, and 0.5 of a student reads as a bug."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def mastery_per_day(report: ClassReport) -> Figure:
    days = report.trends.days
    figure = new_figure(max(6.0, 1.1 * len(days) + 3), 4.0)
    axes = figure.add_subplot()
    bars = axes.bar([d.day for d in days], [d.mastered for d in days], color=BLUE)
    axes.bar_label(bars, padding=3)
    axes.set_ylabel("skills first mastered")
    _whole_numbers(axes.yaxis)
    axes.set_ylim(0, max([d.mastered for d in days] + [1]) * 1.2)
    if len(days) > 6:
        axes.tick_params(axis="x", rotation=30)
    axes.spines[["top", "right"]].set_visible(False)
    title = "Skills mastered per day"
    axes.set_title(title)
    alt = "Bar chart of skills first mastered per day: " + "; ".join(f"{d.day} {d.mastered}" for d in days) + "."
    return Figure(title, alt, data_uri(figure))


def drop_off(report: ClassReport) -> Figure:
    """Per step, students who entered it (grey) and those who stopped there (orange), first step on top."""
    steps = list(reversed(report.trends.steps))
    figure = new_figure(9.0, max(2.5, 0.6 * len(steps) + 1.5))
    axes = figure.add_subplot()
    names = [s.step for s in steps]
    axes.barh(names, [s.entered for s in steps], color=GREY, label="entered the step")
    left = axes.barh(names, [s.left_here for s in steps], color=ORANGE, label="stopped here, not finished")
    axes.bar_label(left, labels=[str(s.left_here) if s.left_here else "" for s in steps], padding=4)
    axes.set_xlabel("students")
    _whole_numbers(axes.xaxis)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25 if len(steps) < 6 else -0.12), frameon=False, ncols=2)
    axes.spines[["top", "right"]].set_visible(False)
    title = "Where students leave the lesson"
    axes.set_title(title)
    stopped = [s for s in report.trends.steps if s.left_here]
    alt = (f"Bar chart per step of students who entered it and who stopped there: {report.trends.unfinished} "
           "students have not finished; " + ("; ".join(f"{s.left_here} stopped at {s.step}" for s in stopped)
                                             or "none stopped") + ".")
    return Figure(title, alt, data_uri(figure))


def choices(report: ClassReport) -> Figure:
    rows = [(f"{c.choice}: {o.label}", o.students) for c in report.trends.choices for o in c.options]
    rows.reverse()  # the first choice's options on top
    figure = new_figure(9.0, max(2.5, 0.6 * len(rows) + 1.5))
    axes = figure.add_subplot()
    bars = axes.barh([name for name, _ in rows], [n for _, n in rows], color=BLUE)
    axes.bar_label(bars, padding=4)
    axes.set_xlabel("students who picked it")
    _whole_numbers(axes.xaxis)
    axes.spines[["top", "right"]].set_visible(False)
    title = "Choices students made"
    axes.set_title(title)
    alt = "Bar chart of the options students picked: " + "; ".join(
        f"{c.choice} {o.label} by {o.students}" for c in report.trends.choices for o in c.options) + "."
    return Figure(title, alt, data_uri(figure))


def calibration(report: ClassReport) -> Figure:
    """Per confidence level, the chance of being right it claims beside the share really right."""
    levels = report.selfassessment.levels
    figure = new_figure(8.0, 4.2)
    axes = figure.add_subplot()
    x = range(len(levels))
    claimed = axes.bar([i - 0.2 for i in x], [100 * lv.claimed for lv in levels], width=0.4, color=GREY,
                       label="what the level claims")
    right = axes.bar([i + 0.2 for i in x], [100 * lv.share_right for lv in levels], width=0.4, color=BLUE,
                     label="really right")
    for bars in (claimed, right):
        axes.bar_label(bars, fmt="%.0f%%", padding=3)
    axes.set_xticks(list(x), [f"{lv.name}\n({lv.answers} answer{'s' if lv.answers != 1 else ''})" for lv in levels])
    axes.set_ylim(0, 112)
    axes.set_ylabel("answers right (%)")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), frameon=False, ncols=2)
    axes.spines[["top", "right"]].set_visible(False)
    title = "Confidence against correctness"
    axes.set_title(title)
    alt = "Bar chart of confidence against correctness: " + "; ".join(
        f"{lv.name}, claiming {100 * lv.claimed:.0f}%, right {lv.right} of {lv.answers} "
        f"({100 * lv.share_right:.0f}%)" for lv in levels) + "."
    return Figure(title, alt, data_uri(figure))


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
