"""The test guard sent into each student's kernel: :mod:`lessonkit.engine.guard` itself.

The kernel pool sends the source of the file behind this module into every kernel and calls
its ``install(name)`` there (:func:`lessonkit.grade.kernels.install_guard`).  Importing this
module gives the engine's guard, so what runs in the kernels is the one guard that code checks
and grade cells use, not a copy of it.
"""

from __future__ import annotations

import sys

from lessonkit.engine import guard

sys.modules[__name__] = guard  # the import system hands back what this module left here
