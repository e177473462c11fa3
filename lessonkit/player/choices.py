"""The options of a choice check, as native radio buttons or check boxes with Markdown labels.

ipywidgets' ``RadioButtons`` and ``Checkbox`` take plain text only and cut a long option off
with "…"; a check's options are the teacher's Markdown (``*before*``, backticks) and must be
read whole.  So the options are an anywidget of a few lines of plain JavaScript
(``static/choice_group.js``, no build, no network) that draws a ``<fieldset>`` of native
inputs with real ``<label>`` elements: the keyboard, screen readers and a click on the text
work as in any form.  The labels are rendered in the kernel (:mod:`lessonkit.player.rendering`).

The browser sends each tick numbered, and the kernel sends the number of the last one it took
back with ``value`` (``seq``): the page keeps showing the student's own ticks until the kernel
has them all, so that no older ``value`` (an echo of an earlier tick, the state fetched again
when the kernel's connection is restored) unticks a box and drops it from the next tick.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import anywidget
import traitlets

from lessonkit.player.rendering import markdown_inline

__all__ = ["ChoiceGroup"]


class ChoiceGroup(anywidget.AnyWidget):
    """One question's options; ``value`` is the list of the picked options' indexes (at most
    one unless ``multiple``)."""

    _esm = Path(__file__).parent / "static" / "choice_group.js"

    #: The group's name (its ``<legend>``), which screen readers announce before the options.
    label = traitlets.Unicode("Your answer").tag(sync=True)
    #: Each option as safe HTML; set through :meth:`set_options`.
    options_html = traitlets.List(traitlets.Unicode()).tag(sync=True)
    multiple = traitlets.Bool(False).tag(sync=True)
    value = traitlets.List(traitlets.Int()).tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)
    #: the number of the browser's last tick taken into ``value`` (``static/choice_group.js`` says why)
    seq = traitlets.Int(0).tag(sync=True)

    def __init__(self, options: Sequence[str], *, multiple: bool = False, label: str = "Your answer") -> None:
        super().__init__(multiple=multiple, label=label)
        self._texts: list[str] = []
        self.set_options(options)
        self.on_msg(self._picked)

    def _picked(self, _: object, content: object, buffers: object) -> None:
        """The browser's ticks, sent as they happen and numbered (``static/choice_group.js`` says why);
        the number goes back with the value, in one message."""
        if not isinstance(content, dict) or not isinstance(content.get("picked"), list):
            return
        seq = content.get("seq") if _is_int(content.get("seq")) else None
        if seq is not None and seq < self.seq:  # older than a tick already taken
            return
        with self.hold_sync():
            self.value = [n for n in content["picked"] if _is_int(n)]
            if seq is not None:
                self.seq = seq

    def set_options(self, options: Sequence[str]) -> None:
        """Show new options (a new variant of the question), none picked."""
        self._texts = list(options)
        self.value = []
        self.options_html = [markdown_inline(text) for text in self._texts]

    @property
    def options(self) -> list[tuple[str, int]]:
        """The options as the teacher wrote them, with their indexes."""
        return [(text, n) for n, text in enumerate(self._texts)]

    @property
    def index(self) -> int | None:
        """The picked option of a single choice (None: none yet)."""
        return self.value[0] if self.value else None

    @index.setter
    def index(self, index: int | None) -> None:
        self.value = [] if index is None else [index]

    @traitlets.validate("value")
    def _known_options(self, proposal: traitlets.Bunch) -> list[int]:
        """What the browser sends is untrusted: keep only real options, one unless multiple."""
        picked = sorted({n for n in proposal["value"] if 0 <= n < len(self._texts)})
        return picked if self.multiple else picked[-1:]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
