"""``lessonkit serve``: arguments only; the work is in :mod:`lessonkit.serve`."""

from __future__ import annotations

import argparse
import ipaddress
import re
import sys

from lessonkit import settings

SUMMARY = "Build the lessons and serve their pages with Voila"
DETAILS = ("Build every lesson under PATH, then serve their self-paced pages from one standalone Voila server "
           "(progress in SQLite unless --db says otherwise). Students sign in with the roster of `lessonkit class`; "
           "with no roster the server stays on this machine. Stop with Ctrl-C.")


def header_name(value: str) -> str:
    # the kernel always gets a header: lessonkit sets it from the verified student
    if not re.fullmatch(r"[A-Za-z0-9-]{1,100}", value):
        raise argparse.ArgumentTypeError(f"{value!r} is not an HTTP header name (letters, digits and -)")
    return value


def addresses(value: str) -> list[str]:
    # compared with the socket's peer address, so a host name would never match: say so now
    try:
        return [str(ipaddress.ip_address(part.strip())) for part in value.split(",") if part.strip()]
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{error} (give the proxy's IP addresses, comma-separated)") from None


def arguments(serve: argparse.ArgumentParser) -> None:
    serve.add_argument("path", nargs="?", default="lessons", help="a lesson or a folder of lessons (default: lessons)")
    serve.add_argument("--port", type=int, default=8866, help="the port (default: 8866)")
    serve.add_argument("--ip", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1)")
    serve.add_argument("--db", default=None, help="a SQLAlchemy URL for progress, e.g. "
                       "postgresql+psycopg://user@host/lessonkit (default: the embedded SQLite file)")
    serve.add_argument("--out", default="build", help="where pages are built (default: build)")
    serve.add_argument("--course", default="grading", help="the nbgrader course folder (default: grading)")
    serve.add_argument("--roster", default=None, help="the class roster (default: LESSONKIT_ROSTER, else "
                       "~/.lessonkit/roster.sqlite)")
    serve.add_argument("--trusted-proxy", default=[], type=addresses, metavar="ADDR[,ADDR]",
                       help="the addresses of a sign-in proxy in front of this server: only their identity header "
                       "is believed (default: none, no header is)")
    serve.add_argument("--identity-header", default=settings.DEFAULT_IDENTITY_HEADER, type=header_name,
                       help="the header the trusted proxy names the student with (default: X-Lessonkit-Student)")
    # the default is lessonkit.serve.DEFAULT_WARM, not imported here: `lessonkit --help` loads no server
    serve.add_argument("--warm", type=int, default=None, metavar="N", help="kernels each page keeps "
                       "started ahead of the students, so a page opens without waiting for one (about 75 MB each; "
                       "set it near the class size for today's lesson; 0: a kernel started per visit; default: 4)")
    serve.add_argument("--start-timeout", type=float, default=120, metavar="SECONDS", help="a page whose kernel "
                       "has not run it after this long is given up on, and the page tries again (default: 120)")
    serve.add_argument("--cull-idle", type=float, default=15, metavar="MINUTES", help="shut down a page's kernel "
                       "after this long with no browser connected (default: 15)")


def run(args: argparse.Namespace) -> int:
    from lessonkit.model import LessonError
    from lessonkit.serve import DEFAULT_WARM, serve

    try:
        serve(args.path, out=args.out, course=args.course, port=args.port, ip=args.ip, db=args.db,
              identity_header=args.identity_header, roster=args.roster, trusted_proxies=args.trusted_proxy,
              warm_kernels=DEFAULT_WARM if args.warm is None else max(0, args.warm),
              cull_idle_seconds=max(1, round(args.cull_idle * 60)), start_timeout=max(1.0, args.start_timeout))
    except LessonError as error:
        print(f"lessonkit serve: a lesson has problems; fix them first:\n{error}", file=sys.stderr)
    return 1
