"""The self-paced page Voila serves: one step at a time, resumed where the student left off.

Voila runs the page's notebook in a fresh kernel on every load and keeps nothing
(architecture §8), so the page is rebuilt from the student's events each time: the session
puts them back on the step they were on, with their answers in the inputs.  Moving on is
the session's decision (branch rules, the escape hatch, a due review); the page only
offers it: Next once the step's checks are answered, one button per option at a choice
point, and a "Review now" banner when a spaced review is due.

The page also says where the student is on their route (the steps entered so far, detours
marked, and where Next goes from a detour), gives each example cell a Run button
(:mod:`lessonkit.player.examples`), and ends with where the student stands
(:mod:`lessonkit.player.endpage`).  Its look comes from lessonkit's Voila template
(``extensions/voila-template``).
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from lessonkit.player.checkview import CheckView, step_title
from lessonkit.player.endpage import EndSummary, all_mastered
from lessonkit.player.examples import ExampleCell, lesson_files
from lessonkit.player.goals import GoalView, next_steps_html
from lessonkit.player.reflection import ReflectionView, calibration_html
from lessonkit.player.rendering import Readable, icon, markdown_output, status_html
from lessonkit.player.session import Session

__all__ = ["PageView"]

# what a step off the main road is, in the student's words: a badge and why they are there
_BADGES = {
    "remediation": ("Another way in", "A detour: the same idea explained another way, because it had not "
                                      "clicked yet. It is not a punishment."),
    "enrichment": ("Going further", "A detour for a challenge, because you are doing well."),
    "review": ("Quick review", "A short check of something you mastered earlier, so that it sticks."),
    "placement": ("Show what you know", "A few questions on what this lesson teaches: what you already "
                                        "know, you skip."),
    "end": ("Finished", ""),
}
_TRAIL = 6  # steps of the route so far shown; older ones are summed up


class PageView(Readable, widgets.VBox):
    """The whole page: title, progress, the current step, and the way on."""

    def __init__(self, session: Session) -> None:
        self.session = session
        session.start()
        self.heading = widgets.HTML(f"<h1>{html.escape(session.lesson['title'])}</h1>")
        self.notice = widgets.HTML()
        self.goal = GoalView(session)
        self.progress = widgets.FloatProgress(min=0.0, max=1.0, description="Progress",
                                              style={"description_width": "initial"})
        self.progress_text = widgets.Label()
        self.trail = widgets.HTML()
        self.review_button = widgets.Button(description="Review now", tooltip="Take the short review that is due",
                                            layout=widgets.Layout())  # its own: shown and hidden
        self.body = widgets.VBox()
        self.nav_note = widgets.HTML()
        self.next_button = widgets.Button(description="Next", button_style="primary",
                                          layout=widgets.Layout())  # its own: shown and hidden
        self.next_button.add_class("lessonkit-next-button")
        self.choices = widgets.HBox(layout=widgets.Layout(flex_flow="row wrap"))
        self.checks: list[CheckView] = []
        self.review_button.on_click(lambda _: self.review())
        self.next_button.on_click(lambda _: self.next())
        super().__init__([
            self.heading, self.notice, self.goal, self.review_button, widgets.HBox([self.progress, self.progress_text]),
            self.trail, self.body, self.nav_note, widgets.HBox([self.next_button, self.choices]),
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
        if self._over() and (step_id is None or session.path.step(step_id)["kind"] != "end"):
            # the student left the last step of a lesson that has no end step
            children.append(widgets.HTML('<p class="lessonkit-badge lessonkit-badge-end"><b>Finished</b></p>'
                                         "<h2>End of the lesson</h2>"))
            children.append(EndSummary(session, self.render))
        else:
            step = session.path.step(step_id)
            children.append(widgets.HTML(self._step_heading(step)))
            children += self._blocks(step)
            if step["kind"] == "end":
                children += [calibration_html(session), next_steps_html(session), EndSummary(session, self.render)]
        self.body.children = children
        self.choices.children = self._choice_buttons()
        self.refresh()

    def _step_heading(self, step: dict) -> str:
        """The step's title, and for a detour its badge and why the student is there."""
        badge, why = _BADGES.get(step["kind"], ("", ""))
        title = step.get("title") or ""
        if step["kind"] == "end":
            badge, why = "Finished", ""
            if not all_mastered(self.session):
                title = "End of the lesson"  # the teacher's "Well done" waits for mastery
        marked = (f'<p class="lessonkit-badge lessonkit-badge-{step["kind"]}"><b>{html.escape(badge)}</b>'
                  + (f" &middot; {html.escape(why)}" if why else "") + "</p>") if badge else ""
        return marked + (f"<h2>{html.escape(title)}</h2>" if title else "")

    def _blocks(self, step: dict) -> list[widgets.Widget]:
        """The step's Markdown, example code (each with a Run button), checks and reflection
        prompts.  An end step's own text is the teacher's congratulation: it is shown once every
        skill is mastered (its reflection prompts always are)."""
        congratulate = step["kind"] != "end" or all_mastered(self.session)
        shown: list[widgets.Widget] = []
        earlier: list[str] = []
        files = None
        for block in step["blocks"]:
            if block["kind"] == "reflection":
                shown.append(ReflectionView(self.session, block["source"]))
            elif not congratulate:
                continue
            elif block["kind"] == "markdown":
                shown.append(markdown_output(block["source"]))
            elif block["kind"] == "code":
                files = lesson_files(self.session.lesson) if files is None else files
                shown.append(ExampleCell(block["source"], earlier=earlier, files=files, number=len(earlier) + 1))
                earlier = [*earlier, block["source"]]
            else:
                view = CheckView(self.session, block["check"])
                self.checks.append(view)
                shown.append(view)
        return shown

    def _over(self) -> bool:
        """The lesson is over for now: on its end step, or past the last step of a lesson with
        none.  A student who finished and went back to practise is not (``Session.finished``
        stays true once an end step was reached)."""
        session = self.session
        step_id = session.current_step
        if step_id is None or session.path.step(step_id)["kind"] == "end":
            return True
        return session.finished and not any(session.path.step(s)["kind"] == "end" for s in session.path.order)

    def refresh(self) -> None:
        """Redraw what follows the student's state: progress, the route, Next, the review banner."""
        session = self.session
        self.progress.value = 1.0 if self._over() else session.progress()
        self.progress_text.value = f"{self.progress.value:.0%} of the way"
        self.trail.value = self._trail()
        notices = []
        if session.identity.resumable:
            notices.append(f'<div class="lessonkit-whose">Your work is saved for '
                           f"<b>{html.escape(session.identity.student_id)}</b>.</div>")
        else:
            notices.append(status_html("info", "You are not signed in, so this page cannot keep your work "
                                               "after a reload. Ask your teacher for your lesson link."))
        review = session.review_route()
        if review is not None:
            notices.append(status_html("info", f"A short review is due: {step_title(session, review.to)}."))
        self.notice.value = "".join(notices)
        self.review_button.layout.display = None if review else "none"
        self._refresh_next()

    def _trail(self) -> str:
        """The route so far (the steps entered, in order, repeats included) ending at the
        current step, marked for screen readers with ``aria-current``."""
        session = self.session
        entered = [e.step_id for e in session.events if e.type == "step_entered" and e.step_id in session.path.steps]
        if len(entered) < 2:  # the first step: no route yet
            return ""
        older, recent = entered[:-_TRAIL], entered[-_TRAIL:]
        items = [f"<li>{len(older)} earlier step{'s' if len(older) != 1 else ''}</li>"] if older else []
        for n, step_id in enumerate(recent):
            kind = session.path.step(step_id)["kind"]
            badge = _BADGES[kind][0] if kind in ("remediation", "enrichment", "review") else ""
            title = html.escape(step_title(session, step_id))
            marked = f" <i>({html.escape(badge.lower())})</i>" if badge else ""
            if n == len(recent) - 1:
                items.append(f'<li aria-current="step">{icon("dot")} <b>{title}</b>{marked} (you are here)</li>')
            else:
                items.append(f"<li>{title}{marked}</li>")
        return f'<nav class="lessonkit-trail" aria-label="Your route so far"><ol>{"".join(items)}</ol></nav>'

    def _refresh_next(self) -> None:
        session, button = self.session, self.next_button
        step_id = session.current_step
        at_choice = step_id is not None and session.path.step(step_id).get("choice") is not None
        over = self._over()
        button.layout.display = "none" if at_choice or over else None
        self.choices.layout.display = None if at_choice and not over else "none"
        ready = session.can_leave()
        for choice_button in self.choices.children:
            choice_button.disabled = not ready
        button.disabled = not ready
        if step_id is None or over:
            self.nav_note.value = ""
            return
        prompt = f"<b>{html.escape(session.path.step(step_id)['choice']['prompt'])}</b>" if at_choice else ""
        waiting = "" if ready else "<div>Answer the question on this page to go on.</div>"
        route = session.route() if ready and not at_choice else None
        onward = ""
        if route is not None:
            button.description = "Finish" if route.to is None else "Next"
            button.tooltip = f"Go on to: {step_title(session, route.to)}"
            kind = session.path.step(step_id)["kind"]
            if kind in ("remediation", "enrichment", "review") or route.reason in ("remediation", "review"):
                onward = f"<div>{icon('arrow-right')} Next takes you to <b>{html.escape(step_title(session, route.to))}</b>.</div>"
        else:
            button.description, button.tooltip = "Next", "Answer the question on this page first"
        self.nav_note.value = prompt + waiting + onward

    def _choice_buttons(self) -> list[widgets.Button]:
        step_id = self.session.current_step
        choice = self.session.path.step(step_id).get("choice") if step_id else None
        if not choice:
            return []
        buttons = []
        for option in choice["options"]:
            button = widgets.Button(description=option["label"], tooltip=f"{choice['prompt']} {option['label']}")
            button.add_class("lessonkit-choice-button")
            button.on_click(lambda _, label=option["label"]: self.choose(label))
            buttons.append(button)
        return buttons

    def readable(self) -> str:
        return f"**{self.session.lesson['title']}**: this lesson is an interactive page; open it in Voila."

    def close(self) -> None:
        self._unsubscribe()
        self.goal.close()
        for view in self.checks:
            view.close()
        super().close()

