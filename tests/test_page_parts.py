"""The parts of a page, in the kernel's Python (no browser): the teacher's Markdown rendered
without a way in for script, choice groups that trust nothing the browser sends, example code
run contained after the step's earlier cells, a code check's printed output, and an end page
that tells a struggling student the truth (issue 8: python-loops said "Well done!" beside
every skill at 17%)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_player_lesson import CODE_CELLS, REPO, Clock, build
from test_player_lessons import play

from lessonkit.engine.seal import seal_lesson
from lessonkit.format.reader import read_lesson
from lessonkit.player.choices import ChoiceGroup
from lessonkit.player.endpage import EndSummary
from lessonkit.player.examples import ExampleCell, run_printed
from lessonkit.player.identity import Identity
from lessonkit.player.pageview import PageView
from lessonkit.player.rendering import markdown_html, markdown_inline, status_html
from lessonkit.player.session import Session
from lessonkit.progress import open_store


@pytest.mark.parametrize("hostile", [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    '![x](y" onerror="alert(1))',
    "<a href='javascript:alert(1)'>x</a>",
])
def test_markdown_from_a_lesson_cannot_carry_script(hostile):
    rendered = markdown_html(f"Try this: {hostile}")
    tags = rendered.replace("<p>", "").replace("</p>", "").replace('<a href="#harmful-link">', "").replace("</a>", "")
    assert "<" not in tags, rendered  # raw HTML only as text; a script address only as a dead link


def test_markdown_in_options_feedback_and_hints_is_rendered():
    assert markdown_inline("Put it *before* the `for` line") == "Put it <em>before</em> the <code>for</code> line"
    assert markdown_inline("$\\frac{1}{2}$ of **it**") == "$\\frac{1}{2}$ of <strong>it</strong>"
    box = status_html("wrong", "Start at `0`, *before* the loop.", ("Test 2: `sum_evens(5)` returned 4",))
    assert "<code>0</code>" in box and "<em>before</em>" in box and "<code>sum_evens(5)</code>" in box
    assert "<svg" in box and 'aria-hidden="true"' in box and "Not yet." in box  # an icon and a word


def test_a_choice_group_keeps_only_real_options_whatever_the_browser_sends():
    single = ChoiceGroup(["`a`", "*b*", "c"])
    assert single.options_html == ["<code>a</code>", "<em>b</em>", "c"]
    assert single.options == [("`a`", 0), ("*b*", 1), ("c", 2)]
    single.value = [7, 1, -1, 2]  # as a forged widget message would set it
    assert single.value == [2] and single.index == 2
    several = ChoiceGroup(["a", "b", "c"], multiple=True)
    several.value = [2, 0, 0, 9]
    assert several.value == [0, 2]
    several.set_options(["x", "y"])  # a new variant: nothing picked
    assert several.value == [] and several.options_html == ["x", "y"]


def test_a_choice_group_takes_the_browsers_numbered_ticks_and_says_which_it_took():
    group = ChoiceGroup(["1/2", "2/3", "1/7"], multiple=True)
    group._picked(group, {"picked": [0, 2], "seq": 2}, [])
    assert (group.value, group.seq) == ([0, 2], 2)
    group._picked(group, {"picked": [0], "seq": 1}, [])  # older than the tick taken: not the browser's last
    assert (group.value, group.seq) == ([0, 2], 2)
    for forged in ({"picked": [True, "1", 5]}, {"picked": [1], "seq": "9"}, {"picked": [1], "seq": True}):
        group._picked(group, forged, [])
        assert group.seq == 2, forged
    assert group.value == [1]
    group._picked(group, {"seq": 7}, [])  # no ticks: nothing taken
    assert (group.value, group.seq) == ([1], 2)


def test_an_example_runs_contained_after_the_earlier_cells_and_shows_only_its_own_output():
    cell = ExampleCell("print(total + 1)\nprint(open('data.txt').read())", number=2,
                       earlier=["print('from the first cell')\ntotal = 41"], files={"data.txt": b"lesson data"})
    printed = cell.run()
    assert printed.output == "42\nlesson data\n" and not printed.error
    assert "42" in cell.output.value and "from the first cell" not in cell.output.value
    assert 'aria-label="Output of example 2"' in cell.output.value and not cell.run_button.disabled


@pytest.mark.parametrize(("code", "setup", "error"), [
    ("print('ok')\nx = 1 / 0", "", "line 2: ZeroDivisionError: division by zero"),
    ("print(x)", "x = undefined_name", "an earlier example on this page stopped with NameError"),
    ("def f(:\n    pass", "", "line 1: SyntaxError"),
    ("while True:\n    pass", "", "stopped after 10 s"),
])
def test_a_failing_example_says_where_and_why_in_words(code, setup, error):
    printed = run_printed(code, setup=setup)
    assert error in printed.error and "Traceback" not in printed.error + printed.output


def test_a_code_check_on_a_page_shows_what_the_students_code_printed(tmp_path):
    built = build(tmp_path, CODE_CELLS, "loops")
    page = PageView(Session(built.sealed, Identity("pia", "header"), open_store(str(tmp_path / "p.sqlite")),
                            clock=Clock()))
    [view] = page.checks
    view.set_answer("def sum_evens(n):\n    print('n is', n)\n    return 0")
    view.run_button.click()  # trying it out: shown, not recorded
    assert "n is" not in view.printed.value and "It printed nothing" in view.printed.value
    assert not [e for e in page.session.events if e.type == "answered"]
    view.set_answer("def sum_evens(n):\n    print('n is', n)\n    return 0\n\nprint(sum_evens(4))")
    view.check_button.click()
    assert "Not yet" in view.feedback.value and "n is 4\n0" in view.printed.value
    assert "What your code printed" in view.printed.value


def struggle_to_the_end(sealed: dict, db: Path, student: str = "sam") -> PageView:
    """A student who answers every check wrong twice and reveals every hint, to the end."""
    page = PageView(Session(sealed, Identity(student, "header"), open_store(str(db)), clock=Clock()))
    for _ in range(80):
        for view in page.checks:
            play(view)  # two wrong answers and every hint
        if page.choices.children:
            page.choices.children[0].click()
        elif page.next_button.layout.display != "none":
            page.next_button.click()
        else:
            break
    return page


def test_a_struggling_student_is_told_where_they_stand_and_what_to_do_next(tmp_path):
    sealed = seal_lesson(read_lesson(REPO / "lessons" / "python-loops" / "python-loops.ipynb"))
    page = struggle_to_the_end(sealed, tmp_path / "p.sqlite")
    session = page.session
    assert session.current_step == "done" and not any(session.skill_mastery(s).mastered for s in session.skills)
    [end] = [c for c in page.body.children if isinstance(c, EndSummary)]
    text = "".join(c.value for c in page.body.children if hasattr(c, "value")) + end.summary.value
    assert "Well done" not in text and "You can now" not in text  # the teacher's end text waits for mastery
    assert "but 3 of its 3 skills are not mastered yet" in end.summary.value
    assert "End of the lesson" in page.body.children[0].value
    for skill in session.skills.values():
        assert skill.name in end.summary.value
    assert "your teacher" in end.summary.value
    labels = [b.description for b in end.moves]
    assert labels and all(label.startswith(("Practise again", "Another way in")) for label in labels)
    step_of_move = end.moves[0].tooltip
    end.moves[0].click()
    assert session.current_step != "done" and page.next_button.layout.display != "none"
    assert step_of_move.endswith(page.session.path.step(session.current_step)["title"])
    assert session.events[-3].data["condition"].startswith("more practice of")
    assert 'aria-current="step"' in page.trail.value


MASTERED_CELLS = [
    ("code", '''import lessonkit as lk
lk.lesson(id="halves", title="Halves", skills={"half": {"name": "Halving"}},
    mastery={"threshold": 0.5, "min_evidence": 1})'''),
    ("code", 'lk.step("q", title="A question")'),
    ("code", '''lk.check(id="half", kind="single", prompt="Half of 4?", options=["1", "2"], answer="2",
    skills=["half"])'''),
    ("code", 'lk.step("done", kind="end", title="Well done")'),
    ("markdown", "Well done! You can now halve numbers."),
]


def test_well_done_and_the_teachers_end_text_once_every_skill_is_mastered(tmp_path):
    built = build(tmp_path, MASTERED_CELLS, "halves")
    page = PageView(Session(built.sealed, Identity("max", "header"), open_store(str(tmp_path / "p.sqlite")),
                            clock=Clock()))
    page.checks[0].set_answer(1)
    page.checks[0].check_button.click()
    page.next_button.click()
    assert page.session.current_step == "done" and page.session.skill_mastery("half").mastered
    end = page.body.children[-1]
    assert isinstance(end, EndSummary) and "Well done!" in end.summary.value and not end.moves
    assert "<h2>Well done</h2>" in page.body.children[0].value
    assert page.body.children[1].outputs[0]["data"]["text/markdown"] == "Well done! You can now halve numbers."


def test_every_file_of_the_voila_template_is_installed_where_voila_looks():
    """A wheel puts pyproject's data-files under <prefix>: each template file must be listed, in
    the folder Voila searches (share/jupyter/voila/templates/lessonkit/...)."""
    import tomllib

    from lessonkit.player.pagetemplate import TEMPLATE_NAME, source_template_root

    root = source_template_root()
    assert root is not None
    listed = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    installed = {f"{folder}/{Path(source).name}": source for folder, sources in listed.items() for source in sources}
    shipped = {f"share/jupyter/{p.relative_to(root).as_posix()}": p.relative_to(REPO).as_posix()
               for p in (root / "voila" / "templates" / TEMPLATE_NAME).rglob("*") if p.is_file()}
    assert installed == shipped
