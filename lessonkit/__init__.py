"""lessonkit: personal, self-paced, mastery-based lessons in Jupyter.

``import lessonkit as lk`` is what a teacher writes at the top of a lesson.  The calls
below describe the lesson (``lk.lesson``, ``lk.step``, ``lk.check``, ``lk.branch``,
``lk.choose``); run in the teacher's notebook they show a preview, and ``lessonkit build``
reads them without running them.  This module stays light (no widgets, no nbgrader at
import) because student kernels import lessonkit too.
"""

from __future__ import annotations

from lessonkit.authoring import branch, check, choose, lesson, reflect, step

__version__ = "0.1.0"

__all__ = ["__version__", "branch", "check", "choose", "lesson", "reflect", "step"]
