"""``/`` (a student's own lessons and where they stand) and ``/teacher`` (the class).

The student's home reads only the signed-in student's events: their lessons with progress,
where they left off and the reviews due, what the course says to do next and why (the advice a
page's end step gives, from ``engine.recommend``), the goals they set, and the link to download
their work.  The class view is behind :func:`lessonkit.serve.auth.require_teacher`.  Both read
the store in a worker thread: a SQL query must not hold up the websockets of thirty pages.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from tornado.ioloop import IOLoop

from lessonkit.model.course import CoursePlan
from lessonkit.serve import pages
from lessonkit.serve.auth import PlainHandler, require_teacher
from lessonkit.serve.portfolio import PORTFOLIO_URL, served_lessons
from lessonkit.serve.standing import (
    Advice,
    GoalStanding,
    Home,
    Standing,
    class_standing,
    student_home,
)

# the home's own parts; the rest of the look is the server's (serve/pages.py)
_STYLE = """
main > h1{font-size:26px;margin:0 0 4px}
main > p.lead{margin:0 0 22px}
.card + .card{margin-top:20px}
.next{border-left:5px solid #2e7d4f}
.lessons-card h2{font-size:19px;margin:0 0 4px}
.lesson-row > div:first-child{flex:1}
.next h2,.goals h2{font-size:19px;margin:0 0 6px}
.next p{margin:0 0 14px}
a.action{display:inline-block;padding:9px 18px;border-radius:6px;background:#1f4e79;color:#fff;font-weight:600;
 text-decoration:none}
a.action:hover{background:#173b5c}
a.action:focus-visible,a.download:focus-visible{outline:3px solid #9cc3ea;outline-offset:2px}
.goals ul{margin:0;padding-left:20px}
.goals li{margin:4px 0}
.work{display:flex;justify-content:space-between;align-items:center;gap:16px;flex-wrap:wrap;margin-top:18px;
 padding-top:16px;border-top:1px solid #e3e7ed}
a.download{display:inline-block;padding:8px 16px;border:2px solid #1f4e79;border-radius:6px;color:#1f4e79;
 font-weight:600;text-decoration:none}
a.download:hover{background:#e8f0fa}
"""


@functools.cache
def course_plan(root: str, pages_served: tuple[str, ...]) -> CoursePlan | None:
    """The course the served lessons belong to, read once from their sealed lessons (the pages do
    not change while the server runs); None when they are not in a course."""
    for lesson in served_lessons(Path(root), pages_served):
        if lesson.get("course"):
            return CoursePlan.from_dict(lesson["course"])
    return None


def _advice(advice: Advice | None) -> str:
    if advice is None:
        return ""
    said = advice.recommendation
    if said.lesson_id is None:
        heading = "You have finished the course"
    else:
        heading = f"Next for you: {escape(said.title)}"
    verb = {"review": "Start the review", "continue": "Continue the lesson"}.get(said.kind, "Start the lesson")
    action = (f'<a class="action" href="/voila/render/{escape(advice.page)}">{verb}</a>'
              if advice.page is not None else "")
    return (f'<section class="card next" aria-labelledby="next-heading"><h2 id="next-heading">{heading}</h2>'
            f"<p>{escape(said.reason)}</p>{action}</section>")


def _goal(goal: GoalStanding) -> str:
    skills = ", ".join(f"\u201c{escape(name)}\u201d" for name in goal.skills)
    by = f" by {goal.by.strftime('%a %d %b')}" if goal.by else ""
    reached = " \u2714 reached" if goal.mastered == len(goal.skills) else ""
    return (f"<li><b>{escape(goal.lesson)}</b>: master {skills}{by} ({escape(goal.level)}). "
            f"<b>{goal.mastered} of {len(goal.skills)}</b> mastered{reached}</li>")


def _goals(goals: Sequence[GoalStanding]) -> str:
    if not goals:
        return ""
    return (f'<section class="card goals" aria-labelledby="goals-heading"><h2 id="goals-heading">Your goals</h2>'
            f'<ul>{"".join(_goal(goal) for goal in goals)}</ul></section>')


def _lesson(item: Standing) -> str:
    due = "".join(f'<span class="due">Review due: {escape(skill)}</span> ' for skill in item.due_reviews)
    return (f'<li><div class="lesson-row"><div><a class="title" href="/voila/render/{escape(item.page)}">'
            f'{escape(item.title)}</a><div class="meta">{pages.where_left_off(item)}</div>{due}</div>'
            f'{pages.progress_bar(item.percent)}<span class="pct">{item.percent}%</span></div></li>')


def home_page(student: str, home: Home, xsrf_form: str, *, can_sign_out: bool, teacher: bool = False) -> str:
    """A signed-in student's home: the next move, their goals, their lessons and their work to take away."""
    class_link = '<p class="meta"><a class="secondary" href="/teacher">Your class</a></p>' if teacher else ""
    work = (f'<div class="work"><span class="meta">A file of your own work (answers, goals, reflections) to keep'
            f'</span><a class="download" href="{PORTFOLIO_URL}" download="my-work.html">Download my work</a></div>')
    lessons = (f'<section class="card lessons-card" aria-labelledby="lessons-heading"><h2 id="lessons-heading">'
               f'Lessons</h2><ul class="lessons">{"".join(_lesson(item) for item in home.standings)}</ul>'
               f'{work}{class_link}</section>')
    intro = (f'<h1>Your lessons</h1><p class="lead">Signed in as <b>{escape(student)}</b>. '
             f'Your work is saved as you go; come back any time.</p>')
    body = f"<style>{_STYLE}</style>{intro}{_advice(home.advice)}{_goals(home.goals)}{lessons}"
    return pages.page("Your lessons", body, pages.who_header(student, xsrf_form, can_sign_out=can_sign_out),
                           wide=True)


class HomeHandler(PlainHandler):
    """``/``: the signed-in student's lessons, the course's advice, their goals (in place of Voila's tree)."""

    async def get(self) -> None:
        user = self.signed_in()
        catalog = self.settings["lessonkit_pages"]
        plan = course_plan(self.identity.parent.root_dir, tuple(catalog))
        home = await IOLoop.current().run_in_executor(None, student_home, None, user.username, catalog, plan)
        self.write(home_page(user.username, home, self.xsrf_form_html(),
                             can_sign_out=self.identity.session_student(self) is not None,
                             teacher=self.identity.is_teacher(user.username)))


class TeacherHandler(PlainHandler):
    """``/teacher``: every student of the class and where they stand in each lesson (teachers only)."""

    async def get(self) -> None:
        teacher = require_teacher(self)
        roster = self.identity.roster()
        members = roster.members() if roster else []
        students = [member.name for member in members if not member.teacher]
        teachers = [member.name for member in members if member.teacher]
        catalog = self.settings["lessonkit_pages"]
        rows = await IOLoop.current().run_in_executor(
            None, lambda: class_standing(None, students, catalog, leaving_out=teachers))
        self.write(pages.teacher_page(teacher.username, catalog, rows, self.xsrf_form_html(),
                                      can_sign_out=self.identity.session_student(self) is not None))


def handlers() -> list[tuple[str, Any]]:
    return [("/", HomeHandler), ("/teacher", TeacherHandler)]
