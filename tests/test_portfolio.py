"""The portfolio a student keeps: exactly their own work, no answer key, no other student,
offline, printable; built from real sessions on a real store, looked at in real Chromium."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lessonkit.engine.seal import seal_lesson, secrets
from lessonkit.format import blob
from lessonkit.format.reader import read_lesson
from lessonkit.player.goals import set_goal
from lessonkit.player.identity import Identity
from lessonkit.player.session import Session
from lessonkit.progress import REFLECTION_SAVED, open_store
from lessonkit.report.portfolio import build_portfolio, lessons_at, render_portfolio
from tests.lessonfactory import SOLUTION, TESTS, valid_cells, write_lesson

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "tests" / "artifacts"
REFLECTION = "What was hardest, and what helped?"
COURSE = '[course]\nid = "demo"\ntitle = "Numbers, first steps"\n\n[[lessons]]\nid = "tiny"\n'
ANA_CODE = "def double(x):\n    return x + x  # ana's own way"


class Clock:
    def __init__(self) -> None:
        self.now = 1_764_547_200.0

    def __call__(self) -> float:
        self.now += 11.0
        return self.now


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    folder = tmp_path_factory.mktemp("course")
    (folder / "course.toml").write_text(COURSE, encoding="utf-8")
    cells = valid_cells() + [("code", f'lk.reflect("{REFLECTION}")')]
    cells[0] = ("code", cells[0][1].replace('version="1",', 'version="1", confidence=True,'))
    path = write_lesson(folder, cells)
    lesson = read_lesson(path)
    return folder, lesson, blob.decode(blob.encode(seal_lesson(lesson)))


def play(session: Session, answers: dict[str, object], reflection: str | None) -> None:
    session.start()
    session.go(session.route())  # intro -> practice
    for check_id, answer in answers.items():
        session.answer(check_id, answer)
    for _ in range(12):
        if session.finished:
            break
        route = session.route()
        if route is None:
            session.choose("Shop")
        else:
            session.go(route)
    if reflection:
        session.note(REFLECTION_SAVED, {"prompt": REFLECTION, "text": reflection})


@pytest.fixture(scope="module")
def store_with_two_students(course, tmp_path_factory):
    _, _, sealed = course
    url = str(tmp_path_factory.mktemp("store") / "progress.sqlite")
    store = open_store(url)
    ana = Session(sealed, Identity("ana", "header"), store, clock=Clock())
    set_goal(ana, ["add"], None, "enrichment")
    play(ana, {"two-plus-two": 1, "evens": [0, 2], "sum-decimal": "0.7", "name": "<script>alert('ana')</script>",
               "double": ANA_CODE}, "Remembering to carry. Drawing it helped.")
    bob = Session(sealed, Identity("bob-the-other", "header"), store, clock=Clock())
    play(bob, {"two-plus-two": 2, "name": "BOBS-OWN-WORDS", "parts": "blue, green, red"}, "BOB-REFLECTS-HERE")
    return url


def test_the_portfolio_holds_exactly_the_students_own_work(course, store_with_two_students):
    folder, lesson, sealed = course
    title, lessons = lessons_at(folder)
    assert title == "Numbers, first steps" and [l["id"] for l in lessons] == ["tiny"]
    portfolio = build_portfolio(open_store(store_with_two_students), "ana", lessons, title=title)
    text = render_portfolio(portfolio)
    data = text.encode("utf-8")

    work = portfolio.lessons[0]
    assert work.status == "finished" and work.goal.skills == ("add",)
    assert [c.check_id for c in work.checks] == ["two-plus-two", "evens", "sum-decimal", "name", "double"]
    assert [r.text for r in work.reflections] == ["Remembering to carry. Drawing it helped."]
    assert "2 + 2 = ?" in text and "Remembering to carry. Drawing it helped." in text and "Adding" in text
    assert "return x + x  # ana&#39;s own way" in text  # her code, escaped
    assert "&lt;script&gt;alert(&#39;ana&#39;)&lt;/script&gt;" in text and b"<script" not in data

    # no answer key: no secret of the lesson, except where ana's own answer is that answer
    her_answers = {str(a) for c in work.checks for a in c.answers}
    leaked = [s for s in secrets(lesson) if s.encode() in data and s not in her_answers and len(s) > 1]
    assert not leaked, leaked
    assert b"return x * 2" not in data and b"double(-41)" not in data and b"negative numbers double too" not in data
    assert SOLUTION.split("\n")[2].strip().encode() not in data and TESTS.split("\n")[-2].encode() not in data
    for check in sealed["checks"].values():  # nor the sealed form's salts and hashes
        for item in check["items"]:
            for key in ("salt", "accept"):
                for value in (item.get(key) if isinstance(item.get(key), list) else [item.get(key)]):
                    assert not value or str(value).encode() not in data
    # no other student
    for other in (b"bob-the-other", b"BOBS-OWN-WORDS", b"BOB-REFLECTS-HERE", b"blue, green, red"):
        assert other not in data
    # opens offline: nothing to fetch
    for remote in (b"http://", b"https://", b"src=", b"@import", b"url("):
        assert remote not in data


def test_lessonkit_portfolio_writes_html_and_pdf_and_it_looks_worth_keeping(course, store_with_two_students,
                                                                            tmp_path, page):
    folder, _, _ = course
    out = tmp_path / "my-work.html"
    done = subprocess.run([sys.executable, "-m", "lessonkit", "portfolio", "--student", "ana", "--store",
                           store_with_two_students, "--lessons", str(folder), "-o", str(out), "--pdf"],
                          capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr
    pdf = out.with_suffix(".pdf")
    assert out.is_file() and pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 5000
    page.goto(out.as_uri())
    assert page.locator("h1").inner_text() == "My work: Numbers, first steps"
    assert page.locator("article.lesson").count() == 1
    assert page.locator(".stat b").first.inner_text() == "1"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "portfolio.png"), full_page=True)

    nobody = subprocess.run([sys.executable, "-m", "lessonkit", "portfolio", "--student", "nobody", "--store",
                             store_with_two_students, "--lessons", str(folder), "-o", str(tmp_path / "x.html")],
                            capture_output=True, text=True, cwd=REPO, timeout=300)
    assert nobody.returncode == 2 and "no work by 'nobody'" in nobody.stderr
    assert not (tmp_path / "x.html").exists()
