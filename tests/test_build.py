"""``lessonkit build``: three outputs, deterministic, secret-free, all or nothing, and
accepted by the real nbgrader."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from lessonfactory import NUMERIC, replace_cell, valid_cells, write_lesson
from lessonkit.compile import build_lesson
from lessonkit.engine.seal import check_items, secrets
from lessonkit.format import blob
from lessonkit.format.calls import read_cell
from lessonkit.format.markers import solution_lines
from lessonkit.model import LessonError, Where

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (ROOT / "lessons").glob("*/*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def student_texts(built) -> dict[str, str]:
    """Everything a student can open: both notebooks, and the sealed lesson inside them."""
    texts = {"student": built.student.read_text(), "page": built.page.read_text()}
    for name, path in (("student", built.student), ("page", built.page)):
        header = nbformat.read(path, 4).cells[0].source
        encoded = header.split("(", 2)[-1].rsplit(")", 1)[0].strip("'\"")
        texts[f"{name} lesson data"] = json.dumps(blob.decode(encoded), ensure_ascii=False)
    return texts


def assert_no_secrets(lesson, texts: dict[str, str]) -> None:
    hidden = [line.strip() for c in lesson.checks.values() for tests in c.tests
              for line in tests.split("### BEGIN HIDDEN TESTS", 1)[-1].splitlines()
              if "### BEGIN HIDDEN TESTS" in tests and line.strip() and not line.strip().startswith("###")]
    solutions = [line for c in lesson.checks.values() if c.kind == "code"
                 for line in solution_lines(c.solution or "") if len(line) >= 8]
    # a line the teacher also shows openly (an example, a prompt, a hint) is teaching, not a leak
    public = "\n".join([b.source for s in lesson.steps for b in s.blocks]
                       + [c.prompt + " ".join(h.text for h in c.hints) for c in lesson.checks.values()]
                       + [item["prompt"] + repr(item.get("options", "")) for c in lesson.checks.values()
                          for item in check_items(lesson, c)])
    needles = {n for n in set(secrets(lesson)) | set(hidden) | set(solutions) if n not in public}
    assert needles, "a lesson with checks has secrets to look for"
    for where, text in texts.items():
        for needle in needles:
            assert needle not in text, f"{needle!r} leaked into the {where}"
    for where, text in texts.items():
        if "lesson data" in where:
            data = json.loads(text)
            for check in data["checks"].values():
                for item in check["items"]:
                    assert not {"answer", "answers", "solution", "pattern"} & set(item), (check["id"], item)


def test_builds_three_outputs(tmp_path):
    built = build_lesson(write_lesson(tmp_path), out=tmp_path / "out", course=tmp_path / "course")
    assert built.student == tmp_path / "out/tiny/student/tiny.ipynb"
    assert built.page == tmp_path / "out/tiny/page/tiny.ipynb"
    assert built.nbgrader == tmp_path / "course/source/tiny/tiny.ipynb"
    student = nbformat.read(built.student, 4)
    nbformat.validate(student)
    roles = [c.metadata["lessonkit"]["role"] for c in student.cells]
    assert roles[0] == "header" and roles.count("check") == 7 and "grade" not in roles
    assert nbformat.read(built.page, 4).cells[0].source.startswith("# lessonkit")
    graded = nbformat.read(built.nbgrader, 4)
    points = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"]
              for c in graded.cells if c.metadata.get("nbgrader", {}).get("grade")}
    assert points == {"two-plus-two": 1, "evens": 1, "sum-decimal": 1, "name": 1, "parts": 1, "add-v": 1, "double": 2}


def test_built_notebooks_call_the_player_never_the_authoring_names(tmp_path):
    """``lk.check`` is the teacher's; a built notebook's cells must not read as a lesson's source."""
    built = build_lesson(write_lesson(tmp_path), out=tmp_path / "out", course=tmp_path / "course")
    student, page, graded = (nbformat.read(p, 4) for p in (built.student, built.page, built.nbgrader))
    generated = [c for nb in (student, graded) for c in nb.cells
                 if c.metadata["lessonkit"]["role"] in ("header", "check", "next", "grade")] + page.cells
    assert len(generated) > 10
    for cell in generated:
        assert read_cell(cell.source, Where()).calls == [], cell.source
    checks = [c for c in student.cells if c.metadata["lessonkit"]["role"] == "check"]
    assert [c.source for c in checks] == [f"lkp.show_check({c.metadata['lessonkit']['check']!r})" for c in checks]
    assert "\nlkp.start_notebook('" in student.cells[0].source and "\nlkp.start_page('" in page.cells[0].source


def test_same_source_same_bytes(tmp_path):
    source = write_lesson(tmp_path)
    first = build_lesson(source, out=tmp_path / "a", course=tmp_path / "ca")
    second = build_lesson(source, out=tmp_path / "b", course=tmp_path / "cb")
    for a, b in [(first.student, second.student), (first.page, second.page), (first.nbgrader, second.nbgrader)]:
        assert a.read_bytes() == b.read_bytes()


def test_student_outputs_hold_no_secret(tmp_path):
    built = build_lesson(write_lesson(tmp_path), out=tmp_path / "out", course=tmp_path / "course")
    assert_no_secrets(built.lesson, student_texts(built))
    # the nbgrader source is the teacher's: the secrets are there, inside nbgrader's markers
    assert "assert double(-41) == -82" in built.nbgrader.read_text()


