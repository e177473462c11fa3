"""A student kernel imports lessonkit on every page load and every notebook run: it must stay
light (at most 0.5 s with everything lkp.start_notebook and lkp.start_page load, and nothing
heavy before a store is opened)."""

from __future__ import annotations

import json

from test_player_lesson import build, run_python

HEAVY = ("sqlalchemy", "nbgrader", "nbformat", "nbclient", "matplotlib", "numpy", "pandas", "fsrs", "papermill")

MEASURE = """
import json, sys, time
start = time.perf_counter()
import lessonkit, lessonkit.player
bare = time.perf_counter() - start
import lessonkit.format.blob, lessonkit.player.identity, lessonkit.player.session, lessonkit.player.widgets
import lessonkit.player.pageview, lessonkit.progress
full = time.perf_counter() - start
print(json.dumps({"bare": bare, "full": full, "heavy": [m for m in HEAVY if m in sys.modules]}))
"""


def test_importing_the_player_is_light(tmp_path):
    # the best of five: other processes on a shared machine only ever make an import slower
    runs = [json.loads(run_python(f"HEAVY = {HEAVY!r}\n{MEASURE}", cwd=tmp_path)) for _ in range(5)]
    assert all(run["heavy"] == [] for run in runs)
    assert min(run["bare"] for run in runs) < 0.1
    assert min(run["full"] for run in runs) <= 0.5


def test_a_notebook_session_opens_no_database_and_loads_nothing_heavy(tmp_path):
    built = build(tmp_path)
    out = run_python(f"""
import json, sys
import lessonkit.player as lkp
lkp.start_notebook({built.blob!r})
for check_id in lkp.current_session().lesson["checks"]:
    lkp.show_check(check_id)
lkp.current_session().answer("which-equal", 1)
print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))
""", cwd=tmp_path)
    assert json.loads(out.splitlines()[-1]) == []
    assert (tmp_path / "fractions.progress.jsonl").exists()
