"""Running a lesson source shows the teacher the lesson as students get it (docs/authoring.md,
"Preview while you write"): every check cell run in a real kernel shows the player's widget
with a variant drawn and the key in a teacher panel; a bad cell shows its problems in
``lessonkit validate``'s words; answers tried through the preview get the player's feedback;
a branch cell shows where students go.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from lessonfactory import HEADER, write_lesson
from lessonkit.compile import validate_lesson
from lessonkit.format.reader import parse_lesson

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((REPO / "lessons").glob("*/*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

pytestmark = pytest.mark.slow


def run(path: Path) -> nbformat.NotebookNode:
    """Execute a notebook in a real kernel started in its folder, keeping the widgets' state."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", store_widget_state=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


class Widgets:
    """The widget models a run notebook stored, and what one output's widget tree shows."""

    def __init__(self, nb: nbformat.NotebookNode) -> None:
        self.state = nb.metadata["widgets"][WIDGET_STATE]["state"]

    def tree(self, model_id: str) -> list[dict]:
        model = self.state[model_id]
        found = [model]
        state = model["state"]
        for child in state.get("children", []):
            found += self.tree(child.removeprefix("IPY_MODEL_"))
        return found

    def of_cell(self, cell: nbformat.NotebookNode) -> list[dict]:
        """Every model under the cell's widget outputs (an empty list when it shows none)."""
        models = []
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view:
                models += self.tree(view["model_id"])
        return models


def classes(models: list[dict]) -> set[str]:
    return {c for m in models for c in m["state"].get("_dom_classes", [])}


def shown_text(models: list[dict]) -> str:
    """What the widgets show: HTML values, labels, buttons, and the Markdown of Output widgets."""
    parts = []
    for model in models:
        state = model["state"]
        for key in ("value", "description"):
            if isinstance(state.get(key), str):
                parts.append(state[key])
        for output in state.get("outputs", []):
            parts.append(output.get("data", {}).get("text/markdown", ""))
        parts += [str(label) for label in state.get("_options_labels", [])]
    return html.unescape("\n".join(parts))


def check_cells(path: Path) -> dict[str, int]:
    lesson, _ = parse_lesson(path)
    assert lesson is not None
    return {check.id: check.where.cell_index for check in lesson.checks.values()}


@pytest.mark.parametrize("source", EXAMPLES, ids=[p.parent.name for p in EXAMPLES])
def test_every_check_of_every_example_lesson_previews_as_students_get_it(tmp_path, source):
    folder = shutil.copytree(source.parent, tmp_path / source.parent.name)
    path = folder / source.name
    lesson, _ = parse_lesson(path)
    nb = run(path)
    widgets = Widgets(nb)
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", (index, output.get("evalue"))
            for text in output.get("data", {}).values():
                # the old preview dumped each call's arguments as JSON
                assert '"prompt":' not in str(text) and "fields (teacher view)" not in str(text), (index, text)
    for check_id, index in check_cells(path).items():
        models = widgets.of_cell(nb.cells[index])
        assert models, f"check '{check_id}' (cell {index + 1}) shows no widget"
        seen = shown_text(models)
        check = lesson.checks[check_id]
        assert "lessonkit-preview" in classes(models) and "Teacher view" in seen and "Answer key" in seen, check_id
        assert "to fix before this lesson builds" not in seen, (check_id, seen)
        if check.kind != "code":
            assert "lessonkit-check" in classes(models), check_id  # the player's own check view
            assert any(m["model_name"] == "ButtonModel" and m["state"]["description"] == "Check" for m in models)
        prompt_start = check.prompt.split("{")[0][:30]  # a template's text before its first value
        assert prompt_start in seen, (check_id, prompt_start)


