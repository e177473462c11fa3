"""The in-page code editor that students type their answers to code checks in.

A plain ``Textarea`` has no highlighting, no auto-indentation and eats Tab, which makes Python
painful to write; the editor is CodeMirror 6 inside an anywidget, so the same widget works in a
Voila page and in JupyterLab. Its front-end is bundled into ``static/code_editor.js`` from
``extensions/editor`` (see the README there): no CDN, nothing fetched when a student opens a
page.
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import traitlets

_STATIC = Path(__file__).parent / "static"


class CodeEditor(anywidget.AnyWidget):
    """A Python code editor whose text is the synced ``value`` trait.

    Keystrokes reach the kernel at most every 250 ms and at once when the editor loses focus,
    so code read after the student clicks elsewhere (a "Check" button) is what they typed.
    Setting ``value`` from Python replaces the text in every view.

    Keyboard: Tab indents; Escape then Tab leaves the editor (CodeMirror's convention for
    editors that keep Tab), and Ctrl-M toggles Tab between indenting and moving focus.
    """

    _esm = _STATIC / "code_editor.js"

    value = traitlets.Unicode("").tag(sync=True)
    #: Only Python for now; an Enum so that an unsupported language fails here, not in the page.
    language = traitlets.Enum(["python"], default_value="python").tag(sync=True)
    #: The accessible name screen readers announce (aria-label of the editable area).
    label = traitlets.Unicode("Code editor").tag(sync=True)
    #: Shown greyed out while the editor is empty.
    placeholder = traitlets.Unicode("").tag(sync=True)
    #: Read-only and not focusable, e.g. once a check is passed or locked.
    disabled = traitlets.Bool(False).tag(sync=True)
    #: Minimum height in lines; the editor grows with its content beyond it.
    rows = traitlets.Int(4, min=1).tag(sync=True)
