"""Layer 6, ``lessonkit serve``: the lessons' pages for a class, from one standalone Voila server.

Standalone Voila, not the Jupyter server extension: the extension lets a page execute code
and download its notebook (architecture §8), standalone Voila forwards only widget messages.
Kernels of students who left are culled, and a trusted identity can come from a header
set by the school's proxy (``X-Lessonkit-Student``) or from JupyterHub.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Sequence

from lessonkit import settings

IDENTITY_HEADER = settings.DEFAULT_IDENTITY_HEADER


def voila_command(root: Path, *, port: int, ip: str = "127.0.0.1", identity_header: str | None = IDENTITY_HEADER,
                  cull_idle_seconds: int = 900) -> list[str]:
    """The standalone Voila command serving every page under ``root``."""
    command = [
        sys.executable, "-m", "voila", str(root), "--no-browser", f"--port={port}", f"--Voila.ip={ip}",
        # a student who closes the tab leaves a 50 MB kernel behind unless it is culled
        f"--MappingKernelManager.cull_idle_timeout={cull_idle_seconds}",
        "--MappingKernelManager.cull_interval=60",
        "--MappingKernelManager.cull_connected=False",
    ]
    if identity_header:
        command.append(f"--VoilaConfiguration.http_header_envs={identity_header}")
    return command


def serve(path: str | Path = "lessons", *, out: str | Path = "build", course: str | Path = "grading",
          port: int = 8866, ip: str = "127.0.0.1", db: str | None = None,
          identity_header: str | None = IDENTITY_HEADER, extra_args: Sequence[str] = ()) -> None:
    """Build the lessons at ``path``, then become the Voila server for their pages.

    The process is replaced by Voila (so Ctrl-C and a service manager's signals reach the
    server and its kernels directly); it returns only by raising.  Progress goes to ``db``
    (a SQLAlchemy URL), by default the embedded SQLite file.
    """
    from lessonkit.compile import build_lesson, discover

    lessons = [build_lesson(source, out=out, course=course) for source in discover(path)]
    if not lessons:
        raise FileNotFoundError(f"{path}: no lessons to serve")
    # the kernels inherit Voila's environment: this is how the settings reach them
    values = {settings.IDENTITY_HEADER: identity_header or ""}
    if db:
        values[settings.DB] = db
    env = settings.environment_with(values)
    command = voila_command(Path(out), port=port, ip=ip, identity_header=identity_header) + list(extra_args)
    print(f"serving {len(lessons)} lesson(s) at http://{ip}:{port}/ :")
    for built in lessons:
        print(f"  {built.lesson.title}: http://{ip}:{port}/voila/render/{built.page.relative_to(out).as_posix()}")
    sys.stdout.flush()
    os.execve(command[0], command, env)
