"""Shared fixtures: test helpers importable by name, a real PostgreSQL and a real browser.

Session fixtures are registered here once: imported into several test modules, each module
would get its own copy (two PostgreSQL servers, two Playwright drivers that collide).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from browser import browser, page  # noqa: E402,F401  (fixtures: Chromium for the session, a page per test)
from grade_fixtures.courses import ps1_graded  # noqa: E402,F401  (a session fixture: ps1 graded by both graders)
from pg import postgres_url  # noqa: E402,F401  (a session fixture, used by the store tests)
