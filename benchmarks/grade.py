"""Grading throughput: ``lessonkit grade`` against ``nbgrader autograde`` on the same submissions.

    python benchmarks/grade.py                     # ps1, 40 submissions; updates benchmarks/RESULTS.md
    python -m lessonkit build lessons/python-loops && \
    python benchmarks/grade.py --source grading/source/python-loops --submissions 40
    python benchmarks/grade.py --submissions 4 --no-record     # a quick check that it all runs

``--source`` is an assignment's nbgrader source folder (``source/<assignment>/``); its name is
the assignment.  Submissions are generated from what nbgrader releases to students: the
teacher's solutions, partly answered notebooks (some cells left as released), a wrong answer
(a small mutation of a solution) and erroring ones, in fixed proportions from a seed; for a
lessonkit lesson, the choice, number and text answers go in each student's log, as the player
writes them.  Identical courses get the same gradebook (one ``generate_assignment``, not
timed); each grader is timed as a command, start to finish, one after the other: first scores
only (nbgrader's ``autograde`` against lessonkit without feedback, with one worker, as
nbgrader runs, and with ``--workers``), then scores and feedback HTML (nbgrader's
``autograde`` then ``generate_feedback`` against lessonkit's default).  The one-worker row
shows lessonkit's speed per notebook; the other its parallelism on top.

lessonkit runs under the strongest containment the machine allows (bubblewrap's namespaces
and a uid per kernel, as root), and once more under the fallback layer (bubblewrap taken off
PATH: a uid per kernel and rlimits): the difference is the namespaces' cost per notebook.

The floor is what the submissions' cells cost on their own: every graded notebook executed in
a kernel that is already running (kernels started in batches beforehand, not timed, as the run
starts them: a lesson's with the player's imports done in the zygote), summed,
and divided by the number of workers.  Goals: lessonkit at least 5 times nbgrader's
throughput on ps1 and 3 times on a lesson, and within 2 times the floor.

The check: every command must exit 0, nbgrader must have scored every submission, and every
lessonkit gradebook must hold the same score as nbgrader's for every grade cell; otherwise
the run records nothing and fails.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import dataclasses
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbgrader.api import Gradebook
from results import REPO, Run, arguments

from lessonkit.engine.kinds import get_kind
from lessonkit.format.writer import PLAYER
from lessonkit.grade import LessonkitGrader
from lessonkit.grade.assignment import load_assignment
from lessonkit.grade.course import Course
from lessonkit.grade.kernels import KernelPool, KernelSettings
from lessonkit.progress import Event, JsonlLog, log_path

PS1 = REPO / "tests" / "corpus" / "nbgrader-ps1" / "source" / "ps1"
CONFIG = REPO / "grading" / "nbgrader_config.py"
SECTION = "Grading: {}"  # one section per assignment benchmarked
GOALS = {"ps1": 5.0}  # nbgrader's own example; a lesson: DEFAULT_GOAL
DEFAULT_GOAL = 3.0
FLOOR_GOAL = 2.0
KINDS = {"correct": 0.4, "partly answered": 0.25, "wrong answer": 0.2, "erroring": 0.15}
MUTATIONS = [(" + 1", " + 2"), ("< ", "<= "), ("range(1, ", "range(0, "), ("**", "*"), ("sum(", "max("),
             ("== ", "!= "), ("return ", "return 1 + ")]
FLOOR_BATCH = 16  # kernels started at once for the floor
#: the courses graded, each a copy of the first with the same gradebook and submissions
COURSES = ("nbgrader", "lessonkit 1 worker", "lessonkit", "lessonkit without bubblewrap", "lessonkit with feedback")

#: a grade cell's score in a gradebook: (student, notebook, grade cell) -> auto score
Scores = dict[tuple[str, str, str], float | None]


@dataclass
class Timed:
    label: str
    what: str
    seconds: float


@dataclass
class Command:
    """A command's run: how long it took and, when it did not exit 0, what went wrong."""

    seconds: float
    failure: str | None
    output: str = ""


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--source", type=Path, default=PS1, help="an assignment's nbgrader source folder")
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    assignment = args.source.resolve().name
    run = Run(SECTION.format(assignment))
    scratch = Path(tempfile.mkdtemp(prefix="lessonkit-grade-bench-"))
    try:
        courses, kinds = make_courses(scratch, args.source, assignment, args.submissions, args.seed)
        autograde = command(nbgrader_cmd("autograde", assignment), courses["nbgrader"])
        serial = command(lessonkit_cmd(assignment, 1, feedback=False), courses["lessonkit 1 worker"])
        parallel = command(lessonkit_cmd(assignment, args.workers, feedback=False), courses["lessonkit"])
        fallback = command(lessonkit_cmd(assignment, args.workers, feedback=False),
                           courses["lessonkit without bubblewrap"], without_bubblewrap=True)
        feedback = command(nbgrader_cmd("generate_feedback", assignment), courses["nbgrader"])
        both = command(lessonkit_cmd(assignment, args.workers, feedback=True), courses["lessonkit with feedback"])
        commands = [autograde, serial, parallel, fallback, feedback, both]
        rows = [
            Timed("nbgrader `autograde` (one notebook at a time)", "scores", autograde.seconds),
            Timed("lessonkit `grade_assignment(feedback=False)`, 1 worker", "scores", serial.seconds),
            Timed(f"lessonkit `grade_assignment(feedback=False)`, {args.workers} workers", "scores",
                  parallel.seconds),
            Timed(f"the same without bubblewrap (the fallback layer), {args.workers} workers", "scores",
                  fallback.seconds),
            Timed("nbgrader `autograde` + `generate_feedback`", "scores and feedback",
                  autograde.seconds + feedback.seconds),
            Timed(f"lessonkit `grade_assignment()`, {args.workers} workers", "scores and feedback", both.seconds),
        ]
        problems = [c.failure for c in commands if c.failure]
        layers = {"hardened": parallel.output.strip(), "fallback": fallback.output.strip()}
        if "bubblewrap, a uid of its own" not in layers["hardened"]:
            problems.append(f"lessonkit did not run under bubblewrap and a uid per kernel: {layers['hardened']}")
        if "contained by a uid of its own and rlimits" not in layers["fallback"]:
            problems.append(f"the fallback run was not the uid-switch layer: {layers['fallback']}")
        theirs = scores(courses["nbgrader"], assignment)
        problems += unscored(theirs, args.submissions)
        for name in COURSES[1:]:
            problems += score_differences(theirs, scores(courses[name], assignment), name)
        grader = LessonkitGrader(Course(courses["lessonkit"]))
        # the run's kernels (a lesson's with the player's imports done in the zygote), without the guard
        settings = dataclasses.replace(grader.kernel_settings(load_assignment(grader.course, assignment),
                                                              grader.limits()), guard=False)
        floor_serial, notebooks = asyncio.run(floor(courses["lessonkit"], assignment, settings))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    body = report(args, assignment, kinds, rows, len(theirs), floor_serial, notebooks, layers)
    run.finish(body, problems, record=not args.no_record)


