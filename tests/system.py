"""What the real-parts tests need from the machine: free ports, and Debian packages.

The README's test command must pass on a fresh machine with only Python and pip.  On
Debian as root (CI, a container) a missing server or browser is installed with apt-get,
once per machine; anywhere else the test fails and says what to install.  Never a skip.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Callable

import pytest

LOCK = Path("/tmp/lessonkit-tests-apt.lock")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def debian_package(package: str, present: Callable[[], bool]) -> None:
    """Make sure ``package`` is installed (``present()`` says whether it is), or fail saying how."""
    if present():
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.fail(f"this test needs the Debian package '{package}': run `apt-get install {package}` as root")
    with LOCK.open("w") as lock:  # pytest-xdist workers or parallel runs install once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if present():
            return
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", package]):
            done = subprocess.run(command, capture_output=True, text=True, env=env)
            if done.returncode != 0:
                pytest.fail(f"`{' '.join(command)}` failed; install '{package}' by hand:\n{done.stderr[-2000:]}")
    if not present():
        pytest.fail(f"'{package}' was installed but is still not usable")


def bubblewrap() -> None:
    """Make sure bubblewrap works here (the sandbox's namespace layer), or fail saying what to do."""
    debian_package("bubblewrap", lambda: shutil.which("bwrap") is not None)
    from lessonkit.engine import bwrap

    if not bwrap.usable():
        pytest.fail("bubblewrap is installed but cannot make its namespaces here: allow unprivileged user "
                    "namespaces (`sysctl kernel.unprivileged_userns_clone=1`, or the container's seccomp/AppArmor "
                    "profile), and as root install util-linux's setpriv")
