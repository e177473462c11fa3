"""Self-assessment on the page: "how sure are you?" before a check, and the teacher's reflection prompts.

Both are the student's own words about their learning, so neither is ever judged: a
confidence rating is recorded beside the answer it precedes and only ever compared with it
(calibration, ``progress.selfassessment``); a reflection is saved with the student's work,
for them and their teacher to read, and nothing grades it.  What the browser sends here is
untrusted: a level outside the scale is refused, a reflection is cut to a length a person
writes.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from lessonkit.player.session import Session
from lessonkit.progress import CONFIDENCE_GIVEN, REFLECTION_SAVED, Event
from lessonkit.progress.selfassessment import (
    CONFIDENCE_LEVELS,
    calibration,
    confidence_event_data,
    reflections,
)

__all__ = ["MAX_REFLECTION", "ConfidenceInput", "ReflectionView", "asks_confidence", "calibration_html"]

#: The longest reflection kept (characters): a page, not a file a script could post.
MAX_REFLECTION = 5000


def asks_confidence(session: Session) -> bool:
    """Whether the lesson asks for confidence before each check (``lk.lesson(..., confidence=True)``)."""
    return bool(session.lesson.get("confidence"))


class ConfidenceInput(widgets.VBox):
    """Three buttons above a check's Check button; empty in a lesson that does not ask."""

    def __init__(self, session: Session, check_id: str) -> None:
        self.session = session
        self.check_id = check_id
        self.choice = widgets.ToggleButtons(
            options=[(CONFIDENCE_LEVELS[level][0].capitalize(), level) for level in sorted(CONFIDENCE_LEVELS)],
            value=None, description="How sure are you?", style={"description_width": "initial"},
            tooltips=["I might be guessing", "I think so", "I know this"])
        asked = asks_confidence(session)
        super().__init__([self.choice] if asked else [], layout=widgets.Layout())  # its own: may be hidden
        self.layout.display = None if asked else "none"
        self.add_class("lessonkit-confidence")

    def record(self) -> Event | None:
        """Called as the answer is submitted: record the rating (if one was picked) against the
        item being answered, then clear it for the next item.  The answer's score never sees it."""
        level = self.choice.value
        if not asks_confidence(self.session) or level is None:
            return None
        index, _ = self.session.item(self.check_id)
        event = self.session.note(CONFIDENCE_GIVEN, confidence_event_data(index, int(level)), check_id=self.check_id)
        self.choice.value = None
        return event


class ReflectionView(widgets.VBox):
    """A teacher's reflection prompt with a text area and Save; it shows what was saved last."""

    def __init__(self, session: Session, prompt: str) -> None:
        self.session = session
        self.prompt = prompt
        saved = self._saved()
        self.text = widgets.Textarea(value=saved, placeholder="Write a few sentences in your own words.",
                                     description="My answer", style={"description_width": "initial"},
                                     layout=widgets.Layout(width="95%", height="7em"))
        self.save_button = widgets.Button(description="Save my reflection",
                                          tooltip="Saved with your work; it is not marked")
        self.status = widgets.HTML(self._status(saved))
        self.save_button.on_click(lambda _: self.save())
        super().__init__([widgets.HTML(f'<div style="font-weight:bold;margin-top:8px">Reflect: '
                                       f"{html.escape(prompt)}</div>"), self.text, self.save_button, self.status])
        self.add_class("lessonkit-reflection")

    def save(self) -> Event | None:
        text = self.text.value[:MAX_REFLECTION]
        if not text.strip() or text == self._saved():
            return None
        event = self.session.note(REFLECTION_SAVED, {"prompt": self.prompt, "text": text})
        self.status.value = self._status(text)
        return event

    def _saved(self) -> str:
        for reflection in reflections(self.session.events):
            if reflection.prompt == self.prompt:
                return reflection.text
        return ""

    @staticmethod
    def _status(saved: str) -> str:
        return ('<div style="color:#2d6a4f">Saved with your work. Only you and your teacher read it; '
                "it is never marked.</div>" if saved else '<div style="color:#555">Not saved yet.</div>')


def calibration_html(session: Session) -> widgets.HTML:
    """How well the student's confidence matched their results, in sentences (end of lesson)."""
    if not asks_confidence(session):
        return widgets.HTML(layout=widgets.Layout(display="none"))
    result = calibration(session.events)
    if not result.answers:
        return widgets.HTML('<p style="color:#555">You did not rate your confidence this time.</p>')
    lines = "".join(f"<li>{html.escape(s)}</li>" for s in result.sentences())
    return widgets.HTML('<div class="lessonkit-calibration" style="margin-top:8px"><b>How sure you were, and how '
                        f"you did</b><ul>{lines}</ul><p>{html.escape(result.verdict())}</p></div>")
