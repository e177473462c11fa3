"""``lessonkit fit``: arguments only; the work is in :mod:`lessonkit.report.fit`."""

from __future__ import annotations

import argparse

SUMMARY = "Fit each skill's BKT parameters from a class's events and write them into the lesson header"
DETAILS = ("Read the lesson's mastery evidence from the progress store, fit prior, learn, guess and slip per skill "
           "with pyBKT (pip install 'lessonkit[fit]'), refuse a skill with too few students or a degenerate fit "
           "(guess or slip of 0.5 or more) saying why, and write the accepted ones into the skill's entry of "
           "lk.lesson(..., skills={...}) in the notebook (--dry-run: only show them). Exits 2 on a bad store, "
           "lesson or notebook.")


def arguments(command: argparse.ArgumentParser) -> None:
    # the default is lessonkit.report.fit.MIN_STUDENTS, not imported here: --help must stay instant
    command.add_argument("path", help="the lesson notebook (or its folder) whose header gets the parameters")
    command.add_argument("--store", metavar="URL", default=None,
                         help="the progress store (default: LESSONKIT_DB or the embedded SQLite file)")
    command.add_argument("--min-students", type=int, default=None, metavar="N",
                         help="students with evidence a skill needs before it is fitted (default 20)")
    command.add_argument("--dry-run", action="store_true", help="show the fits; leave the notebook as it is")


def run(args: argparse.Namespace) -> int:
    from lessonkit.compile import discover
    from lessonkit.format.reader import read_lesson
    from lessonkit.report import lesson_store, no_events
    from lessonkit.report.export import bkt_observations
    from lessonkit.report.fit import MIN_STUDENTS, fit_skills, write_parameters

    paths = discover(args.path)
    if len(paths) != 1:
        raise FileNotFoundError(f"{args.path}: {'no lesson notebook' if not paths else f'{len(paths)} lessons'} "
                                "found; name one lesson notebook")
    lesson = read_lesson(paths[0])
    with lesson_store(args.store, lesson.id) as store:
        observations = list(bkt_observations(store.lesson_events(lesson.id)))
    if not observations:
        raise no_events(args.store, lesson.id)
    fits = fit_skills(observations, min_students=args.min_students or MIN_STUDENTS)
    for fit in fits:
        if fit.params is None:
            print(f"{fit.skill}: not fitted: {fit.reason}")
        else:
            shown = ", ".join(f"{k} {v:.3f}" for k, v in fit.params.items())
            print(f"{fit.skill}: {shown} ({fit.students} students, {fit.observations} items of evidence)")
    if args.dry_run:
        print("dry run: the notebook is unchanged")
        return 0
    written = write_parameters(paths[0], fits)
    print(f"wrote {', '.join(written)} into {paths[0]}" if written else "nothing to write: no skill was fitted")
    return 0
