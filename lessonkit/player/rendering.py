"""What the views render: the teacher's Markdown as safe HTML, feedback boxes, icons.

Options, feedback messages and hints are the teacher's Markdown (``*before*``, backticks,
``$x$``).  They are rendered here, in the kernel, rather than in the browser, because they
go into widgets whose labels are HTML (choice options, feedback, hints), not into notebook
outputs the front end renders.  mistune (a dependency of nbconvert, so already there) does
it with ``escape=True``: raw HTML in the text is shown as text, never parsed, and links with
a ``javascript:``, ``vbscript:``, ``file:`` or ``data:`` address are replaced by a dead one,
so a lesson cannot put script into a student's page through a hint.  Math is left as
``$...$`` for the front end's typesetter.

Icons are inline SVG: a page must draw them with no icon font and no network (a Unicode
hourglass is an empty box in many fonts), and an SVG marked ``aria-hidden`` leaves the
words beside it to screen readers.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Any

import ipywidgets as widgets

__all__ = ["Readable", "icon", "markdown_html", "markdown_inline", "markdown_output", "points", "set_markdown", "status_html"]

# text on background, each pair above 7:1 (WCAG AAA for body text)
_TONES = {
    "right": ("#0b5a27", "#e8f5ec", "check", "Correct"),
    "wrong": ("#8a1111", "#fdeeee", "cross", "Not yet"),
    "pending": ("#5a4300", "#fff5d6", "hourglass", "Decided at grading"),
    "info": ("#1d3557", "#edf2f8", "pencil", "Not checked"),
}

# 16x16 outlines drawn with the current text colour (so they keep the text's contrast)
_PATHS = {
    "check": '<path d="M2.5 8.5l3.5 3.5 7.5-8" fill="none" stroke="currentColor" stroke-width="2.2"/>',
    "cross": '<path d="M3.5 3.5l9 9M12.5 3.5l-9 9" fill="none" stroke="currentColor" stroke-width="2.2"/>',
    "hourglass": '<path d="M4 1.5h8M4 14.5h8M5 1.5c0 4 6 4 6 6.5s-6 2.5-6 6.5M11 1.5c0 4-6 4-6 6.5s6 2.5 6 6.5" '
                 'fill="none" stroke="currentColor" stroke-width="1.6"/>',
    "pencil": '<path d="M2.5 13.5l1-3.5 7.5-7.5 2.5 2.5-7.5 7.5zM9.5 4l2.5 2.5" fill="none" stroke="currentColor" '
              'stroke-width="1.6"/>',
    "flag": '<path d="M3.5 15V1.5M3.5 2h9l-2 3 2 3h-9" fill="none" stroke="currentColor" stroke-width="1.6"/>',
    "arrow-left": '<path d="M13.5 8h-11M6.5 4l-4 4 4 4" fill="none" stroke="currentColor" stroke-width="2"/>',
    "arrow-right": '<path d="M2.5 8h11M9.5 4l4 4-4 4" fill="none" stroke="currentColor" stroke-width="2"/>',
    "dot": '<circle cx="8" cy="8" r="4" fill="currentColor"/>',
    "circle": '<circle cx="8" cy="8" r="4.5" fill="none" stroke="currentColor" stroke-width="1.6"/>',
    "clock": '<circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" stroke-width="1.6"/>'
             '<path d="M8 4v4.5l3 2" fill="none" stroke="currentColor" stroke-width="1.6"/>',
}


def icon(name: str) -> str:
    """An inline SVG icon, hidden from screen readers (the words beside it say what it means)."""
    return (f'<svg class="lessonkit-icon" aria-hidden="true" focusable="false" width="1em" height="1em" '
            f'viewBox="0 0 16 16" style="vertical-align:-0.125em">{_PATHS[name]}</svg>')


@lru_cache(maxsize=1)
def _renderer() -> Any:
    import mistune

    return mistune.create_markdown(escape=True, plugins=["strikethrough", "table"])


def markdown_html(text: str) -> str:
    """The teacher's Markdown as HTML that cannot carry script (see the module doc)."""
    return str(_renderer()(text or "")).strip()


_ONE_PARAGRAPH = re.compile(r"^<p>((?:(?!</?p>).)*)</p>$", re.S)


def markdown_inline(text: str) -> str:
    """Markdown for a label or a sentence inside a box: a lone paragraph loses its ``<p>``."""
    rendered = markdown_html(text)
    single = _ONE_PARAGRAPH.match(rendered)
    return single.group(1) if single else rendered


def markdown_output(text: str) -> widgets.Output:
    """Markdown (with math) rendered by the front end exactly as a notebook cell is: for a
    prompt or a block of the lesson, which a notebook viewer should show as the cell does."""
    out = widgets.Output()
    set_markdown(out, text)
    return out


def set_markdown(out: widgets.Output, text: str) -> None:
    out.outputs = ({"output_type": "display_data", "metadata": {},
                    "data": {"text/markdown": text, "text/plain": text}},)


def status_html(tone: str, message: str, details: tuple[str, ...] = (), extra: str = "") -> str:
    """One feedback box: an icon and a word first (never colour alone), then the message and
    details (the teacher's Markdown), then ``extra`` (lessonkit's own words, plain text)."""
    colour, background, symbol, word = _TONES[tone]
    text = "" if message.strip().rstrip("!.") == word else markdown_inline(message)
    listed = "".join(f"<li>{markdown_inline(d)}</li>" for d in details)
    return (f'<div class="lessonkit-status lessonkit-status-{tone}" role="status" aria-live="polite" '
            f'style="color:{colour};background:{background};border-left:4px solid {colour};padding:6px 10px;'
            f'margin:4px 0">'
            f'<b>{icon(symbol)} {word}.</b> {text}'
            + (f'<ul style="margin:4px 0">{listed}</ul>' if listed else "")
            + (f"<div>{html.escape(extra)}</div>" if extra else "") + "</div>")


def points(value: float) -> str:
    return f"{value:g} point{'' if value == 1 else 's'}"


class Readable:
    """Adds a Markdown and plain-text form to a widget's display data, for front ends that
    cannot render widgets (nbconvert, notebook viewers)."""

    def readable(self) -> str:  # pragma: no cover - every view overrides it
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        # not ipywidgets' own: it builds the repr of every widget in the tree (a fifth of a page
        # kernel's work after its student's request) only to cut it at 110 characters, and the
        # readable text replaces it anyway
        text = self.readable()
        return {"application/vnd.jupyter.widget-view+json": {"version_major": 2, "version_minor": 0,
                                                             "model_id": self._model_id},  # type: ignore[attr-defined]
                "text/markdown": text, "text/plain": text}