BAD = [
    ("code", HEADER),
    ("code", 'lk.step("practice", kind="check", title="Practice")'),
    ("code", 'lk.check(id="misspelt", kind="single", prompt="2 + 2?", options=["3", "4"], answr="4", '
             'hint=["Count on."], skills=["add"])'),
    ("code", 'lk.check(id="no-kind", kind="numerc", prompt="2 + 2?", answer=4, skills=["add"])'),
    ("code", 'lk.check(id="bad-key", kind="single", prompt="2 + 2?", options=["3", "5"], answer="4", skills=["add"])'),
    ("code", 'lk.check(id="never", kind="numeric", prompt="{a} + {b}?", answer="a + b", skills=["add"], '
             'variants={"count": 2, "params": {"a": [1, 2], "b": [3]}, "where": "a > b"})'),
    ("code", 'lk.step("done", kind="end", title="Done")'),
]


def test_a_bad_check_cell_shows_each_problem_in_validates_words(tmp_path):
    path = write_lesson(tmp_path, BAD)
    report = validate_lesson(path, run_code=False)
    nb = run(path)
    widgets = Widgets(nb)
    cells = check_cells(path)
    for check_id in ("misspelt", "no-kind", "bad-key", "never"):
        expected = [p for p in report.problems if p.where.cell_index == cells[check_id]]
        assert expected, check_id
        models = widgets.of_cell(nb.cells[cells[check_id]])
        seen = shown_text(models)
        for problem in expected:
            assert problem.message in seen and problem.hint in seen, (check_id, problem.message, seen)
        assert seen.count("error:") == len(expected), (check_id, seen)  # one message per problem
        assert "lessonkit-check" not in classes(models)  # nothing to try until it is fixed
    assert "did you mean 'hints'?" in shown_text(widgets.of_cell(nb.cells[cells["misspelt"]]))


TRY = [
    ("code", HEADER),
    ("code", 'lk.step("practice", kind="check", title="Practice")'),
    ("code", 'lk.check(id="add-v", kind="numeric", prompt="What is {a} + {b}?", answer="a + b", skills=["add"], '
             'hints=["Start from {a} and count on {b}."], '
             'feedback=[{"answer": "{a - b}", "message": "That is {a} minus {b}: add instead."}], '
             'variants={"count": 3, "params": {"a": [17, 28, 39], "b": [5, 6, 7]}, "where": "a + b < 45"})'),
    ("code", '''import json
from lessonkit.preview import shown
preview = shown("add-v")
a, b = preview.values[preview.variant]["a"], preview.values[preview.variant]["b"]
first = preview.items[preview.variant]["prompt"]
wrong = preview.try_answer(str(a - b))
wrong_feedback = preview.feedback_text
preview.student.ask_hint()
hints = preview.student.hints.value
right = preview.try_answer(str(a + b))
preview.draw_another()
print(json.dumps({"a": a, "b": b, "first": first, "wrong": wrong.verdict.message, "wrong_feedback": wrong_feedback,
                  "hints": hints, "right": right.verdict.correct, "next": preview.items[preview.variant]["prompt"],
                  "shown": preview.student.prompt.outputs[0]["data"]["text/markdown"]}))'''),
]


def test_answers_tried_in_the_preview_get_the_players_feedback_and_hints(tmp_path):
    nb = run(write_lesson(tmp_path, TRY))
    (output,) = [o for o in nb.cells[3].outputs if o.get("name") == "stdout"]
    got = json.loads(output.text)
    a, b = got["a"], got["b"]
    assert a + b < 45 and got["first"] == f"What is {a} + {b}?"
    assert got["wrong"] == f"That is {a} minus {b}: add instead." and got["wrong"] in html.unescape(got["wrong_feedback"])
    assert f"Start from {a} and count on {b}." in got["hints"]  # the hint, filled in with this variant's values
    assert got["right"] is True
    assert got["next"] != got["first"] and got["shown"] == got["next"]  # another variant, shown to the teacher
    c, d = (int(n) for n in got["next"].removeprefix("What is ").rstrip("?").split(" + "))
    teacher = shown_text(Widgets(nb).of_cell(nb.cells[2]))  # as the widgets were left: on the variant drawn last
    assert "Teacher view" in teacher and f"<td>{c + d} (" in teacher and f"c = {c}" not in teacher
    assert f"a = {c}, b = {d}" in teacher and f"Start from {c} and count on {d}." in teacher


