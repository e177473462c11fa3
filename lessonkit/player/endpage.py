"""The end of a lesson on a page: where the student stands on each skill, and the next move.

Mastery learning moves a student on once they have mastered a skill, so reaching the last
step is not the same as having learned: a student can get there through the rules' defaults
with every skill at 17%.  The end therefore says what is true.  "Well done" (and the end
step's own text, which teachers write as a congratulation) only when every skill is
mastered; otherwise, per skill not mastered yet, what to do next: the remediation step that
explains it another way, or more practice on the first step that practises it, as a button
that takes the student there, and whether their teacher has been told (a ``stuck`` flag) or
can see it in the class report.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

import ipywidgets as widgets

from lessonkit.engine.path import Route
from lessonkit.player.checkview import all_mastered, step_title
from lessonkit.player.rendering import icon
from lessonkit.player.session import Session

__all__ = ["EndSummary", "Move", "all_mastered", "next_moves"]


@dataclass(frozen=True)
class Move:
    """A way on for a skill not mastered yet: go to ``step`` (why: ``reason``)."""

    skill: str
    step: str
    label: str


def next_moves(session: Session) -> list[Move]:
    """Per skill not mastered, where to go on: its remediation step, else the first step
    whose checks practise it (a skill no step practises has no move)."""
    moves = []
    for skill_id, skill in session.skills.items():
        if session.skill_mastery(skill_id).mastered:
            continue
        name = skill.name or skill_id
        remediation = session.path.remediation_for(skill_id)
        if remediation and skill_id in session.path.skills_of(remediation):
            moves.append(Move(skill_id, remediation, f"Another way in: {step_title(session, remediation)}"))
            continue
        practice = next((s for s in session.path.order if skill_id in session.path.skills_of(s)
                         and session.path.step(s)["kind"] not in ("review", "end")), None)
        if practice:
            moves.append(Move(skill_id, practice, f"Practise again: {name}"))
    return moves


class EndSummary(widgets.VBox):
    """Where the student stands per skill, and a button for each next move."""

    def __init__(self, session: Session, on_move: Callable[[], None]) -> None:
        self.session = session
        self._on_move = on_move
        self.summary = widgets.HTML(self._html())
        self.moves = [self._button(move) for move in next_moves(session)]
        super().__init__([self.summary, widgets.HBox(self.moves, layout=widgets.Layout(flex_flow="row wrap"))])
        self.add_class("lessonkit-end")

    def _html(self) -> str:
        session = self.session
        rows = []
        told = {flag.skill for flag in session.state.flags if flag.kind == "stuck"}
        for skill_id, skill in session.skills.items():
            state = session.skill_mastery(skill_id)
            if state.mastered:
                where = f"{icon('check')} mastered"
            elif state.needs_remediation:
                where = f"{icon('flag')} not yet: time for another approach"
            elif state.evidence == 0:
                where = f"{icon('circle')} not practised yet"
            else:
                where = f"{icon('circle')} not yet: keep practising"
            teacher = ("" if state.mastered else "your teacher has been told" if skill_id in told
                       else "your teacher sees this in the class report")
            rows.append(f"<tr><th scope=\"row\">{html.escape(skill.name or skill_id)}</th><td>"
                        f'<progress max="100" value="{state.p * 100:.0f}" aria-hidden="true"></progress> '
                        f"{state.p:.0%}</td><td>{where}</td><td>{teacher}</td></tr>")
        table = ('<table class="lessonkit-standing"><caption>Where you stand on each skill</caption>'
                 '<tr><th scope="col">Skill</th><th scope="col">Mastery</th><th scope="col">Status</th>'
                 f'<th scope="col">Your teacher</th></tr>{"".join(rows)}</table>')
        if all_mastered(session):
            opening = (f'<p class="lessonkit-verdict">{icon("check")} <b>Well done!</b> You have mastered every '
                       "skill of this lesson.</p>")
        else:
            left = sum(1 for s in session.skills if not session.skill_mastery(s).mastered)
            opening = (f'<p class="lessonkit-verdict">You have reached the end of this lesson, but {left} of its '
                       f"{len(session.skills)} skills {'is' if left == 1 else 'are'} not mastered yet. "
                       "That is normal on a first pass: the buttons below take you to more practice.</p>")
        return f'<div role="region" aria-label="Where you stand">{opening}{table}</div>'

    def _button(self, move: Move) -> widgets.Button:
        button = widgets.Button(description=move.label, tooltip=f"Go to {step_title(self.session, move.step)}",
                                layout=widgets.Layout(width="auto"))
        button.on_click(lambda _: self.go(move))
        return button

    def go(self, move: Move) -> None:
        """Leave the end for more practice; recorded like the escape hatch's move (a branch
        with no rule), so the teacher's report shows why the student went back."""
        self.session.go(Route(move.step, "remediation", condition=f"more practice of '{move.skill}' after the end"))
        self._on_move()
