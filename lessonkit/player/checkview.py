"""A check as the student touches it: prompt, answer input, Check and Hint buttons, feedback,
hints and mastery, one thin view over a :class:`~lessonkit.player.session.Session`.

The view hands the session what the student did and shows what came back; it decides
nothing itself, so JupyterLab and a Voila page behave the same.  Accessibility is built in
rather than styled on: every control has a visible label and a tooltip, the inputs are
native radio buttons, check boxes, text boxes or the code editor (so the keyboard works),
feedback starts with an icon and a word (never colour alone), is announced by screen
readers (``role="status"``) and keeps a contrast ratio above 7:1.  The teacher's options,
messages and hints are Markdown, rendered safely in the kernel (:mod:`lessonkit.player.rendering`).

On a page a code check's code runs contained twice: against the visible tests
(``Session.answer``), then on its own, so the student sees what it printed beside the
results (the tests swallow prints, so printed text can never forge a pass).  One after the
other, not in two threads: the sandbox forks with a ``preexec_fn``, which is not safe while
another thread runs.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as widgets

from lessonkit.player.choices import ChoiceGroup
from lessonkit.player.examples import Printed, lesson_files, run_printed
from lessonkit.player.reflection import ConfidenceInput
from lessonkit.player.rendering import Readable, icon, markdown_inline, markdown_output, points, set_markdown, status_html
from lessonkit.player.session import Outcome, Session

__all__ = ["CheckView", "all_mastered", "check_text", "step_link", "step_title"]

_CHECK_INPUTS = ("single", "multiple", "number", "text", "code")


def check_text(session: Session, check_id: str) -> str:
    """A check as Markdown: what a reader sees where the widget cannot render."""
    check = session.check(check_id)
    _, item = session.item(check_id)
    lines = [f"**Check `{check_id}`** ({points(float(check['points']))})", "", item.get("prompt", "")]
    if item.get("options"):
        lines += ["", *(f"- {chr(65 + n)}. {option}" for n, option in enumerate(item["options"]))]
    if check["input"] == "code":
        lines += ["", "Write your code in the cell above, run it, then press Check."]
    lines += ["", "_Answer this check in JupyterLab or on the lesson's page: it is interactive._"]
    return "\n".join(lines)


class CheckView(Readable, widgets.VBox):
    """A check: prompt, answer input, Check and Hint buttons, feedback, hints and mastery.

    ``namespace`` is given for a notebook's code check: it returns the student's kernel
    namespace, which the visible tests run against (the code is the cell above).  A page's
    code check gets an in-page code editor instead, and its source is run contained.
    """

    def __init__(self, session: Session, check_id: str, *,
                 namespace: Callable[[], Mapping[str, Any]] | None = None) -> None:
        self.session = session
        self.check_id = check_id
        self._namespace = namespace
        self._confirming = False
        check = session.check(check_id)
        self.kind = check["input"] if check["input"] in _CHECK_INPUTS else "text"
        index, item = session.item(check_id)
        self._shown_item = index
        self.prompt = markdown_output(item.get("prompt", ""))
        self.answer_input = self._make_input(item)
        self.check_button = widgets.Button(description="Check", button_style="primary", tooltip="Check your answer")
        self.hint_button = widgets.Button(description="Hint", tooltip="Reveal the next hint",
                                          layout=widgets.Layout(width="auto"))
        self.feedback = widgets.HTML()
        self.hint_note = widgets.HTML()
        self.hints = widgets.HTML()
        self.meter = widgets.HTML()
        self.confidence = ConfidenceInput(session, check_id)  # empty unless the lesson asks
        self.printed = widgets.HTML()  # a page's code check: what the student's code printed
        self.run_button = widgets.Button(description="Run my code", tooltip="Run your code and see what it prints",
                                         layout=widgets.Layout(width="auto"))
        self.run_button.on_click(lambda _: self.run_code())
        for button, name in ((self.check_button, "check"), (self.hint_button, "hint"), (self.run_button, "run")):
            button.add_class(f"lessonkit-{name}-button")  # for the page's stylesheet and tests
        self.check_button.on_click(lambda _: self.submit())
        self.hint_button.on_click(lambda _: self.ask_hint())
        show_prompt = not (self.kind == "code" and namespace is not None)  # the prompt is a cell above
        super().__init__([
            *([self.prompt] if show_prompt else []),
            self.answer_input, self.confidence,
            widgets.HBox([self.check_button, *([self.run_button] if self._runs_contained else []), self.hint_button]),
            self.feedback, self.printed, self.hint_note, self.hints, self.meter,
        ])
        self.add_class("lessonkit-check")
        self._restore()
        self._unsubscribe = session.subscribe(self.refresh)
        self.refresh()

    # -- the answer input --------------------------------------------------------------

    def _make_input(self, item: Mapping[str, Any]) -> widgets.Widget:
        label = {"description": "Your answer", "style": {"description_width": "initial"}}
        if self.kind == "single":
            return ChoiceGroup(item["options"], label="Your answer: pick one")
        if self.kind == "multiple":
            return ChoiceGroup(item["options"], multiple=True, label="Your answer: pick every option that applies")
        if self.kind == "code":
            if self._namespace is not None:
                return widgets.HTML("Write your code in the cell above and run it, then press <b>Check</b>: "
                                    "the visible tests run on what you defined.")
            from lessonkit.player.editor import CodeEditor

            return CodeEditor(value=item.get("starter", ""), label=f"Your code for check {self.check_id}")
        if item.get("format") in ("markdown", "code"):  # a response a person grades: room to write
            if item["format"] == "code" and self._namespace is None:
                from lessonkit.player.editor import CodeEditor

                return CodeEditor(value="", label=f"Your answer to check {self.check_id}")
            return widgets.Textarea(placeholder="Write your answer", rows=6, layout=widgets.Layout(width="95%"),
                                    continuous_update=False, **label)
        placeholder = "e.g. 0.75, 3/4 or 75%" if self.kind == "number" else "Type your answer"
        # sent once, when the box loses focus or on Enter: a message per keystroke is throttled by
        # the widget manager, and Check's click (sent at once) could overtake the last keystrokes
        box = widgets.Text(placeholder=placeholder, continuous_update=False, **label)
        unit = item.get("unit")
        return widgets.HBox([box, widgets.Label(unit)]) if unit else box

    @property
    def _text_box(self) -> widgets.Widget:
        """The widget whose ``value`` is the typed answer (a text box, a text area, an editor)."""
        return self.answer_input.children[0] if isinstance(self.answer_input, widgets.HBox) else self.answer_input

    def answer_value(self) -> Any:
        """The student's answer as the session takes it (see ``Session.answer``)."""
        if self.kind == "single":
            return self.answer_input.index
        if self.kind == "multiple":
            return list(self.answer_input.value)
        if self.kind == "code":
            return self._namespace() if self._namespace is not None else self.answer_input.value
        return self._text_box.value

    def set_answer(self, value: Any) -> None:
        """Put an answer back in the input (resuming; a new item clears it with None)."""
        if self.kind == "single":
            self.answer_input.index = value if isinstance(value, int) and 0 <= value < len(
                self.answer_input.options) else None
        elif self.kind == "multiple":
            self.answer_input.value = [n for n in value or () if isinstance(n, int)]
        elif self.kind == "code":
            if self._namespace is None:
                self.answer_input.value = value if isinstance(value, str) else self.session.item(
                    self.check_id)[1].get("starter", "")
        else:
            self._text_box.value = "" if value is None else str(value)

    # -- actions ------------------------------------------------------------------------------

    @property
    def _runs_contained(self) -> bool:
        """A page's code check: the code is text from the editor, run in the contained child."""
        return self.kind == "code" and self._namespace is None

    def submit(self) -> Outcome:
        """What the Check button does: judge, record, and show the feedback (and, for a page's
        code check, what the code printed, from a second contained run after the tests')."""
        self.check_button.disabled = True  # no double submission while judging (code can take a while)
        self.confidence.record()
        answer = self.answer_value()
        try:
            outcome = self.session.answer(self.check_id, answer)
            if self._runs_contained and outcome.recorded:
                self._show_printed(self._printed(answer))
        finally:
            self.check_button.disabled = False
        self._show_outcome(outcome)
        return outcome

    def run_code(self) -> Printed:
        """What "Run my code" does on a page: run it contained, as the tests will, and show
        what it printed.  Nothing is recorded: trying code out is not an answer."""
        self.run_button.disabled = True
        try:
            printed = self._printed(self.answer_value())
        finally:
            self.run_button.disabled = False
        self._show_printed(printed)
        return printed

    def _printed(self, source: str) -> Printed:
        _, item = self.session.item(self.check_id)
        return run_printed(source, setup=item.get("setup", ""), files=lesson_files(self.session.lesson))

    def _show_printed(self, printed: Printed) -> None:
        self.printed.value = printed.html("What your code printed")

    def ask_hint(self) -> None:
        """What the Hint button does.  A hint that costs points, or the bottom-out hint, asks
        once more before revealing: the student is told what it costs first."""
        offer = self.session.hint_offer(self.check_id)
        if offer is None or offer.locked_for:
            return
        if (offer.cost or offer.bottom_out) and not self._confirming:
            self._confirming = True
            self.refresh()
            return
        self._confirming = False
        self.session.reveal_hint(self.check_id)  # the subscription refreshes the view

    # -- showing ----------------------------------------------------------------------------

    def _show_outcome(self, outcome: Outcome) -> None:
        verdict = outcome.verdict
        at_stake = self.session.points_at_stake(self.check_id)
        if not outcome.recorded:
            self.feedback.value = status_html("info", verdict.message)
            return
        if verdict.correct is None:
            extra = f"{points(at_stake)} at stake."
            self.feedback.value = status_html("pending", verdict.message, verdict.details, extra)
        else:
            tone = "right" if verdict.correct else "wrong"
            extra = "Here is a new one to try." if outcome.next_item != outcome.item else ""
            self.feedback.value = status_html(tone, verdict.message, verdict.details, extra)

    def _show_item(self, index: int) -> None:
        item = self.session.check(self.check_id)["items"][index]
        self._shown_item = index
        set_markdown(self.prompt, item.get("prompt", ""))
        if isinstance(self.answer_input, ChoiceGroup):  # a variant may have options of its own
            self.answer_input.set_options(item["options"])
        self.set_answer(None)

    def _restore(self) -> None:
        """A resumed session shows the last answer (if it was to the item now shown) and how
        it went; hints already revealed are shown by :meth:`refresh`."""
        state = self.session.state.check(self.check_id)
        if not state.attempts:
            return
        if state.items[-1] == self._shown_item:
            self.set_answer(state.answers[-1])
            note = ""
        else:
            note = "Your last answer was to another version of this question: here is a new one to try."
        if state.pending:
            self.feedback.value = status_html("pending", "Your last answer is saved.", (), note)
        elif self._last_correct():
            self.feedback.value = status_html("right", "Your last answer was right.", (), note)
        else:
            self.feedback.value = status_html("wrong", "Your last answer was not right yet.", (), note)

    def _last_correct(self) -> bool:
        for event in reversed(self.session.events):
            if event.type == "answered" and event.check_id == self.check_id:
                return bool(event.data.get("correct"))
        return False

    def refresh(self) -> None:
        """Redraw what depends on the student's state: the Hint button, hints, mastery."""
        session, check_id = self.session, self.check_id
        if session.item(check_id)[0] != self._shown_item:  # e.g. a wrong answer drew the next variant
            self._show_item(session.item(check_id)[0])
        shown = session.hints_shown(check_id)
        self.hints.value = "" if not shown else (
            '<div role="region" aria-label="Hints"><b>Hints</b><ol>'
            + "".join(f"<li>{markdown_inline(h)}</li>" for h in shown) + "</ol></div>")
        self._refresh_hint_button()
        self.meter.value = self._meter_html()

    def _refresh_hint_button(self) -> None:
        offer = self.session.hint_offer(self.check_id)
        button, total = self.hint_button, len(self.session.check(self.check_id)["hints"])
        button.layout.display = "none" if total == 0 else None
        self.hint_note.value = ""
        if offer is None:
            button.description, button.disabled = "No more hints", True
            button.tooltip = "Every hint of this check is shown below"
            return
        label = f"Hint {offer.rung + 1} of {offer.total}"
        button.disabled = bool(offer.locked_for)
        button.button_style = ""
        if offer.locked_for:
            more = "answer" if offer.locked_for == 1 else "answers"
            button.description = f"{label} (after {offer.locked_for} more {more})"
            button.tooltip = "This hint opens once you have tried a little more"
            return
        costs = []
        if offer.cost:
            costs.append(f"costs {points(offer.cost)}")
        if offer.bottom_out:
            costs.append("shows the answer's shape")
        button.description = f"{label}" + (f" ({', '.join(costs)})" if costs else "")
        button.tooltip = "Reveal the next hint"
        if self._confirming:
            warning = []
            if offer.cost:
                warning.append(f"This hint takes {points(offer.cost)} off this check "
                               f"(it is worth {points(self.session.points_at_stake(self.check_id))} now).")
            if offer.bottom_out:
                warning.append("It is the last hint: it shows the answer's shape, so this question will "
                               "not count towards your mastery.")
            self.hint_note.value = status_html("info", " ".join(warning) + " Press the button again to reveal it.")
            button.description = f"Reveal hint {offer.rung + 1}" + (f" (\u2212{points(offer.cost)})" if offer.cost else "")
            button.button_style = "warning"

    def _meter_html(self) -> str:
        session = self.session
        rows = []
        for skill_id in session.check(self.check_id)["skills"]:
            if skill_id not in session.skills:
                continue
            state = session.skill_mastery(skill_id)
            name = html.escape(session.skills[skill_id].name or skill_id)
            if state.mastered:
                word = f"{icon('check')} mastered"
            elif state.needs_remediation:
                word = f"{icon('flag')} time for another approach"
            else:
                word = f"practising ({state.evidence} answer{'' if state.evidence == 1 else 's'} counted)"
            rows.append(f'<div>{name}: <progress max="100" value="{state.p * 100:.0f}" '
                        f'aria-label="Mastery of {name}"></progress> {state.p:.0%} &middot; {word}</div>')
        worth_points = float(session.check(self.check_id)["points"])
        at_stake = session.points_at_stake(self.check_id)
        worth = f"Worth {points(worth_points)}" + (f", {at_stake:g} after hints" if at_stake != worth_points else "")
        note = self._remediation_note()
        return f'<div style="font-size:90%;color:#333">{"".join(rows)}<div>{worth}.</div>{note}</div>'

    def _remediation_note(self) -> str:
        """In a notebook, the escape hatch is a pointer to the remediation section (a page
        takes the student there itself)."""
        if self.session.mode != "notebook":
            return ""
        route = self.session.route() if self.session.current_step == self.session.step_of(self.check_id) else None
        if route is None or route.reason != "remediation":
            return ""
        return (f"<div>You have practised this a lot without it clicking yet: "
                f"{step_link(self.session, route.to)} explains it another way.</div>")

    def readable(self) -> str:
        return check_text(self.session, self.check_id)

    def close(self) -> None:
        self._unsubscribe()
        super().close()


def all_mastered(session: Session) -> bool:
    return all(session.skill_mastery(s).mastered for s in session.skills)


def step_title(session: Session, step_id: str | None) -> str:
    """A step's name for the student.  An end step's title is the teacher's congratulation
    ("Well done"), true only once every skill is mastered: until then it is "End of the
    lesson" (see :mod:`lessonkit.player.endpage`)."""
    if step_id is None:
        return "the end of the lesson"
    step = session.path.step(step_id)
    if step["kind"] == "end" and not all_mastered(session):
        return "End of the lesson"
    return step.get("title") or step_id


def step_link(session: Session, step_id: str | None) -> str:
    """A link to a step's section heading in the notebook (JupyterLab anchors headings by
    their text, spaces turned into dashes)."""
    title = step_title(session, step_id)
    if step_id is None or not session.path.step(step_id).get("title"):
        return f"<b>{html.escape(title)}</b>"
    anchor = re.sub(r"\s", "-", title)
    return f'<a href="#{html.escape(anchor, quote=True)}">{html.escape(title)}</a>'
