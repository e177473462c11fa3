"""The self-paced page Voila serves: one step at a time, resumed where the student left off.

Voila runs the page's notebook in a fresh kernel on every load and keeps nothing
(architecture §8), so the page is rebuilt from the student's events each time: the session
puts them back on the step they were on, with their answers in the inputs.  Moving on is
the session's decision (branch rules, the escape hatch, a due review); the page only
offers it: Next once the step's checks are answered, one button per option at a choice
point, and a "Review now" banner when a spaced review is due.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from lessonkit.player.goals import GoalView, next_steps_html
from lessonkit.player.reflection import ReflectionView, calibration_html
from lessonkit.player.session import Session
from lessonkit.player.widgets import (
    CheckView,
    _Readable,
    _step_title,
    markdown_output,
    status_html,
)

__all__ = ["PageView"]

_BADGES = {
    "remediation": "Another way in",
    "enrichment": "Going further",
    "review": "Quick review",
    "placement": "Show what you know",
    "end": "Finished",
}


class PageView(_Readable, widgets.VBox):
    """The whole page: title, progress, the current step, and the way on."""

    def __init__(self, session: Session) -> None:
        self.session = session
        session.start()
        self.heading = widgets.HTML(f"<h1>{html.escape(session.lesson['title'])}</h1>")
        self.notice = widgets.HTML()
        self.goal = GoalView(session)  # player.goals
        self.progress = widgets.FloatProgress(min=0.0, max=1.0, description="Progress",
                                              style={"description_width": "initial"})
        self.progress_text = widgets.Label()
        self.review_button = widgets.Button(description="Review now", tooltip="Take the short review that is due")
        self.body = widgets.VBox()
        self.nav_note = widgets.HTML()
        self.next_button = widgets.Button(description="Next", button_style="primary", icon="arrow-right")
        self.choices = widgets.HBox()
        self.checks: list[CheckView] = []
        self.review_button.on_click(lambda _: self.review())
        self.next_button.on_click(lambda _: self.next())
        super().__init__([
            self.heading, self.notice, self.goal, self.review_button, widgets.HBox([self.progress, self.progress_text]), self.body,
            self.nav_note, widgets.HBox([self.next_button, self.choices]),
        ])
        self.add_class("lessonkit-page")
        self.render()
        self._unsubscribe = session.subscribe(self.refresh)

    # -- actions ---------------------------------------------------------------------------

    def next(self) -> None:
        """Next: follow the route the rules give now (recorded), and show where it leads."""
        if not self.session.can_leave():
            return
        route = self.session.route()
        if route is not None:
            self.session.go(route)
            self.render()

    def choose(self, label: str) -> None:
        self.session.choose(label)
        self.render()

    def review(self) -> None:
        route = self.session.review_route()
        if route is not None:
            self.session.go(route)
            self.render()

    # -- showing -------------------------------------------------------------------------------

    def render(self) -> None:
        """Show the current step (closing the previous step's widgets)."""
        for view in self.checks:
            view.close()
        self.checks = []
        session = self.session
        step_id = session.current_step
        children: list[widgets.Widget] = []
        if step_id is None or session.finished and session.path.step(step_id)["kind"] != "end":
            # the student left the last step of a lesson that has no end step
            children.append(widgets.HTML("<h2>Finished</h2><p>You have reached the end of this lesson.</p>"))
            children.append(self._summary())
        else:
            step = session.path.step(step_id)
            badge = _BADGES.get(step["kind"])
            title = html.escape(step.get("title") or "")
            children.append(widgets.HTML(
                (f'<div style="color:#1d3557;font-weight:bold">{badge}</div>' if badge else "")
                + (f"<h2>{title}</h2>" if title else "")))
            for block in step["blocks"]:
                if block["kind"] == "markdown":
                    children.append(markdown_output(block["source"]))
                elif block["kind"] == "code":
                    children.append(markdown_output(f"```python\n{block['source']}\n```"))
                elif block["kind"] == "reflection":
                    children.append(ReflectionView(session, block["source"]))
                else:
                    view = CheckView(session, block["check"])
                    self.checks.append(view)
                    children.append(view)
            if step["kind"] == "end":
                children += [calibration_html(session), next_steps_html(session), self._summary()]
        self.body.children = children
        self.choices.children = self._choice_buttons()
        self.refresh()

    def refresh(self) -> None:
        """Redraw what follows the student's state: progress, Next, the review banner."""
        session = self.session
        step_id = session.current_step
        self.progress.value = 1.0 if step_id is None or session.finished else session.progress()
        self.progress_text.value = f"{self.progress.value:.0%} of the way"
        notices = []
        if session.identity.resumable:
            notices.append(f'<div style="color:#333">Your work is saved for '
                           f"<b>{html.escape(session.identity.student_id)}</b>.</div>")
        else:
            notices.append(status_html("info", "You are not signed in, so this page cannot keep your work "
                                               "after a reload. Ask your teacher for your lesson link."))
        review = session.review_route()
        if review is not None:
            notices.append(status_html("info", f"A short review is due: {_step_title(session, review.to)}."))
        self.notice.value = "".join(notices)
        self.review_button.layout.display = None if review else "none"
        self._refresh_next()

    def _refresh_next(self) -> None:
        session, button = self.session, self.next_button
        step_id = session.current_step
        at_choice = step_id is not None and session.path.step(step_id).get("choice") is not None
        finished = step_id is None or session.finished
        button.layout.display = "none" if at_choice or finished else None
        self.choices.layout.display = None if at_choice else "none"
        ready = session.can_leave()
        for choice_button in self.choices.children:
            choice_button.disabled = not ready
        button.disabled = not ready
        if step_id is None:
            self.nav_note.value = ""
            return
        prompt = f"<b>{html.escape(session.path.step(step_id)['choice']['prompt'])}</b>" if at_choice else ""
        waiting = "" if ready or finished else "<div>Answer the question on this page to go on.</div>"
        self.nav_note.value = prompt + waiting
        if finished:
            return
        route = session.route() if ready and not at_choice else None
        if route is not None:
            button.description = "Finish" if route.to is None else "Next"
            button.tooltip = f"Go on to: {_step_title(session, route.to)}"
        else:
            button.description, button.tooltip = "Next", "Answer the question on this page first"

    def _choice_buttons(self) -> list[widgets.Button]:
        step_id = self.session.current_step
        choice = self.session.path.step(step_id).get("choice") if step_id else None
        if not choice:
            return []
        buttons = []
        for option in choice["options"]:
            button = widgets.Button(description=option["label"], tooltip=f"{choice['prompt']} {option['label']}")
            button.on_click(lambda _, label=option["label"]: self.choose(label))
            buttons.append(button)
        return buttons

    def _summary(self) -> widgets.HTML:
        session = self.session
        rows = []
        for skill_id, skill in session.skills.items():
            state = session.skill_mastery(skill_id)
            word = "mastered \u2714" if state.mastered else "keep practising"
            rows.append(f"<tr><td>{html.escape(skill.name or skill_id)}</td><td>{state.p:.0%}</td>"
                        f"<td>{word}</td></tr>")
        return widgets.HTML('<table aria-label="Your mastery of each skill"><tr><th>Skill</th>'
                            f'<th>Mastery</th><th></th></tr>{"".join(rows)}</table>')

    def readable(self) -> str:
        return f"**{self.session.lesson['title']}**: this lesson is an interactive page; open it in Voila."

    def close(self) -> None:
        self._unsubscribe()
        self.goal.close()
        for view in self.checks:
            view.close()
        super().close()

