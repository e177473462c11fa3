"""Shared fixtures: test helpers importable by name, a real PostgreSQL and a real browser.

Session fixtures are registered here once: imported into several test modules, each module
would get its own copy (two PostgreSQL servers, two Playwright drivers that collide).

With ``-n 2 --dist loadgroup`` the suite runs on two pytest-xdist workers (pyproject.toml says why
it does not by default): while one test waits on a kernel, a server or a browser, the other uses
the CPU. Each worker is a process
with its own session, so a module or session fixture is built once per worker that runs a test
needing it; :func:`pytest_collection_modifyitems` keeps each expensive fixture on one worker.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from browser import browser, page  # noqa: E402,F401  (fixtures: Chromium for the session, a page per test)
from grade_fixtures.courses import ps1_graded  # noqa: E402,F401  (a session fixture: ps1 graded by both graders)
from pg import postgres_url  # noqa: E402,F401  (a session fixture, used by the store tests)

SHARED_SESSION_FIXTURES = ("ps1_graded",)
"""Session fixtures that cost a minute (grading a corpus twice): every test using one runs on the
same worker. The others (a browser, a PostgreSQL server) start in seconds, once per worker."""


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook reads the xdist_group marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the tests sharing an expensive fixture in one xdist group, so that one worker builds it.

    Under ``--dist loadgroup`` an unmarked test is scheduled on its own, on whichever worker is
    free: the tests of one module-scoped fixture (a class walked through a server in Chromium,
    a batch graded) would land on both workers and the fixture be built twice. A test that
    uses a module-scoped fixture joins its module's group, one that uses a fixture of
    :data:`SHARED_SESSION_FIXTURES` that fixture's group; an ``xdist_group`` mark a test has
    already wins. Tests with function-scoped fixtures only stay free to go where there is room.
    """
    for item in items:
        if item.get_closest_marker("xdist_group") is None and (group := _shared_setup(item)):
            item.add_marker(pytest.mark.xdist_group(group))


def _shared_setup(item: pytest.Item) -> str | None:
    """The group of the expensive shared fixture ``item`` uses, if any."""
    info = getattr(item, "_fixtureinfo", None)  # pytest's resolved fixture closure (no public API gives the scopes)
    if info is None:
        return None
    scopes = {name: defs[-1].scope for name, defs in info.name2fixturedefs.items() if defs}
    shared = [name for name in SHARED_SESSION_FIXTURES if name in scopes]
    if shared:
        return shared[0]
    if any(scope in ("module", "class") for scope in scopes.values()):
        return item.nodeid.split("::")[0]
    return None
