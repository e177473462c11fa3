"""The benchmarks' correctness checks can fail, and a failed check records nothing.

A benchmark whose check cannot fail would put figures from a wrong run in RESULTS.md; these
tests feed each check a wrong result (seconds, no timing) and see it reported.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from lessonkit.progress import ANSWERED, Event, open_store

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = ["build", "check_latency", "codecheck", "events", "grade", "mastery"]

if str(BENCHMARKS) not in sys.path:
    sys.path.append(str(BENCHMARKS))  # appended: benchmarks/build.py must not hide PyPA's `build`


def benchmark(name: str) -> ModuleType:
    """A benchmark script as a module, under a name of its own (``build`` is taken)."""
    if f"bench_{name}" not in sys.modules:
        spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCHMARKS / f"{name}.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return sys.modules[f"bench_{name}"]


@pytest.fixture
def results_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import results  # the module every script imports by this name

    path = tmp_path / "RESULTS.md"
    path.write_text("# Benchmarks\n\n## Other\n\nkept\n", encoding="utf-8")
    monkeypatch.setattr(results, "RESULTS", path)
    return path


def test_a_run_with_problems_exits_non_zero_and_writes_nothing(results_file: Path) -> None:
    from results import Run

    before = results_file.read_text(encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        Run("Mastery updates").finish("figures", ["lessonkit and pyBKT disagree"], record=True)
    assert exited.value.code not in (0, None) and "disagree" in str(exited.value.code)
    assert results_file.read_text(encoding="utf-8") == before


def test_a_good_run_replaces_only_its_section_with_machine_line_and_command(results_file: Path) -> None:
    from results import Run

    Run("Mastery updates", command="python benchmarks/mastery.py").finish("| a | b |", [], record=True)
    Run("Mastery updates", command="python benchmarks/mastery.py").finish("| c | d |", [], record=True)
    text = results_file.read_text(encoding="utf-8")
    assert "## Other\n\nkept" in text and text.count("## Mastery updates") == 1
    assert "| c | d |" in text and "| a | b |" not in text
    assert "cores" in text and "UTC" in text and "`python benchmarks/mastery.py`" in text


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_benchmark_has_help_showing_its_full_invocation(name: str) -> None:
    done = subprocess.run([sys.executable, str(BENCHMARKS / f"{name}.py"), "--help"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"python benchmarks/{name}.py" in done.stdout and "--no-record" in done.stdout


def test_run_all_runs_every_benchmark() -> None:
    script = (BENCHMARKS / "run_all.sh").read_text(encoding="utf-8")
    assert all(f"benchmarks/{name}.py" in script for name in SCRIPTS)


# --- grade.py -----------------------------------------------------------------------------------


def test_grade_reports_every_score_that_differs_from_nbgraders() -> None:
    grade = benchmark("grade")
    theirs = {("s1", "problem1", "correct_squares"): 1.0, ("s1", "problem1", "squares_invalid"): 1.0,
              ("s2", "problem1", "correct_squares"): 0.0}
    assert grade.score_differences(theirs, dict(theirs), "lessonkit") == []
    ours = {**theirs, ("s1", "problem1", "correct_squares"): 0.0, ("s3", "problem1", "extra"): 1.0}
    del ours[("s2", "problem1", "correct_squares")]
    problems = grade.score_differences(theirs, ours, "lessonkit 1 worker")
    assert len(problems) == 3
    assert "s1/problem1/correct_squares scored 0.0, nbgrader 1.0" in problems[0]
    assert "nbgrader only" in problems[1] and "lessonkit only" in problems[2]
    assert all(problem.startswith("lessonkit 1 worker: ") for problem in problems)


def test_grade_fails_when_nbgrader_left_a_submission_unscored() -> None:
    grade = benchmark("grade")
    scores = {("s1", "nb", "cell"): 1.0, ("s2", "nb", "cell"): 0.0}
    assert grade.unscored(scores, 2) == []
    assert "2 of the 3 submissions" in grade.unscored(scores, 3)[0]


def test_grade_reports_a_command_that_exits_non_zero(tmp_path: Path) -> None:
    grade = benchmark("grade")
    assert grade.command([sys.executable, "-c", "pass"], tmp_path).failure is None
    failed = grade.command([sys.executable, "-c", "import sys; sys.exit('autograde broke')"], tmp_path)
    assert "exited 1" in failed.failure and "autograde broke" in failed.failure


# --- the others ---------------------------------------------------------------------------------


def test_mastery_reports_where_lessonkit_and_pybkt_part() -> None:
    mastery = benchmark("mastery")
    answers = [True, False, True, True, False, True] * 5
    assert mastery.disagreements(mastery.lessonkit_trace(answers), mastery.pybkt_trace(answers)) == []
    problems = mastery.disagreements([0.1, 0.2, 0.3], [0.1, 0.2, 0.3001])
    assert len(problems) == 1 and "after answer 3" in problems[0]
    assert mastery.disagreements([0.1], [0.1, 0.2]) != []


def test_events_reports_acknowledged_events_the_store_does_not_have(tmp_path: Path) -> None:
    events = benchmark("events")
    url = f"sqlite:///{tmp_path}/p.sqlite"
    with open_store(url) as store:
        uids = [store.append(Event(events.LESSON, "s", ANSWERED, check_id="c", data={"n": n})).uid for n in range(3)]
    assert events.lost_events(url, uids) == []
    assert "1 of 4 acknowledged events" in events.lost_events(url, [*uids, "never-stored"])[0]


def test_check_latency_reports_lost_answers_and_a_judge_that_never_says_right() -> None:
    latency = benchmark("check_latency")

    def answered(correct: bool) -> Event:
        return Event("fractions", "s", ANSWERED, check_id="c", data={"correct": correct})

    right, wrong = answered(True), answered(False)
    assert latency.recorded_problems("c", [right, wrong], [right, wrong]) == []
    assert latency.recorded_problems("c", [wrong], [wrong]) == ["c: no answer was judged right"]
    assert "1 of 2 acknowledged answers are not in the store" in latency.recorded_problems(
        "c", [right, wrong], [right, answered(False)])[0]
    assert latency.sum_in_prompt({"prompt": r"What is $\frac{2}{5} + \frac{1}{6}$?"}) == "17/30"


def test_codecheck_reports_disagreement_and_undeserved_results() -> None:
    from lessonkit.engine.codetests import TestResult

    codecheck = benchmark("codecheck")
    passed, failed = [TestResult(1, True)], [TestResult(1, False, "no")]
    assert codecheck.result_problems("right", passed, passed, True) == []
    assert "contained" in codecheck.result_problems("right", passed, failed, True)[0]
    assert "expected to fail" in codecheck.result_problems("off by one", passed, passed, False)[0]


def test_build_reports_errors_and_missing_outputs(tmp_path: Path) -> None:
    build = benchmark("build")
    written = tmp_path / "page.ipynb"
    written.write_text("{}")
    assert build.build_problems("fractions", [], [written]) == []
    problems = build.build_problems("fractions", ["nbgrader exited 1"], [written, tmp_path / "release.ipynb"])
    assert problems == ["fractions: nbgrader exited 1", f"fractions: {tmp_path / 'release.ipynb'} was not written"]