def make_courses(scratch: Path, source: Path, assignment: str, count: int,
                 seed: int) -> tuple[dict[str, Path], list[str]]:
    """Identical courses (one gradebook, generated once) with ``count`` generated submissions,
    one for each of :data:`COURSES`; and each submission's kind."""
    first = scratch / "nbgrader"
    shutil.copytree(source, first / "source" / assignment)
    shutil.copy(CONFIG, first)
    subprocess.run(nbgrader_cmd("generate_assignment", assignment), cwd=first, env=env(), check=True,
                   capture_output=True)
    rng = random.Random(seed)
    kinds = [kind for kind, share in KINDS.items() for _ in range(round(share * count))][:count]
    kinds += ["correct"] * (count - len(kinds))
    rng.shuffle(kinds)
    for index, kind in enumerate(kinds):
        folder = first / "submitted" / f"student{index:03d}" / assignment
        folder.mkdir(parents=True)
        (folder / "timestamp.txt").write_text("2026-11-20 17:00:00.000000 UTC\n")
        for released in sorted((first / "release" / assignment).iterdir()):
            if released.suffix == ".ipynb":
                teacher = nbformat.read(source / released.name, as_version=4)
                nb = answer(nbformat.read(released, as_version=4), teacher, kind, rng)
                nbformat.write(nb, folder / released.name)
                lesson_answers(teacher, folder, kind, rng)
            else:
                shutil.copy(released, folder / released.name)
    courses = {COURSES[0]: first}
    for name in COURSES[1:]:
        courses[name] = scratch / name.replace(" ", "-")
        shutil.copytree(first, courses[name])
    return courses, kinds


