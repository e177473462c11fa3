"""``python -m lessonkit`` is the ``lessonkit`` command."""

import sys

from lessonkit.cli import main

sys.exit(main())
