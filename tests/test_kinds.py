"""Each check kind judges answers as a student would expect, from sealed items only."""

from __future__ import annotations

import json

import pytest

from lessonkit.engine.kinds import UnknownKindError, get_kind, kind_names
from lessonkit.engine.kinds.numeric import read_number
from lessonkit.errors import LessonkitError
from lessonkit.model import Check, Feedback, Variants


def sealed(kind: str, **spec):
    feedback = tuple(Feedback(m, answer=a) for a, m in spec.pop("feedback", {}).items())
    check = Check(id="q", kind=kind, prompt=spec.pop("prompt", "?"), spec=spec, feedback=feedback,
                  variants=spec.pop("variants", None))
    engine = get_kind(kind)
    assert not engine.problems(check), engine.problems(check)
    items = engine.items(check, "lesson")
    return engine, [engine.seal(item, f"salt{n}") for n, item in enumerate(items)], items


def test_registry_lists_every_kind():
    assert {"single", "multiple", "numeric", "text", "code", "response"} <= set(kind_names())
    with pytest.raises(UnknownKindError, match="unknown check kind 'nope': the kinds are code, multiple"):
        get_kind("nope")
    with pytest.raises(LessonkitError):
        get_kind("nope")


def test_single_choice_by_text_or_index_with_feedback():
    kind, (item,), _ = sealed("single", options=["3", "4", "5"], answer="4", feedback={"5": "One too many."})
    assert kind.judge(item, "4").correct is True
    assert kind.judge(item, 1).correct is True
    wrong = kind.judge(item, "5")
    assert wrong.correct is False and wrong.message == "One too many."
    assert kind.judge(item, "3").message.startswith("Not quite")
    assert kind.judge(item, "nine").readable is False
    assert "answer" not in item and all(len(digest) == 32 for digest in item["accept"])


def test_multiple_choice_needs_exactly_the_right_set():
    kind, (item,), _ = sealed("multiple", options=["2", "3", "8"], answers=["2", "8"])
    assert kind.judge(item, ["8", "2"]).correct is True
    assert kind.judge(item, [0, 2]).correct is True
    assert kind.judge(item, ["2"]).correct is False
    assert kind.judge(item, ["2", "3", "8"]).correct is False
    assert kind.judge(item, []).readable is False


@pytest.mark.parametrize("text,value", [("0.75", 0.75), ("3/4", 0.75), ("75%", 0.75), (" 1 1/2 ", 1.5),
                                        ("-1 1/2", -1.5), ("1,000", 1000.0), ("1e3", 1000.0), ("0,75", 0.75),
                                        ("−2", -2.0), (7, 7.0), ("abc", None), ("1/0", None), ("", None),
                                        ("nan", None), ("inf", None)])
def test_numbers_as_students_write_them(text, value):
    assert read_number(text) == value


def test_numeric_absolute_tolerance_is_honoured_within_an_eighth():
    kind, (item,), _ = sealed("numeric", answer=0.75, tolerance={"abs": 0.01}, feedback={"0.5": "Only half."})
    for inside in (0.75, 0.7401, 0.7599, "3/4", "75%"):
        assert kind.judge(item, inside).correct is True, inside
    for outside in (0.73874, 0.76126, 0.8, -0.75):
        assert kind.judge(item, outside).correct is False, outside
    assert kind.judge(item, 0.5).message == "Only half."
    assert kind.judge(item, "three quarters").readable is False


def test_numeric_relative_tolerance_and_negative_answers():
    kind, (item,), _ = sealed("numeric", answer=-2500, tolerance={"rel": 0.02})
    assert kind.judge(item, -2450).correct and kind.judge(item, -2549).correct
    assert not kind.judge(item, -2400).correct and not kind.judge(item, 2500).correct
    kind, (exact,), _ = sealed("numeric", answer=6)
    assert kind.judge(exact, "6").correct and not kind.judge(exact, "6.001").correct


