"""The student's goal for a lesson: which skills to master, by when, at which challenge level.

Setting a goal is the student's decision, so it changes nothing the teacher set (routes,
scores, mastery); it is recorded (``goal_set``), shown at the top of the page with the
progress towards it, kept in the portfolio, and the recommender puts the lessons that
teach the goal's skills first (``engine.recommend``).  A new goal replaces the old one.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date

import ipywidgets as widgets

from lessonkit.player.session import Session
from lessonkit.progress import GOAL_SET, Event
from lessonkit.progress.selfassessment import (
    GOAL_LEVELS,
    Goal,
    goal_event_data,
    latest_goal,
)

__all__ = ["PORTFOLIO_LINK", "GoalView", "goal_summary", "next_steps_html", "set_goal"]

#: where a served page's "Download my work" goes (``lessonkit.serve.portfolio``)
PORTFOLIO_LINK = "/lessonkit/my-work.html"


def set_goal(session: Session, skills: Sequence[str], by: date | None, level: str) -> Event:
    """Record a goal; skills the lesson does not have are refused (the browser is untrusted)."""
    unknown = [s for s in skills if s not in session.skills]
    if unknown or not skills:
        raise ValueError(f"a goal names skills of this lesson ({', '.join(session.skills)}), not {unknown or 'none'}")
    return session.note(GOAL_SET, goal_event_data(list(dict.fromkeys(skills)), by, level))


def goal_summary(session: Session, goal: Goal, today: date | None = None) -> str:
    """One line of HTML: the goal, how many of its skills are mastered, the days left."""
    names = [session.skills[s].name or s if s in session.skills else s for s in goal.skills]
    done, total = goal.progress(lambda s: session.skill_mastery(s).mastered)
    parts = [f"master {', '.join(f'&ldquo;{html.escape(n)}&rdquo;' for n in names)}"]
    if goal.by is not None:
        parts.append(f"by {goal.by.strftime('%a %d %b')}")
    parts.append(GOAL_LEVELS[goal.level])
    left = goal.days_left(today or date.today())
    when = "" if left is None else (f", {left} day{'s' if left != 1 else ''} left" if left >= 0 else
                                    f", {-left} day{'s' if left != -1 else ''} past the date")
    mark = " &#10004; reached" if done == total else ""
    return (f'<div class="lessonkit-goal" style="background:#eef4fb;border-left:4px solid #1d3557;padding:6px 10px">'
            f"<b>Your goal:</b> {' &middot; '.join(parts)}<br><b>{done} of {total}</b> mastered{when}{mark}</div>")


class GoalView(widgets.VBox):
    """At the top of a page: the goal form until a goal is set, then the goal and its progress."""

    def __init__(self, session: Session) -> None:
        self.session = session
        skills = list(session.skills.items())
        self.skills = widgets.SelectMultiple(options=[(s.name or sid, sid) for sid, s in skills],
                                             value=[sid for sid, _ in skills], description="Skills",
                                             rows=min(len(skills), 5) or 1)
        self.by = widgets.DatePicker(description="By")
        self.level = widgets.ToggleButtons(options=[(label.capitalize(), key) for key, label in GOAL_LEVELS.items()],
                                           value="core", description="Challenge")
        self.set_button = widgets.Button(description="Set my goal", button_style="primary",
                                         tooltip="Save this goal (it changes no score or route)")
        self.change_button = widgets.Button(description="Change my goal", layout=widgets.Layout(width="12em"),
                                            tooltip="Choose the skills, date and challenge you aim for")
        self.summary = widgets.HTML()
        self.form = widgets.VBox([widgets.HTML("<b>Set yourself a goal</b> (you can change it any time)"),
                                  self.skills, self.by, self.level, self.set_button],
                                 layout=widgets.Layout())  # its own: shown and hidden
        self.set_button.on_click(lambda _: self.submit())
        self.change_button.on_click(lambda _: self._show(editing=True))
        super().__init__([self.summary, self.change_button, self.form])
        self.add_class("lessonkit-goals")
        self._show(editing=False)
        self._unsubscribe = session.subscribe(lambda: self._show(editing=self.form.layout.display != "none"))

    def submit(self) -> Event | None:
        if not self.skills.value:
            self.summary.value = '<div style="color:#9d0208">Pick at least one skill for your goal.</div>'
            return None
        event = set_goal(self.session, list(self.skills.value), self.by.value, self.level.value)
        self._show(editing=False)
        return event

    def _show(self, editing: bool) -> None:
        goal = latest_goal(self.session.events)
        # offered open on the first step; later a button, so an optional goal never crowds the work
        editing = editing or (goal is None and self.session.current_step == self.session.path.first)
        self.summary.value = goal_summary(self.session, goal) if goal else ""
        self.change_button.description = "Change my goal" if goal else "Set a goal"
        self.form.layout.display = None if editing else "none"
        self.change_button.layout.display = "none" if editing else None

    def close(self) -> None:
        self._unsubscribe()
        super().close()


def next_steps_html(session: Session, now: float | None = None) -> widgets.HTML:
    """At the end of a page: the lesson the course recommends next, with its reason, and the
    link to download the student's portfolio.  Nothing outside a course, and no link in a
    notebook (only a served page has the server that makes the portfolio)."""
    parts = []
    course = session.lesson.get("course")
    if course:
        from lessonkit.model.course import CoursePlan
        from lessonkit.progress.course import next_lesson

        goal = latest_goal(session.events)
        advice = next_lesson(session.store, session.identity.student_id, CoursePlan.from_dict(course),
                             session.clock() if now is None else now, goal.skills if goal else ())
        heading = f"Next: {html.escape(advice.title)}" if advice.lesson_id else "Course complete"
        parts.append(f'<div class="lessonkit-next" style="border:1px solid #c9d6e3;border-radius:8px;padding:8px 12px;'
                     f'margin-top:10px;background:#f7fafc"><b>{heading}</b><br>{html.escape(advice.reason)}</div>')
    if session.mode == "page":
        # coloured and underlined here: a widget's HTML inherits the text's look, and a link
        # that looks like bold text is not seen as one
        parts.append(f'<p style="margin-top:10px"><a href="{PORTFOLIO_LINK}" download="my-work.html" '
                     'style="font-weight:600;color:#1f4e79;text-decoration:underline">Download my work</a> '
                     '(a file of your own work, to keep)</p>')
    return widgets.HTML("".join(parts))
