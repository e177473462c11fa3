"""The grader's secrets (database passwords) and the places a student's kernel could read them.

The grader holds URLs with passwords: the progress store's and, on a server, nbgrader's own
gradebook.  A kernel must read neither, and what it can read depends on the containment:

* a process's command line is readable by every process that can see it
  (``/proc/PID/cmdline``, ``ps``): in bubblewrap a kernel sees no other process, but as root
  without bubblewrap it does.  A password is never accepted on the command line;
* its initial environment (``/proc/PID/environ``) and its files are readable by its own uid:
  a kernel with a uid of its own (root) or in bubblewrap's namespaces reads neither, and the
  kernels' environment is built from nothing (:mod:`lessonkit.grade.kernels`);
* a kernel running as the grader's own user without namespaces can read everything the
  grader can, its memory included.  There a run that holds a password is refused.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Mapping

from lessonkit.engine.sandbox import Containment
from lessonkit.grade.course import GradingError

HOW_TO_PASS = ("set the LESSONKIT_DB environment variable to the URL, or write it in a file only you can read "
               "(chmod 600) and pass --progress-store-file FILE")


def has_password(url: str | None) -> bool:
    """Whether ``url`` (a SQLAlchemy URL or a path) carries a password."""
    if not url or "://" not in url:
        return False
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return "@" in url.split("://", 1)[1].split("/", 1)[0]  # unparsable: judge its authority part
    return bool(parsed.password) or any(key.lower() in ("password", "passfile") for key in parsed.query)


def refuse_on_command_line(url: str | None) -> None:
    """Raise if a URL given as a command-line argument holds a password (see the module docstring)."""
    if has_password(url):
        raise GradingError("the --progress-store URL holds a password, and a command line can be read by every "
                           f"process on this machine (students' kernels included): {HOW_TO_PASS}")


def read_secret_file(path: str | os.PathLike[str]) -> str:
    """The URL in ``path``, a file no other user may read (as ssh insists of its keys)."""
    file = Path(path)
    try:
        mode = file.stat().st_mode
        text = file.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise GradingError(f"{file}: cannot read the progress store's URL ({error.strerror})") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise GradingError(f"{file} can be read by other users: chmod 600 {file}")
    if not text:
        raise GradingError(f"{file} is empty: write the progress store's URL in it")
    return text


def refuse_readable_secrets(layer: Containment, urls: Mapping[str, str | None]) -> None:
    """Raise if kernels contained as ``layer`` could read one of ``urls`` (named by what they are) with a password."""
    if layer.namespaces or layer.own_uid:
        return
    exposed = [name for name, url in urls.items() if has_password(url)]
    if exposed:
        raise GradingError(
            f"the {' and the '.join(exposed)} URL holds a password, and here students' kernels would run as your "
            "own user without namespaces, able to read whatever you can (your environment, your files, this "
            "process's memory): install bubblewrap (Debian: apt-get install bubblewrap) or grade as root, or "
            "use a store without a password (a SQLite file) for this run")
