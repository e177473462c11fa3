"""``lessonkit fit``: a class whose evidence follows known BKT parameters, written as the player
writes it (an ``answered`` with its evidence, then the ``mastery_changed`` it caused) to a real
SQLite store; pyBKT recovers the parameters, too few students and degenerate fits are
refused with the reason, and the accepted ones land in the lesson header with the smallest
edit, read back by the real lesson reader."""

from __future__ import annotations

import random

import nbformat
import pytest
from test_player_lesson import write_notebook
from test_report import CELLS

from lessonkit.cli import main
from lessonkit.format.reader import read_lesson
from lessonkit.progress import ANSWERED, MASTERY_CHANGED, Event, open_store
from lessonkit.report.fit import fit_skills

TRUE = {"prior": 0.3, "learn": 0.25, "guess": 0.15, "slip": 0.08}


def bkt_answers(rng: random.Random, items: int, prior: float, learn: float, guess: float, slip: float) -> list[int]:
    """A student's right/wrong evidence drawn from BKT itself."""
    known, out = rng.random() < prior, []
    for _ in range(items):
        out.append(int(rng.random() < (1 - slip if known else guess)))
        known = known or rng.random() < learn
    return out


def write_class(url: str, skill: str, check: str, students: int, seed: int) -> None:
    rng = random.Random(seed)
    events, ts = [], 1_750_000_000.0
    for n in range(students):
        student = f"{skill}-{n:03d}"
        for evidence in bkt_answers(rng, 8, **TRUE):
            ts += 10
            events.append(Event("fractions", student, ANSWERED, ts=ts, check_id=check,
                                data={"answer": "x", "correct": bool(evidence), "evidence": bool(evidence)}))
            events.append(Event("fractions", student, MASTERY_CHANGED, ts=ts, check_id=check,
                                data={"skill": skill, "p": 0.5, "evidence": 1, "mastered": False}))
        # a retry after the item: feedback, not evidence, and pyBKT must not see it
        events.append(Event("fractions", student, ANSWERED, ts=ts + 1, check_id=check,
                            data={"answer": "y", "correct": True, "evidence": None}))
    with open_store(url) as store:
        store.append_many(events)


@pytest.fixture
def lesson(tmp_path):
    path = write_notebook(tmp_path / "fractions.ipynb", CELLS)
    url = f"sqlite:///{tmp_path / 'progress.sqlite'}"
    write_class(url, "like", "add-like", 150, seed=3)
    write_class(url, "unlike", "add-unlike", 6, seed=4)
    return path, url


def test_the_fit_recovers_the_parameters_and_writes_them_into_the_header(lesson, capsys):
    path, url = lesson
    before = path.read_bytes()
    assert main(["fit", str(path), "--store", url, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "unlike: not fitted: evidence from 6 students, fewer than the 20 a fit needs" in out
    assert "like: prior" in out and "dry run" in out
    assert path.read_bytes() == before

    assert main(["fit", str(path), "--store", url]) == 0
    assert "wrote like into" in capsys.readouterr().out
    skill = read_lesson(path).skills["like"]
    fitted = {"prior": skill.prior, "learn": skill.learn, "guess": skill.guess, "slip": skill.slip}
    print("true", TRUE, "fitted", fitted)
    for name, value in TRUE.items():  # 150 students x 8 items: EM lands within 0.1 of the truth
        assert abs(fitted[name] - value) < 0.1, (name, fitted)
    assert read_lesson(path).skills["unlike"].prior == 0.2  # not fitted: the default stays
    old, new = nbformat.read(path.open(), as_version=4), nbformat.reads(before.decode(), as_version=4)
    assert [c.source for c in old.cells[1:]] == [c.source for c in new.cells[1:]]  # only the header changed
    header = old.cells[0].source
    assert '"unlike": {"name": "Unlike denominators", "requires": ["like"]}' in header  # untouched
    assert header.count("lk.lesson(") == 1 and 'mastery={"threshold": 0.9' in header


def test_degenerate_fits_are_refused_with_the_reason():
    rng = random.Random(5)
    # right at first, then wrong: learning would have to make students worse
    backwards = [(f"s{n}", "odd", int(i < 3 if rng.random() < 0.9 else rng.random() < 0.5))
                 for n in range(40) for i in range(8)]
    [fit] = fit_skills(backwards)
    assert fit.params is None and fit.reason.startswith("degenerate fit (") and fit.students == 40


def test_a_lesson_without_events_or_a_skill_it_does_not_declare(lesson, tmp_path, capsys):
    path, url = lesson
    empty = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    open_store(empty).close()
    assert main(["fit", str(path), "--store", empty]) == 2
    assert "no events for lesson 'fractions'" in capsys.readouterr().err
    write_class(url, "subtract", "add-like", 30, seed=6)
    before = path.read_bytes()
    assert main(["fit", str(path), "--store", url, "--min-students", "5"]) == 2
    assert "declares no skill subtract" in capsys.readouterr().err
    assert path.read_bytes() == before
