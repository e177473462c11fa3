"""Every route through a lesson reaches full marks, proved by enumeration and by the real grader.

The routes of every example lesson and of a lesson written here (a choice whose themes hold a
numeric and a code check, remediation and enrichment steps with checks of their own) are
enumerated; a student right on everything along each route, and a mediocre one, are played
through the player's own session into a submission, and graded by ``nbgrader autograde`` and
``lessonkit grade``: the perfect student gets the maximum on every route, the mediocre one less,
and both graders agree cell for cell. (In the example lessons, graded by lessonkit alone, the
mediocre student walks the longest route of each theme: the routes of a theme meet the same
graded checks, so the mediocre student's graded answers are the same on all of them.)
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from grade_fixtures.courses import CONFIG, nbgrader, open_dir
from lessonfactory import write_lesson
from nbgrader.api import Gradebook

from lessonkit.compile import build_lesson, validate_lesson
from lessonkit.engine.points import plan_points
from lessonkit.engine.routes import Walk, all_walks, lesson_routes, perfect_walks
from lessonkit.engine.seal import grading_key
from lessonkit.format import blob
from lessonkit.format.reader import parse_lesson
from lessonkit.format.writer import PLAYER
from lessonkit.grade import grade_assignment
from lessonkit.model import Lesson
from lessonkit.player.identity import Identity
from lessonkit.player.session import Session
from lessonkit.progress import JsonlLog, log_path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ("fractions", "descriptive-stats", "python-loops")

HEADER = '''import lessonkit as lk
lk.lesson(id="routes", title="Routes", version="1",
          skills={"add": {"name": "Adding"}, "carry": {"name": "Carrying", "requires": ["add"]}})'''
CODE_TESTS = '''assert {name}(0) == 0
### BEGIN HIDDEN TESTS
assert {name}(-4) == {value}
### END HIDDEN TESTS'''


def route_cells() -> list[tuple[str, str]]:
    """A lesson whose routes differ: practice leads to enrichment, to remediation (twice at most)
    or on; a choice of two themes worth one point each, one a numeric check, one a code check;
    the remediation and enrichment steps have checks of their own (practice, worth nothing)."""
    return [
        ("code", HEADER),
        ("code", 'lk.step("intro", title="Adding")'),
        ("code", 'lk.check(id="two", kind="single", prompt="1 + 1?", options=["1", "2"], answer="2", skills=["add"])'),
        ("code", 'lk.step("practice", kind="check", title="Practice")'),
        ("code", 'lk.check(id="sum", kind="numeric", prompt="2 + 5?", answer=7, skills=["add"])'),
        ("code", 'lk.check(id="double", kind="code", prompt="Write `double(x)`.", skills=["carry"], points=2)'),
        ("code", "def double(x):\n    ### BEGIN SOLUTION\n    return x * 2\n    ### END SOLUTION"),
        ("code", CODE_TESTS.format(name="double", value=-8)),
        ("code", '''lk.branch(rules=[{"if": "mastered('add') and visible_passed('double')", "goto": "extra"},
                  {"if": "(not correct('sum') or not visible_passed('double')) and visits('again') < 2", "goto": "again"},
                  {"goto": "pick"}])'''),
        ("code", 'lk.step("again", kind="remediation", title="Once more")'),
        ("code", 'lk.check(id="again-sum", kind="numeric", prompt="3 + 3?", answer=6, skills=["add"])'),
        ("code", 'lk.branch(rules=[{"goto": "practice"}])'),
        ("code", 'lk.step("extra", kind="enrichment", title="Bigger")'),
        ("code", 'lk.check(id="big", kind="numeric", prompt="123 + 456?", answer=579, skills=["add"])'),
        ("code", 'lk.step("pick", title="Pick a theme")'),
        ("code", '''lk.choose(id="theme", prompt="Which theme?", options=[{"label": "Shop", "goto": "shop"},
                                                        {"label": "Garden", "goto": "garden"}])'''),
        ("code", 'lk.step("shop", title="At the shop")'),
        ("code", 'lk.check(id="price", kind="numeric", prompt="£3 + £4?", answer=7, skills=["add"])'),
        ("code", 'lk.branch(rules=[{"goto": "review"}])'),
        ("code", 'lk.step("garden", title="In the garden")'),
        ("code", 'lk.check(id="rows", kind="code", prompt="Write `rows(n)`: twice n.", skills=["carry"])'),
        ("code", "def rows(n):\n    ### BEGIN SOLUTION\n    return 2 * n\n    ### END SOLUTION"),
        ("code", CODE_TESTS.format(name="rows", value=-8)),
        ("code", 'lk.step("review", kind="review", review=["add"], title="Review")'),
        ("code", 'lk.check(id="name", kind="text", prompt="What is 2 + 2 called?", answers=["the sum", "sum"], skills=["add"])'),
        ("code", 'lk.step("done", kind="end", title="Done")'),
        ("markdown", "Well done."),
    ]


def example(name: str) -> Path:
    return ROOT / "lessons" / name / f"{name}.ipynb"


def read(path: Path) -> Lesson:
    lesson, problems = parse_lesson(path)
    assert lesson is not None and not [p for p in problems if p.severity == "error"], problems
    return lesson


def routes_of(lesson: Lesson) -> tuple[list[Walk], float, Any]:
    path, facts = lesson_routes(lesson)
    walks, cut_short = all_walks(path, facts, lesson.mastery)
    assert not cut_short
    return walks, plan_points(path, facts).maximum, plan_points(path, facts)


# -- the enumeration ------------------------------------------------------------------------


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_route_of_every_example_lesson_can_reach_full_marks(name):
    walks, maximum, plan = routes_of(read(example(name)))
    finished = [w for w in walks if w.ending == "end"]
    assert len(finished) >= 4 and maximum > 0
    assert {w.steps[-1] for w in finished} == {"done"}
    assert [plan.attainable(w) for w in finished] == [maximum] * len(finished)


@pytest.mark.parametrize("name", EXAMPLES)
def test_a_student_right_every_time_is_never_remediated_and_reaches_the_enrichment(name):
    lesson = read(example(name))
    path, facts = lesson_routes(lesson)
    walks = perfect_walks(path, facts, lesson.mastery)
    themes = next(len(s.choice.options) for s in lesson.steps if s.choice)
    assert len(walks) == themes  # one route per theme: nothing else is left to chance
    assert all(w.ending == "end" for w in walks)
    kinds = {path.step(s)["kind"] for w in walks for s in w.steps}
    assert "remediation" not in kinds and "enrichment" in kinds


def test_the_test_lessons_routes_are_every_rule_outcome_and_theme(tmp_path):
    walks, maximum, plan = routes_of(read(write_lesson(tmp_path, route_cells(), "routes")))
    # practice → extra | again (at most twice) | pick, then two themes
    assert len(walks) == 12 and all(w.ending == "end" for w in walks)
    assert maximum == 6  # two + sum + double (2) + one theme (1) + name; practice checks add nothing
    assert plan.role("again-sum") == plan.role("big") == "practice"
    assert plan.role("price") == plan.role("rows") == "member"
    assert {plan.attainable(w) for w in walks} == {6}
    assert sum(1 for w in walks if "again" in w.steps and "extra" in w.steps) == 4
    assert max(w.steps.count("again") for w in walks) == 2


# -- what validate says ---------------------------------------------------------------------


def edited(tmp_path: Path, name: str, *changes: tuple[str, str]) -> Path:
    """An example lesson with branch conditions as they were before issue 8 fixed them."""
    nb = nbformat.read(example(name), 4)
    for old, new in changes:
        cells = [c for c in nb.cells if old in c.source]
        assert len(cells) == 1, old
        cells[0].source = cells[0].source.replace(old, new)
    folder = tmp_path / name
    shutil.copytree(example(name).parent, folder)
    nbformat.write(nb, folder / f"{name}.ipynb")
    return folder / f"{name}.ipynb"


def messages(path: Path, severity: str) -> list[str]:
    return [f"{p.message} ({p.hint})" for p in validate_lesson(path, run_code=False).problems if p.severity == severity]


def test_the_fractions_enrichment_no_right_student_reached_is_reported(tmp_path):
    path = edited(tmp_path, "fractions", (
        "mastered('add-unlike') or (mastery('add-unlike') >= 0.85 and visible_passed('add-fractions-code'))",
        "mastered('add-unlike')"))
    assert any("no student right first time everywhere reaches the enrichment step 'egyptian'" in m
               for m in messages(path, "warning"))
    assert not messages(example("fractions"), "warning")


def test_descriptive_stats_sending_a_right_student_to_remediation_is_an_error(tmp_path):
    path = edited(tmp_path, "descriptive-stats",
                  ("mastered('spread') and visible_passed('find-outliers')", "mastered('spread') and correct('find-outliers')"),
                  ("mastery('outliers') < 0.5 or not correct('which-outliers') or not visible_passed('find-outliers')",
                   "mastery('outliers') < 0.6 or not correct('which-outliers')"))
    errors = messages(path, "error")
    assert any("sent from step 'outlier-rule' to the remediation step 'fences-by-hand'" in m for m in errors), errors
    assert any("correct('find-outliers') stays False until grading" in m for m in messages(path, "warning"))
    assert validate_lesson(example("descriptive-stats"), run_code=False).ok


def test_python_loops_reading_correct_of_a_hidden_tests_check_is_warned(tmp_path):
    path = edited(tmp_path, "python-loops", ("not visible_passed('count-above')", "not correct('count-above')"))
    warnings = messages(path, "warning")
    assert any("correct('count-above') stays False until grading" in m and "visible_passed('count-above')" in m
               for m in warnings), warnings


def replace_cell(cells, old, new):
    assert sum(source == old for _, source in cells) == 1, old
    return [(kind, new if source == old else source) for kind, source in cells]


def test_themes_worth_different_points_are_an_error(tmp_path):
    cells = replace_cell(route_cells(), 'lk.check(id="price", kind="numeric", prompt="£3 + £4?", answer=7, skills=["add"])',
                         'lk.check(id="price", kind="numeric", prompt="£3 + £4?", answer=7, skills=["add"], points=2)')
    errors = messages(write_lesson(tmp_path, cells, "routes"), "error")
    assert any("themes of choice 'theme' are worth different points ('Shop' 2, 'Garden' 1)" in m for m in errors), errors


SKIPPABLE = '''lk.branch(rules=[{"if": "mastered('add')", "goto": "pick"}, {"goto": "more"}])'''


def skipping_cells(credit: str = "") -> list[tuple[str, str]]:
    """The test lesson with a step ``more`` (a check worth a point) that a rule lets a student
    who mastered adding skip."""
    cells = route_cells()
    at = next(n for n, (_, source) in enumerate(cells) if source.startswith('lk.step("pick"'))
    return cells[:at] + [
        ("code", 'lk.step("skippable", title="Before the theme")'),
        ("code", SKIPPABLE),
        ("code", 'lk.step("more", title="More adding")'),
        ("code", f'lk.check(id="more-sum", kind="numeric", prompt="4 + 4?", answer=8, skills=["add"]{credit})'),
    ] + cells[at:]


def test_a_route_that_skips_a_check_is_an_error_unless_mastery_earns_it(tmp_path):
    errors = messages(write_lesson(tmp_path / "a", skipping_cells(), "routes"), "error")
    assert any("can earn at most 6 of 7 points: the route misses 'more-sum' (1)" in m for m in errors), errors
    assert not messages(write_lesson(tmp_path / "b", skipping_cells(', credit="mastery"'), "routes"), "error")


def test_an_unknown_credit_is_an_error(tmp_path):
    cells = skipping_cells(', credit="always"')
    errors = messages(write_lesson(tmp_path, cells, "routes"), "error")
    assert any("must be one of 'answer', 'mastery'" in m for m in errors), errors


# -- the lessonkit paths command -------------------------------------------------------------


def run_paths(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lessonkit", "paths", *args], capture_output=True, text=True,
                          cwd=ROOT, check=False)


def test_lessonkit_paths_prints_every_route_with_its_points(tmp_path):
    path = write_lesson(tmp_path, route_cells(), "routes")
    shown = run_paths(str(path))
    assert shown.returncode == 0, shown.stderr
    assert "12 routes" in shown.stdout and shown.stdout.count("6 of 6 points") == 12
    assert "[chose 'Garden']" in shown.stdout and "→ again" in shown.stdout
    listed = json.loads(run_paths(str(path), "--json").stdout)
    assert listed["maximum"] == 6 and len(listed["routes"]) == 12
    first = listed["routes"][0]
    assert set(first) >= {"steps", "moves", "checks", "points", "ending"}
    assert first["points"] == 6 and first["steps"][0] == "intro"
    assert run_paths("--help").returncode == 0


def test_lessonkit_paths_fails_on_a_route_short_of_full_marks(tmp_path):
    shown = run_paths(str(write_lesson(tmp_path, skipping_cells(), "routes")))
    assert shown.returncode == 1
    assert "6 of 7 points" in shown.stdout and "misses 'more-sum'" in shown.stdout


# -- through the real grader ----------------------------------------------------------------


def right_answer(kind: str, item: dict[str, Any]) -> Any:
    if kind == "single":
        return item["answer"]  # the option's text or its index, as the key gives it
    if "answers" in item and "options" in item:
        return list(item["answers"])
    if "answers" in item:
        return item["answers"][0]
    return str(item["answer"]) if isinstance(item["answer"], (int, float)) else item["answer"]


WRONG = {"single": None, "multiple": [], "numeric": "-123456", "text": "no idea"}


def play(lesson: Lesson, sealed: dict[str, Any], walk: Walk, folder: Path, student: str, *, perfect: bool) -> None:
    """A student who takes ``walk`` in the page, answering each check met right (``perfect``)
    or every other one wrong, and whose submission holds their code accordingly."""
    keys = {c.id: grading_key(lesson, c) for c in lesson.checks.values()}
    with JsonlLog(log_path(folder, lesson.id)) as log:
        session = Session(sealed, Identity(student, "os-user"), log, mode="page")
        session.start()
        for here, move in zip(walk.steps, walk.moves):
            for check_id in (c for c in session.path.checks_of(here) if lesson.checks[c].kind != "code"):
                index, _ = session.item(check_id)
                item = keys[check_id]["items"][index]
                wrong = not perfect and list(walk.checks).index(check_id) % 2 == 1
                if lesson.checks[check_id].kind == "single" and wrong:
                    answer = next(o for n, o in enumerate(item["options"]) if item["answer"] not in (o, n))
                else:
                    answer = WRONG[lesson.checks[check_id].kind] if wrong else right_answer(lesson.checks[check_id].kind, item)
                session.answer(check_id, answer)
            session.choose(move.label) if move.reason == "choice" else session.go(move)
    nb_path = folder / f"{lesson.id}.ipynb"
    submission = nbformat.read(nb_path, 4)
    for cell in submission.cells:
        check_id = cell.metadata.get("lessonkit", {}).get("check")
        if cell.metadata.get("lessonkit", {}).get("role") == "answer" and check_id in walk.checks:
            wrong = not perfect and list(walk.checks).index(check_id) % 2 == 1
            if not wrong:
                cell.source = "\n".join(line for line in lesson.checks[check_id].solution.splitlines()
                                        if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)
    nbformat.write(submission, nb_path)


def longest_per_graded_checks(walks: list[Walk]) -> list[Walk]:
    """The longest walk (most steps, so most events in the log) of each sequence of graded checks met.

    What the mediocre student of :func:`play` gets wrong is decided by ``walk.checks`` alone (every
    other graded check met), so on the walks sharing it their graded answers and code are the same:
    one of them proves that wrong answers cost points as well as all of them do.
    """
    longest: dict[tuple[str, ...], Walk] = {}
    for walk in walks:
        key = tuple(walk.checks)
        if key not in longest or len(walk.steps) > len(longest[key].steps):
            longest[key] = walk
    return list(longest.values())


def grade_every_route(source: Path, root: Path, *, autograde: bool,
                      mediocre_on_every_route: bool) -> tuple[dict, dict, Path, Path, float]:
    """Build a lesson into a course, play a perfect student along each route and a mediocre one
    along each route (or along the longest route of each sequence of graded checks, see
    :func:`longest_per_graded_checks`), and grade with lessonkit (and nbgrader's autograde when
    asked); returns the students' walks, their totals by grader, the two course folders and the maximum."""
    origin = root / "origin"
    origin.mkdir()
    shutil.copy(CONFIG, origin)
    with open(origin / "nbgrader_config.py", "a") as config:  # a loaded machine (two workers, CI) can be very slow
        config.write("\nc.Execute.timeout = 600\nc.LessonkitGrader.notebook_seconds = 1200\n")
    built = build_lesson(source, out=root / "build", course=origin, run_code=False)
    lesson = built.lesson
    nbgrader("generate_assignment", lesson.id, cwd=origin)
    released = origin / "release" / lesson.id
    header = nbformat.read(released / f"{lesson.id}.ipynb", 4).cells[0].source
    sealed = blob.decode(re.search(re.escape(PLAYER) + r"\.start_notebook\('([^']+)'\)", header).group(1))
    walks, maximum, _ = routes_of(lesson)
    finished = [w for w in walks if w.ending == "end"]
    mediocre = finished if mediocre_on_every_route else longest_per_graded_checks(finished)
    students: dict[str, tuple[Walk, bool]] = {}
    for n, walk in enumerate(finished):
        for perfect in (True, False) if walk in mediocre else (True,):
            student = f"{'ace' if perfect else 'meh'}{n:02d}"
            folder = origin / "submitted" / student / lesson.id
            shutil.copytree(released, folder)
            (folder / "timestamp.txt").write_text("2026-11-23 10:00:00.000000 UTC")
            play(lesson, sealed, walk, folder, student, perfect=perfect)
            students[student] = (walk, perfect)
    ours, theirs = root / "ours", root / "theirs"
    shutil.copytree(origin, ours)
    report = grade_assignment(lesson.id, course_dir=ours, workers=2, progress=False)
    totals = {"lessonkit": totals_of(ours, lesson.id), "summary": report.summary()}
    if autograde:
        shutil.copytree(origin, theirs)
        totals["log"] = nbgrader("autograde", lesson.id, cwd=theirs).stderr
        totals["nbgrader"] = totals_of(theirs, lesson.id)
    return students, totals, ours, theirs, maximum