ROUTES = [
    ("code", 'import lessonkit as lk\nlk.lesson(id="tiny", title="Routes", skills={"add": {"name": "Adding"}}, '
             'mastery={"max_items": 3})'),
    ("code", 'lk.step("again", kind="remediation", title="Once more")'),
    ("markdown", "Count on your fingers."),
    ("code", 'lk.branch(rules=[{"goto": "practice"}])'),
    ("code", 'lk.step("extra", kind="enrichment", title="Bigger numbers")'),
    ("code", 'lk.step("done", kind="end", title="Done")'),
    ("code", 'lk.step("practice", kind="check", title="Practice")'),
    ("code", 'lk.check(id="add-v", kind="numeric", prompt="{a} + {b} = ?", answer="a + b", skills=["add"], '
             'variants={"count": 5, "params": {"a": [1, 2, 3, 4, 5], "b": [6, 7, 8]}})'),
    ("code", '''lk.branch(rules=[{"if": "mastered('add')", "goto": "extra"},
                  {"if": "needs_remediation('add')", "goto": "again"}, {"goto": "practice"}])'''),
]


def test_a_branch_cell_shows_where_students_who_answer_differently_go(tmp_path):
    path = write_lesson(tmp_path, ROUTES)
    nb = run(path)
    seen = shown_text(Widgets(nb).of_cell(nb.cells[8]))
    rows = {line.split("</th>")[0].rsplit(">", 1)[-1]: line for line in seen.split("<tr>")[1:]}
    right = rows["A student who answers every check right first time"]
    wrong = rows["A student who answers every check wrong"]
    # mastery (3 fresh items right, at the default parameters) leads to the enrichment ...
    assert "practice \u2192 <b>practice</b> <i>(the default rule)</i> \u00d7 2<br>" in right, right
    assert "\u2192 <b>extra</b> <i>(rule 1: mastered('add'))" in right
    # ... and max_items wrong answers to the remediation
    assert "\u2192 <b>again</b> <i>(rule 2: needs_remediation('add'))" in wrong and "extra" not in wrong


BROWSER = [
    ("code", HEADER),
    ("code", 'lk.step("practice", kind="check", title="Practice")'),
    ("code", 'lk.check(id="two-plus-two", kind="single", prompt="What is **2 + 2**?", options=["3", "4", "5"], '
             'answer="4", skills=["add"], hints=["Count on from 2."], '
             'feedback=[{"answer": "5", "message": "One too many: count again."}])'),
    ("code", 'lk.check(id="add-v", kind="numeric", prompt="What is {a} + {b}?", answer="a + b", skills=["add"], '
             'hints=["Start from {a} and count on {b}."], variants={"count": 3, "params": {"a": [17, 28], "b": [5, 6]}})'),
    ("code", 'lk.check(id="typo", kind="single", prompt="2 + 2?", options=["3", "4"], answr="4", skills=["add"])'),
    ("code", '''lk.branch(rules=[{"if": "mastered('add')", "goto": "done"}, {"goto": "practice"}])'''),
    ("code", 'lk.step("done", kind="end", title="Done")'),
]


