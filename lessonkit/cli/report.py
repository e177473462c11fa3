"""``lessonkit report``: arguments only; the work is in :mod:`lessonkit.report`."""

from __future__ import annotations

import argparse

SUMMARY = "Summarise a class's progress in a lesson: who needs help, groups, checks, students"
DETAILS = ("Read every event of the lesson (--lesson) from the progress store, print a summary (who needs help "
           "now, groups for tomorrow, the hardest checks) and write a self-contained HTML report that opens offline. "
           "Exits 2 when no lesson is named, the store cannot be opened or it holds no events for the lesson.")


def arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("--store", metavar="URL", default=None,
                         help="the progress store (default: LESSONKIT_DB or the embedded SQLite file)")
    command.add_argument("--lesson", metavar="ID", default=None, help="the lesson's id (required)")
    command.add_argument("-o", "--output", metavar="PATH", default="report.html",
                         help="where the HTML report goes (default: report.html)")


def run(args: argparse.Namespace) -> int:
    from lessonkit.report import build_report, summary, write_html

    report = build_report(args.store, args.lesson)
    print(summary(report))
    print(f"wrote {write_html(report, args.output)}")
    return 0
