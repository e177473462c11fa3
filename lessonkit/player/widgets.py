"""The widgets a student touches, thin views over a :class:`~lessonkit.player.session.Session`.

A view hands the session what the student did and shows what came back; it decides
nothing itself, so JupyterLab and a Voila page behave the same (both use these views).
Accessibility is built in rather than styled on: every control has a visible label
(``description``) and a tooltip, everything is a native button, radio, checkbox or text
box (so it is keyboard-operable), feedback says what happened in words and a symbol and
is announced by screen readers (``role="status"``), and its colours keep a contrast ratio
above 7:1.  Where widgets cannot render (nbconvert, a notebook viewer, a front end
without the widget manager) each view's display data carries a readable Markdown and
plain-text form of the same content.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as widgets

from lessonkit.engine.path import Route
from lessonkit.player.reflection import ConfidenceInput
from lessonkit.player.session import Outcome, Session

__all__ = ["CheckView", "LessonHeader", "NextStepView", "check_text", "markdown_output"]

# text on background, each pair above 7:1 (WCAG AAA for body text)
_TONES = {
    "right": ("#0b5a27", "#e8f5ec", "\u2714", "Correct"),
    "wrong": ("#8a1111", "#fdeeee", "\u2718", "Not yet"),
    "pending": ("#5a4300", "#fff5d6", "\u231b", "Decided at grading"),
    "info": ("#1d3557", "#edf2f8", "\u270e", "Not checked"),
}
_CHECK_INPUTS = ("single", "multiple", "number", "text", "code")


def markdown_output(text: str) -> widgets.Output:
    """Markdown (with math) rendered by the front end exactly as a notebook cell is."""
    out = widgets.Output()
    set_markdown(out, text)
    return out


def set_markdown(out: widgets.Output, text: str) -> None:
    out.outputs = ({"output_type": "display_data", "metadata": {},
                    "data": {"text/markdown": text, "text/plain": text}},)


def status_html(tone: str, message: str, details: tuple[str, ...] = (), extra: str = "") -> str:
    """One feedback box: symbol and words first (never colour alone), then the message."""
    colour, background, symbol, word = _TONES[tone]
    text = "" if message.strip().rstrip("!.") == word else html.escape(message)
    listed = "".join(f"<li>{html.escape(d)}</li>" for d in details)
    return (f'<div role="status" aria-live="polite" style="color:{colour};background:{background};'
            f'border-left:4px solid {colour};padding:6px 10px;margin:4px 0">'
            f'<b><span aria-hidden="true">{symbol}</span> {word}.</b> {text}'
            + (f'<ul style="margin:4px 0">{listed}</ul>' if listed else "")
            + (f"<div>{html.escape(extra)}</div>" if extra else "") + "</div>")


def _points(value: float) -> str:
    return f"{value:g} point{'' if value == 1 else 's'}"


def check_text(session: Session, check_id: str) -> str:
    """A check as Markdown: what a reader sees where the widget cannot render."""
    check = session.check(check_id)
    _, item = session.item(check_id)
    lines = [f"**Check `{check_id}`** ({_points(float(check['points']))})", "", item.get("prompt", "")]
    if item.get("options"):
        lines += ["", *(f"- {chr(65 + n)}. {option}" for n, option in enumerate(item["options"]))]
    if check["input"] == "code":
        lines += ["", "Write your code in the cell above, run it, then press Check."]
    lines += ["", "_Answer this check in JupyterLab or on the lesson's page: it is interactive._"]
    return "\n".join(lines)


class _Readable:
    """Adds a Markdown and plain-text form to a widget's display data (see module doc)."""

    def readable(self) -> str:  # pragma: no cover - every view overrides it
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        data = super()._repr_mimebundle_(**kwargs)  # type: ignore[misc]
        text = self.readable()
        data.update({"text/markdown": text, "text/plain": text})
        return data


