"""Running code on a page: a lesson's example cells (a Run button) and what a student's own code
for a code check prints.

A page's kernel runs the server's Python, so nothing a student can change runs there: the
code goes to the contained child of code checks (``engine.sandbox.run_python``: time, memory
and output limits, the standard library only, a private folder holding the lesson's data
files, and where the machine allows no network and no view of the file system).  An example
runs after the step's earlier example cells, as it would in a notebook read from the top of
the step; what those print is not shown, only this cell's output.  An error is shown as the
notebook would end it, its line in this cell and the exception's last line, without the
runner's own frames.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from lessonkit.player.rendering import markdown_output

__all__ = ["ExampleCell", "Printed", "lesson_files", "run_printed"]

_SHOWN_CHARS = 5_000  # of what a run printed: the end is what a student looks for

# Runs in the contained child with the standard library only: the earlier cells with their
# prints swallowed, then this cell; an uncaught error goes on the results channel as
# (line in this cell, "Type: message"), never a traceback with the runner's frames.
_RUNNER = r'''
import io, json, os, sys, traceback
job = json.loads(sys.stdin.read())
results = os.fdopen(int(sys.argv[1]), "w")
namespace = {"__name__": "__main__"}

def run(source, filename):
    try:
        exec(compile(source, filename, "exec"), namespace)
    except BaseException as error:
        lines = [f.lineno for f in traceback.extract_tb(error.__traceback__) if f.filename == filename]
        if isinstance(error, SyntaxError) and error.filename == filename:
            lines.append(error.lineno)
        text = traceback.format_exception_only(type(error), error)[-1].strip()
        return {"line": lines[-1] if lines else None, "error": text}
    return None

real = sys.stdout
sys.stdout = io.StringIO()
failed = run(job["setup"], "<earlier cells>")
sys.stdout = real
if failed:
    json.dump({"where": "setup", **failed}, results)
else:
    failed = run(job["code"], "<this cell>")
    sys.stdout.flush()
    json.dump({"where": "code", **failed} if failed else {}, results)
results.close()
'''

_STOPPED = {
    "timeout": "it was stopped after {timeout:g} s (is there a loop that never ends?)",
    "output": "it printed too much and was stopped",
    "cpu": "it used too much computing time and was stopped",
    "memory": "it used too much memory and was stopped",
}


@dataclass(frozen=True)
class Printed:
    """What a run printed, and how it ended, in the student's words: ``error`` is empty when
    the code ran to its end."""

    output: str
    error: str = ""

    def html(self, title: str) -> str:
        """The output as a labelled region (announced when it changes)."""
        shown = self.output if len(self.output) <= _SHOWN_CHARS else "…" + self.output[-_SHOWN_CHARS:]
        body = f"<pre>{html.escape(shown)}</pre>" if shown else "<p><i>It printed nothing.</i></p>"
        error = f'<p class="lessonkit-run-error"><b>Error:</b> {html.escape(self.error)}</p>' if self.error else ""
        return (f'<div class="lessonkit-output" role="status" aria-live="polite" aria-label="{html.escape(title)}">'
                f"<b>{html.escape(title)}</b>{body}{error}</div>")


def run_printed(code: str, *, setup: str = "", files: Mapping[str, bytes] | None = None) -> Printed:
    """Run ``setup`` silently, then ``code``, contained; what ``code`` printed and how it ended."""
    from lessonkit.engine.sandbox import Limits, SandboxError, run_python

    limits = Limits()
    try:
        run = run_python(_RUNNER, stdin=json.dumps({"setup": setup, "code": code}), files=files or {},
                         limits=limits, channel=True)
    except SandboxError as error:
        return Printed("", f"the code could not be run here ({error}). Tell your teacher.")
    output = run.stdout + run.stderr
    if run.killed_reason:
        reason = _STOPPED.get(run.killed_reason, "it was stopped ({reason})")
        return Printed(output, reason.format(timeout=limits.timeout, reason=run.killed_reason))
    try:
        ending: dict[str, Any] = json.loads(run.channel) if run.channel.strip() else {"error": "it stopped early"}
    except ValueError:
        ending = {"error": "it stopped early"}
    if "error" not in ending:
        return Printed(output)
    where = f"line {ending['line']}: " if ending.get("line") else ""
    if ending.get("where") == "setup":
        return Printed(output, f"an earlier example on this page stopped with {ending['error']}")
    return Printed(output, f"{where}{ending['error']}")


def lesson_files(lesson: Mapping[str, Any]) -> dict[str, bytes]:
    """The lesson's data files (those its code checks run beside), from the page's folder."""
    names = {name for check in lesson["checks"].values() for item in check["items"] for name in item.get("files", ())}
    return {name: Path(name).read_bytes() for name in sorted(names) if Path(name).is_file()}


class ExampleCell(widgets.VBox):
    """An example code cell on a page: the code, a Run button, and what it printed."""

    def __init__(self, source: str, *, earlier: Sequence[str], files: Mapping[str, bytes], number: int) -> None:
        self.source = source
        self._setup = "".join(part + "\n" for part in earlier)
        self._files = files
        self._title = f"Output of example {number}"
        self.code = markdown_output(f"```python\n{source}\n```")
        self.run_button = widgets.Button(description="Run", tooltip=f"Run example {number} and see what it prints")
        self.run_button.add_class("lessonkit-run-button")
        self.output = widgets.HTML()
        self.run_button.on_click(lambda _: self.run())
        super().__init__([self.code, self.run_button, self.output])
        self.add_class("lessonkit-example")

    def run(self) -> Printed:
        self.run_button.disabled = True
        self.output.value = '<div class="lessonkit-output" role="status" aria-live="polite">Running…</div>'
        try:
            printed = run_printed(self.source, setup=self._setup, files=self._files)
        finally:
            self.run_button.disabled = False
        self.output.value = printed.html(self._title)
        return printed