def answer(released: nbformat.NotebookNode, teacher: nbformat.NotebookNode, kind: str,
           rng: random.Random) -> nbformat.NotebookNode:
    """A student's notebook of the given kind, from the released one and the teacher's solutions."""
    solutions = {c.metadata["nbgrader"]["grade_id"]: solution(c.source) for c in teacher.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    code = [c for c in released.cells if c.metadata.get("nbgrader", {}).get("grade_id") in solutions]
    spoiled = rng.choice([c for c in code if c.cell_type == "code"] or [None]) if kind in (
        "wrong answer", "erroring") else None
    for cell in code:
        text = solutions[cell.metadata["nbgrader"]["grade_id"]]
        if kind == "partly answered" and rng.random() < 0.5:
            continue  # left as released
        if cell is spoiled and kind == "wrong answer":
            text = mutate(text)
        elif cell is spoiled:
            text += "\nresult = undefined_name"
        cell.source = text
    return released


GRADE_CALL = re.compile(re.escape(PLAYER) + r"\.grade\('(?P<id>[^']+)', (?P<key>\{.*\})\)", re.S)


def lesson_answers(teacher: nbformat.NotebookNode, folder: Path, kind: str, rng: random.Random) -> None:
    """A lesson's choice, number and text answers live in the student's log beside the
    notebook: write one as the player would, right or wrong as ``kind`` says."""
    keys = {m["id"]: ast.literal_eval(m["key"]) for cell in teacher.cells
            if (m := GRADE_CALL.search(cell.source))}
    if not keys:
        return  # a plain nbgrader assignment
    lesson_id = teacher.metadata["lessonkit"]["lesson"]
    with JsonlLog(log_path(folder, lesson_id)) as log:
        for check_id, key in keys.items():
            if kind == "partly answered" and rng.random() < 0.5:
                continue
            item = rng.randrange(len(key["items"]))
            right = get_kind(key["kind"]).key(key["items"][item])
            wrong = kind == "wrong answer" and rng.random() < 0.5
            given = (([(right[0] + 1) % len(key["items"][item]["options"])] if isinstance(right, list) else
                      right + 1000 if isinstance(right, float) else f"not {right}") if wrong else right)
            log.append(Event(lesson_id, folder.parent.name, "answered", check_id=check_id,
                             data={"answer": given, "item": item}))


def solution(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if "BEGIN SOLUTION" not in line
                     and "END SOLUTION" not in line)


def mutate(text: str) -> str:
    for old, new in MUTATIONS:
        if old in text:
            return text.replace(old, new, 1)
    return text + "\n    return None" if "def " in text else text


def env(*, without_bubblewrap: bool = False) -> dict[str, str]:
    """The commands' environment; ``without_bubblewrap``, a PATH that finds no ``bwrap`` (the fallback layer)."""
    python = os.path.dirname(sys.executable)
    return {**os.environ, "PATH": python if without_bubblewrap else os.pathsep.join([python, os.environ["PATH"]])}


def nbgrader_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "nbgrader", *args]


def lessonkit_cmd(assignment: str, workers: int, *, feedback: bool) -> list[str]:
    code = (f"from lessonkit.grade import grade_assignment; "
            f"print(grade_assignment({assignment!r}, course_dir='.', workers={workers}, feedback={feedback}, "
            f"progress=False).where)")
    return [sys.executable, "-c", code]


def command(cmd: list[str], cwd: Path, *, without_bubblewrap: bool = False) -> Command:
    print(f"timing {' '.join(cmd[-3:])[:70]} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env(without_bubblewrap=without_bubblewrap), capture_output=True,
                          text=True)
    elapsed = time.perf_counter() - started
    failure = None if done.returncode == 0 else (
        f"`{' '.join(cmd)}` exited {done.returncode}:\n{done.stderr[-3000:]}")
    return Command(elapsed, failure, done.stdout)


def scores(course: Path, assignment: str) -> Scores:
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gradebook:
        return {(s.student.id, nb.name, grade.name): grade.auto_score
                for s in gradebook.find_assignment(assignment).submissions
                for nb in s.notebooks for grade in nb.grades}


def unscored(theirs: Scores, submissions: int) -> list[str]:
    """Part of the check: nbgrader's gradebook, the reference, must cover every submission."""
    students = {student for student, _, _ in theirs}
    if len(students) == submissions:
        return []
    return [f"nbgrader's gradebook has scores for {len(students)} of the {submissions} submissions"]


def score_differences(theirs: Scores, ours: Scores, name: str) -> list[str]:
    """The check: every grade cell of nbgrader's gradebook (``theirs``) must have the same
    score in ``ours`` (the gradebook of the course ``name``), and no other cell be there."""
    problems = [f"{name}: {'/'.join(cell)} scored {ours.get(cell)}, nbgrader {score}"
                for cell, score in sorted(theirs.items()) if cell in ours and ours[cell] != score]
    problems += [f"{name}: {'/'.join(cell)} scored by nbgrader only" for cell in sorted(theirs.keys() - ours.keys())]
    problems += [f"{name}: {'/'.join(cell)} scored by lessonkit only" for cell in sorted(ours.keys() - theirs.keys())]
    return problems


