"""Every class of lesson error is reported, with the cell and field, and all at once."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from lessonfactory import CHOICE, HEADER, MULTI, NUMERIC, SOLUTION, TESTS, TEXT, VARIANT, replace_cell, valid_cells, write_lesson
from lessonkit.compile import validate_lesson


def problems_of(tmp_path, cells):
    report = validate_lesson(write_lesson(tmp_path, cells))
    return report, [str(p) for p in report.errors]


def only(tmp_path, cells, *needles: str) -> list[str]:
    """The errors, asserting that one mentions every needle."""
    report, errors = problems_of(tmp_path, cells)
    assert not report.ok
    assert any(all(n in e for n in needles) for e in errors), errors
    return errors


def test_the_example_lesson_is_valid(tmp_path):
    report = validate_lesson(write_lesson(tmp_path))
    assert report.ok, [str(p) for p in report.problems]
    assert set(report.lesson.checks) == {"two-plus-two", "evens", "sum-decimal", "name", "parts", "add-v", "double"}


def test_malformed_notebook(tmp_path):
    path = tmp_path / "broken.ipynb"
    path.write_text('{"cells": [', encoding="utf-8")
    report = validate_lesson(path)
    assert not report.ok
    assert "is not a valid Jupyter notebook" in str(report.errors[0])
    assert str(path) in str(report.errors[0])


def test_no_header(tmp_path):
    only(tmp_path, [("code", 'import lessonkit as lk\nlk.step("a")')], "no lesson header")


def test_unknown_check_kind_suggests_the_closest(tmp_path):
    cells = replace_cell(valid_cells(), TEXT, TEXT.replace('kind="text"', 'kind="txt"'))
    errors = only(tmp_path, cells, "unknown check kind 'txt'", "did you mean 'text'")
    assert any("cell 9 (id c8), check 'name', field 'kind'" in e for e in errors), errors


def test_unknown_field(tmp_path):
    cells = replace_cell(valid_cells(), NUMERIC, NUMERIC.replace("tolerance=", "tolerence="))
    only(tmp_path, cells, "'numeric' checks have no field 'tolerence'", "field 'tolerence'",
         "did you mean 'tolerance'")


def test_a_misspelt_common_field_is_named_with_every_field_the_kind_takes(tmp_path):
    cells = replace_cell(valid_cells(), NUMERIC, NUMERIC.replace("skills=", 'hint="Line them up.", skills='))
    errors = only(tmp_path, cells, "check 'sum-decimal', field 'hint'", "did you mean 'hints'")
    assert len(errors) == 1, errors
    for field in ("answer", "tolerance", "unit", "hints", "feedback", "skills", "points", "variants"):
        assert f" {field}" in errors[0] or f"{field}," in errors[0], (field, errors)


def test_an_unknown_field_is_one_message_even_when_it_is_the_only_field(tmp_path):
    cells = replace_cell(valid_cells(), TEXT, TEXT.replace('answers=["the sum", "sum"]', 'answr="sum"'))
    errors = only(tmp_path, cells, "'text' checks have no field 'answr'", "did you mean 'answer'")
    assert len(errors) == 1, errors
    cells = replace_cell(valid_cells(), TEXT, TEXT.replace('answers=["the sum", "sum"]', 'colour=1'))
    errors = only(tmp_path, cells, "'text' checks have no field 'colour'")
    assert len([e for e in errors if "no field" in e]) == 1, errors


def test_a_misspelt_step_argument_is_named_with_a_suggestion(tmp_path):
    cells = replace_cell(valid_cells(), 'lk.step("again", kind="remediation", title="Once more")',
                         'lk.step("again", kind="remediation", titel="Once more")')
    only(tmp_path, cells, "step 'again', field 'titel'", "did you mean 'title'", "id, kind, title, review")


def test_non_literal_argument(tmp_path):
    cells = replace_cell(valid_cells(), NUMERIC, NUMERIC.replace("answer=0.7525", "answer=1/4 + 0.5025"))
    only(tmp_path, cells, "must be a literal", "field 'answer'")


def test_duplicate_ids(tmp_path):
    cells = valid_cells()
    cells.insert(6, ("code", CHOICE))
    only(tmp_path, cells, "check id 'two-plus-two' is used twice")
    cells = valid_cells() + [("code", 'lk.step("intro")')]
    only(tmp_path, cells, "step id 'intro' is used twice")


def test_a_duplicate_step_id_is_one_message_not_its_follow_ons(tmp_path):
    cells = replace_cell(valid_cells(), 'lk.step("done", kind="end", title="Done")',
                         'lk.step("intro", kind="end", title="Done")')
    errors = only(tmp_path, cells, "cell 29 (id c28), step 'intro', field 'id'", "step id 'intro' is used twice",
                  "first at", "cell 2 (id c1)")
    assert len(errors) == 1, errors


def test_unknown_skill(tmp_path):
    cells = replace_cell(valid_cells(), TEXT, TEXT.replace('skills=["add"]', 'skills=["ad"]'))
    only(tmp_path, cells, "unknown skill 'ad'", "did you mean 'add'")


def test_prerequisite_cycle(tmp_path):
    header = HEADER.replace('"add": {"name": "Adding"}', '"add": {"name": "Adding", "requires": ["carry"]}')
    only(tmp_path, replace_cell(valid_cells(), HEADER, header), "prerequisites go round in a circle",
         "cell 1 (id c0), lesson 'tiny', field 'skills.")


def test_branch_unknown_target_and_no_default(tmp_path):
    cells = replace_cell(valid_cells(), 'lk.branch(rules=[{"goto": "practice"}])',
                         '''lk.branch(rules=[{"if": "correct('two-plus-two')", "goto": "practise"}])''')
    errors = only(tmp_path, cells, "unknown step 'practise'", "did you mean 'practice'")
    assert any("the last rule must have no \"if\"" in e for e in errors)


def test_unreachable_step(tmp_path):
    cells = replace_cell(valid_cells(), 'lk.step("extra", kind="enrichment", title="Bigger numbers")',
                         'lk.step("extra", kind="enrichment", title="Bigger numbers")')
    cells = [c for c in cells if "mastered('add')" not in c[1]] + []
    cells.insert(14, ("code", '''lk.branch(rules=[{"if": "needs_remediation('add')", "goto": "again"}, {"goto": "pick"}])'''))
    only(tmp_path, cells, "no path leads to step 'extra'")


def test_loop_with_no_way_out(tmp_path):
    cells = replace_cell(valid_cells(), 'lk.branch(rules=[{"goto": "review"}])', 'lk.branch(rules=[{"goto": "shop"}])')
    only(tmp_path, cells, "loop with no way out", "shop")


def test_condition_errors(tmp_path):
    for condition, needle in [("mastered('add'", "not valid"), ("mastry('add')", "mastery"),
                              ("__import__('os')", "not valid"), ("attempts('nope') > 1", "unknown check")]:
        cells = replace_cell(valid_cells(), 'lk.branch(rules=[{"goto": "practice"}])',
                             f'lk.branch(rules=[{{"if": {condition!r}, "goto": "extra"}}, {{"goto": "practice"}}])')
        only(tmp_path, cells, needle)


def test_broken_answer_keys(tmp_path):
    wrong_choice = replace_cell(valid_cells(), CHOICE, CHOICE.replace('answer="4"', 'answer="four"'))
    only(tmp_path, wrong_choice, "names an option that is not in 'options'")
    feedback_right = replace_cell(valid_cells(), NUMERIC, NUMERIC.replace("0.3,", "0.7527,"))
    only(tmp_path, feedback_right, "is accepted as right")
    bad_tolerance = replace_cell(valid_cells(), NUMERIC, NUMERIC.replace('{"abs": 0.001}', '{"abs": -1}'))
    only(tmp_path, bad_tolerance, "positive number")


def test_variant_that_cannot_be_made(tmp_path):
    cells = replace_cell(valid_cells(), VARIANT, VARIANT.replace('answer="a + b"', 'answer="a + c"'))
    only(tmp_path, cells, "variant", "unknown name 'c'", "field 'answer'")


def test_code_solution_must_pass_its_own_tests_hidden_included(tmp_path):
    cells = replace_cell(valid_cells(), SOLUTION, SOLUTION.replace("return x * 2", "return abs(x) * 2"))
    only(tmp_path, cells, "fails its own test 3")


def test_code_check_needs_its_cells(tmp_path):
    cells = [c for c in valid_cells() if c[1] != TESTS]
    only(tmp_path, cells, "the check 'double' needs its tests cell here")
    cells = replace_cell(valid_cells(), SOLUTION, SOLUTION.replace("    ### END SOLUTION", ""))
    only(tmp_path, cells, "never closed", "field 'solution'")


def test_hint_that_gives_the_answer_away(tmp_path):
    cells = replace_cell(valid_cells(), NUMERIC, NUMERIC.replace('prompt="0.25 + 0.5 = ?",',
                                                                 'prompt="0.25 + 0.5 = ?", hints=["It is 0.7525"],'))
    only(tmp_path, cells, "gives the answer away")


def test_all_problems_reported_at_once(tmp_path):
    cells = replace_cell(valid_cells(), TEXT, TEXT.replace('kind="text"', 'kind="txt"'))
    cells = replace_cell(cells, CHOICE, CHOICE.replace('skills=["add"]', 'skills=["ad"]'))
    cells = replace_cell(cells, 'lk.branch(rules=[{"goto": "practice"}])', 'lk.branch(rules=[{"goto": "nowhere"}])')
    errors = problems_of(tmp_path, cells)[1]
    assert len(errors) >= 3, errors


def test_cli_exits_non_zero_and_names_the_cell(tmp_path):
    cells = replace_cell(valid_cells(), TEXT, TEXT.replace('kind="text"', 'kind="txt"'))
    path = write_lesson(tmp_path, cells)
    done = subprocess.run([sys.executable, "-m", "lessonkit", "validate", str(path.parent)],
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert "cell 9 (id c8)" in done.stderr and "unknown check kind 'txt'" in done.stderr
    good = subprocess.run([sys.executable, "-m", "lessonkit", "validate", str(write_lesson(tmp_path / "ok"))],
                          capture_output=True, text=True)
    assert good.returncode == 0, good.stderr


@pytest.mark.parametrize("cells", [[("code", HEADER)]])
def test_a_lesson_needs_steps(tmp_path, cells):
    only(tmp_path, cells, "no steps")


def test_problems_are_plain_data(tmp_path):
    report, _ = problems_of(tmp_path, replace_cell(valid_cells(), TEXT, TEXT.replace('kind="text"', 'kind="txt"')))
    problem = report.errors[0]
    assert problem.where.cell_index == 8 and problem.where.cell_id == "c8" and problem.where.field == "kind"
    json.dumps({"where": str(problem.where), "message": problem.message})


def test_a_loop_left_only_by_a_condition_is_an_error(tmp_path):
    cells = [c for c in valid_cells() if "needs_remediation('add') or" not in c[1]]
    cells.insert(14, ("code", '''lk.branch(rules=[{"if": "mastered('add')", "goto": "extra"}, {"goto": "again"}])'''))
    errors = only(tmp_path, cells, "goes round forever", "practice → again", "visits('again') >= 3")
    assert len(errors) == 1, errors


def test_a_loop_bounded_by_visits_is_valid(tmp_path):
    cells = [c for c in valid_cells() if "needs_remediation('add') or" not in c[1]]
    cells.insert(14, ("code", '''lk.branch(rules=[{"if": "mastered('add') or visits('again') >= 3", "goto": "extra"},
                                    {"goto": "again"}])'''))
    report = validate_lesson(write_lesson(tmp_path, cells))
    assert report.ok and not report.problems, [str(p) for p in report.problems]


def test_multiple_choice_feedback_in_every_documented_form_is_valid(tmp_path):
    feedback = '''answers=["2", "8"], skills=["add"], feedback=[
             {"answer": ["2"], "message": "8 is even too."},
             {"picked": "3", "message": "You picked 3, which is odd."},
             {"missed": "8", "message": "Look again at 8."}]'''
    cells = replace_cell(valid_cells(), MULTI, MULTI.replace('answers=["2", "8"], skills=["add"]', feedback))
    report, errors = problems_of(tmp_path, cells)
    assert report.ok, errors
    forms = [f.answer for f in report.lesson.checks["evens"].feedback]
    assert forms == [["2"], {"picked": "3"}, {"missed": "8"}]


def test_one_option_feedback_is_for_multiple_choice_only(tmp_path):
    picked = CHOICE.replace('{"answer": "5", "message"', '{"picked": "5", "message"')
    cells = replace_cell(valid_cells(), CHOICE, picked)
    only(tmp_path, cells, "field 'feedback[0].picked'", "multiple-choice")


PRICE = '''lk.check(id="sale", kind="numeric", prompt="A £60 coat is £9 off. What do you pay, in £?", answer=51,
         skills=["add"], hints={hints})'''


def hint_problems(tmp_path, hints, check=PRICE):
    cells = replace_cell(valid_cells(), NUMERIC, NUMERIC + "\n" + check.replace("{hints}", hints))
    report = validate_lesson(write_lesson(tmp_path, cells), run_code=False)
    return [str(p) for p in report.errors if "gives the answer away" in p.message]


@pytest.mark.parametrize("hints,field", [
    ('["Take the discount off.", {"text": "£60 minus £9, which is £51", "bottom_out": True}]', "hints[1]"),
    ('["£60 - £9 = 51"]', "hints[0]"),
    ('["You pay 51 pounds.", {"text": "60 - 9 = ?", "bottom_out": True}]', "hints[0]"),
])
def test_a_hint_that_states_a_short_answer_is_an_error(tmp_path, hints, field):
    found = hint_problems(tmp_path, hints)
    assert len(found) == 1 and f"field '{field}'" in found[0] and "'51'" in found[0], found


@pytest.mark.parametrize("hints,check", [
    ('["Take 9 off 60.", {"text": "£60 - £9 = £?", "bottom_out": True}]', PRICE),
    # the bottom-out hint may show the numbers the answer is made of, and a hint may repeat the prompt's
    ('["`range(10)` starts at 0.", {"text": "Count 0, 1, ... 9 in range(10)", "bottom_out": True}]',
     PRICE.replace("A £60 coat is £9 off. What do you pay, in £?", "How many numbers does `range(10)` give?")
          .replace("answer=51", "answer=10")),
    ('["Write 51 pence as pounds.", {"text": "100 pence make £1", "bottom_out": True}]',
     PRICE.replace("A £60 coat is £9 off. What do you pay, in £?", "What is 51p in £?")
          .replace("answer=51", "answer=0.51")),
])
def test_ordinary_numbers_in_hints_are_not_flagged(tmp_path, hints, check):
    assert hint_problems(tmp_path, hints, check) == []


PRACTICE_BRANCH = '''lk.branch(rules=[{"if": "mastered('add')", "goto": "extra"},
                  {"if": "needs_remediation('add') or attempts('two-plus-two') > 2", "goto": "again"},
                  {"goto": "pick"}])'''


def test_a_rule_reading_the_score_of_a_check_with_hidden_tests_is_warned(tmp_path):
    cells = replace_cell(valid_cells(), PRACTICE_BRANCH, PRACTICE_BRANCH.replace(
        "attempts('two-plus-two') > 2", "score('double') < 1"))
    report = validate_lesson(write_lesson(tmp_path, cells), run_code=False)
    warned = [p for p in report.problems if p.severity == "warning" and "score('double') stays 0 until grading" in p.message]
    assert len(warned) == 1 and "visible_passed('double')" in warned[0].hint
    assert warned[0].where.field == "rules[1].if"


def test_visible_passed_reads_what_the_page_can_check(tmp_path):
    cells = replace_cell(valid_cells(), PRACTICE_BRANCH, PRACTICE_BRANCH.replace(
        "attempts('two-plus-two') > 2", "not visible_passed('double')"))
    report = validate_lesson(write_lesson(tmp_path, cells), run_code=False)
    assert report.ok and not report.problems, [str(p) for p in report.problems]
    misspelt = replace_cell(valid_cells(), PRACTICE_BRANCH, PRACTICE_BRANCH.replace(
        "attempts('two-plus-two') > 2", "not visible_passed('dubble')"))
    only(tmp_path / "misspelt", misspelt, "visible_passed('dubble') names an unknown check", "did you mean 'double'")


def test_a_rule_that_sends_a_perfect_student_to_remediation_is_an_error(tmp_path):
    cells = replace_cell(valid_cells(), PRACTICE_BRANCH, PRACTICE_BRANCH.replace(
        "attempts('two-plus-two') > 2", "not correct('double')").replace("mastered('add')", "mastered('carry')"))
    errors = only(tmp_path, cells, "a student right first time everywhere is sent from step 'practice' to the "
                  "remediation step 'again'", "rule 2: needs_remediation('add') or not correct('double')")
    assert any("field 'rules[1]'" in e for e in errors), errors
