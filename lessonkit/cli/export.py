"""``lessonkit export``: arguments only; the work is in :mod:`lessonkit.report.export`."""

from __future__ import annotations

import argparse

SUMMARY = "Export a lesson's events: xAPI statements, a CSV for pyBKT, or one CSV row per student"
DETAILS = ("Read every event of the lesson (--lesson) from the progress store and write them in one format: "
           "xapi (a JSON array of xAPI 1.0.3 statements for a learning record store), pybkt (order_id, user_id, "
           "skill_name, correct: every item of mastery evidence, as pyBKT's fit reads it) or summary (one row per "
           "student: finished, time on task, answers, flags, each skill's status and P(learned)). The file is "
           "written whole or not at all. Exits 2 when no lesson is named, the store cannot be opened or it holds "
           "no events for the lesson.")


#: What --format takes; each is a writer of lessonkit.report.export.
FORMATS = ("xapi", "pybkt", "summary")


def arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("--store", metavar="URL", default=None,
                         help="the progress store (default: LESSONKIT_DB or the embedded SQLite file)")
    command.add_argument("--lesson", metavar="ID", default=None, help="the lesson's id (required)")
    command.add_argument("--format", choices=FORMATS, required=True, help="what to write")
    command.add_argument("-o", "--output", metavar="PATH", default=None,
                         help="where it goes (default: LESSON.xapi.json, LESSON.pybkt.csv or LESSON.summary.csv)")
    command.add_argument("--homepage", metavar="URL", default="https://lessonkit.invalid",
                         help="xapi: the system the student accounts belong to, and the root of the activity IRIs")


def run(args: argparse.Namespace) -> int:
    from lessonkit.report import build_report, lesson_store, no_events
    from lessonkit.report.export import write_atomically, write_pybkt, write_summary, write_xapi

    suffix = {"xapi": "xapi.json", "pybkt": "pybkt.csv", "summary": "summary.csv"}[args.format]
    output = args.output or f"{args.lesson}.{suffix}"
    if args.format == "summary":
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
