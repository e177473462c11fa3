"""Feedback pages for students, in nbgrader's look, with the hidden tests kept hidden.

``nbgrader generate_feedback`` shows hidden tests by design (nbgrader #917), and a failing
hidden test's traceback quotes its assert line.  Here the feedback goes through nbgrader's
own exporter setup (its ``feedback`` template, ``GetGrades`` for the scores and comments
graders entered) plus :class:`HideHiddenTests`, which gives a cell with hidden tests the
source students were given and a plain sentence for its outputs, and removes any other
output that quotes a hidden line (a student's cell can print the kernel's input history).
"""

from __future__ import annotations

import html
import os
import re
import shutil
from pathlib import Path
from typing import Any, Iterator, Mapping

import nbformat
import nbgrader
from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor, Preprocessor
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import GetGrades
from traitlets import Unicode
from traitlets.config import Config

from lessonkit.grade.assignment import AssignmentSpec, NotebookSpec
from lessonkit.grade.course import Course

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_MIN_SECRET = 10
"""Hidden lines shorter than this (``else:``, ``pass``) are too common to count as a leak."""


class HideHiddenTests(Preprocessor):
    """Keep every line of hidden tests out of a feedback notebook (see the module docstring)."""

    notice = Unicode("This cell also runs hidden tests; they are not shown.",
                     help="What a student reads in place of a cell's hidden tests and their outputs.").tag(config=True)
    removed = Unicode("[output removed: it showed hidden test code]",
                      help="What replaces any other output that quotes a hidden test.").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        spec: NotebookSpec = resources["lessonkit"]["spec"]
        secrets = hidden_lines(spec)
        for cell in nb.cells:
            teacher = spec.cells.get(cell.metadata.get("nbgrader", {}).get("grade_id", ""))
            if teacher is not None and teacher.hidden_tests:
                cell.source = f"{teacher.released.rstrip()}\n# {self.notice}".lstrip()
                if cell.cell_type == "code":
                    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=self._verdict(cell))]
            elif cell.cell_type == "code":
                cell.outputs = [self._redacted() if _quotes(out, secrets) else out for out in cell.outputs]
        if any(_mentions(text, secrets) for text in _strings(nb.metadata.get("widgets", {}))):
            nb.metadata.pop("widgets")
        return nb, resources

    def _verdict(self, cell: NotebookNode) -> str:
        meta = cell.metadata.get("nbgrader", {})
        score, points = meta.get("score"), meta.get("points")
        if score is None or points is None:
            result = "to be graded"
        elif float(score) >= float(points):
            result = "passed"
        elif float(score) > 0:
            result = f"partly passed ({float(score):g} of {float(points):g} points)"
        else:
            result = "failed"
        return f"{self.notice} Result: {result}.\n"

    def _redacted(self) -> NotebookNode:
        return nbformat.v4.new_output("stream", name="stdout", text=self.removed + "\n")


def hidden_lines(spec: NotebookSpec) -> set[str]:
    """Lines of the teacher's test cells that students were never given."""
    found = set()
    for teacher in spec.cells.values():
        if teacher.hidden_tests:
            released = {line.strip() for line in teacher.released.splitlines()}
            found |= {line.strip() for line in teacher.source.splitlines()
                      if len(line.strip()) >= _MIN_SECRET and line.strip() not in released}
    return found


class FeedbackWriter:
    """Renders ``feedback/<student>/<assignment>/<notebook>.html`` for one assignment."""

    def __init__(self, course: Course, spec: AssignmentSpec) -> None:
        self.course = course
        self.spec = spec
        config = Config(course.config)
        templates = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader"
        if "template_name" not in config.HTMLExporter:  # as nbgrader's GenerateFeedback sets it up
            config.HTMLExporter.template_name = "feedback"
        if "extra_template_basedirs" not in config.HTMLExporter:
            config.HTMLExporter.extra_template_basedirs = [str(templates / "templates")]
        config.HTMLExporter.extra_template_paths = [
            str(templates / "static" / "node_modules" / "bootstrap" / "dist" / "css")]
        self.exporter = HTMLExporter(config=config)
        for preprocessor in (GetGrades, CSSHTMLHeaderPreprocessor):  # as nbgrader's GenerateFeedback
            self.exporter.register_preprocessor(preprocessor)
        self.exporter.register_preprocessor(HideHiddenTests, enabled=True)

    def write(self, student_id: str, notebooks: Mapping[str, NotebookNode]) -> list[Path]:
        """Feedback for one student's graded notebooks; scores come from the gradebook."""
        source = self.course.folder("autograded_directory", student_id, self.spec.name)
        dest = self.course.folder("feedback_directory", student_id, self.spec.name)
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        for path in source.rglob("*") if source.exists() else ():
            if path.is_file() and path.suffix != ".ipynb" and not path.is_symlink():
                target = dest / path.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
        written = []
        for name, nb in notebooks.items():
            resources = {"nbgrader": {"notebook": name, "assignment": self.spec.name, "student": student_id,
                                      "db_url": self.course.db_url},
                         "lessonkit": {"spec": self.spec.notebook(name)}}
            body, _ = self.exporter.from_notebook_node(nb, resources=resources)
            target = dest / f"{name}.html"
            target.write_text(body, encoding="utf-8")
            written.append(target)
        mode = 0o664 if self.course.coursedir.groupshared else 0o644
        for folder, _, names in os.walk(dest):
            for name in names:
                os.chmod(os.path.join(folder, name), mode)
        return written


def read_autograded(course: Course, spec: AssignmentSpec, student_id: str) -> dict[str, NotebookNode]:
    """A student's graded notebooks from ``autograded/``, to (re)write feedback after manual grading.

    A notebook that was never graded (missing, unreadable) gets :func:`ungraded_notice`.
    """
    folder = course.folder("autograded_directory", student_id, spec.name)
    return {nb.name: nbformat.read(folder / f"{nb.name}.ipynb", as_version=4)
            if (folder / f"{nb.name}.ipynb").exists() else ungraded_notice("it was missing or could not be read")
            for nb in spec.notebooks}


def ungraded_notice(reason: str) -> NotebookNode:
    """The feedback page of a notebook that could not be graded: why, so every student hears back."""
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        f"**This notebook could not be graded:** {reason}. Its questions score 0; ask your teacher.")])


def _quotes(output: NotebookNode, secrets: set[str]) -> bool:
    return any(_mentions(text, secrets) for text in _strings(dict(output)))


def _strings(value: Any) -> Iterator[str]:
    """Every string inside an output or widget state (JSON-like, nested)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def _mentions(text: str, secrets: set[str]) -> bool:
    if not secrets:
        return False
    plain = html.unescape(_ANSI.sub("", text))
    return any(secret in plain for secret in secrets)