async def floor(course: Path, assignment: str, settings: KernelSettings) -> tuple[float, int]:
    """Seconds the graded notebooks' cells take in kernels already running, one after another.

    The kernels are lessonkit's (contained, the same as in the run), started a batch at a time
    and all ready before any cell runs; only the cells are timed.
    """
    notebooks = sorted((course / "autograded").glob(f"*/{assignment}/*.ipynb"))
    total = 0.0
    async with KernelPool(settings, FLOOR_BATCH) as pool:
        for start in range(0, len(notebooks), FLOOR_BATCH):
            batch = notebooks[start:start + FLOOR_BATCH]
            kernels = [await pool.acquire() for _ in batch]
            await pool.warm()  # the replacements too: no kernel starts while cells are timed
            for kernel, path in zip(kernels, batch, strict=True):
                kernel.populate([(p.name, str(p)) for p in path.parent.iterdir() if p.suffix != ".ipynb"])
                client = NotebookClient(nbformat.read(path, as_version=4), km=kernel.km, timeout=30,
                                        allow_errors=True)
                client.kc = kernel.kc
                started = time.perf_counter()
                for index, cell in enumerate(client.nb.cells):
                    await client.async_execute_cell(cell, index)
                total += time.perf_counter() - started
                pool.release(kernel)
    return total, len(notebooks)


def report(args: argparse.Namespace, assignment: str, kinds: list[str], rows: list[Timed], cells: int,
           floor_serial: float, notebooks: int, layers: dict[str, str]) -> str:
    counts = ", ".join(f"{kinds.count(kind)} {kind}" for kind in KINDS)
    base = {row.what: row.seconds for row in rows if row.label.startswith("nbgrader")}
    lines = [
        f"{args.submissions} generated submissions of `{assignment}` ({counts}), {notebooks} notebooks; the "
        "same gradebook and submissions for every grader, timed as commands one after the other (interpreter "
        "start and imports included).",
        "",
        "| grader | produces | seconds | notebooks/s | throughput vs nbgrader |",
        "|---|---|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(f"| {row.label} | {row.what} | {row.seconds:.1f} | {notebooks / row.seconds:.2f} | "
                     f"{base[row.what] / row.seconds:.1f}× |")
    floor_parallel = floor_serial / args.workers
    lines.append(f"| floor: the cells alone, in running kernels ({floor_serial:.1f} s one after another, "
                 f"/ {args.workers} workers) | | {floor_parallel:.1f} | {notebooks / floor_parallel:.2f} | |")
    ours, fallback = rows[2].seconds, rows[3].seconds
    ratio = base["scores"] / ours
    goal = GOALS.get(assignment, DEFAULT_GOAL)
    cost_ms = (ours - fallback) / notebooks * 1000
    lines += [
        "",
        f"Scores: every lessonkit gradebook holds nbgrader's score for each of its {cells} grade cells.",
        f"Containment: the lessonkit rows ran {layers['hardened']}; the fallback row {layers['fallback']}. "
        f"Bubblewrap's namespaces cost {cost_ms:.0f} ms of the batch's time per notebook "
        f"({ours:.1f} s against {fallback:.1f} s{'' if cost_ms >= 0 else '; below 0: lost in the machine noise'}).",
        f"Goal: at least {goal:g}× nbgrader's throughput: {ratio:.1f}× with {args.workers} workers "
        f"({base['scores'] / rows[1].seconds:.1f}× with 1), {'met' if ratio >= goal else 'not met'}.",
        f"Floor: lessonkit (scores, {args.workers} workers) takes {ours:.1f} s against a floor of "
        f"{floor_parallel:.1f} s ({ours / floor_parallel:.1f}× the floor; goal {FLOOR_GOAL:g}×, "
        f"{'met' if ours / floor_parallel <= FLOOR_GOAL else 'not met'}); the difference is a fresh kernel per "
        "notebook (started ahead, but still started: a fork of the zygote and ipykernel's own start, with the "
        "test guard installed by the kernel itself and one kernel_info round trip; about 0.1 s of the kernel's "
        "CPU before its cells), the guard's request before each test cell (its check after the cell travels "
        "in the cell's own request, unless the test failed), the process's start and imports (about 1.5 s), "
        "and the grader's own work (about 0.2 s of its CPU per notebook on ps1, 0.7 s on python-loops, whose "
        "notebooks send some 580 messages each, 350 of them widgets: the kernels' messages, reading and "
        "sanitizing, nbgrader's gradebook rows, the autograded notebook, starting the kernel's client and "
        "removing its processes and folder; in threads beside the event loop, so a gradebook commit waiting "
        "on the disk no longer stops every kernel).",
        f"Load average at the end: {os.getloadavg()[0]:.1f} (the machine is shared: other work ran beside this).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
