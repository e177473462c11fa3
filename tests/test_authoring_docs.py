"""docs/authoring.md's examples are lessons that validate and behave as the docs say.

The checks are read out of the docs' code blocks into one lesson, so an example that stops
validating, or a table of what students are told that stops being true, fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lessonfactory import write_lesson
from lessonkit.compile import validate_lesson
from lessonkit.engine.kinds import get_kind
from lessonkit.engine.seal import seal_check

DOCS = (Path(__file__).parent.parent / "docs" / "authoring.md").read_text(encoding="utf-8")
BLOCKS = [(m.group(1), m.group(2)) for m in re.finditer(r"```(\w*)\n(.*?)```", DOCS, re.DOTALL)]
#: the cells each kind of check is followed by in a lesson
FOLLOWING = {"code": ("python", "python"), "response": ("markdown",)}
EXTRA_SKILLS = '"loops": {"name": "Loops"}, '  # the code example comes from another lesson


def block(needle: str) -> str:
    (source,) = [source for _, source in BLOCKS if needle in source]
    return source


def docs_lesson_cells() -> list[tuple[str, str]]:
    """The docs' header, then every check block with the cells it needs, on one page."""
    header = block("lk.lesson(").replace("skills={", "skills={" + EXTRA_SKILLS, 1)
    cells = [("code", header), ("code", 'lk.step("examples", kind="check", title="Examples")')]
    hints = block("hints=[\n").strip().rstrip(",")  # the hint ladder of "Hints", not a check's own
    for n, (language, source) in enumerate(BLOCKS):
        if "lk.check(" not in source:
            continue
        if 'id="half-plus-quarter"' in source:  # the hint ladder is written for this check
            source = source.replace("skills=", f"{hints}, skills=", 1)
        cells.append(("code", source))
        kind = re.search(r'kind="(\w+)"', source).group(1)
        for offset, wanted in enumerate(FOLLOWING.get(kind, ()), start=1):
            following_language, following = BLOCKS[n + offset]
            assert following_language == wanted, (kind, following)
            cells.append(("markdown" if wanted == "markdown" else "code", following))
    return cells + [("code", 'lk.step("done", kind="end", title="Done")')]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return validate_lesson(write_lesson(tmp_path_factory.mktemp("docs"), docs_lesson_cells(), name="docs"))


def test_every_documented_check_validates(report):
    assert report.ok, [str(p) for p in report.problems]
    assert not report.problems, [str(p) for p in report.problems]
    documented = set(re.findall(r'lk\.check\(id="([\w-]+)"', DOCS))
    assert documented <= set(report.lesson.checks)
    assert {"which-equal-many", "discount", "ribbon", "sum-evens", "explain-lcd"} <= documented


def told(report, check_id: str, answer):
    check = report.lesson.checks[check_id]
    sealed = seal_check(report.lesson, check)
    return get_kind(check.kind).judge(sealed["items"][0], answer)


def table(after: str) -> list[list[str]]:
    """The rows of the first markdown table after ``after`` in the docs, header left out."""
    text = DOCS[DOCS.index(after):]
    rows = re.search(r"((?:^\|.*\|\n)+)", text, re.MULTILINE).group(1).splitlines()[2:]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


def test_the_multiple_choice_feedback_table_is_what_students_are_told(report):
    rows = table("| the student picks |")
    assert len(rows) == 5
    for picks, message in rows:
        verdict = told(report, "which-equal-many", [p.strip() for p in picks.split(",")])
        assert " ".join((verdict.message, *verdict.details)) == message, picks


def test_the_numeric_unit_table_is_what_students_are_told(report):
    rows = table("| check | the student types |")
    assert len(rows) == 5
    for check_id, typed, outcome in rows:
        for answer in re.findall(r"`([^`]*)`", typed):
            verdict = told(report, check_id, answer)
            if outcome == "right":
                assert verdict.correct is True, (check_id, answer)
                continue
            word, message = outcome.split(": ", 1)
            assert verdict.message == message.strip('"'), (check_id, answer, verdict)
            assert verdict.correct is False and verdict.readable is (word == "wrong"), (check_id, answer)


def test_the_documented_validation_message_is_the_one_validate_gives(tmp_path):
    documented = block("did you mean 'hints'")
    shown = documented[documented.index("check 'which-equal'"):].strip()
    cells = [(kind, source.replace('id="which-equal",', 'id="which-equal", hint="Halve it.",'))
             for kind, source in docs_lesson_cells()]
    report = validate_lesson(write_lesson(tmp_path, cells, name="docs"), run_code=False)
    assert any(str(p).endswith(shown) for p in report.errors), [str(p) for p in report.errors]