def totals_of(course: Path, assignment: str) -> dict[str, tuple[float, float]]:
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gradebook:
        return {s.id: (gradebook.find_submission(assignment, s.id).score, gradebook.find_submission(assignment, s.id).max_score)
                for s in gradebook.students}


def cell_scores(course: Path, assignment: str) -> dict[tuple[str, str], float | None]:
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gradebook:
        return {(student.id, grade.name): grade.auto_score for student in gradebook.students
                for notebook in gradebook.find_submission(assignment, student.id).notebooks for grade in notebook.grades}


@pytest.fixture(scope="module")
def graded_test_lesson():
    root = open_dir()
    source = write_lesson(root / "lessons", route_cells(), "routes")
    # both graders, cell for cell, on every route's log: a mediocre student on each route too
    yield (*grade_every_route(source, root, autograde=True, mediocre_on_every_route=True), source)
    shutil.rmtree(root)


@pytest.mark.slow
def test_on_every_route_the_perfect_student_gets_full_marks_and_the_mediocre_one_less(graded_test_lesson):
    students, totals, _, _, maximum, _ = graded_test_lesson
    assert len(students) == 24 and maximum == 6
    for grader, scores in ((g, s) for g, s in totals.items() if g in ("lessonkit", "nbgrader")):
        for student, (walk, perfect) in students.items():
            score, top = scores[student]
            assert top == maximum, (grader, student)
            if perfect:
                assert score == maximum, (grader, student, walk.describe())
            else:
                assert score < maximum, (grader, student, walk.describe())


