"""The preview of one ``lk.check(...)`` cell: the check as a student gets it, and the key.

The student's part *is* the player's :class:`~lessonkit.player.widgets.CheckView`, over a
:class:`~lessonkit.player.session.Session` of its own (events kept in memory), so prompt,
answer box, feedback, hint gates and the mastery meter are exactly the student's.  Only two
things differ, both because the teacher runs this: the check is sealed in the clear (no slow
hashing, same decisions: ``engine.sealing.in_the_clear``), and a framed teacher panel shows
the variant drawn, the answer key, the feedback and the whole hint ladder.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import ipywidgets as widgets

from lessonkit.engine import sealing
from lessonkit.engine.kinds import get_kind
from lessonkit.engine.kinds.checking import check_problems
from lessonkit.engine.kinds.variants import draw
from lessonkit.engine.seal import check_items, seal_lesson
from lessonkit.model import Block, Check, Lesson, Problem, Step
from lessonkit.player.identity import Identity
from lessonkit.player.session import Outcome, Session
from lessonkit.player.widgets import CheckView, markdown_output
from lessonkit.progress.memory import MemoryStore
from lessonkit.preview.panels import Readable, problem_text, problems_html, teacher_frame, title_html

__all__ = ["CheckPreview"]

#: the steps of the one-check lesson a preview session runs
_STEP = "preview"


class _TeacherCheckView(CheckView):
    """The player's check view, judging in the clear as its items were sealed."""

    def submit(self) -> Outcome:
        with sealing.in_the_clear():
            return super().submit()


