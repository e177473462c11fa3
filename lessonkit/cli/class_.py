"""``lessonkit class``: arguments only; the work is in :mod:`lessonkit.serve.roster`."""

from __future__ import annotations

import argparse
import sys

SUMMARY = "Keep the class roster students sign in to `lessonkit serve` with"
DETAILS = ("add/remove a student (or a teacher), list the roster, import a CSV with a 'name' column, or give a "
           "member a one-time join code. A new password or code is printed once, here, and only its hash is kept: "
           "hand it to the student.")


def arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("--roster", default=None, help="the roster file (default: LESSONKIT_ROSTER, else "
                         "~/.lessonkit/roster.sqlite)")
    actions = command.add_subparsers(dest="action", metavar="ACTION", required=True,
                                     help="add, list, remove, import or join-code (each has its own --help)")
    add = actions.add_parser("add", help="add a member, or give one a new password")
    add.add_argument("name", help="the sign-in name, which is also the id progress is kept under")
    add.add_argument("--teacher", action="store_true", help="a teacher, not a student")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input "
                     "instead of generating one")
    actions.add_parser("list", help="the members, one a line")
    remove = actions.add_parser("remove", help="remove a member (their sessions end; their progress stays)")
    remove.add_argument("name")
    imported = actions.add_parser("import", help="add every row of a CSV (columns: name[,teacher])")
    imported.add_argument("csv", help="the roster CSV")
    code = actions.add_parser("join-code", help="a one-time code that signs a member in once, at /lessonkit/join "
                              "(for students too young for a password)")
    code.add_argument("name", nargs="+", help="one or more members")
    code.add_argument("--days", type=float, default=7, help="how long the code works if unused (default: 7)")


def run(args: argparse.Namespace) -> int:
    from lessonkit.serve.roster import Roster

    roster = Roster(args.roster)
    if args.action == "add":
        given = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else None
        password = roster.add(args.name, given, teacher=args.teacher)
        print(f"{args.name}: added" + ("" if given else f", password {password}  (shown once: hand it over now)"))
    elif args.action == "list":
        for member in roster.members():
            print(member.name + (" (teacher)" if member.teacher else ""))
    elif args.action == "remove":
        roster.remove(args.name)
        print(f"{args.name}: removed (their progress is kept)")
    elif args.action == "join-code":
        codes = [(name, roster.issue_join_code(name, days=args.days)) for name in args.name]
        print(f"join codes, each works once within {args.days:g} day(s) at /lessonkit/join (shown once):")
        for name, value in codes:
            print(f"  {name}\t{value}")
    else:
        added = roster.import_csv(args.csv)
        print(f"{len(added)} member(s) added to {roster.path}; passwords (shown once: hand them over now):")
        for name, password in added:
            print(f"  {name}\t{password}")
    return 0
