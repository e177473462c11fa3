"""``lessonkit export``: arguments only; the work is in :mod:`lessonkit.report.export`."""

from __future__ import annotations

import argparse

SUMMARY = "Export a lesson's events (xAPI, a CSV for pyBKT, one CSV row per student) or the class's grades"
DETAILS = ("Read every event of the lesson (--lesson) from the progress store and write them in one format: "
           "xapi (a JSON array of xAPI 1.0.3 statements for a learning record store), pybkt (order_id, user_id, "
           "skill_name, correct: every item of mastery evidence, as pyBKT's fit reads it) or summary (one row per "
           "student: finished, time on task, answers, flags, each skill's status and P(learned)). Or write the "
           "class's grades from the nbgrader gradebook `lessonkit grade` fills (--course; manual grades and late "
           "penalties included): grades (nbgrader's grades.csv, a row per student and lesson) or canvas (a Canvas "
           "gradebook import, a row per student and a column per lesson); --lesson then limits it to one lesson. "
           "The file is written whole or not at all. Exits 2 when no lesson is named, the store or the gradebook "
           "cannot be opened or it holds nothing for the lesson.")


#: What --format takes: event formats, each a writer of lessonkit.report.export, then the grade formats.
EVENT_FORMATS = ("xapi", "pybkt", "summary")
GRADE_FORMATS = ("grades", "canvas")
FORMATS = EVENT_FORMATS + GRADE_FORMATS
SUFFIXES = {"xapi": "xapi.json", "pybkt": "pybkt.csv", "summary": "summary.csv", "grades": "grades.csv",
            "canvas": "canvas.csv"}


def arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("--store", metavar="URL", default=None,
                         help="the progress store (default: LESSONKIT_DB or the embedded SQLite file)")
    command.add_argument("--lesson", metavar="ID", default=None,
                         help="the lesson's id (required, except for grades and canvas: then every lesson graded)")
    command.add_argument("--format", choices=FORMATS, required=True, help="what to write")
    command.add_argument("-o", "--output", metavar="PATH", default=None,
                         help="where it goes (default: LESSON.xapi.json, LESSON.pybkt.csv, LESSON.summary.csv, "
                              "LESSON.grades.csv or LESSON.canvas.csv; without a lesson, class.grades.csv ...)")
    command.add_argument("--homepage", metavar="URL", default="https://lessonkit.invalid",
                         help="xapi: the system the student accounts belong to, and the root of the activity IRIs")
    command.add_argument("--course", metavar="FOLDER", default="grading",
                         help="grades, canvas: the nbgrader course folder the lessons were graded in (default: grading)")


def run(args: argparse.Namespace) -> int:
    from lessonkit.report import ReportError, build_report, lesson_store, no_events
    from lessonkit.report.export import write_atomically, write_grades, write_pybkt, write_summary, write_xapi

    output = args.output or f"{args.lesson or 'class'}.{SUFFIXES[args.format]}"
    if args.format in GRADE_FORMATS:
        if args.store:
            raise ReportError(f"--store is not read for --format {args.format}: grades come from the nbgrader "
                              "gradebook (--course), where `lessonkit grade` puts them")
        count = write_grades(output, args.format, args.course, args.lesson)
    elif args.format == "summary":
        report = build_report(args.store, args.lesson)
        count = write_atomically(output, lambda out: write_summary(report, out))
    else:
        with lesson_store(args.store, args.lesson) as store:
            if not store.students(args.lesson):
                raise no_events(args.store, args.lesson)
            events = store.lesson_events(args.lesson)
            if args.format == "xapi":
                count = write_atomically(output, lambda out: write_xapi(events, out, args.homepage))
            else:
                count = write_atomically(output, lambda out: write_pybkt(events, out))
    print(f"wrote {count} {'statements' if args.format == 'xapi' else 'rows'} to {output}")
    return 0
