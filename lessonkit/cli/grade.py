"""``lessonkit grade``: arguments only; the work is in :mod:`lessonkit.grade`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

SUMMARY = "Autograde an assignment's submissions: nbgrader's scores, in parallel and contained"
DETAILS = ("Grade every submission of ASSIGNMENT with nbgrader's scoring: scores into nbgrader's gradebook, "
           "executed notebooks into autograded/, feedback HTML into feedback/, students' event logs into the "
           "progress store, and (with --csv / --canvas) grade exports. One bad submission never stops the batch: "
           "it gets a score and a reason in the summary. Exits 2 when the run itself cannot go on.")


def arguments(grade: argparse.ArgumentParser) -> None:
    grade.add_argument("assignment", help="the assignment (lesson) id, as in COURSE/source/ASSIGNMENT")
    grade.add_argument("--course", default="grading", help="the nbgrader course folder (default: grading)")
    where = grade.add_mutually_exclusive_group()
    where.add_argument("--collect", action="store_true", help="run nbgrader collect first (from the exchange)")
    where.add_argument("--submissions", metavar="FOLDER", default=None,
                       help="copy submissions from FOLDER/<student>/<assignment>/ into the course first")
    grade.add_argument("--students", default=None, help="only these students, comma-separated")
    grade.add_argument("--workers", type=int, default=None, help="notebooks graded at once (default: one per core)")
    grade.add_argument("--cluster", metavar="tcp://HOST:PORT", default=None,
                       help="grade on this Dask scheduler, every submission a task")
    grade.add_argument("--timeout", type=float, default=None, help="seconds a cell may run (default: the course's)")
    feedback = grade.add_mutually_exclusive_group()
    feedback.add_argument("--no-feedback", action="store_true", help="do not write feedback HTML")
    feedback.add_argument("--feedback-only", action="store_true",
                          help="run nothing: rewrite feedback HTML from autograded/ and the gradebook (after grading "
                               "by hand; unlike nbgrader generate_feedback, it shows no hidden test)")
    store = grade.add_mutually_exclusive_group()
    store.add_argument("--progress-store", metavar="URL", default=None,
                       help="where students' event logs go (default: LESSONKIT_DB or the embedded SQLite file); "
                            "a URL with a password is refused here, where every process could read it")
    store.add_argument("--progress-store-file", metavar="FILE", default=None,
                       help="read the progress store's URL from FILE, which only you may read (chmod 600)")
    grade.add_argument("--notebook-seconds", type=float, default=None,
                       help="seconds a notebook may run in all (default: the course's, LESSONKIT_NOTEBOOK_SECONDS "
                            "or 120; 0: no budget)")
    grade.add_argument("--csv", metavar="PATH", default=None, help="then write nbgrader's grades.csv here")
    grade.add_argument("--canvas", metavar="PATH", default=None, help="then write a Canvas gradebook import here")
    grade.add_argument("--json", action="store_true",
                       help="print the report as JSON (every student, cell, score, reason and note) for scripts")
    grade.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from traitlets.config import Config

    from lessonkit.grade import GradingError, export_canvas_csv, export_csv, generate_feedback, grade_assignment
    from lessonkit.grade.secrets import read_secret_file, refuse_on_command_line

    config = Config()
    if args.timeout:  # one setting over the course's: the other limits stay as configured
        config.LessonkitGrader.timeout = args.timeout
    if args.notebook_seconds is not None:
        config.LessonkitGrader.notebook_seconds = args.notebook_seconds
    students = [s.strip() for s in args.students.split(",") if s.strip()] if args.students else None
    try:
        if args.feedback_only:
            pages = generate_feedback(args.assignment, course_dir=args.course, students=students)
            print(f"wrote {len(pages)} feedback page(s) in {Path(args.course) / 'feedback'}")
            return 0
        refuse_on_command_line(args.progress_store)
        store = read_secret_file(args.progress_store_file) if args.progress_store_file else args.progress_store
        report = grade_assignment(
            args.assignment, course_dir=args.course, submissions_dir=args.submissions, collect=args.collect,
            students=students, workers=args.workers, cluster=args.cluster, config=config,
            feedback=False if args.no_feedback else None, progress=not args.quiet,
            progress_store=store)
    except GradingError as error:
        print(f"lessonkit grade: {error}", file=sys.stderr)
        return 2
    exported = {kind: str(export(Path(path), course_dir=args.course, assignments=[args.assignment]))
                for kind, path, export in (("csv", args.csv, export_csv), ("canvas", args.canvas, export_canvas_csv))
                if path}
    if args.json:
        print(json.dumps({**report.as_json(), "exported": exported}, indent=1))
    else:
        print(report.summary())
        print("".join(f"wrote {path}\n" for path in exported.values()), end="")
    return 0
