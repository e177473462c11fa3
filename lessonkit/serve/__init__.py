"""Layer 6, ``lessonkit serve``: the lessons' pages for a class, from one standalone Voila server.

Standalone Voila, not the Jupyter server extension: the extension lets a page execute code
and download its notebook (architecture §8), standalone Voila forwards only widget messages.
Kernels of students who left are culled.  Who a page is for is decided by the server
(:mod:`lessonkit.serve.auth`), never by the browser: a student signed in against the class
roster, the header of a proxy the teacher named with its address, or JupyterHub's user;
with none of these the server stays on loopback and serves this machine's user.
"""

from __future__ import annotations

import ipaddress
import json
import os
import sys
from pathlib import Path
from typing import Sequence

from lessonkit import settings
from lessonkit.errors import LessonkitError
from lessonkit.player.identity import notebook_identity
from lessonkit.player.pagetemplate import VOILA_TEMPLATE_ARGUMENT, source_template_root
from lessonkit.serve.roster import Roster

IDENTITY_HEADER = settings.DEFAULT_IDENTITY_HEADER
#: kernels each page keeps started ahead of its students: the first few of a class open at once
#: with no wait, for about 75 MB each (a kernel's own memory; docs/deploy.md)
DEFAULT_WARM = 4


class ExposedServerError(LessonkitError, RuntimeError):
    """A server that anyone on the network could use as any student."""


def is_loopback(ip: str) -> bool:
    if ip == "localhost":
        return True
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def check_exposure(ip: str, *, signin: bool, trusted_proxies: Sequence[str], hub: bool) -> None:
    """Refuse to listen beyond this machine when nothing would say who a student is."""
    if is_loopback(ip) or signin or trusted_proxies or hub:
        return
    raise ExposedServerError(
        f"refusing to serve on {ip}: there is no sign-in, so anyone who can reach this address could read and "
        "overwrite any student's progress. Add the class first (`lessonkit class add NAME` or "
        "`lessonkit class import roster.csv`), or put a sign-in proxy in front and pass "
        "`--trusted-proxy ADDR --identity-header NAME`, or serve on 127.0.0.1 (see docs/deploy.md)")


def voila_command(root: Path, *, port: int, ip: str = "127.0.0.1", identity_header: str = IDENTITY_HEADER,
                  pages: dict[str, dict] | None = None, roster: Path | None = None,
                  trusted_proxies: Sequence[str] = (), open_user: str = "", cull_idle_seconds: int = 900,
                  warm_kernels: int = DEFAULT_WARM, start_timeout: float = 120.0) -> list[str]:
    """The command of lessonkit's Voila application serving the built ``pages`` under ``root``
    (``pages``: path under ``root`` → :func:`lessonkit.serve.standing.catalog_entry`)."""
    return [
        sys.executable, "-m", "lessonkit.serve.app", str(root), "--no-browser", f"--port={port}", f"--Voila.ip={ip}",
        "--Voila.port_retries=0",  # a class's bookmarks name one port: fail rather than move
        # a student who closes the tab leaves a 50 MB kernel behind unless it is culled
        f"--MappingKernelManager.cull_idle_timeout={cull_idle_seconds}",
        f"--MappingKernelManager.cull_interval={min(60, max(1, cull_idle_seconds // 4))}",
        "--MappingKernelManager.cull_connected=False",
        # lesson images only, and only the pages' copies
        r"--VoilaConfiguration.file_allowlist=[^/]+/page/.*\.(png|jpg|jpeg|gif|svg)",
        f"--LessonkitVoila.identity_header={identity_header}",
        f"--LessonkitVoila.roster={roster or ''}",
        f"--LessonkitVoila.open_user={open_user}",
        f"--LessonkitVoila.lessons={json.dumps(pages or {})}",
        f"--LessonkitVoila.warm_kernels={warm_kernels}",
        f"--LessonkitVoila.page_deadline={start_timeout}",
        VOILA_TEMPLATE_ARGUMENT,  # no CDN, only the page's own front-end extensions
        *(f"--LessonkitVoila.trusted_proxies={address}" for address in trusted_proxies),
    ]


def serve(path: str | Path = "lessons", *, out: str | Path = "build", course: str | Path = "grading",
          port: int = 8866, ip: str = "127.0.0.1", db: str | None = None,
          identity_header: str = IDENTITY_HEADER, trusted_proxies: Sequence[str] = (),
          roster: str | Path | None = None, extra_args: Sequence[str] = (),
          warm_kernels: int = DEFAULT_WARM, cull_idle_seconds: int = 900, start_timeout: float = 120.0) -> None:
    """Build the lessons at ``path``, then become the Voila server for their pages.

    The process is replaced by Voila (so Ctrl-C and a service manager's signals reach the
    server and its kernels directly); it returns only by raising.  Progress goes to ``db``
    (a SQLAlchemy URL), by default the embedded SQLite file.  Students sign in against
    ``roster`` (by default ``LESSONKIT_ROSTER``) when it has members.  ``warm_kernels`` kernels
    per page are kept started ahead of the students; a page's kernel idle for
    ``cull_idle_seconds`` is shut down; a page not running after ``start_timeout`` seconds has
    its kernel shut down and retries.
    """
    from lessonkit.compile import build_lesson, discover
    from lessonkit.serve.standing import catalog_entry

    class_roster = Roster(roster)
    signin = bool(class_roster.members())
    hub = bool(settings.JUPYTERHUB_USER.read())
    check_exposure(ip, signin=signin, trusted_proxies=trusted_proxies, hub=hub)
    lessons = [build_lesson(source, out=out, course=course) for source in discover(path)]
    if not lessons:
        raise FileNotFoundError(f"{path}: no lessons to serve")
    # the kernels inherit Voila's environment: this is how the settings reach them
    values = {settings.IDENTITY_HEADER: identity_header}
    if db:
        values[settings.DB] = db
    env = settings.environment_with(values)
    template = source_template_root()
    if template is not None:  # an editable install has no copy of the template in share/jupyter
        env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(template), env.get("JUPYTER_PATH", "")]))
    pages = {built.page.relative_to(out).as_posix(): catalog_entry(built.lesson) for built in lessons}
    # nothing else names the student: the hub's user, or the person at this (loopback-only) machine
    open_user = "" if signin or trusted_proxies else notebook_identity().student_id
    command = voila_command(Path(out), port=port, ip=ip, identity_header=identity_header, pages=pages,
                            roster=class_roster.path if signin else None, trusted_proxies=trusted_proxies,
                            open_user=open_user, cull_idle_seconds=cull_idle_seconds,
                            warm_kernels=warm_kernels, start_timeout=start_timeout) + list(extra_args)
    if open_user and not hub:
        print(f"no roster: this server is for this machine only, and every page is {open_user}'s "
              "(`lessonkit class add NAME` adds students who sign in)")
    print(f"serving {len(lessons)} lesson(s) at http://{ip}:{port}/ :")
    for page, entry in pages.items():
        print(f"  {entry['title']}: http://{ip}:{port}/voila/render/{page}")
    sys.stdout.flush()
    os.execve(command[0], command, env)