def test_the_preview_renders_and_answers_in_a_real_browser(page, tmp_path):
    from browser import voila_server, wait_for_widgets
    from playwright.sync_api import expect

    path = write_lesson(tmp_path, BROWSER)
    with voila_server(path) as url:
        page.goto(url, timeout=180_000)  # Voila answers once every cell has run (every preview made)
        wait_for_widgets(page)
        first = page.locator(".lessonkit-check-preview").nth(0)
        expect(first.get_by_text("What is 2 + 2?")).to_be_visible()  # the prompt's markdown, rendered
        expect(first.locator("strong", has_text="2 + 2")).to_be_visible()
        first.get_by_role("radio", name="5").check()
        first.get_by_role("button", name="Check").click()
        expect(first.get_by_role("status")).to_contain_text("One too many: count again.")
        first.get_by_role("button", name=re.compile("Hint 1 of 1")).click()
        expect(first.get_by_role("region", name="Hints")).to_contain_text("Count on from 2.")
        expect(first.locator(".lessonkit-teacher-view")).to_contain_text("Answer key")
        expect(first.locator(".lessonkit-teacher-view")).to_contain_text("'4'")
        variant = page.locator(".lessonkit-check-preview").nth(1)
        before = variant.get_by_text(re.compile(r"What is \d+ \+ \d+\?")).inner_text()
        variant.get_by_role("button", name="Draw another variant").click()
        expect(variant.get_by_text(re.compile(r"What is \d+ \+ \d+\?"))).not_to_have_text(before)
        typo = page.locator(".lessonkit-check-preview").nth(2)
        expect(typo.get_by_role("alert")).to_contain_text("did you mean 'answer'?")
        routes = page.locator(".lessonkit-route-preview")
        expect(routes.get_by_role("rowheader", name="A student who answers every check right first time")).to_be_visible()
        expect(routes).to_contain_text("practice \u2192 done (rule 1: mastered('add'))")
        shots = {"preview-check.png": first, "preview-variant.png": variant, "preview-routes.png": routes}
        for name, element in shots.items():
            element.screenshot(path=str(tmp_path / name))
        artifacts = REPO / "tests" / "artifacts"
        if artifacts.is_dir():
            for name in shots:
                shutil.copy(tmp_path / name, artifacts / name)


def test_a_cell_run_again_redefines_what_it_defined_as_in_jupyterlab(tmp_path):
    """JupyterLab sends each cell's id with its execution; a branch cell run again after later
    steps stays with its own step, and a check renamed and re-run replaces its old self."""
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3", cwd=str(tmp_path))

    def run_cell(cell_id: str, code: str) -> str:
        content = {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                   "allow_stdin": False, "stop_on_error": True}
        request = client.session.msg("execute_request", content, metadata={"cellId": cell_id})
        client.shell_channel.send(request)
        printed = []
        while True:
            message = client.get_iopub_msg(timeout=120)
            if message["parent_header"].get("msg_id") != request["header"]["msg_id"]:
                continue
            if message["msg_type"] == "stream":
                printed.append(message["content"]["text"])
            if message["msg_type"] == "error":
                raise AssertionError("\n".join(message["content"]["traceback"]))
            if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                return "".join(printed)

    try:
        run_cell("c0", 'import lessonkit as lk\nlk.lesson(id="tiny", title="Routes", skills={"add": {"name": "Adding"}})')
        run_cell("c1", 'lk.step("practice", kind="check", title="Practice")')
        run_cell("c2", 'lk.check(id="first-name", kind="text", prompt="Say hi", answer="hi", skills=["add"])')
        branch = 'lk.branch(rules=[{"if": "correct(\'greeting\')", "goto": "done"}, {"goto": "practice"}])'
        run_cell("c3", branch)
        run_cell("c4", 'lk.step("done", kind="end", title="Done")')
        run_cell("c2", 'lk.check(id="greeting", kind="text", prompt="Say hi", answer="hi", skills=["add"])')
        run_cell("c3", branch)  # run again, now that "done" and "greeting" exist
        printed = run_cell("c5", '''from lessonkit.preview import draft, shown
lesson, problems, cells = draft().read()
print([(s.id, s.check_ids, s.branch is not None) for s in lesson.steps], sorted(lesson.checks))
print(shown("step:practice").readable())''')
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    steps, routes = printed.split("\n", 1)
    assert steps == "[('practice', ('greeting',), True), ('done', (), False)] ['greeting']"
    assert "A student who answers every check right first time: practice \u2192 done" in routes
    assert "A student who answers every check wrong: practice \u2192 practice" in routes
