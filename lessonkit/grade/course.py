"""The nbgrader course a grading run works in: its configuration, folders and gradebook.

lessonkit grades inside an ordinary nbgrader course (``grading/`` in this repository), read
through nbgrader's own :class:`~nbgrader.coursedir.CourseDirectory`, so that nbgrader's
commands and formgrader keep working on the very same files: ``source/``, ``submitted/``,
``autograded/``, ``feedback/`` and ``gradebook.db``.
"""

from __future__ import annotations

import contextlib
import datetime
import glob
import logging
import os
import re
import shutil
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from jupyter_core.paths import jupyter_config_path
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from nbgrader.utils import find_all_files, setenv
from traitlets.config import Config
from traitlets.config.loader import (
    ConfigFileNotFound,
    JSONFileConfigLoader,
    PyFileConfigLoader,
)

from lessonkit.engine.sandbox import containment, private_dir
from lessonkit.errors import LessonkitError

log = logging.getLogger("lessonkit.grade")


class _DebugOnly(logging.LoggerAdapter):  # type: ignore[type-arg]
    """Logs at debug level whatever it is given."""

    def log(self, level: int, msg: object, *args: object, **kwargs: object) -> None:
        super().log(logging.DEBUG, msg, *args, **kwargs)  # type: ignore[arg-type]


NBGRADER_LOG = _DebugOnly(log.getChild("nbgrader"), {})
"""For nbgrader's and nbclient's own messages: what they warn about (an edited cell, a timeout,
a dead kernel) the report states in words, so on the console they would only be noise."""

CONFIG_NAME = "nbgrader_config"
"""nbgrader reads ``nbgrader_config.py`` (or ``.json``) from Jupyter's config folders and the
folder it runs in; lessonkit reads the same files, the course folder last, so one file
configures nbgrader's commands and ``lessonkit grade`` alike."""


class GradingError(LessonkitError, RuntimeError):
    """The grading run itself cannot go on (a course or setup problem, never one student's)."""


@dataclass(frozen=True)
class Submission:
    """One student's submitted folder for an assignment, as nbgrader's ``submitted/`` holds it."""

    student_id: str
    path: Path
    timestamp: datetime.datetime | None


def load_config(course_dir: Path) -> Config:
    """nbgrader's configuration as its commands would see it when run from ``course_dir``."""
    config = Config()
    for folder in [*reversed(jupyter_config_path()), str(course_dir)]:
        for loader in (PyFileConfigLoader(f"{CONFIG_NAME}.py", path=folder),
                       JSONFileConfigLoader(f"{CONFIG_NAME}.json", path=folder)):
            with contextlib.suppress(ConfigFileNotFound):
                config.merge(loader.load_config())
    return config