def test_text_normalisation_alternatives_and_sets():
    kind, (item,), _ = sealed("text", answers=["the denominator", "denominator"])
    assert kind.judge(item, "  The   Denominator ").correct is True
    assert kind.judge(item, "numerator").correct is False
    kind, (item,), _ = sealed("text", answer="red, green, blue", unordered=True)
    assert kind.judge(item, "Blue; red and green").correct is True
    assert kind.judge(item, "red, green").correct is False
    kind, (item,), _ = sealed("text", answer="e.g.", normalize=["case", "punctuation"])
    assert kind.judge(item, "EG").correct is True


def test_text_pattern_is_never_sent_and_is_checked_at_grading():
    kind, (item,), (plain,) = sealed("text", answer="mitochondria", pattern=r"mitochondri(a|on)s?",
                                     feedback={"nucleus": "The nucleus holds DNA."})
    assert "mitochondri" not in json.dumps(item)
    assert kind.judge(item, "Mitochondria").correct is True
    pending = kind.judge(item, "mitochondrion")
    assert pending.correct is None and "grading" in pending.message
    assert kind.judge(item, "nucleus").correct is False
    assert kind.grade(plain, "mitochondrion") == 1.0 and kind.grade(plain, "ribosome") == 0.0


def test_variants_are_deterministic_and_distinct():
    variants = Variants({"a": (17, 28, 39), "b": (5, 6, 7)}, count=4)
    kind, items, plain = sealed("numeric", prompt="What is {a} + {b}?", answer="a + b", variants=variants)
    _, again, _ = sealed("numeric", prompt="What is {a} + {b}?", answer="a + b", variants=variants)
    assert items == again and len(items) == 4
    for sealed_item, item in zip(items, plain):
        a, b = (int(x) for x in item["prompt"][8:-1].split(" + "))
        assert kind.judge(sealed_item, a + b).correct and not kind.judge(sealed_item, a + b + 1).correct


def test_code_check_in_the_students_namespace_is_honest_about_hidden_tests():
    check = Check(id="double", kind="code", prompt="Write double.", solution="def double(x):\n"
                  "    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
                  tests=("assert double(0) == 0\nassert double(3) == 6\n### BEGIN HIDDEN TESTS\n"
                         "assert double(-41) == -82\n### END HIDDEN TESTS",), test_points=(1.0,),
                  feedback=(Feedback("Doubling 3 gives 6.", test=2),))
    kind = get_kind("code")
    (item,) = [kind.seal(i, "s") for i in kind.items(check, "lesson")]
    assert "-41" not in json.dumps(item) and "2 * x" not in json.dumps(item)
    assert "raise NotImplementedError()" in item["starter"]
    right = kind.judge(item, {"double": lambda x: 2 * x})
    assert right.correct is None and "hidden test" in right.message
    wrong = kind.judge(item, {"double": lambda x: 3 * x})
    assert wrong.correct is False and wrong.details == ("Doubling 3 gives 6.",)
    contained = kind.judge(item, "def double(x):\n    return x * 2\n")
    assert contained.correct is None and contained.score == 1.0


def test_response_is_saved_for_the_teacher():
    kind, (item,), _ = sealed("response", prompt="Explain why.")
    verdict = kind.judge(item, "Because it divides evenly.")
    assert verdict.correct is None and "teacher" in verdict.message
    assert kind.judge(item, "  ").readable is False


def test_grading_in_the_clear_decides_exactly_as_the_sealed_check():
    from lessonkit.engine import sealing

    kind, (item,), (plain,) = sealed("numeric", answer=0.75, tolerance={"abs": 0.01})
    for answer in (0.75, 0.7401, 0.7599, 0.761249, 0.73874, 0.8, "3/4", "abc"):
        assert kind.grade(plain, answer) == kind.judge(item, answer).score, answer
    with sealing.in_the_clear():
        assert sealing.digest("salt", "a:12") == "a:12"
    assert sealing.digest("salt", "a:12") != "a:12"