@pytest.mark.slow
def test_nbgrader_and_lessonkit_agree_cell_for_cell(graded_test_lesson):
    _, totals, ours, theirs, _, _ = graded_test_lesson
    assert cell_scores(ours, "routes") == cell_scores(theirs, "routes")
    assert totals["lessonkit"] == totals["nbgrader"]
    names = {name for _, name in cell_scores(ours, "routes")}
    assert "choice-theme" in names and "big" not in names and "again-sum" not in names


@pytest.mark.slow
def test_nbgrader_autograde_is_quiet_on_honest_work_and_loud_on_a_changed_test(graded_test_lesson):
    _, totals, _, theirs, _, _ = graded_test_lesson
    # every grade cell of the lesson has hidden tests, and 24 untouched ones were graded
    assert "Autograde" in totals["log"] and "has changed" not in totals["log"], totals["log"]
    folder = theirs / "submitted" / "ace00" / "routes"
    submission = nbformat.read(folder / "routes.ipynb", 4)
    test_cell = next(c for c in submission.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "double")
    test_cell.source = test_cell.source.replace("assert double(0) == 0", "assert True")
    nbformat.write(submission, folder / "routes.ipynb")
    log = nbgrader("autograde", "routes", "--student", "ace00", "--force", cwd=theirs).stderr
    assert "Attribute 'checksum' for cell double has changed" in log, log
    assert log.count("has changed") == 1


@pytest.mark.slow
@pytest.mark.parametrize("name", EXAMPLES)
def test_every_route_of_an_example_lesson_through_lessonkit_grade(name):
    root = open_dir()
    try:
        students, totals, _, _, maximum = grade_every_route(example(name), root, autograde=False,
                                                            mediocre_on_every_route=False)
        scores = totals["lessonkit"]
        perfect = {s: scores[s][0] for s, (_, good) in students.items() if good}
        mediocre = {s: scores[s][0] for s, (_, good) in students.items() if not good}
        walks, _, _ = routes_of(read(example(name)))
        assert len(perfect) == sum(w.ending == "end" for w in walks)  # every route, through the real grader
        assert len(mediocre) == len({tuple(w.checks) for w in walks if w.ending == "end"}) >= 2  # one per theme
        assert set(perfect.values()) == {maximum}, (perfect, totals["summary"])
        assert max(mediocre.values()) < maximum, mediocre
    finally:
        shutil.rmtree(root)
