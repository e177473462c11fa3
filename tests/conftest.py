"""Shared fixtures: test helpers importable by name, and a real PostgreSQL for the session."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from pg import postgres_url  # noqa: E402,F401  (a session fixture, used by the store tests)