class CheckView(_Readable, widgets.VBox):
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
        self.check_button = widgets.Button(description="Check", button_style="primary", icon="check",
                                           tooltip="Check your answer")
        self.hint_button = widgets.Button(description="Hint", tooltip="Reveal the next hint",
                                          layout=widgets.Layout(width="auto"))
        self.feedback = widgets.HTML()
        self.hint_note = widgets.HTML()
        self.hints = widgets.HTML()
        self.meter = widgets.HTML()
        self.confidence = ConfidenceInput(session, check_id)  # player.reflection: empty unless the lesson asks
        self.check_button.on_click(lambda _: self.submit())
        self.hint_button.on_click(lambda _: self.ask_hint())
        show_prompt = not (self.kind == "code" and namespace is not None)  # the prompt is a cell above
        super().__init__([
            *([self.prompt] if show_prompt else []),
            self.answer_input, self.confidence,
            widgets.HBox([self.check_button, self.hint_button]),
            self.feedback, self.hint_note, self.hints, self.meter,
        ])
        self.add_class("lessonkit-check")
        self._restore()
        self._unsubscribe = session.subscribe(self.refresh)
        self.refresh()

    # -- the answer input --------------------------------------------------------------

    def _make_input(self, item: Mapping[str, Any]) -> widgets.Widget:
        label = {"description": "Your answer", "style": {"description_width": "initial"}}
        if self.kind == "single":
            return widgets.RadioButtons(options=[(o, n) for n, o in enumerate(item["options"])], index=None,
                                        layout=widgets.Layout(width="auto"), **label)
        if self.kind == "multiple":
            boxes = [widgets.Checkbox(description=o, indent=False, value=False) for o in item["options"]]
            return widgets.VBox([widgets.Label("Your answer: pick every option that applies"), *boxes])
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
                                    **label)
        placeholder = "e.g. 0.75, 3/4 or 75%" if self.kind == "number" else "Type your answer"
        box = widgets.Text(placeholder=placeholder, **label)
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
            return [n for n, box in enumerate(self.answer_input.children[1:]) if box.value]
        if self.kind == "code":
            return self._namespace() if self._namespace is not None else self.answer_input.value
        return self._text_box.value

    def set_answer(self, value: Any) -> None:
        """Put an answer back in the input (resuming; a new item clears it with None)."""
        if self.kind == "single":
            self.answer_input.index = value if isinstance(value, int) and 0 <= value < len(
                self.answer_input.options) else None
        elif self.kind == "multiple":
            chosen = set(value or ())
            for n, box in enumerate(self.answer_input.children[1:]):
                box.value = n in chosen
        elif self.kind == "code":
            if self._namespace is None:
                self.answer_input.value = value if isinstance(value, str) else self.session.item(
                    self.check_id)[1].get("starter", "")
        else:
            self._text_box.value = "" if value is None else str(value)

    # -- actions ------------------------------------------------------------------------------

    def submit(self) -> Outcome:
        """What the Check button does: judge, record, and show the feedback."""
        self.check_button.disabled = True  # no double submission while judging (code can take a while)
        self.confidence.record()
        try:
            outcome = self.session.answer(self.check_id, self.answer_value())
        finally:
            self.check_button.disabled = False
        self._show_outcome(outcome)
        return outcome

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
        points = self.session.points_at_stake(self.check_id)
        if not outcome.recorded:
            self.feedback.value = status_html("info", verdict.message)
            return
        if verdict.correct is None:
            extra = f"{_points(points)} at stake."
            self.feedback.value = status_html("pending", verdict.message, verdict.details, extra)
        else:
            tone = "right" if verdict.correct else "wrong"
            extra = "Here is a new one to try." if outcome.next_item != outcome.item else ""
            self.feedback.value = status_html(tone, verdict.message, verdict.details, extra)

    def _show_item(self, index: int) -> None:
        item = self.session.check(self.check_id)["items"][index]
        self._shown_item = index
        set_markdown(self.prompt, item.get("prompt", ""))
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
            + "".join(f"<li>{html.escape(h)}</li>" for h in shown) + "</ol></div>")
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
            costs.append(f"costs {_points(offer.cost)}")
        if offer.bottom_out:
            costs.append("shows the answer's shape")
        button.description = f"{label}" + (f" ({', '.join(costs)})" if costs else "")
        button.tooltip = "Reveal the next hint"
        if self._confirming:
            warning = []
            if offer.cost:
                warning.append(f"This hint takes {_points(offer.cost)} off this check "
                               f"(it is worth {_points(self.session.points_at_stake(self.check_id))} now).")
            if offer.bottom_out:
                warning.append("It is the last hint: it shows the answer's shape, so this question will "
                               "not count towards your mastery.")
            self.hint_note.value = status_html("info", " ".join(warning) + " Press the button again to reveal it.")
            button.description = f"Reveal hint {offer.rung + 1}" + (f" (\u2212{_points(offer.cost)})" if offer.cost else "")
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
                word = "\u2714 mastered"
            elif state.needs_remediation:
                word = "\u2691 time for another approach"
            else:
                word = f"practising ({state.evidence} answer{'' if state.evidence == 1 else 's'} counted)"
            rows.append(f'<div>{name}: <progress max="100" value="{state.p * 100:.0f}" '
                        f'aria-label="Mastery of {name}"></progress> {state.p:.0%} &middot; {word}</div>')
        points = float(session.check(self.check_id)["points"])
        at_stake = session.points_at_stake(self.check_id)
        worth = f"Worth {_points(points)}" + (f", {at_stake:g} after hints" if at_stake != points else "")
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
                f"{_step_link(self.session, route.to)} explains it another way.</div>")

    def readable(self) -> str:
        return check_text(self.session, self.check_id)

    def close(self) -> None:
        self._unsubscribe()
        super().close()


