"""A page kernel's widgets share one default layout and style each (lessonkit.player.sharedstyle), and a
shared one refuses to change.  Each case runs in a fresh Python, as a page's kernel is: the sharing
is for the whole process."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from browser import REPO_ROOT


def run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], check=False, capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_widgets_that_keep_their_defaults_share_them_and_the_others_keep_their_own():
    out = run("""
        import ipywidgets as widgets
        from lessonkit.player.sharedstyle import share_defaults
        share_defaults()
        a, b = widgets.Button(description="a"), widgets.Button(description="b")
        own = widgets.Button(layout=widgets.Layout(width="auto"), style={"button_color": "red"})
        html = widgets.HTML("x")
        print(a.layout is b.layout is html.layout, a.style is b.style, own.layout is a.layout, own.style is a.style,
              own.layout.width, type(html.style).__name__)
        """)
    assert out.split() == ["True", "True", "False", "False", "auto", "HTMLStyle"]


def test_a_shared_default_refuses_to_change_and_a_closed_one_is_made_anew():
    out = run("""
        import ipywidgets as widgets
        from traitlets import TraitError
        from lessonkit.player.sharedstyle import share_defaults
        share_defaults()
        button = widgets.Button()
        try:
            button.layout.display = "none"
        except TraitError as error:
            print("refused:", error)
        shared = button.layout
        shared.close()
        print("anew:", widgets.Button().layout is not shared)
        """)
    assert "refused: the Layout shared by every widget of the page" in out
    assert "layout=widgets.Layout()" in out and "lessonkit/player/sharedstyle.py" in out
    assert "anew: True" in out
