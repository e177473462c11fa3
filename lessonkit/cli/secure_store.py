"""``lessonkit secure-store``: arguments only; the work is in :mod:`lessonkit.progress.rowsecurity`."""

from __future__ import annotations

import argparse

SUMMARY = "Give a school's PostgreSQL store per-student logins that see only their own events"
DETAILS = ("Run once with the teacher's login (the owner of the events table, with CREATEROLE): it turns on "
           "PostgreSQL row-level security for the events table, so that a member of the lessonkit_student role "
           "reads and appends only rows filed under its own login name, while the teacher's login still reads the "
           "whole class. Each student's login is then made by the hub at spawn time "
           "(lessonkit.progress.rowsecurity.hub_environment in jupyterhub_config.py, see docs/deploy.md). Running "
           "it again changes nothing. Exits 2 when the store is not PostgreSQL or the login lacks the rights.")


def arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("--store", metavar="URL", required=True,
                         help="the teacher's PostgreSQL URL (postgresql+psycopg://teacher:PASSWORD@host/db)")


def run(args: argparse.Namespace) -> int:
    from lessonkit.progress.rowsecurity import STUDENT_ROLE, secure_store
    from lessonkit.progress.store import masked

    secure_store(args.store)
    print(f"{masked(args.store)}: members of {STUDENT_ROLE} now read and write only their own events")
    return 0
