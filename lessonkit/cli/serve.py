"""``lessonkit serve``: arguments only; the work is in :mod:`lessonkit.serve`."""

from __future__ import annotations

import argparse
import sys

from lessonkit import settings

SUMMARY = "Build the lessons and serve their pages with Voila"
DETAILS = ("Build every lesson under PATH, then serve their self-paced pages from one standalone Voila server "
           "(progress in SQLite unless --db says otherwise). Stop with Ctrl-C.")


def arguments(serve: argparse.ArgumentParser) -> None:
    serve.add_argument("path", nargs="?", default="lessons", help="a lesson or a folder of lessons (default: lessons)")
    serve.add_argument("--port", type=int, default=8866, help="the port (default: 8866)")
    serve.add_argument("--ip", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1)")
    serve.add_argument("--db", default=None, help="a SQLAlchemy URL for progress, e.g. "
                       "postgresql+psycopg://user@host/lessonkit (default: the embedded SQLite file)")
    serve.add_argument("--out", default="build", help="where pages are built (default: build)")
    serve.add_argument("--course", default="grading", help="the nbgrader course folder (default: grading)")
    serve.add_argument("--identity-header", default=settings.DEFAULT_IDENTITY_HEADER,
                       help="an HTTP header set by a trusted proxy that names the student ('' to ignore headers)")


def run(args: argparse.Namespace) -> int:
    from lessonkit.model import LessonError
    from lessonkit.serve import serve

    try:
        serve(args.path, out=args.out, course=args.course, port=args.port, ip=args.ip, db=args.db,
              identity_header=args.identity_header or None)
    except LessonError as error:
        print(f"lessonkit serve: a lesson has problems; fix them first:\n{error}", file=sys.stderr)
    return 1
