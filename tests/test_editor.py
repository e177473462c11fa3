"""CodeEditor at the Python level: its synced traits and the front-end bundle it ships.

The browser behaviour is in test_browser_editor.py.
"""

import re
from pathlib import Path

import pytest
import traitlets

from lessonkit.player.editor import CodeEditor

BUNDLE = Path(__file__).resolve().parents[1] / "lessonkit" / "player" / "static" / "code_editor.js"


def test_traits_have_defaults_and_are_synced():
    traits = ["value", "language", "label", "placeholder", "disabled", "rows"]
    assert CodeEditor().get_state(traits) == {
        "value": "",
        "language": "python",
        "label": "Code editor",
        "placeholder": "",
        "disabled": False,
        "rows": 4,
    }


def test_traits_are_settable_and_validated():
    editor = CodeEditor(value="x = 1\n", label="Your answer", rows=8, disabled=True)
    assert editor.get_state("value") == {"value": "x = 1\n"}
    assert (editor.label, editor.rows, editor.disabled) == ("Your answer", 8, True)
    with pytest.raises(traitlets.TraitError):
        CodeEditor(language="javascript")
    with pytest.raises(traitlets.TraitError):
        CodeEditor(rows=0)


def test_the_widget_ships_the_committed_bundle():
    assert BUNDLE.is_file(), "run `npm run build` in extensions/editor"
    assert CodeEditor().get_state("_esm")["_esm"] == BUNDLE.read_text()


def test_the_bundle_is_self_contained():
    """Students' pages may have no internet: the module must not import anything by URL."""
    source = BUNDLE.read_text()
    assert not re.search(r"""\bimport\s*\(?\s*["']https?://""", source)
    assert not re.search(r"""\bfrom\s*["']https?://""", source)
    # esbuild inlined every dependency: no bare import of an npm package is left over.
    assert not re.search(r"""(\bfrom|\bimport)\s*["'][@\w]""", source)
    assert re.search(r"export\s*\{[^}]*\bas default\b", source)
