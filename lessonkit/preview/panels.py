"""The pieces every preview shows: its title bar, the problems of its cell, the teacher's panel.

Colours and the status boxes follow the player's (``player.widgets.status_html``), so what the
teacher sees reads like what students get; the teacher's own panel is framed and labelled
"teacher view" so it is never mistaken for the student's page.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import replace

import ipywidgets as widgets

from lessonkit.model import Problem
from lessonkit.player.rendering import Readable  # the player's: a preview reads as the page does

__all__ = ["Readable", "problem_text", "problems_html", "teacher_frame", "title_html"]

_ACCENT = "#1d3557"


def title_html(what: str, name: str, details: Iterable[str] = ()) -> str:
    extra = " &middot; ".join(html.escape(d) for d in details if d)
    return (f'<div style="color:{_ACCENT};border-bottom:2px solid {_ACCENT};padding:2px 0;margin-bottom:4px">'
            f"<b>lessonkit {html.escape(what)}</b> <code>{html.escape(name)}</code>"
            + (f' <span style="font-size:90%">&middot; {extra}</span>' if extra else "") + "</div>")


def problem_text(problem: Problem) -> str:
    """A problem as ``lessonkit validate`` words it, without the file and cell (it is shown
    under the cell it is about): "check 'x', field 'hint': ... (did you mean 'hints'? ...)"."""
    where = str(replace(problem.where, path="", cell_index=None, cell_id=None)).removeprefix("<lesson>, ")
    text = f"{where}: {problem.message}" if where and where != "<lesson>" else problem.message
    return text + (f" ({problem.hint})" if problem.hint else "")


def problems_html(problems: Sequence[Problem]) -> str:
    """The problems of one cell, one item each, errors before warnings."""
    if not problems:
        return ""
    ordered = sorted(problems, key=lambda p: p.severity != "error")
    errors = sum(p.severity == "error" for p in problems)
    head = (f"{errors} problem{'' if errors == 1 else 's'} to fix before this lesson builds" if errors
            else "worth a look (the lesson still builds)")
    items = "".join(f"<li><b>{'error' if p.severity == 'error' else 'warning'}:</b> {html.escape(problem_text(p))}</li>"
                    for p in ordered)
    colour, background = ("#8a1111", "#fdeeee") if errors else ("#5a4300", "#fff5d6")
    return (f'<div role="alert" style="color:{colour};background:{background};border-left:4px solid {colour};'
            f'padding:6px 10px;margin:4px 0"><b>\u26a0 {head}:</b><ul style="margin:4px 0">{items}</ul></div>')


def teacher_frame(children: Sequence[widgets.Widget]) -> widgets.VBox:
    """The teacher's panel: dashed, labelled, apart from what the student sees."""
    label = widgets.HTML(f'<div style="color:{_ACCENT};font-size:90%"><b>Teacher view</b> '
                         "(students never see this panel)</div>")
    box = widgets.VBox([label, *children], layout=widgets.Layout(border=f"1px dashed {_ACCENT}", padding="4px 10px",
                                                                margin="8px 0 0 0"))
    box.add_class("lessonkit-teacher-view")
    return box