class CheckPreview(Readable, widgets.VBox):
    """What running an ``lk.check(...)`` cell shows: its problems, the student's view of one
    variant, and the teacher's panel (variant values, key, feedback, hints).

    :meth:`try_answer`, :meth:`draw_another` and :meth:`start_over` are what its buttons do,
    callable from code too.
    """

    def __init__(self, lesson: Lesson | None, check_id: str, problems: list[Problem], *, header_run: bool) -> None:
        self.lesson = lesson
        self.check_id = check_id
        self.check: Check | None = lesson.checks.get(check_id) if lesson is not None else None
        self.header_run = header_run
        self.problems = list(problems)
        self.items: list[dict[str, Any]] = []
        self.values: list[dict[str, Any]] = []
        if self.check is not None:
            with sealing.in_the_clear():  # the answer key's checks, without the deliberately slow hashing
                self.problems += check_problems(lesson, self.check, run_code=False, files=dict)
            if not any(p.severity == "error" for p in self.problems):
                self.items = check_items(lesson, self.check)
                if self.check.variants is not None:
                    self.values = draw(self.check.variants, f"{lesson.id}\x1f{self.check.id}")
        self.variant = 0
        self.student: CheckView | None = None
        self.title = widgets.HTML(title_html("check", check_id, self._details()))
        self.problem_box = widgets.HTML(problems_html(self.problems))
        self.student_box = widgets.VBox()
        self.teacher_box = widgets.VBox()
        super().__init__([self.title, self.problem_box, self.student_box, self.teacher_box])
        self.add_class("lessonkit-preview")
        self.add_class("lessonkit-check-preview")
        self._show()

    def _details(self) -> list[str]:
        check = self.check
        if check is None:
            return []
        points = f"{check.points:g} point{'' if check.points == 1 else 's'}"
        return [check.kind, points, ("skills: " + ", ".join(check.skills)) if check.skills else ""]

    # -- actions -----------------------------------------------------------------------

    def try_answer(self, answer: Any) -> Outcome:
        """Put ``answer`` in the answer box and press Check, as a student would."""
        if self.student is None:
            raise ValueError(f"check '{self.check_id}' has problems to fix before it can be tried")
        self.student.set_answer(answer)
        return self.student.submit()

    def draw_another(self) -> None:
        """Show the next variant, as a fresh student would meet it."""
        if self.items:
            self.variant = (self.variant + 1) % len(self.items)
        self._show()

    def start_over(self) -> None:
        """Forget the tries so far (answers, hints revealed, mastery)."""
        self._show()

    @property
    def feedback_text(self) -> str:
        """The feedback shown for the last try, as HTML (empty before any)."""
        return self.student.feedback.value if self.student is not None else ""

    # -- showing -------------------------------------------------------------------------

    def _show(self) -> None:
        if self.student is not None:
            self.student.close()
            self.student = None
        if not self.items or self.check is None or self.lesson is None:
            self.student_box.children = []
            self.teacher_box.children = []
            return
        kind = get_kind(self.check.kind)
        if kind.input == "code":
            # a code check runs its tests on the cells below, which have not run yet
            self.student_box.children = [markdown_output(self.items[self.variant]["prompt"]), widgets.HTML(
                "<i>Students answer in the code cell after this one and press Check; "
                "<code>lessonkit validate</code> runs your solution against its tests.</i>")]
        else:
            self.student = _TeacherCheckView(self._session(), self.check_id)
            self.student_box.children = [self.student]
        self.teacher_box.children = [self._teacher_panel()]

    def _session(self) -> Session:
        """A fresh student's session on a lesson of this one check, showing the chosen variant."""
        assert self.lesson is not None and self.check is not None
        one = replace(self.lesson, steps=(Step(_STEP, "check", blocks=(Block("check", check=self.check_id),)),),
                      checks={self.check_id: self.check})
        with sealing.in_the_clear():
            sealed = seal_lesson(one)
        check = sealed["checks"][self.check_id]
        check["items"] = [check["items"][self.variant]]
        session = Session(sealed, Identity("teacher-preview", "preview"), MemoryStore(), mode="page")
        session.start()
        return session

    def _teacher_panel(self) -> widgets.VBox:
        assert self.check is not None
        kind, item = get_kind(self.check.kind), self.items[self.variant]
        rows = [("Answer key", kind.describe_key(item))]
        if self.values:
            values = ", ".join(f"{name} = {value!r}" for name, value in self.values[self.variant].items())
            rows.insert(0, (f"Variant {self.variant + 1} of {len(self.items)}", values))
        for entry in item.get("feedback") or ():
            if isinstance(entry, Mapping) and entry.get("message"):
                said = entry.get("answer") if entry.get("answer") is not None else f"test {entry.get('test')}"
                rows.append((f"Feedback for {said!r}" if not isinstance(said, dict) else
                             f"Feedback when {next(iter(said))} {next(iter(said.values()))!r}", entry["message"]))
        for n, (hint, text) in enumerate(zip(self.check.hints, item.get("hints") or ())):
            gates = [f"after {hint.after} answer{'' if hint.after == 1 else 's'}" if hint.after else "",
                     f"costs {hint.cost:g}" if hint.cost else "", "bottom-out" if hint.bottom_out else ""]
            rows.append((f"Hint {n + 1}" + "".join(f" ({g})" for g in gates if g), text))
        if not self.header_run:
            rows.append(("Note", "run the lk.lesson(...) cell to preview with the lesson's skills and policy"))
        table = "".join(f'<tr><th style="text-align:left;padding-right:12px;vertical-align:top">{html.escape(k)}</th>'
                        f"<td>{html.escape(str(v))}</td></tr>" for k, v in rows)
        buttons = []
        if len(self.items) > 1:
            another = widgets.Button(description="Draw another variant", icon="refresh",
                                     tooltip="Show the next variant, as another student would meet it",
                                     layout=widgets.Layout(width="auto"))
            another.on_click(lambda _: self.draw_another())
            buttons.append(another)
        again = widgets.Button(description="Start over", tooltip="Forget these tries: answers, hints, mastery",
                               layout=widgets.Layout(width="auto"))
        again.on_click(lambda _: self.start_over())
        buttons.append(again)
        return teacher_frame([widgets.HTML(f"<table>{table}</table>"), widgets.HBox(buttons)])

    def readable(self) -> str:
        lines = [f"**lessonkit check `{self.check_id}`**", ""]
        lines += [f"- {problem_text(p)}" for p in self.problems]
        if self.items:
            item = self.items[self.variant]
            lines += ["", item.get("prompt", "")]
            lines += [f"- {option}" for option in item.get("options", ())]
            if self.check is not None:
                lines += ["", f"_Teacher view_: answer key {get_kind(self.check.kind).describe_key(item)}"]
        return "\n".join(lines)
