"""The student notebook's panels, thin views over a :class:`~lessonkit.player.session.Session`:
the header (whose progress, mastery, due reviews) and the "what next" panel after a branch
or a choice.  The check itself is :mod:`lessonkit.player.checkview` (re-exported here, as
built notebooks and older code import it from this module); the page is
:mod:`lessonkit.player.pageview`.

A view hands the session what the student did and shows what came back; it decides
nothing itself, so JupyterLab and a Voila page behave the same.  Where widgets cannot
render (nbconvert, a notebook viewer, a front end without the widget manager) each view's
display data carries a readable Markdown and plain-text form of the same content.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets

from lessonkit.engine.path import Route
from lessonkit.player.checkview import CheckView, check_text, step_link, step_title
from lessonkit.player.rendering import Readable, icon, markdown_output
from lessonkit.player.session import Session

__all__ = ["CheckView", "LessonHeader", "NextStepView", "check_text", "markdown_output"]

_KIND_WORDS = {"remediation": "another way in", "enrichment": "a challenge", "review": "a short review",
               "end": "the end", "check": "practice", "content": "the next part"}


class NextStepView(Readable, widgets.VBox):
    """A notebook's "what next" panel after a step that ends with a branch or a choice.

    A branch shows where the rules lead the student now (it follows their answers as they
    go) and a Continue button that records the move; a choice shows its options as buttons.
    """

    def __init__(self, session: Session, step_id: str) -> None:
        self.session = session
        self.step_id = step_id
        self.message = widgets.HTML()
        self.buttons = widgets.HBox()
        super().__init__([self.message, self.buttons])
        self.add_class("lessonkit-next")
        self._unsubscribe = session.subscribe(self.refresh)
        self.refresh()

    @property
    def _choice(self) -> Mapping[str, Any] | None:
        return self.session.path.step(self.step_id).get("choice")

    def refresh(self) -> None:
        session = self.session
        choice = self._choice
        taken = self._taken()
        if choice is not None:
            picked = session.standing.chose(choice["id"])
            self.message.value = (f"<b>{html.escape(choice['prompt'] or 'Where next?')}</b>"
                                  + (f"<div>You picked <b>{html.escape(picked)}</b>: go on at "
                                     f"{step_link(session, taken)}.</div>" if picked and taken else ""))
            if len(self.buttons.children) != len(choice["options"]):
                self.buttons.children = [self._option_button(o) for o in choice["options"]]
            return
        if taken is not None:
            self.message.value = f"<b>Where next:</b> you went on to {step_link(session, taken)}."
            self.buttons.children = []
            return
        route = self._preview()
        kind = session.path.step(route.to)["kind"] if route and route.to else "end"
        self.message.value = (f"<b>Where next:</b> from your answers so far, {_KIND_WORDS.get(kind, 'the next part')}: "
                              f"{step_link(session, route.to if route else None)}.")
        button = widgets.Button(description="Continue", button_style="primary",
                                tooltip=f"Go on to {step_title(session, route.to if route else None)}")
        button.on_click(lambda _: self.go())
        self.buttons.children = [button]

    def _preview(self) -> Route | None:
        """The route from this step as if the student were leaving it now."""
        session = self.session
        if session.current_step == self.step_id:
            return session.route()
        return session.path.route(self.step_id, session.standing)

    def _taken(self) -> str | None:
        """Where the student went from this step, unless they have come back to it since."""
        for event in reversed(self.session.events):
            if event.step_id != self.step_id:
                continue
            if event.type == "step_entered":
                return None
            if event.type in ("branch_taken", "choice_made"):
                return event.data.get("to") or event.data.get("goto")
        return None

    def go(self) -> None:
        """Continue: record the branch (the rule that fired) and enter the step it leads to."""
        session = self.session
        if session.current_step != self.step_id:
            session.go(_route_into(self.step_id))
        route = session.route()
        if route is not None:
            session.go(route)

    def choose(self, label: str) -> None:
        session = self.session
        if session.current_step != self.step_id:
            session.go(_route_into(self.step_id))
        session.choose(label)

    def _option_button(self, option: Mapping[str, str]) -> widgets.Button:
        button = widgets.Button(description=option["label"], tooltip=f"Go on with {option['label']}")
        button.on_click(lambda _: self.choose(option["label"]))
        return button

    def readable(self) -> str:
        choice = self._choice
        if choice is not None:
            options = "\n".join(f"- {o['label']}" for o in choice["options"])
            return f"**{choice['prompt'] or 'Where next?'}**\n\n{options}"
        return "**Where next** depends on your answers: run this notebook in JupyterLab to see."

    def close(self) -> None:
        self._unsubscribe()
        super().close()


def _route_into(step_id: str) -> Route:
    """A plain move into a step (a notebook student reading on without answering there)."""
    return Route(step_id, "next")


class LessonHeader(Readable, widgets.VBox):
    """The top of a student notebook: whose progress is kept where, mastery per skill, and
    any spaced review that is due."""

    def __init__(self, session: Session, where: str) -> None:
        self.session = session
        self.where = where
        self.summary = widgets.HTML()
        super().__init__([self.summary])
        self.add_class("lessonkit-header")
        self._unsubscribe = session.subscribe(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        session = self.session
        rows = []
        for skill_id, skill in session.skills.items():
            state = session.skill_mastery(skill_id)
            mark = f" {icon('check')} mastered" if state.mastered else ""
            rows.append(f"<li>{html.escape(skill.name or skill_id)}: {state.p:.0%}{mark}</li>")
        reviews = "".join(
            f"<div>{icon('clock')} Time to review <b>{html.escape(session.skills[s].name or s)}</b>: see "
            f"{step_link(session, session.path.review_step_for(s))}.</div>" for s in session.due_reviews())
        identity = session.identity
        self.summary.value = (
            f'<div style="border-left:4px solid #1d3557;padding:4px 10px;background:#edf2f8;color:#1d3557">'
            f"<b>{html.escape(session.lesson['title'])}</b>: your progress is saved for "
            f"<b>{html.escape(identity.student_id)}</b> in <code>{html.escape(self.where)}</code>."
            f"{reviews}<details><summary>Mastery so far</summary><ul>{''.join(rows)}</ul></details></div>")

    def readable(self) -> str:
        return f"**{self.session.lesson['title']}**: run this notebook in JupyterLab to work through the lesson."

    def close(self) -> None:
        self._unsubscribe()
        super().close()
