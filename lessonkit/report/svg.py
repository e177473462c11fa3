"""Bar charts as inline SVG, written as text: the report's figures without a plotting library.

The report's charts are bars with labels, which is a few rectangles and texts; importing and
running matplotlib for them was about 2 s of a large class's 5 s report, and its PNGs were
pictures of text a screen reader cannot read.  Here the chart is part of the page: its labels
are real text (they scale on a projector, a search finds them), each bar carries its value in
a ``<title>`` (shown on hover, read by a screen reader), and the whole has the alt text as its
``<desc>``.  Every text sits on the white page in the report's ink, never on a bar, so its
contrast is the page's; the bars' colours stay apart for the common colour-vision deficiencies,
and every chart sits beside a table of the same numbers.

Text widths are estimated (no font is measured): :data:`CHAR_W` per character, generous for the
report's sans-serif, so that a label never runs into a bar.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

#: Large enough to read from the back of a classroom when projected (the title two points more).
FONT_SIZE = 16

#: The estimated width of one character at :data:`FONT_SIZE`, in pixels.
CHAR_W = 10.0

#: A label longer than this is cut, with "…": the full text is in the bar's title and the table.
LONGEST_LABEL = 36

INK, MUTED, RULE = "#1a1a1a", "#4a4a4a", "#d0d0d0"

#: The length of the value axis, in pixels: wide enough to compare bars, narrow enough for a laptop.
PLOT_LENGTH = 560

#: Rows (a horizontal chart) and columns (a vertical one): the thickness of a bar and the space it takes.
BAR, ROW, COLUMN = 22, 34, 44


@dataclass(frozen=True)
class Series:
    """One set of bars: ``values`` per category, ``texts`` printed at the bars' ends ("" for none)."""

    name: str  # the legend's words, and each bar's title
    colour: str
    values: Sequence[float]
    texts: Sequence[str]


def rows_chart(key: str, title: str, alt: str, categories: Sequence[str], series: Sequence[Series], *,
               axis: str, top: float, unit: str = "") -> str:
    """Horizontal bars, a row per category from the top.  A second series is drawn inside the first,
    thinner (a part of a whole: the students who stopped at a step among those who entered it); the
    row's texts follow its longest bar, so that none sits on a bar."""
    label_w = _width(max(categories, key=len, default=""))
    ticks = _ticks(top)
    scale = PLOT_LENGTH / ticks[-1]
    texts = [" \u00b7 ".join(s.texts[i] for s in series if s.texts[i]) for i in range(len(categories))]
    x0, y0 = label_w + 24, 44
    longest = max([x0 + max(s.values[i] for s in series) * scale + 8 + len(t) * CHAR_W
                   for i, t in enumerate(texts)], default=0)
    width = max(x0 + PLOT_LENGTH + 24, longest + 8, _width(title) * 1.15 + 16)
    plot_h = ROW * len(categories)
    parts = [_grid_lines(ticks, scale, unit, lambda p: (x0 + p, y0, x0 + p, y0 + plot_h),
                         lambda p: (x0 + p, y0 + plot_h + 20, "middle"))]
    for i, category in enumerate(categories):
        middle = y0 + ROW * i + ROW / 2
        parts.append(_text(x0 - 8, middle + 5, _cut(category), anchor="end"))
        for depth, s in enumerate(series):
            thick = BAR / (1 + depth)
            parts.append(_bar(x0, middle - thick / 2, s.values[i] * scale, thick, s, category, i, unit))
        if texts[i]:
            parts.append(_text(x0 + max(s.values[i] for s in series) * scale + 8, middle + 5, texts[i]))
    bottom = y0 + plot_h + 28
    parts.append(_text(x0 + PLOT_LENGTH / 2, bottom + 18, axis, anchor="middle", colour=MUTED))
    height = _legend(parts, series, x0, bottom + 32) + 8
    return _svg(key, title, alt, width, height, parts)


