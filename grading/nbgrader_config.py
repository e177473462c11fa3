"""nbgrader's configuration for the lessonkit course (this folder is the course root).

nbgrader's own commands (`nbgrader generate_assignment`, `autograde`, `formgrader` ...) read
this file when run from here, and `lessonkit grade` reads it wherever it runs from.  See
docs/grading.md for the layout and the grader's workflow.
"""

import os

c = get_config()  # noqa: F821  (defined by traitlets when it loads this file)

# The course root is this folder, wherever the command runs from.
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "lessonkit"

# A deleted test cell is put back from the gradebook and graded, by nbgrader and lessonkit
# alike: a student who deleted a test by mistake still gets the points their code earns.
c.OverwriteCells.add_missing_cells = True

# nbgrader warns "Attribute 'checksum' for cell ... has changed!" for every grade cell with hidden
# tests, even on an untouched submission (its gradebook keeps the checksum from before the hidden
# tests were cleared). lessonkit's OverwriteCells is nbgrader's, quiet about exactly that and still
# loud about any other change to a locked cell (docs/grading.md).
from lessonkit.compile.autograde import SANITIZE_PREPROCESSORS  # noqa: E402

c.Autograde.sanitize_preprocessors = SANITIZE_PREPROCESSORS

# Seconds a cell may run before it is interrupted (nbgrader's default).
c.Execute.timeout = 30

# lessonkit grade's own settings (nbgrader ignores them); the values shown are the defaults.
c.LessonkitGrader.workers = 0  # notebooks run at once; 0: one per CPU core
c.LessonkitGrader.cpu_seconds = 600  # CPU seconds a notebook's kernel may use in all
c.LessonkitGrader.memory_mb = 2048  # address space per kernel
c.LessonkitGrader.output_bytes = 10_000_000  # output per notebook, past it output is cut (never a score)
c.LessonkitGrader.processes = 64  # processes and threads per kernel
c.LessonkitGrader.file_mb = 64  # largest file a kernel may write
c.LessonkitGrader.feedback = True  # feedback HTML for every graded student