class Course:
    """An nbgrader course folder, with lessonkit's view of what grading needs from it."""

    def __init__(self, root: str | os.PathLike[str], config: Config | None = None) -> None:
        self.root = Path(root).absolute()
        if not self.root.is_dir():
            raise GradingError(f"{self.root}: no such course folder (it holds nbgrader_config.py and source/)")
        self.config = load_config(self.root)
        if config is not None:
            self.config.merge(config)
        self.config.CourseDirectory.root = str(self.root)
        self.coursedir = CourseDirectory(config=self.config)

    @property
    def db_url(self) -> str:
        return self.coursedir.db_url

    def folder(self, step: str, student_id: str, assignment: str) -> Path:
        """``step`` is a :class:`CourseDirectory` directory name (``source_directory`` ...)."""
        return Path(self.coursedir.format_path(getattr(self.coursedir, step), student_id, assignment))

    def gradebook(self) -> Gradebook:
        """Open the gradebook; creating one runs nbgrader's ``alembic`` (see :func:`nbgrader_tools`)."""
        with nbgrader_tools():
            return Gradebook(self.db_url, self.coursedir.course_id)

    def ensure_assignment(self, assignment: str) -> bool:
        """Make sure the gradebook knows ``assignment``; return whether it had to be generated.

        nbgrader's ``generate_assignment`` is what records the teacher's cells, points and
        hidden tests in the gradebook, and grading reads them from there.  When a grader
        skipped it, run it now (as nbgrader's own API, so the result is exactly nbgrader's).
        """
        source = self.folder("source_directory", ".", assignment)
        if not any(source.glob("*.ipynb")):
            raise GradingError(f"{source}: no notebooks; build the lesson first (lessonkit build) or put the "
                               "assignment's nbgrader source there")
        with self.gradebook() as gradebook:
            try:
                known = gradebook.find_assignment(assignment)
                if {nb.name for nb in known.notebooks} >= {p.stem for p in source.glob("*.ipynb")}:
                    return False
            except MissingEntry:
                pass
        log.info("%s is not (fully) in the gradebook: running nbgrader generate_assignment", assignment)
        from nbgrader.converters import GenerateAssignment

        generate = GenerateAssignment(coursedir=CourseDirectory(config=self.config, assignment_id=assignment),
                                      config=self.config, log=NBGRADER_LOG)
        generate.force = generate.create_assignment = True
        try:
            with nbgrader_tools():
                generate.start()
        except Exception as error:
            raise GradingError(f"nbgrader generate_assignment {assignment} failed: {error}") from error
        return True

    def collect(self, assignment: str) -> None:
        """Copy the newest submissions from nbgrader's exchange into ``submitted/``."""
        from nbgrader.apps import NbGraderAPI  # seconds to import: only when collecting

        result = NbGraderAPI(coursedir=self.coursedir, config=self.config).collect(assignment, update=True)
        if not result["success"]:
            raise GradingError(f"nbgrader collect {assignment} failed:\n{result.get('error') or result.get('log')}")

    def import_submissions(self, assignment: str, folder: str | os.PathLike[str]) -> int:
        """Copy ``folder/<student>/<assignment>/`` (laid out like ``submitted/``) into the course.

        Grading always reads ``submitted/``, so that nbgrader's own commands can re-run on the
        same files; returns how many submissions were copied.
        """
        folder = Path(folder).absolute()
        found = sorted(p for p in folder.glob(f"*/{assignment}") if p.is_dir())
        if not found:
            raise GradingError(f"{folder}: no submissions, expected {folder}/<student>/{assignment}/*.ipynb")
        for path in found:
            target = self.folder("submitted_directory", path.parent.name, assignment)
            if target.resolve() == path.resolve():
                continue
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(path, target, symlinks=True)
        return len(found)

    def submissions(self, assignment: str, students: Sequence[str] | None = None) -> list[Submission]:
        """Every submission of ``assignment`` in ``submitted/``, in student order."""
        pattern = re.compile(self.coursedir.format_path(
            self.coursedir.submitted_directory, "(?P<student_id>[^/]+)", re.escape(assignment), escape=True) + "$")
        found = []
        for path in sorted(Path(p) for p in glob.glob(self.coursedir.format_path(
                self.coursedir.submitted_directory, "*", assignment))):
            match = pattern.match(str(path))
            if not (match and path.is_dir()):
                continue
            student_id = match["student_id"]
            if students is not None and student_id not in students:
                continue
            found.append(Submission(student_id, path, self.timestamp(path)))
        return found

    def timestamp(self, folder: Path) -> datetime.datetime | None:
        """The submission time nbgrader recorded (``timestamp.txt``), ``None`` when absent or unreadable."""
        try:
            return self.coursedir.get_existing_timestamp(str(folder))
        except Exception as error:  # CourseDirectory.fail raises a bare Exception on a bad timestamp
            log.warning("%s: %s; the submission is treated as on time", folder, error)
            return None

    def source_files(self, assignment: str) -> list[tuple[str, Path]]:
        """The assignment's non-notebook files (data, images) as ``(relative path, path)``.

        nbgrader's autograde copies them over each submission, so a student cannot replace
        a data file the tests read; ``Autograde.exclude_overwriting`` lists exceptions.
        """
        source = self.folder("source_directory", ".", assignment)
        excluded = {str(source / name) for name in
                    self.config.Autograde.get("exclude_overwriting", {}).get(assignment, [])}
        files = find_all_files(str(source), self.coursedir.ignore + ["*.ipynb"])
        return sorted((os.path.relpath(f, source), Path(f)) for f in files if f not in excluded)

    @contextlib.contextmanager
    def private(self) -> Iterator[None]:
        """Keep the gradebook, the teacher's sources and every submission from student code while grading.

        Inside bubblewrap student code does not see the course at all.  With a uid of its own
        only (root without bubblewrap, :func:`lessonkit.engine.sandbox.containment`) it can read
        what is world-readable, so the course folder is closed for the run, which closes
        everything below it, and its mode is given back afterwards: nbgrader's formgrader and
        the teachers' own accounts keep the access they had.  Not root, nothing can be closed
        to student code running as this very user.
        """
        layer = containment()
        if layer.namespaces or not layer.own_uid:
            yield
            return
        mode = stat.S_IMODE(self.root.stat().st_mode)
        private_dir(self.root)
        try:
            yield
        finally:
            os.chmod(self.root, mode)


@contextlib.contextmanager
def nbgrader_tools() -> Iterator[None]:
    """Let nbgrader find ``alembic``, which it runs by name to create a gradebook.

    It lives beside this interpreter, which is not on ``PATH`` when Python was started by
    its full path (a service, an IDE, CI).
    """
    bin_dir = os.path.dirname(sys.executable)
    path = os.environ.get("PATH", "")
    if bin_dir in path.split(os.pathsep):
        yield
    else:
        with setenv(PATH=os.pathsep.join([bin_dir, path])):
            yield

