"""The grader's end of the kernel zygote (:mod:`lessonkit.grade.zygote`): asks it for kernels, hears when they end.

Split from :mod:`lessonkit.grade.kernels` along its seam: this is the process and its JSON-lines
conversation; the pool decides what to ask for.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any, Mapping, Sequence

from lessonkit.engine import bwrap
from lessonkit.engine.interpreter import Interpreter
from lessonkit.grade import zygote
from lessonkit.grade.course import GradingError

_STDERR_TAIL = 4000  # of the zygote's own stderr, kept to explain why it ended


class KernelStartError(GradingError):
    """A kernel could not be started: a machine or setup problem, never a submission's."""


class Zygote:
    """The grader's end of :mod:`lessonkit.grade.zygote`: forks kernels, hears when they end.

    In a sandbox the zygote has a PID namespace of its own, so the pids it reports are
    translated (:func:`lessonkit.engine.bwrap.host_pid`) before anyone signals them.
    """

    def __init__(self, process: asyncio.subprocess.Process, pid: int, sandboxed: bool) -> None:
        self._process = process
        self._pid = pid  # the zygote's own, here
        self._sandboxed = sandboxed
        self._ids = itertools.count()
        self._forks: dict[int, asyncio.Future[int]] = {}
        self._exits: dict[int, int] = {}
        self._here: dict[int, int] = {}  # kernel pids: the zygote's number to this process's
        self._stderr = bytearray()
        self._reader = asyncio.ensure_future(self._read())
        self._drain = asyncio.ensure_future(self._keep_stderr())

    @classmethod
    async def start(cls, python: Interpreter, env: Mapping[str, str], view: bwrap.View | None,
                    preload: Sequence[str] = ()) -> Zygote:
        """Start the zygote: this interpreter running the zygote's source, in ``view`` when sandboxed,
        having imported the modules ``preload`` names before its first fork."""
        argv = [*python.argv, "-c", Path(zygote.__file__).read_text(encoding="utf-8"), json.dumps(python.path),
                json.dumps(list(preload))]
        if view is not None:
            argv = bwrap.command(view, argv)
        pipe = asyncio.subprocess.PIPE
        process = await asyncio.create_subprocess_exec(*argv, stdin=pipe, stdout=pipe, stderr=pipe, env=env,
                                                       pass_fds=python.fds)
        assert process.stdout is not None and process.stderr is not None
        line = await process.stdout.readline()
        if not line:
            stderr = (await process.stderr.read()).decode("utf-8", "replace")
            raise KernelStartError(why_not_started(await process.wait(), stderr))
        pid = json.loads(line)["ready"]
        return cls(process, bwrap.host_pid(process.pid, pid) if view else pid, view is not None)

    async def fork(self, request: dict[str, Any]) -> _Forked:
        """A new contained kernel process, as :mod:`lessonkit.grade.zygote` makes it."""
        assert self._process.stdin is not None
        key = next(self._ids)
        self._forks[key] = asyncio.get_running_loop().create_future()
        self._process.stdin.write((json.dumps({**request, "id": key}) + "\n").encode())
        await self._process.stdin.drain()
        return _Forked(await self._forks[key], self)

    def exit_code(self, pid: int) -> int | None:
        return self._exits.get(pid)

    async def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        await self._process.wait()
        await asyncio.gather(self._reader, self._drain)

    async def _read(self) -> None:
        assert self._process.stdout is not None
        async for line in self._process.stdout:
            message = json.loads(line)
            if "exited" in message:
                self._exits[self._here.pop(message["exited"], message["exited"])] = message["code"]
                continue
            future = self._forks.pop(message["id"])
            try:
                pid = bwrap.host_pid(self._pid, message["pid"]) if self._sandboxed else message["pid"]
            except LookupError:  # it died before it could be found: its log says why
                future.set_exception(KernelStartError("the kernel process ended as it started"))
                continue
            self._here[message["pid"]] = pid
            if future.done():  # whoever asked was cancelled (the pool is closing): nobody will use it
                os.kill(pid, signal.SIGKILL)
            else:
                future.set_result(pid)
        stderr = self._stderr.decode("utf-8", "replace")
        ended = f"the kernel zygote exited: {why_not_started(self._process.returncode, stderr)}"
        for future in self._forks.values():  # the zygote is gone: no fork will come
            if not future.done():
                future.set_exception(KernelStartError(ended))

    async def _keep_stderr(self) -> None:
        """Read the zygote's stderr as it comes (a full pipe would stop it), keeping the end."""
        assert self._process.stderr is not None
        while chunk := await self._process.stderr.read(1 << 16):
            self._stderr += chunk
            del self._stderr[:-_STDERR_TAIL]


def why_not_started(code: int | None, stderr: str) -> str:
    """The zygote's failure in words that name the cause and the fix, from its exit code and stderr."""
    python = sys.executable
    missing = re.search(r"No module named '([^'.]+)", stderr)
    if missing:
        return (f"this Python ({python}) cannot import {missing[1]} where the kernels run: install lessonkit into "
                f"the environment of the Python that runs the grader, with its dependencies "
                f"(`{python} -m pip install lessonkit`), and run `lessonkit grade` with that Python")
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    sandbox = next((line for line in lines if line.startswith("bwrap:")), None)
    if sandbox:
        return (f"bubblewrap could not make the kernels' sandbox ({sandbox}): fix that, or uninstall bubblewrap "
                "to grade with the weaker containment of docs/containment.md")
    said = f": {lines[-1]}" if lines else " and said nothing"
    return f"the kernel zygote ({python}) did not start (exit code {code}){said}"


class _Forked:
    """A forked kernel as jupyter_client's provisioner expects a ``Popen``."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, forker: Zygote) -> None:
        self.pid = pid
        self._forker = forker

    @property
    def returncode(self) -> int | None:
        return self._forker.exit_code(self.pid)

    def poll(self) -> int | None:
        return self.returncode

    def wait(self) -> int | None:  # only called once poll() has seen the end
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)