def test_variant_feedback_is_a_template_too():
    variants = Variants({"n": (4, 5, 6)}, count=3)
    kind, items, plain = sealed("numeric", prompt="1 + ... + {n}?", answer="n * (n + 1) / 2", variants=variants,
                                feedback={"{n * (n - 1) / 2}": "You stopped one short: include {n}."})
    for sealed_item, item in zip(items, plain):
        n = int(item["prompt"].split()[-1].rstrip("?"))
        verdict = kind.judge(sealed_item, n * (n - 1) // 2)
        assert verdict.correct is False and verdict.message == f"You stopped one short: include {n}."


def multiple_choice(*feedback: Feedback):
    check = Check(id="q", kind="multiple", prompt="Pick all fractions equal to 1/3.",
                  spec={"options": ["2/6", "3/9", "1/6", "4/12"], "answers": ["2/6", "3/9", "4/12"]},
                  feedback=feedback)
    kind = get_kind("multiple")
    assert not kind.problems(check), kind.problems(check)
    (item,) = kind.items(check, "lesson")
    return kind, kind.seal(item, "salt"), item


def test_multiple_choice_feedback_names_the_exact_set_a_wrong_pick_or_a_missed_one():
    kind, item, _ = multiple_choice(
        Feedback("Only one of them: simplify the others too.", answer=["2/6"]),
        Feedback("You picked 1/6, which is half of 1/3.", answer={"picked": "1/6"}),
        Feedback("One more equals 1/3: simplify 4/12.", answer={"missed": 3}))
    assert kind.judge(item, ["2/6"]).message == "Only one of them: simplify the others too."
    assert kind.judge(item, ["2/6", "3/9", "1/6", "4/12"]).message == "You picked 1/6, which is half of 1/3."
    assert kind.judge(item, ["2/6", "3/9"]).message == "One more equals 1/3: simplify 4/12."
    both = kind.judge(item, ["2/6", "3/9", "1/6"])
    assert both.correct is False and both.message == "You picked 1/6, which is half of 1/3."
    assert both.details == ("One more equals 1/3: simplify 4/12.",)
    assert kind.judge(item, ["2/6", "3/9", "4/12"]).message == "Correct!"
    assert "picked:" not in json.dumps(item) and "missed:" not in json.dumps(item)


def test_multiple_choice_feedback_must_name_options_of_the_right_sort():
    kind = get_kind("multiple")
    spec = {"options": ["2/6", "3/9", "1/6"], "answers": ["2/6", "3/9"]}
    for answer, needle in [(["2/6", "1/7"], "not one of the options"), ({"picked": "2/6"}, "is a right option"),
                           ({"missed": "1/6"}, "is not a right option"),
                           ({"picked": "2/6", "missed": "3/9"}, 'either {"picked"')]:
        check = Check(id="q", kind="multiple", spec=spec, feedback=(Feedback("...", answer=answer),))
        assert any(needle in p.message for p in kind.problems(check)), (answer, kind.problems(check))


def test_a_percent_check_reads_every_way_of_writing_the_percentage():
    kind, (item,), (plain,) = sealed("numeric", answer=25, unit="%", feedback={"20%": "That is 1/5, not 1/4."})
    for right in (25, "25", "25%", "25 %", " 25 % "):
        assert kind.judge(item, right).correct is True, right
        assert kind.grade(plain, right) == 1.0, right
    as_fraction = kind.judge(item, "0.25")
    assert as_fraction.correct is False and "give the answer in %" in as_fraction.message
    assert kind.grade(plain, "0.25") == 0.0
    assert kind.judge(item, "20").message == "That is 1/5, not 1/4."
    assert kind.judge(item, "0.3").message.startswith("Not quite")
    assert "answer" not in item and item["unit"] == "%"


def test_a_unit_may_be_written_or_left_out_but_not_swapped():
    kind, (item,), (plain,) = sealed("numeric", answer=12, unit="cm")
    for right in ("12 cm", "12cm", "12", 12):
        assert kind.judge(item, right).correct is True, right
    swapped = kind.judge(item, "12 m")
    assert swapped.readable is False and "in cm" in swapped.message and "'m'" in swapped.message
    assert kind.judge(item, "12 %").readable is False
    assert kind.grade(plain, "12 m") == 0.0 and kind.grade(plain, "12 cm") == 1.0
    kind, (pounds,), _ = sealed("numeric", answer=12.5, unit="£")
    assert all(kind.judge(pounds, money).correct for money in ("£12.50", "£ 12.5", "12.5"))
    assert kind.judge(pounds, "£12 cm").readable is False


def test_without_a_unit_a_percent_sign_still_means_hundredths():
    kind, (item,), _ = sealed("numeric", answer=0.25)
    assert kind.judge(item, "25%").correct is True and kind.judge(item, "25 %").correct is True
    assert kind.judge(item, "0.25 cm").readable is False


def test_a_unit_is_a_short_word_or_symbol():
    for unit in ("", "12", "cm 2"):
        check = Check(id="q", kind="numeric", spec={"answer": 1, "unit": unit})
        assert any(p.where.field == "unit" for p in get_kind("numeric").problems(check)), unit
    for unit in ("%", "cm", "km/h", "m²", "°C", "£"):
        check = Check(id="q", kind="numeric", spec={"answer": 1, "unit": unit})
        assert not get_kind("numeric").problems(check), unit


# -- variants: templated hints, constraints, data rows --------------------------------------------

VARIANT_CHECK = '''lk.check(id="add-v", kind="numeric", prompt="What is {a} + {b}?", answer="a + b", skills=["add"],
         hints=["Start from {a} and count on {b}.", {"text": "{a} + {b} = ?", "bottom_out": True}],
         feedback=[{"answer": "{a - b}", "message": "That is {a} minus {b}: add instead."}],
         variants=VARIANTS)'''


def variant_lesson(tmp_path, variants: str, check: str = VARIANT_CHECK, files: dict[str, str] | None = None):
    from lessonfactory import HEADER, write_lesson

    cells = [("code", HEADER), ("code", 'lk.step("practice", kind="check", title="Practice")'),
             ("code", check.replace("VARIANTS", variants)), ("code", 'lk.step("done", kind="end", title="Done")')]
    path = write_lesson(tmp_path, cells)
    for name, text in (files or {}).items():
        (path.parent / name).write_text(text, encoding="utf-8")
    return path


def prompt_values(prompt: str) -> tuple[int, int]:
    a, b = prompt.removeprefix("What is ").rstrip("?").split(" + ")
    return int(a), int(b)


def test_hints_are_filled_in_per_variant_and_follow_the_students_item(tmp_path):
    from lessonkit.engine.seal import seal_lesson
    from lessonkit.format.reader import read_lesson
    from lessonkit.player.identity import Identity
    from lessonkit.player.session import Session
    from lessonkit.progress import JsonlLog

    lesson = read_lesson(variant_lesson(tmp_path, '{"count": 4, "params": {"a": [17, 28, 39], "b": [5, 6, 7]}}'))
    sealed_lesson = seal_lesson(lesson)
    for item in sealed_lesson["checks"]["add-v"]["items"]:
        a, b = prompt_values(item["prompt"])
        assert item["hints"] == [f"Start from {a} and count on {b}.", f"{a} + {b} = ?"]
        assert "answer" not in item and str(a + b) not in " ".join([item["prompt"], *item["hints"]])
    session = Session(sealed_lesson, Identity("alice", "header"), JsonlLog(tmp_path / "log.jsonl"), mode="page")
    session.start()
    _, item = session.item("add-v")
    a, b = prompt_values(item["prompt"])
    assert session.reveal_hint("add-v") == f"Start from {a} and count on {b}."
    wrong = session.answer("add-v", a - b)
    assert wrong.verdict.message == f"That is {a} minus {b}: add instead."
    _, after = session.item("add-v")
    assert after["prompt"] != item["prompt"]  # a wrong answer moves on to the next variant ...
    c, d = prompt_values(after["prompt"])
    assert session.hints_shown("add-v") == [f"Start from {c} and count on {d}."]  # ... and its hints with it


def test_a_templated_hint_that_gives_the_answer_away_is_caught_per_variant(tmp_path):
    from lessonkit.compile import validate_lesson

    check = VARIANT_CHECK.replace('"Start from {a} and count on {b}."', '"Count on: {a} + {b} is {a + b}."')
    report = validate_lesson(variant_lesson(tmp_path, '{"count": 3, "params": {"a": [17, 28], "b": [5, 6]}}', check),
                             run_code=False)
    assert any("field 'hints[0]'" in str(p) and "gives the answer away" in p.message for p in report.errors), \
        [str(p) for p in report.problems]


def test_a_constraint_holds_for_every_item_and_leaves_unconstrained_draws_as_they_were():
    params = {"a": tuple(range(1, 10)), "b": tuple(range(1, 10))}
    _, _, plain = sealed("numeric", prompt="{a} * {b} = ?", answer="a * b",
                         variants=Variants(params, count=8, where="a != b and a * b < 20"))
    values = [tuple(map(int, item["prompt"].removesuffix(" = ?").split(" * "))) for item in plain]
    assert len(values) == 8 and all(a != b and a * b < 20 for a, b in values)
    _, _, free = sealed("numeric", prompt="{a} * {b} = ?", answer="a * b", variants=Variants(params, count=8))
    _, _, always = sealed("numeric", prompt="{a} * {b} = ?", answer="a * b",
                          variants=Variants(params, count=8, where="True"))
    assert free == always  # a constraint every draw meets changes no item (nor any built lesson without one)
    assert free != plain


@pytest.mark.parametrize("variants,field,words", [
    ('{"count": 3, "params": {"a": [1, 2], "b": [3]}, "where": "a > 100"}', "variants.where",
     "only 0 of 1000 draws met where='a > 100'"),
    ('{"count": 3, "params": {"a": [1, 2], "b": [3]}, "where": "a != c"}', "variants.where",
     "unknown name 'c': the variables are a, b"),
    ('{"count": 3, "params": {"a": [1, 2], "b": [3]}, "whre": "a != b"}', "variants.whre",
     "variants have no field 'whre' (did you mean 'where'?"),
    ('{"rows": [{"a": 1, "b": 2}, {"a": 3}]}', "variants.rows[1]", "but the first row has a, b"),
    ('{"rows": [{"a": 1, "b": 2}, {"a": 3, "b": 4}], "count": 3}', "variants.count",
     "only 2 of the 2 rows are there, and 3 variants are asked for"),
    ('{"rows": "missing.csv"}', "variants.rows", "there is no file 'missing.csv' beside the lesson"),
])
def test_bad_variants_are_reported_with_the_cell_and_the_field(tmp_path, variants, field, words):
    from lessonkit.compile import validate_lesson

    report = validate_lesson(variant_lesson(tmp_path, variants), run_code=False)
    messages = [str(p) for p in report.errors]
    assert any(f"cell 3 (id c2), check 'add-v', field '{field}'" in m and words in m for m in messages), messages


def test_a_hint_template_naming_an_unknown_value_names_the_hint(tmp_path):
    from lessonkit.compile import validate_lesson

    check = VARIANT_CHECK.replace('"Start from {a} and count on {b}."', '"Start from {c}."')
    report = validate_lesson(variant_lesson(tmp_path, '{"count": 2, "params": {"a": [1, 2], "b": [3]}}', check),
                             run_code=False)
    (problem,) = report.errors
    assert problem.where.field == "hints[0]" and "unknown name 'c'" in problem.message, str(problem)


def test_rows_written_out_are_dealt_once_each(tmp_path):
    from lessonkit.compile import validate_lesson
    from lessonkit.engine.seal import check_items

    rows = [{"a": a, "b": b} for a, b in ((12, 3), (25, 4), (31, 9))]
    report = validate_lesson(variant_lesson(tmp_path, json.dumps({"rows": rows})), run_code=False)
    assert report.ok, [str(p) for p in report.problems]
    items = check_items(report.lesson, report.lesson.checks["add-v"])
    assert sorted(prompt_values(i["prompt"]) for i in items) == [(12, 3), (25, 4), (31, 9)]
    assert [i["answer"] for i in items] == [sum(prompt_values(i["prompt"])) for i in items]
    constrained = validate_lesson(variant_lesson(tmp_path / "where", json.dumps({"rows": rows, "where": "b > 3"})),
                                  run_code=False)
    assert constrained.ok, [str(p) for p in constrained.problems]
    items = check_items(constrained.lesson, constrained.lesson.checks["add-v"])
    assert sorted(prompt_values(i["prompt"]) for i in items) == [(25, 4), (31, 9)]  # every row that meets it


def test_rows_from_a_csv_beside_the_lesson_with_params_and_a_constraint(tmp_path):
    from lessonkit.compile import validate_lesson
    from lessonkit.engine.seal import check_items, seal_check

    csv_text = "a,name\n12,pens\n25,pads\n7,clips\n"
    check = VARIANT_CHECK.replace('prompt="What is {a} + {b}?"', 'prompt="What is {a} + {b}? ({name})"')
    path = variant_lesson(tmp_path, '{"rows": "stock.csv", "params": {"b": [1, 2, 3]}, "count": 5, "where": "a > 10"}',
                          check, files={"stock.csv": csv_text})
    report = validate_lesson(path, run_code=False)
    assert report.ok, [str(p) for p in report.problems]
    lesson = report.lesson
    assert lesson.checks["add-v"].variants.rows[0] == {"a": 12, "name": "pens"}  # numbers read as numbers
    items = check_items(lesson, lesson.checks["add-v"])
    assert len(items) == 5 and {i["prompt"].split("(")[1] for i in items} <= {"pens)", "pads)"}
    sealed_check = json.dumps(seal_check(lesson, lesson.checks["add-v"]))
    assert "clips" not in sealed_check and "stock.csv" not in sealed_check and '"answer"' not in sealed_check


def test_a_rows_file_stays_with_the_teacher_and_its_answers_stay_sealed(tmp_path):
    from lessonkit.compile import build_lesson
    from lessonkit.engine.seal import seal_lesson, secrets

    capitals = {"France": "Paris", "Kenya": "Nairobi", "Peru": "Lima", "Japan": "Tokyo"}
    check = ('lk.check(id="capital", kind="text", prompt="What is the capital of {country}?", answer="{capital}", '
             'skills=["add"], variants=VARIANTS)')
    path = variant_lesson(tmp_path, '{"rows": "capitals.csv", "count": 3}', check, files={
        "capitals.csv": "country,capital\n" + "".join(f"{k},{v}\n" for k, v in capitals.items()),
        "map.txt": "a file the students use"})
    built = build_lesson(path, out=tmp_path / "build", course=tmp_path / "course", run_code=False)
    for notebook in (built.student, built.page, built.nbgrader):
        assert (notebook.parent / "map.txt").exists() and not (notebook.parent / "capitals.csv").exists()
    sealed = json.dumps(seal_lesson(built.lesson))  # what the student notebook and the page embed
    assert sum(f"capital of {country}" in sealed for country in capitals) == 3  # the rows drawn, as prompts
    assert not [city for city in capitals.values() if city in sealed]  # and no answer, drawn or not
    assert {"Paris", "Nairobi", "Lima", "Tokyo"} & set(secrets(built.lesson))  # what the build's tests search for
