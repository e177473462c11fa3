"""Nothing a student can reach holds a plain answer, a solution or a hidden test (architecture §6).

A fresh interpreter, which never sees the teacher's lesson, gets only the sealed blob, as a
student's kernel does; it runs the player in notebook mode and in page mode, shows every
check, reveals every hint, answers (wrongly: a right answer typed by the student is the
student's own), takes the branches and the choice; then it searches its own memory:
``globals()``, every string reachable from ``gc.get_objects()``, and every widget's synced
state (``get_state()``, what the browser receives).  A planted secret proves the search
finds what it looks for.
"""

from __future__ import annotations

import json

from test_player_lesson import CODE_CELLS, build, run_python

DRIVE = r"""
import gc, json, os, sys
from IPython.core.interactiveshell import InteractiveShell
import ipywidgets as widgets
import lessonkit.player as lkp
from lessonkit.player.pageview import PageView
from lessonkit.player.widgets import CheckView, NextStepView

SECRETS = json.loads(open("secrets.json").read())  # the file's text is freed at once
BLOBS = json.loads(open("blobs.json").read())
MINE = {id(s) for s in SECRETS}  # the search's own list is not a leak
shell = InteractiveShell.instance()
WRONG = {"single": 0, "multiple": [1], "number": "12345", "text": "no idea", "code": "def sum_evens(n):\n    return -1"}


def views(kind):
    return [o for o in gc.get_objects() if isinstance(o, kind)]


def play(view):
    for _ in range(3):  # enough answers to open every gated hint
        view.set_answer(WRONG[view.kind])
        view.check_button.click()
    for _ in range(2 * len(view.session.check(view.check_id)["hints"])):
        view.hint_button.click()  # twice for hints that ask before revealing


for blob in BLOBS:  # notebook mode: every check, every hint, every "what next" panel
    lkp.start_notebook(blob)
    session = lkp.current_session()
    for check_id in session.lesson["checks"]:
        lkp.show_check(check_id)
    for step in session.lesson["steps"]:
        if step["branch"] or step["choice"]:
            lkp.show_next_step(step["id"])
    for view in views(CheckView):
        play(view)
    for panel in views(NextStepView):
        for button in panel.buttons.children:
            button.click()

walked = []
for blob in BLOBS:  # page mode: walk the steps
    lkp.start_page(blob)
    page = [v for v in views(PageView) if v.session is lkp.current_session()][0]
    for _ in range(25):
        for view in page.checks:
            play(view)
        if page.choices.children:
            page.choices.children[-1].click()
        elif page.next_button.layout.display != "none":
            page.next_button.click()
        else:
            break
    walked.append(sorted(page.session.state.visits))

planted = ["".join(list(SECRETS[0]))]  # a copy made at run time: the search must find it


def strings():
    # every string, bytes and float (numeric answers) that globals() and the objects the
    # garbage collector tracks refer to
    seen = set(MINE)
    for obj in [*globals().values(), *gc.get_objects()]:
        for ref in [obj, *gc.get_referents(obj)]:
            if isinstance(ref, (str, bytes, float)) and id(ref) not in seen:
                seen.add(id(ref))
                yield ref.decode("utf-8", "replace") if isinstance(ref, bytes) else str(ref)


def found(texts):
    return sorted({s for text in texts for s in SECRETS if s in text})


states = [json.dumps(w.get_state(), default=str) for w in views(widgets.Widget)]
print(json.dumps({"memory": found(strings()), "widgets": found(states), "widget_count": len(states),
                  "steps": walked, "planted": planted[0] in SECRETS}))
"""


def test_no_answer_solution_or_hidden_test_is_reachable_by_the_student(tmp_path):
    fractions = build(tmp_path)
    code = build(tmp_path, CODE_CELLS, "loops")
    secrets = fractions.secrets + code.secrets
    assert any("sum_evens(101)" in s for s in secrets) and any("improper fraction" in s for s in secrets)
    assert any(len(s) >= 20 and "return" in s for s in secrets)  # a solution line
    (tmp_path / "secrets.json").write_text(json.dumps(secrets))
    (tmp_path / "blobs.json").write_text(json.dumps([fractions.blob, code.blob]))
    out = run_python(DRIVE, cwd=tmp_path, LESSONKIT_DB=str(tmp_path / "progress.sqlite"), JUPYTERHUB_USER="student")
    report = json.loads(out.splitlines()[-1])
    assert report["planted"] and report["widget_count"] > 50
    assert {"practice", "common-denominator"} <= set(report["steps"][0]) and report["steps"][1] == ["done", "write"]
    # the planted copy is found (the search works), and nothing else is
    assert report["memory"] == [secrets[0]], report
    assert report["widgets"] == [], report
