"""A student kernel imports lessonkit on every page load and every notebook run: it must stay
light, loading nothing heavy before a store is opened.  tests/test_layers.py checks the
import itself; how long it takes is benchmarks/import_time.py's figure."""

from __future__ import annotations

import json

from test_layers import HEAVY
from test_player_lesson import build, run_python


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
