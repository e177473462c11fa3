"""Feedback pages for students, in nbgrader's look, with the hidden tests kept hidden.

``nbgrader generate_feedback`` shows hidden tests by design (nbgrader #917), and a failing
hidden test's traceback quotes its assert line.  Here the feedback goes through nbgrader's
own exporter setup (its ``feedback`` template, ``GetGrades`` for the scores and comments
graders entered) plus :class:`~lessonkit.grade.redact.HideHiddenTests`, which withholds
everything the submission could have derived from hidden tests, by position.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Mapping

import nbformat
import nbgrader
from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import GetGrades, NbGraderPreprocessor
from traitlets.config import Config

from lessonkit.grade.assignment import AssignmentSpec
from lessonkit.grade.course import Course
from lessonkit.grade.redact import HideHiddenTests


class OpenGradebookGetGrades(GetGrades):
    """nbgrader's ``GetGrades`` on the run's gradebook when one is open (:attr:`open_gradebook`).

    nbgrader's opens a gradebook per notebook (an engine and a check of the whole schema), which
    cost more than rendering the page; what is read and put in the page is the same.
    """

    open_gradebook: Any = None
    """An open nbgrader ``Gradebook`` (not in the resources: the exporter copies those)."""

    def preprocess(self, nb: NotebookNode, resources: Any) -> tuple[NotebookNode, Any]:
        gradebook = self.open_gradebook
        if gradebook is None:
            return super().preprocess(nb, resources)
        ids = resources["nbgrader"]
        self.notebook_id, self.assignment_id, self.student_id = ids["notebook"], ids["assignment"], ids["student"]
        self.db_url = ids["db_url"]
        self.gradebook = gradebook
        nb, resources = NbGraderPreprocessor.preprocess(self, nb, resources)
        notebook = gradebook.find_submission_notebook(self.notebook_id, self.assignment_id, self.student_id)
        late_penalty = notebook.late_submission_penalty or 0
        if notebook.late_submission_penalty is not None:
            self.log.warning("Late submission penalty: %s", late_penalty)
        ids["score"] = notebook.score - late_penalty
        ids["max_score"] = notebook.max_score
        ids["late_penalty"] = late_penalty
        return nb, resources


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
        self._grades = OpenGradebookGetGrades(parent=self.exporter)  # nbgrader GenerateFeedback registers GetGrades
        self.exporter.register_preprocessor(self._grades)
        self.exporter.register_preprocessor(CSSHTMLHeaderPreprocessor)
        self.exporter.register_preprocessor(HideHiddenTests, enabled=True)

    def write(self, student_id: str, notebooks: Mapping[str, NotebookNode], gradebook: Any = None) -> list[Path]:
        """Feedback for one student's graded notebooks; scores come from the gradebook (``gradebook``,
        an open nbgrader ``Gradebook``, else the course's opened for each notebook, as nbgrader does)."""
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
            self._grades.open_gradebook = gradebook
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
