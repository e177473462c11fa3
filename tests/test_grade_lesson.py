"""A lessonkit lesson end to end: built, released by nbgrader, answered through the player,
then scored by ``nbgrader autograde`` and by ``lessonkit grade``: the same, cell for cell."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from grade_fixtures.courses import CONFIG, nbgrader, open_dir
from lessonfactory import write_lesson
from nbgrader.api import Gradebook

from lessonkit.compile import build_lesson
from lessonkit.engine.sandbox import Limits
from lessonkit.format import blob
from lessonkit.format.writer import PLAYER
from lessonkit.grade import grade_assignment
from lessonkit.grade.kernels import LESSON_IMPORTS, KernelPool, KernelSettings
from lessonkit.player.identity import Identity
from lessonkit.player.session import Session
from lessonkit.progress import JsonlLog, log_path, open_store

pytestmark = pytest.mark.slow

RIGHT_CODE = "def double(x):\n    return x * 2\n"
WRONG_CODE = "def double(x):\n    return abs(x) * 2\n"  # passes the visible tests, fails the hidden one


def answer_all(session: Session, *, right: bool) -> None:
    """Answer every check as a student would through the widgets, with both hints of the first
    (the second, the bottom-out, opens after one answer and costs half a point)."""
    session.reveal_hint("two-plus-two")
    session.answer("two-plus-two", "4" if right else "5")
    session.reveal_hint("two-plus-two")
    session.answer("evens", ["2", "8"] if right else ["2"])
    session.answer("sum-decimal", "0.7525" if right else "0.3")
    session.answer("name", "The sum" if right else "total")
    session.answer("parts", "blue; red and green" if right else "red")
    _, item = session.item("add-v")
    a, b = (int(n) for n in re.findall(r"\d+", item["prompt"]))
    session.answer("add-v", a + b if right else a - b)


@pytest.fixture(scope="module")
def courses():
    root = open_dir()
    origin = root / "origin"
    origin.mkdir()
    shutil.copy(CONFIG, origin)
    built = build_lesson(write_lesson(root / "lessons"), out=root / "build", course=origin)
    nbgrader("generate_assignment", "tiny", cwd=origin)
    released = nbformat.read(origin / "release" / "tiny" / "tiny.ipynb", 4)
    lesson = blob.decode(re.search(re.escape(PLAYER) + r"\.start_notebook\('([^']+)'\)", released.cells[0].source).group(1))
    for student, right, code in (("ada", True, RIGHT_CODE), ("bob", False, WRONG_CODE), ("cyd", None, None)):
        folder = origin / "submitted" / student / "tiny"
        folder.mkdir(parents=True)
        submission = nbformat.from_dict(released)
        if code:
            answer = next(c for c in submission.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "double-answer")
            answer.source = code
        nbformat.write(submission, folder / "tiny.ipynb")
        (folder / "timestamp.txt").write_text("2026-11-23 10:00:00.000000 UTC")
        if right is not None:
            with JsonlLog(log_path(folder, "tiny")) as log:
                answer_all(Session(lesson, Identity(student, "os-user"), log, mode="notebook"), right=right)
    ours, theirs = root / "ours", root / "theirs"
    shutil.copytree(origin, ours)
    shutil.copytree(origin, theirs)
    store = f"sqlite:///{root / 'progress.sqlite'}"
    report = grade_assignment("tiny", course_dir=ours, workers=2, progress=False, progress_store=store)
    autograded = nbgrader("autograde", "tiny", cwd=theirs)
    yield built, report, ours, theirs, store, autograded.stderr
    shutil.rmtree(root)


def gradebook_scores(folder: Path) -> dict[tuple[str, str], float | None]:
    with Gradebook(f"sqlite:///{folder}/gradebook.db") as gradebook:
        return {(student.id, grade.name): grade.auto_score for student in gradebook.students
                for notebook in gradebook.find_submission("tiny", student.id).notebooks for grade in notebook.grades}


def test_lessonkit_and_nbgrader_give_the_same_scores(courses):
    _, report, ours, theirs, _, _ = courses
    assert gradebook_scores(ours) == gradebook_scores(theirs)


def test_scores_follow_the_answers_and_the_hint_costs(courses):
    _, report, ours, _, _, _ = courses
    scores = gradebook_scores(ours)
    ada = {grade: score for (student, grade), score in scores.items() if student == "ada"}
    assert ada == {"two-plus-two": 0.5, "evens": 1, "sum-decimal": 1, "name": 1, "parts": 1, "add-v": 1, "double": 2}
    assert {grade: score for (student, grade), score in scores.items() if student == "bob"} == dict.fromkeys(ada, 0)
    assert report.scores() == {"ada": 7.5, "bob": 0.0, "cyd": 0.0}


def test_the_students_logs_reach_the_progress_store(courses):
    _, report, _, _, store, _ = courses
    assert report.events_imported > 0
    with open_store(store) as events:
        assert events.students("tiny") == ["ada", "bob"]
        assert any(e.type == "answered" and e.check_id == "evens" for e in events.history("tiny", "ada"))


def test_nbgrader_autograde_says_nothing_changed_in_honest_submissions(courses):
    """Every grade cell here has hidden tests, which nbgrader's gradebook checksums before they
    are cleared: without lessonkit's OverwriteCells it warns for each one of them."""
    log = courses[5]
    assert "Autograde" in log and "[AutogradeApp | WARNING]" not in log, log


def test_a_lessons_kernel_imports_nothing_the_zygote_could_have(courses):
    """The zygote of a lesson's pool imports what the player needs before it forks
    (``LESSON_IMPORTS``); a lesson's cells then import only the player itself (whose import
    snapshots the shell, so it must happen in the kernel), and its widgets still reach the
    kernel's comm manager, as when they are imported there."""
    ours = courses[2]
    nb = nbformat.read(ours / "release" / "tiny" / "tiny.ipynb", 4)
    cells = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    probe = ("import sys, json; print(json.dumps([sorted(set(sys.modules) - _before), "
             "sorted(get_ipython().kernel.comm_manager.targets)]))")
    first, *_, last = _outputs(["import sys; _before = set(sys.modules)", *cells, probe])
    imported, targets = json.loads(last)
    assert first == ""
    assert [name for name in imported if name.split(".")[:2] != ["lessonkit", "player"]] == []
    assert "lessonkit.player.widgets" in imported  # the lesson's checks did run
    assert "jupyter.widget" in targets


def _outputs(cells: list[str]) -> list[str]:
    """Each cell's stdout, run one after another in a fresh kernel of a lesson's pool."""
    settings = KernelSettings(limits=Limits(timeout=30, cpu_seconds=60), guard=False, preload=LESSON_IMPORTS)

    async def run() -> list[str]:
        async with KernelPool(settings, 1) as pool:
            kernel = await pool.acquire()
            try:
                texts = []
                for source in cells:
                    out: list[str] = []
                    await kernel.kc.execute_interactive(source, timeout=30, output_hook=lambda m: out.append(
                        m["content"].get("text", "") if m["msg_type"] == "stream" else ""))
                    texts.append("".join(out))
                return texts
            finally:
                pool.release(kernel)

    with ThreadPoolExecutor(1) as thread:  # see test_grade_kernel_start: a loop may be running in this one
        return thread.submit(asyncio.run, run()).result()
