"""CodeEditor in a real Voila page, in headless Chromium: what a student actually gets.

One standalone Voila server serves a tiny notebook for the whole module; every test loads the
page afresh (a new kernel each time, as for a student). Each test leaves a screenshot in its
tmp_path for debugging.
"""

import re

import nbformat
import pytest
from browser import voila_server, wait_for_widgets
from playwright.sync_api import expect

pytestmark = pytest.mark.slow

SAMPLE = '''class Greeter:
    """Say hello."""
    count = 0  # greetings so far

    def greet(self, name=None):
        return f"Hi {name}\\n" if name else True
'''

NOTEBOOK = f'''
import ipywidgets as widgets
from lessonkit.player.editor import CodeEditor

editor = CodeEditor(value={SAMPLE!r}, label="Your answer", placeholder="Write your function here")
# The kernel's view of the editor: repr keeps newlines and indentation visible in a Label.
seen = widgets.Label()
seen.add_class("seen-by-kernel")
editor.observe(lambda change: setattr(seen, "value", repr(change["new"])), "value")

def lock(_):
    editor.value = "# locked"
    editor.disabled = True

lock_button = widgets.Button(description="Lock")
lock_button.on_click(lock)
widgets.VBox([widgets.Button(description="Before"), editor, seen, lock_button])
'''


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    notebook = tmp_path_factory.mktemp("editor") / "editor.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(NOTEBOOK)]), notebook)
    with voila_server(notebook) as base_url:
        yield base_url


def open_editor(page, url):
    page.goto(url)
    wait_for_widgets(page)
    page.locator(".cm-editor").wait_for()
    return page.locator(".cm-content")


def editor_lines(page):
    return page.locator(".cm-content .cm-line").all_inner_texts()


def test_typed_code_is_highlighted_indented_and_reaches_the_kernel(page, url, tmp_path):
    content = open_editor(page, url)
    assert editor_lines(page)[0] == "class Greeter:"
    assert content.locator("span").count() > 5, "no highlighted tokens"

    content.click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    assert page.locator(".cm-placeholder").inner_text() == "Write your function here"

    page.keyboard.type("def double(x):")
    page.keyboard.press("Enter")
    assert editor_lines(page)[1] == "    ", "no indentation after ':'"
    page.keyboard.type("return 2 * x")

    assert editor_lines(page) == ["def double(x):", "    return 2 * x"]
    keyword = content.locator("span", has_text=re.compile(r"^def$"))
    assert keyword.evaluate("el => getComputedStyle(el).color") != content.evaluate(
        "el => getComputedStyle(el).color"
    ), "keywords are not coloured"
    seen = page.locator(".seen-by-kernel")
    seen.filter(has_text=repr("def double(x):\n    return 2 * x")).wait_for(timeout=5000)
    page.screenshot(path=tmp_path / "editor.png", full_page=True)


def test_keyboard_users_can_enter_and_leave_the_editor(page, url, tmp_path):
    content = open_editor(page, url)
    assert content.get_attribute("aria-label") == "Your answer"
    assert content.get_attribute("role") == "textbox"

    page.get_by_role("button", name="Before").focus()
    page.keyboard.press("Tab")
    expect(content, "Tab does not reach the editor").to_be_focused()
    # CodeMirror marks itself focused 10 ms after the DOM focus: expect() waits for it.
    expect(page.locator(".cm-editor"), "no visible focus ring").to_have_css("outline-style", "solid")

    page.keyboard.press("Control+a")
    page.keyboard.type("if True:")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # indents one more level, focus stays
    assert editor_lines(page)[1] == " " * 8
    expect(content).to_be_focused()

    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Lock"), "cannot leave the editor").to_be_focused()
    page.screenshot(path=tmp_path / "keyboard.png", full_page=True)


def test_value_sync_is_debounced_and_flushed_on_blur(page, url, tmp_path):
    """With the page's clock stopped, only leaving the editor can send the code to the kernel."""
    page.clock.install()
    content = open_editor(page, url)
    page.clock.pause_at(page.evaluate("Date.now()") + 10)
    seen = page.locator(".seen-by-kernel")
    content.click()
    page.keyboard.press("Control+a")
    page.keyboard.type("x = 1")
    page.wait_for_timeout(300)
    assert seen.inner_text() == "", "sent before the debounce delay"
    page.clock.run_for(300)
    seen.filter(has_text=repr("x = 1")).wait_for(timeout=5000)

    page.keyboard.type("2")
    page.get_by_role("button", name="Before").click()
    seen.filter(has_text=repr("x = 12")).wait_for(timeout=5000)
    page.screenshot(path=tmp_path / "sync.png", full_page=True)


def test_text_has_enough_contrast(page, url, tmp_path):
    """Every token colour is WCAG AA (4.5:1) against the background it is drawn on."""
    open_editor(page, url)
    page.locator(".cm-content").click()
    page.locator(".cm-editor.cm-focused").wait_for()  # so the active line is highlighted, darker
    samples = page.evaluate(
        """() => [...document.querySelectorAll('.cm-content .cm-line, .cm-content .cm-line span,'
                + ' .cm-lineNumbers .cm-gutterElement')]
            .filter((el) => el.textContent.trim())
            .map((el) => {
                const color = (node) => getComputedStyle(node).color;
                const background = (node) => getComputedStyle(node).backgroundColor;
                let bg = el;
                while (background(bg) === 'rgba(0, 0, 0, 0)') bg = bg.parentElement;
                return [el.textContent, color(el), background(bg)];
            })"""
    )
    assert len(samples) > 20
    low = [(text, round(contrast(fg, bg), 2)) for text, fg, bg in samples if contrast(fg, bg) < 4.5]
    assert not low, f"too little contrast: {low}"
    page.screenshot(path=tmp_path / "contrast.png", full_page=True)


def test_kernel_changes_reach_the_editor(page, url, tmp_path):
    content = open_editor(page, url)
    page.get_by_role("button", name="Lock").click()
    page.locator(".cm-editor.lk-disabled").wait_for(timeout=5000)
    assert editor_lines(page) == ["# locked"]
    assert content.get_attribute("contenteditable") == "false"
    page.screenshot(path=tmp_path / "locked.png", full_page=True)


def test_wait_for_widgets_reports_a_failing_cell(page, tmp_path):
    notebook = tmp_path / "fails.ipynb"
    cells = [nbformat.v4.new_code_cell("import warnings; warnings.warn('only a warning')"),
             nbformat.v4.new_code_cell("1 / 0")]  # fmt: skip
    nbformat.write(nbformat.v4.new_notebook(cells=cells), notebook)
    with voila_server(notebook) as base_url:
        page.goto(base_url)
        with pytest.raises(AssertionError, match="ZeroDivisionError") as error:
            wait_for_widgets(page)
    assert "only a warning" not in str(error.value)


def contrast(foreground: str, background: str) -> float:
    """WCAG contrast ratio of two CSS rgb()/rgba() colours (alpha ignored: all are opaque)."""

    def luminance(color):
        channels = [int(c) / 255 for c in re.findall(r"\d+", color)[:3]]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
