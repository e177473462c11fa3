"""The previews of the cells that shape a lesson: its ``lk.lesson`` header and each ``lk.step``.

They show what the reader understood (skills and their prerequisites, the mastery policy, a
step's kind) in words, with the cell's problems, instead of the call's arguments back.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets

from lessonkit.model import Lesson, Problem
from lessonkit.preview.panels import Readable, problem_text, problems_html, title_html

__all__ = ["LessonPreview", "StepPreview", "failed", "reflection_preview"]

_STEP_KINDS = {"content": "content", "check": "practice (checks)", "remediation": "remediation: another way in",
               "enrichment": "enrichment: a challenge", "review": "spaced review", "end": "the end of the lesson"}


class _Outline(Readable, widgets.VBox):
    def __init__(self, title: str, body: str, problems: list[Problem]) -> None:
        self.problems = problems
        self._text = body
        super().__init__([widgets.HTML(title), widgets.HTML(problems_html(problems)), widgets.HTML(body)])
        self.add_class("lessonkit-preview")

    def readable(self) -> str:
        text = html.unescape(re.sub(r"<[^>]+>", " ", self._text))
        return "\n".join([" ".join(text.split()), *(f"- {problem_text(p)}" for p in self.problems)])


class LessonPreview(_Outline):
    """The header: the lesson's title, its skills with prerequisites, and its mastery policy."""

    def __init__(self, lesson: Lesson | None, args: Mapping[str, Any], problems: list[Problem]) -> None:
        rows = ""
        policy = ""
        if lesson is not None:
            rows = "".join(f"<li><b>{html.escape(s.name or s.id)}</b> (<code>{html.escape(s.id)}</code>)"
                           + (f", needs {html.escape(', '.join(s.requires))}" if s.requires else "") + "</li>"
                           for s in lesson.skills.values())
            m = lesson.mastery
            policy = (f"<div>Mastered at P(learned) \u2265 {m.threshold:g} with at least {m.min_evidence} answers "
                      f"counted; after {m.max_items} items without mastery, remediation.</div>")
        body = (f"<div><b>{html.escape(str(args.get('title', '')))}</b> (version {html.escape(str(args.get('version', '1')))})"
                f"</div>" + (f"<div>Skills:</div><ul>{rows}</ul>" if rows else "") + policy)
        super().__init__(title_html("lesson", str(args.get("id", ""))), body, problems)


class StepPreview(_Outline):
    """A step: its kind in words and its title; the cells below it, to the next step, are its page."""

    def __init__(self, args: Mapping[str, Any], problems: list[Problem]) -> None:
        kind = str(args.get("kind", "content"))
        review = args.get("review") or []
        body = (f"<div>{html.escape(str(args.get('title') or ''))} &middot; {html.escape(_STEP_KINDS.get(kind, kind))}"
                + (f", reviewing {html.escape(', '.join(map(str, review)))}" if review else "")
                + "</div><div style='font-size:90%'>The cells below, up to the next step, are this step's page.</div>")
        super().__init__(title_html("step", str(args.get("id", ""))), body, problems)


def reflection_preview(args: Mapping[str, Any]) -> widgets.HTML:
    """A reflection prompt as the student meets it: their words, saved, never graded."""
    prompt = html.escape(str(args.get("prompt") or ""))
    return widgets.HTML(f"{title_html('reflection', '')}<div>{prompt}</div><div style='font-size:90%'>The student "
                        "answers in a text box; the answer is saved with their work and never graded.</div>")


def failed(call: str, error: Exception) -> widgets.HTML:
    """What a preview that could not be made shows instead of a traceback."""
    return widgets.HTML(f'<div role="alert" style="color:#8a1111"><b>lessonkit:</b> the preview of this '
                        f"lk.{html.escape(call)}(...) call could not be shown ({html.escape(type(error).__name__)}: "
                        f"{html.escape(str(error))}); <code>lessonkit validate</code> checks the lesson.</div>")