@pytest.mark.parametrize("source", EXAMPLES, ids=[p.parent.name for p in EXAMPLES])
def test_example_lessons_build_without_secrets(tmp_path, source):
    built = build_lesson(source, out=tmp_path / "out", course=tmp_path / "course")
    assert_no_secrets(built.lesson, student_texts(built))
    assets = {p.name for p in source.parent.iterdir() if p.is_file() and p.suffix != ".ipynb"}
    assert assets <= {p.name for p in built.student.parent.iterdir()}


def test_a_failed_build_keeps_the_previous_outputs(tmp_path):
    source = write_lesson(tmp_path)
    built = build_lesson(source, out=tmp_path / "out", course=tmp_path / "course")
    before = {p: p.read_bytes() for p in (built.student, built.page, built.nbgrader)}
    write_lesson(tmp_path, replace_cell(valid_cells(), NUMERIC, NUMERIC.replace("0.7525", "'lots'")))
    with pytest.raises(LessonError) as failure:
        build_lesson(source, out=tmp_path / "out", course=tmp_path / "course")
    assert "is not a number" in str(failure.value)
    assert {p: p.read_bytes() for p in before} == before
    leftovers = [p for p in (tmp_path / "out" / "tiny").iterdir() if p.name.startswith(".")]
    assert not leftovers


def test_cli_build_reports_and_exits_non_zero(tmp_path):
    source = write_lesson(tmp_path, replace_cell(valid_cells(), NUMERIC, NUMERIC.replace("0.7525", "'lots'")))
    done = subprocess.run([sys.executable, "-m", "lessonkit", "build", str(source), "--out", str(tmp_path / "o"),
                           "--course", str(tmp_path / "c")], capture_output=True, text=True)
    assert done.returncode == 1 and "not built" in done.stderr and "field 'answer'" in done.stderr
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").rglob("*.ipynb"))


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run([sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={course}"],
                          capture_output=True, text=True, env=env, cwd=course)


@pytest.mark.slow
def test_real_nbgrader_generates_the_assignment_and_release_holds_no_secret(tmp_path):
    course = tmp_path / "course"
    built = build_lesson(write_lesson(tmp_path), out=tmp_path / "out", course=course)
    done = nbgrader(course, "generate_assignment", "tiny", "--force")
    assert done.returncode == 0, done.stderr[-3000:]
    release = course / "release" / "tiny" / "tiny.ipynb"
    texts = {"nbgrader release": release.read_text()}
    assert_no_secrets(built.lesson, texts)
    cells = nbformat.read(release, 4).cells
    answer = next(c for c in cells if c.metadata.get("nbgrader", {}).get("grade_id") == "double-answer")
    assert "raise NotImplementedError()" in answer.source and "x * 2" not in answer.source


def test_scaffolded_lesson_validates_and_builds(tmp_path):
    done = subprocess.run([sys.executable, "-m", "lessonkit", "new", "fractions", "--folder", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    built = build_lesson(tmp_path / "fractions" / "fractions.ipynb", out=tmp_path / "o", course=tmp_path / "c")
    assert {c.kind for c in built.lesson.checks.values()} == {"single", "multiple", "numeric", "text", "code"}
    again = subprocess.run([sys.executable, "-m", "lessonkit", "new", "fractions", "--folder", str(tmp_path)],
                           capture_output=True, text=True)
    assert again.returncode == 1 and "already exists" in again.stderr


CORPUS = ROOT / "tests" / "corpus" / "nbgrader-ps1"


@pytest.mark.slow
def test_import_ps1_keeps_every_grade_cell_points_and_tests(tmp_path):
    source = CORPUS / "source" / "ps1"
    done = subprocess.run([sys.executable, "-m", "lessonkit", "import-nbgrader", str(source),
                           "--folder", str(tmp_path / "lessons")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    course = tmp_path / "course"
    built = build_lesson(tmp_path / "lessons" / "ps1" / "ps1.ipynb", out=tmp_path / "out", course=course)
    original = {}
    for path in source.glob("*.ipynb"):
        for cell in nbformat.read(path, 4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") or meta.get("task"):
                original[meta["grade_id"]] = (float(meta.get("points", 0)), cell.source if cell.cell_type == "code"
                                              and not meta.get("solution") else None)
    rebuilt = [c for c in nbformat.read(built.nbgrader, 4).cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert sum(p for p, _ in original.values()) == sum(c.metadata["nbgrader"]["points"] for c in rebuilt)
    assert len(rebuilt) == len(original)
    tests = [t for _, t in original.values() if t]
    assert tests and all(any(t in c.source for c in rebuilt) for t in tests)
    assert (built.student.parent / "jupyter.png").exists()
    done = nbgrader(course, "generate_assignment", "ps1", "--force")
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.slow
def test_nbgrader_source_runs_clean_in_a_real_kernel(tmp_path):
    """The teacher's version runs top to bottom: solutions pass, grade cells print nothing."""
    from nbclient import NotebookClient

    built = build_lesson(write_lesson(tmp_path), out=tmp_path / "out", course=tmp_path / "course")
    nb = nbformat.read(built.nbgrader, 4)
    NotebookClient(nb, timeout=60, kernel_name="python3",
                   resources={"metadata": {"path": str(built.nbgrader.parent)}}).execute()
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade") and cell.cell_type == "code":
            kinds = {(o.output_type, o.get("name")) for o in cell.outputs}
            assert ("stream", "stderr") not in kinds and not any(o.output_type == "error" for o in cell.outputs), \
                (cell.metadata.nbgrader.grade_id, cell.outputs)
