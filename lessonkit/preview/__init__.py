"""Layer 6, the teacher's preview: what running a lesson source's ``lk.*`` cells shows.

Running an ``lk.check(...)`` cell shows the check as students get it (the player's own
widget, one variant drawn, another a click away), lets the teacher try answers and hints,
and shows the answer key in a panel labelled "teacher view"; the cell's problems are listed
under it in ``lessonkit validate``'s words.  An ``lk.branch(...)`` or ``lk.choose(...)`` cell
shows where students who answer in different ways go next, walked by the player's engine.
docs/authoring.md ("Preview while you write") is the teacher's guide.

Everything is imported when a call is first shown, never by ``import lessonkit``: a
student's kernel imports lessonkit too and must stay light.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ipywidgets as widgets

from lessonkit.preview.checks import CheckPreview
from lessonkit.preview.draft import Draft
from lessonkit.preview.outline import LessonPreview, StepPreview, failed, reflection_preview
from lessonkit.preview.routes import RoutePreview

__all__ = ["CheckPreview", "Draft", "RoutePreview", "draft", "preview", "shown"]

_draft: Draft | None = None
_shown: dict[str, widgets.Widget] = {}


def draft() -> Draft:
    """The lesson as run so far in this kernel (its files are in the working folder, where
    JupyterLab starts a notebook's kernel)."""
    global _draft
    if _draft is None:
        _draft = Draft(Path.cwd())
    return _draft


def shown(key: str) -> widgets.Widget:
    """The preview last shown for a check (by its id) or a step's branch or choice
    (``"step:<id>"``): for trying it from code, as its buttons do."""
    return _shown[key]


def preview(call: str, args: dict[str, Any]) -> widgets.Widget:
    """Record one ``lk.*`` call in the draft and return its preview widget.

    A preview never breaks running the notebook: if it cannot be made, it says why.
    """
    global _draft
    if call == "reflect":  # a prompt, not part of the lesson's structure: nothing to record or walk
        return reflection_preview(args)
    current = draft()
    if call == "lesson" and current.header is not None and current.header.get("id") != args.get("id"):
        _draft = current = Draft(current.folder)  # another lesson in the same kernel starts afresh
    key = current.record(call, args, _cell_id())
    try:
        lesson, problems, cells = current.read()
        here = [p for p in problems if p.where.cell_index == cells.get(key)]
        if call == "check":
            view: widgets.Widget = CheckPreview(lesson, str(args.get("id")), here, header_run=current.header is not None)
            _shown[str(args.get("id"))] = view
        elif call in ("branch", "choose"):
            step = current.step_id(key)
            view = RoutePreview(lesson, step, "branch" if call == "branch" else "choice", here)
            _shown[f"step:{step}"] = view
        elif call == "lesson":
            view = LessonPreview(lesson, args, here)
        else:
            view = StepPreview(args, here)
    except Exception as error:  # a preview is a help, never a reason the notebook stops running
        return failed(call, error)
    return view


def _cell_id() -> str | None:
    """The id of the notebook cell running now, which JupyterLab sends with each execution
    (``cellId`` in the request's metadata); None elsewhere (nbclient, a plain IPython)."""
    try:
        from IPython import get_ipython

        kernel = getattr(get_ipython(), "kernel", None)
        parent = kernel.get_parent() if kernel is not None else None
    except Exception:  # no kernel, or one without parent headers: the draft goes by run order
        return None
    cell = ((parent or {}).get("metadata") or {}).get("cellId")
    return cell if isinstance(cell, str) and cell else None
