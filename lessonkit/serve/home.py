"""``/`` (a student's own lessons and where they stand) and ``/teacher`` (the class).

The student's home reads only the signed-in student's events; the class view is behind
:func:`lessonkit.serve.auth.require_teacher`.  Both read the store in a worker thread: a
SQL query must not hold up the websockets of thirty pages.
"""

from __future__ import annotations

from typing import Any

from tornado.ioloop import IOLoop

from lessonkit.serve import pages
from lessonkit.serve.auth import PlainHandler, require_teacher
from lessonkit.serve.standing import class_standing, student_standing


class HomeHandler(PlainHandler):
    """``/``: the signed-in student's lessons, progress, where they left off and reviews due (in place of Voila's tree)."""

    async def get(self) -> None:
        user = self.signed_in()
        catalog = self.settings["lessonkit_pages"]
        standings = await IOLoop.current().run_in_executor(None, student_standing, None, user.username, catalog)
        self.write(pages.home_page(user.username, standings, self.xsrf_form_html(),
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