def columns_chart(key: str, title: str, alt: str, categories: Sequence[str], series: Sequence[Series], *,
                  axis: str, top: float, unit: str = "") -> str:
    """Vertical bars, a group per category from the left, the series side by side.  A category's
    label may have lines (``\\n``); more than six categories are written at a slant, so that
    dates do not overlap."""
    ticks = _ticks(top)
    plot_h = 260
    scale = plot_h / ticks[-1]
    tick_w = _width(f"{ticks[-1]}{unit}")
    x0, y0 = tick_w + 48, 64  # room for the ticks, the axis's name written upwards, and the top bar's value
    slant = len(categories) > 6
    lines = [c.split("\n") for c in categories]
    longest = max((len(_cut(line)) for c in lines for line in c), default=0)
    group = COLUMN * len(series) + 24 if slant else max(COLUMN * len(series), longest * CHAR_W) + 24
    under = (longest * CHAR_W * 0.6 + 24) if slant else 22 * max((len(c) for c in lines), default=1) + 8
    width = max(x0 + group * len(categories) + 16, _width(title) * 1.15 + 16)
    right = x0 + group * len(categories)
    parts = [_grid_lines(ticks, scale, unit, lambda p: (x0, y0 + plot_h - p, right, y0 + plot_h - p),
                         lambda p: (x0 - 8, y0 + plot_h - p + 5, "end"))]
    for i, category in enumerate(categories):
        left = x0 + group * i + (group - COLUMN * len(series)) / 2
        for j, s in enumerate(series):
            length = s.values[i] * scale
            x = left + COLUMN * j + (COLUMN - 34) / 2
            parts.append(_bar(x, y0 + plot_h - length, 34, length, s, category.replace("\n", " "), i, unit,
                              vertical=True))
            if s.texts[i]:
                parts.append(_text(x + 17, y0 + plot_h - length - 6, s.texts[i], anchor="middle"))
        centre = left + COLUMN * len(series) / 2
        if slant:
            parts.append(_text(centre, y0 + plot_h + 18, _cut(category), anchor="end", rotate=-35))
        else:
            parts.extend(_text(centre, y0 + plot_h + 22 * (n + 1), _cut(line), anchor="middle")
                         for n, line in enumerate(lines[i]))
    middle = y0 + plot_h / 2
    parts.append(_text(18, middle, axis, anchor="middle", colour=MUTED, rotate=-90))
    height = _legend(parts, series, x0, y0 + plot_h + under + 8) + 8
    return _svg(key, title, alt, width, height, parts)


def _svg(key: str, title: str, alt: str, width: float, height: float, parts: list[str]) -> str:
    """The chart: named by its title, described by the alt text (ids unique per chart in a page)."""
    ident = f"chart-{key}"
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'width="{width:.0f}" height="{height:.0f}" aria-labelledby="{ident}-title" aria-describedby="{ident}-desc" '
            f'font-family="system-ui, -apple-system, \'Segoe UI\', Roboto, sans-serif" font-size="{FONT_SIZE}">'
            f'<title id="{ident}-title">{escape(title)}</title><desc id="{ident}-desc">{escape(alt)}</desc>'
            f'<rect width="100%" height="100%" fill="#ffffff"/>'
            + _text(8, 24, title, colour=INK, bold=True) + "".join(parts) + "</svg>")


def _bar(x: float, y: float, w: float, h: float, s: Series, category: str, i: int, unit: str, *,
         vertical: bool = False) -> str:
    """One bar with its value in its title; a bar of nothing is left out (its text still says 0)."""
    if (h if vertical else w) <= 0:
        return ""
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{s.colour}">'
            f"<title>{escape(category)}, {escape(s.name)}: {_number(s.values[i])}{unit}</title></rect>")


def _grid_lines(ticks: Sequence[int], scale: float, unit: str, line: Callable[[float], tuple[float, float, float, float]],
                label: Callable[[float], tuple[float, float, str]]) -> str:
    """A rule and a number at each tick; ``line`` and ``label`` place them for the chart's direction."""
    out = []
    for v in ticks:
        x1, y1, x2, y2 = line(v * scale)
        colour = MUTED if v == 0 else RULE
        out.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}"/>')
        x, y, anchor = label(v * scale)
        out.append(_text(x, y, f"{v}{unit}", anchor=anchor, colour=MUTED))
    return "".join(out)


def _legend(parts: list[str], series: Sequence[Series], x: float, y: float) -> float:
    """A swatch and the name of each series, on one line, when there is more than one; returns
    where the chart ends."""
    if len(series) < 2:
        return y
    for s in series:
        parts.append(f'<rect x="{x:.1f}" y="{y + 4:.1f}" width="16" height="16" fill="{s.colour}"/>')
        parts.append(_text(x + 22, y + 18, s.name))
        x += 22 + _width(s.name) + 24
    return y + 26


def _ticks(top: float) -> list[int]:
    """Round numbers from 0 to at least ``top``, about five of them, whole: every axis counts students
    or answers, or is a percentage (half a student reads as a bug)."""
    raw = max(top, 1.0) / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = max(1, math.ceil(next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)))
    return [step * n for n in range(math.ceil(top / step - 1e-9) + 1)]


def _number(v: float) -> str:
    return f"{v:.0f}" if float(v).is_integer() else f"{v:.1f}"


def _cut(label: str) -> str:
    return label if len(label) <= LONGEST_LABEL else label[:LONGEST_LABEL - 1] + "\u2026"


def _width(text: str) -> float:
    return len(_cut(text)) * CHAR_W


def _text(x: float, y: float, text: str, *, anchor: str = "start", colour: str = INK, bold: bool = False,
          rotate: float = 0) -> str:
    """A text at (x, y), turned by ``rotate`` degrees about that point (a slanted date, an axis written upwards)."""
    weight = f' font-weight="600" font-size="{FONT_SIZE + 2}"' if bold else ""
    turn = f' transform="rotate({rotate:g} {x:.1f} {y:.1f})"' if rotate else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{colour}"{weight}{turn}>'
            f"{escape(text)}</text>")