def _step_title(session: Session, step_id: str | None) -> str:
    if step_id is None:
        return "the end of the lesson"
    step = session.path.step(step_id)
    return step.get("title") or step_id


def _step_link(session: Session, step_id: str | None) -> str:
    """A link to a step's section heading in the notebook (JupyterLab anchors headings by
    their text, spaces turned into dashes)."""
    title = _step_title(session, step_id)
    if step_id is None or not session.path.step(step_id).get("title"):
        return f"<b>{html.escape(title)}</b>"
    anchor = re.sub(r"\s", "-", title)
    return f'<a href="#{html.escape(anchor, quote=True)}">{html.escape(title)}</a>'


_KIND_WORDS = {"remediation": "another way in", "enrichment": "a challenge", "review": "a short review",
               "end": "the end", "check": "practice", "content": "the next part"}


class NextStepView(_Readable, widgets.VBox):
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
                                     f"{_step_link(session, taken)}.</div>" if picked and taken else ""))
            if len(self.buttons.children) != len(choice["options"]):
                self.buttons.children = [self._option_button(o) for o in choice["options"]]
            return
        if taken is not None:
            self.message.value = f"<b>Where next:</b> you went on to {_step_link(session, taken)}."
            self.buttons.children = []
            return
        route = self._preview()
        kind = session.path.step(route.to)["kind"] if route and route.to else "end"
        self.message.value = (f"<b>Where next:</b> from your answers so far, {_KIND_WORDS.get(kind, 'the next part')}: "
                              f"{_step_link(session, route.to if route else None)}.")
        button = widgets.Button(description="Continue", button_style="primary",
                                tooltip=f"Go on to {_step_title(session, route.to if route else None)}")
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


class LessonHeader(_Readable, widgets.VBox):
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
            mark = " \u2714 mastered" if state.mastered else ""
            rows.append(f"<li>{html.escape(skill.name or skill_id)}: {state.p:.0%}{mark}</li>")
        reviews = "".join(
            f"<div>\u23f0 Time to review <b>{html.escape(session.skills[s].name or s)}</b>: see "
            f"{_step_link(session, session.path.review_step_for(s))}.</div>" for s in session.due_reviews())
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
