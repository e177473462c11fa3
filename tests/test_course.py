"""The course file: parsing, validation across lessons, and ``lessonkit validate`` on it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lessonkit.compile.course import course_entry, validate_course
from lessonkit.model.course import parse_course
from tests.lessonfactory import write_lesson

REPO = Path(__file__).resolve().parent.parent


def lesson_cells(lesson_id: str, skills: str) -> list[tuple[str, str]]:
    return [
        ("code", f'import lessonkit as lk\nlk.lesson(id="{lesson_id}", title="Lesson {lesson_id}", skills={skills})'),
        ("code", 'lk.step("intro", title="Intro")'),
        ("markdown", "Some teaching."),
        ("code", 'lk.step("done", kind="end", title="Done")'),
    ]


@pytest.fixture
def course_folder(tmp_path: Path) -> Path:
    write_lesson(tmp_path, lesson_cells("alpha", '{"a1": "First", "a2": {"name": "Second", "requires": ["a1"]}}'),
                 name="alpha")
    write_lesson(tmp_path, lesson_cells("beta", '{"b1": "Third"}'), name="beta")
    return tmp_path


def write_course(folder: Path, text: str) -> Path:
    path = folder / "course.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = '''[course]
id = "demo"
title = "Demo course"

[[lessons]]
id = "alpha"

[[lessons]]
id = "beta"

[skills.b1]
requires = ["a2"]
'''


def test_a_course_merges_the_lessons_skills_with_its_own_prerequisites(course_folder):
    report = validate_course(write_course(course_folder, GOOD))
    assert report.ok, report.problems
    plan = report.plan()
    assert [l.id for l in plan.lessons] == ["alpha", "beta"]
    assert plan.skills["b1"].requires == ("a2",)
    assert plan.skills["a2"].requires == ("a1",)
    assert plan.taught_in("a1") == ("alpha",)
    assert type(plan).from_dict(plan.to_dict()) == plan


def messages(report) -> list[str]:
    return [str(p) for p in report.errors]


def test_an_unknown_lesson_is_named_with_the_table_and_field(course_folder):
    path = write_course(course_folder, GOOD.replace('id = "beta"', 'id = "betta"'))
    errors = messages(validate_course(path))
    assert len(errors) == 1, errors
    assert str(path) in errors[0] and "[[lessons]] #2" in errors[0] and "field 'id'" in errors[0]
    assert "unknown lesson 'betta'" in errors[0] and "did you mean 'beta'?" in errors[0]


def test_unknown_skills_in_a_table_or_its_requires(course_folder):
    text = GOOD.replace('requires = ["a2"]', 'requires = ["a3"]') + '\n[skills.zeta]\nname = "Nowhere"\n'
    errors = messages(validate_course(write_course(course_folder, text)))
    assert any("table [skills.b1]" in e and "field 'requires[0]'" in e and "unknown skill 'a3'" in e for e in errors)
    assert any("table [skills.zeta]" in e and "unknown skill 'zeta'" in e for e in errors), errors


def test_a_prerequisite_cycle_across_lessons_is_reported_with_each_link(course_folder):
    write_lesson(course_folder, lesson_cells("alpha", '{"a1": {"name": "First", "requires": ["b1"]}, "a2": "Second"}'),
                 name="alpha")
    errors = messages(validate_course(write_course(course_folder, GOOD.replace('["a2"]', '["a1"]'))))
    assert len(errors) == 1, errors
    assert "prerequisite cycle across lessons" in errors[0] and "table [skills.b1]" in errors[0]
    assert "'a1' requires 'b1' (lesson 'alpha')" in errors[0] and "'b1' requires 'a1' ([skills.b1])" in errors[0]


def test_bad_toml_and_misspelt_fields_say_where(course_folder):
    _, problems = parse_course(write_course(course_folder, "[course\nid = 1"))
    assert len(problems) == 1 and "not valid TOML" in str(problems[0])
    _, problems = parse_course(write_course(course_folder, GOOD.replace('title = "Demo course"', 'titel = "x"')))
    assert [str(p) for p in problems] == [f"{course_folder / 'course.toml'}, table [course], field 'titel': "
                                         "unknown field 'titel' (did you mean 'title'?)"]


def test_a_lesson_whose_header_has_another_id(course_folder):
    text = GOOD.replace('id = "beta"', 'id = "gamma"\npath = "beta/beta.ipynb"')
    errors = messages(validate_course(write_course(course_folder, text)))
    assert errors == [f"{course_folder / 'course.toml'}, table [[lessons]] #2 (id 'gamma'), field 'id': the notebook at "
                      f"{course_folder / 'beta/beta.ipynb'} is lesson 'beta', not 'gamma' (write id = \"beta\")"]


def test_a_built_lesson_carries_only_ids_names_and_parameters_of_its_course(course_folder):
    write_course(course_folder, GOOD)
    entry = course_entry(course_folder / "alpha" / "alpha.ipynb")
    assert entry["course"]["id"] == "demo"
    assert [l["id"] for l in entry["course"]["lessons"]] == ["alpha", "beta"]
    assert course_entry(course_folder / "alpha" / "alpha.ipynb") == entry  # byte-identical rebuilds
    write_course(course_folder, GOOD.replace('["a2"]', '["nope"]'))
    assert course_entry(course_folder / "alpha" / "alpha.ipynb") == {}


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lessonkit", "validate", "--no-run", *args],
                          capture_output=True, text=True, cwd=REPO, timeout=300)


def test_lessonkit_validate_checks_the_example_course():
    done = run_cli("lessons/course.toml")
    assert done.returncode == 0, done.stderr
    assert "lessons/course.toml: ok (3 lessons)" in done.stdout


def test_lessonkit_validate_fails_on_a_broken_course_in_a_folder(course_folder):
    write_course(course_folder, GOOD.replace('id = "beta"', 'id = "betta"'))
    done = run_cli(str(course_folder))
    assert done.returncode == 1
    assert "alpha.ipynb: ok" in done.stdout and "unknown lesson 'betta'" in done.stderr
