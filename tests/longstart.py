"""A server that may take minutes to come up (JupyterHub, JupyterLab on a loaded machine).

``browser.served`` gives Voila 30 s; a hub spawning servers, or JupyterLab building its
settings, on a two-core machine shared with other work needs longer, and a test should fail
on what the server does, not on how busy the machine was.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import psutil

START_TIMEOUT = 300.0
REPO_ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def running(command: Sequence[str], probe: str, *, cwd: Path, env: Mapping[str, str] | None = None,
            timeout: float = START_TIMEOUT, healthy: bool = False) -> Iterator[None]:
    """Run ``command`` in ``cwd`` until the ``with`` ends, once ``probe`` (a URL) answers at all
    (with ``healthy``, once it answers with success); its output goes to ``cwd/server.log``,
    whose tail a failure shows.

    ``healthy`` is for a server behind a proxy it starts itself: JupyterHub's proxy listens
    (and answers 404 for every path) a second or more before the hub has given it a route, so
    an error page is not yet the server.
    """
    log_path = cwd / "server.log"
    child_env = {**os.environ, **(env or {})}
    # the code under test, whatever else is installed
    child_env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), child_env.get("PYTHONPATH")) if p)
    with open(log_path, "w") as log:
        process = subprocess.Popen(list(command), cwd=cwd, env=child_env, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while True:
            assert process.poll() is None, f"{command[0]} exited:\n{log_path.read_text()[-3000:]}"
            try:
                urllib.request.urlopen(probe, timeout=5).close()
                break
            except urllib.error.HTTPError as answer:
                if not healthy:
                    break  # it answers
                why = f"{probe} answered only {answer.code}"
            except OSError:
                why = f"{probe} did not answer"
            assert time.monotonic() < deadline, f"{why}:\n{log_path.read_text()[-3000:]}"
            time.sleep(0.2)  # a probe costs the server next to nothing; a late look costs every start
        yield
    finally:
        try:
            children = psutil.Process(process.pid).children(recursive=True)
        except psutil.NoSuchProcess:  # it exited already: the assertion above says why
            children = []
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
        process.kill()
        process.wait()
        for child in children:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()


@contextlib.contextmanager
def serving(command: Sequence[str], port: int, folder: Path) -> Iterator[str]:
    """``browser.served`` with a start timeout for a loaded machine: a Voila-based server on
    ``port``, run in ``folder``; yields its base URL."""
    url = f"http://127.0.0.1:{port}/"
    with running(command, url + "voila/lessonkit-readiness-probe", cwd=folder):
        yield url
