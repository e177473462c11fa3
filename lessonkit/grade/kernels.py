"""Contained Jupyter kernels, started ahead of time and used once.

Starting a kernel is most of what autograding one small notebook costs (architecture §8), so a
:class:`KernelPool` keeps kernels starting while others run, and starts them cheaply: each
is a fork of a :mod:`zygote <lessonkit.grade.zygote>` that has already imported ipykernel.
Each kernel still serves exactly one notebook and is then destroyed, so nothing a student
leaves behind reaches the next.

Each kernel is contained by :func:`lessonkit.engine.sandbox.limit_process` (rlimits; as
root, a fresh uid of its own with no groups), plus what only a long-lived kernel needs:

* where bubblewrap works, the zygote runs inside it (:mod:`lessonkit.engine.bwrap`): the
  kernels see the environment's interpreter and packages, this pool's folder and nothing
  else of the machine (no course, no repository, no network, no other process), and the
  zygote keeps the capabilities each fork needs to give itself a view of its own
  (:func:`lessonkit.engine.bwrap.private_view`: its own home, ``/tmp`` and ``/dev/shm``,
  a network and IPC namespace of its own; about 5 ms a kernel) before it drops them all;
* a private home (mode 0700, owned by its uid) holding its working directory, its
  temporary files and its connection file, so kernels cannot read one another even
  without bubblewrap;
* ZeroMQ over Unix sockets in that home rather than TCP on loopback, and a network
  namespace of its own with no interfaces up (inside bubblewrap, or as root): student code
  reaches no network, not even a Dask scheduler or another kernel on this machine;
* the environment's own interpreter and import path, wherever lessonkit is installed (a
  virtual environment, a conda prefix; :func:`lessonkit.engine.interpreter.interpreter`),
  as open file descriptors when the kernel's uid may not enter the folders above it
  (``/root/.pyenv`` as root without bubblewrap);
* the kernel's own stdout and stderr (not the notebook's: those travel over ZeroMQ) go to
  a log file beside its home, read back to explain a crash; the zygote's own stderr is
  read back to say why it could not start, and what to do
  (:func:`lessonkit.grade.forker.why_not_started`).

Kernels are this interpreter's ipykernel whatever the notebook's kernelspec names: the
zygote can only fork what it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import queue
import resource
import secrets
import shutil
import signal
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner

from lessonkit.engine import bwrap
from lessonkit.engine.interpreter import Interpreter, interpreter
from lessonkit.engine.sandbox import (
    Containment,
    Limits,
    containment,
    kill_all,
    remove_workdir,
    sandbox_ids,
)
from lessonkit.grade import zygote
from lessonkit.grade.forker import KernelStartError, Zygote

log = logging.getLogger("lessonkit.grade")

_LOG_TAIL = 2000

LESSON_IMPORTS = ("ipywidgets", "anywidget", "mistune", "pygments.styles.default", "getpass", "pwd",
                  "lessonkit.format.blob", "lessonkit.model", "lessonkit.model.course",
                  "lessonkit.progress", "lessonkit.progress.course", "lessonkit.progress.selfassessment",
                  "lessonkit.engine.flags", "lessonkit.engine.guard", "lessonkit.engine.kinds",
                  "lessonkit.engine.mastery", "lessonkit.engine.path", "lessonkit.engine.placement",
                  "lessonkit.engine.recommend", "lessonkit.engine.sealing")
"""What the kernel of a lesson built by lessonkit imports as its cells run (the player's widgets,
markdown and its code highlighting, engine and event log): about 0.4 s of a kernel's CPU, the same for every notebook,
so the zygote imports it once before it forks (``KernelSettings.preload``).  Not
``lessonkit.player`` itself: importing it takes the snapshot ``lkp.guard_builtins()`` restores,
which must be taken in the kernel, by its header cell (``tests/test_grade_lesson.py`` checks
that a lesson's cells import nothing else outside it)."""

_KERNEL_ARGUMENTS = ["--HistoryManager.hist_file=:memory:"]  # as nbclient starts kernels for nbgrader


@dataclass(frozen=True)
class KernelSettings:
    """How the kernels of one grading run are started (picklable, for Dask workers)."""

    kernel_name: str = "python3"
    limits: Limits = Limits()
    isolate_network: bool = True
    guard: bool = True
    startup_timeout: float = 60.0
    preload: tuple[str, ...] = ()
    """Modules the zygote imports before it forks (:data:`LESSON_IMPORTS` for a lesson)."""


class SandboxedKernelManager(AsyncKernelManager):
    """An :class:`AsyncKernelManager` whose kernel is forked by the pool's zygote, contained, in ``home``.

    Everything else is jupyter_client's own: the connection file (made readable by the
    kernel's uid), the ZeroMQ channels, interrupts and shutdown.
    """

    def __init__(self, *, home: Path, ids: tuple[int, int] | None, forker: Zygote, request: dict[str, Any],
                 **kwargs: Any) -> None:
        super().__init__(transport="ipc", ip=str(home / "run" / "k"), **kwargs)
        self.connection_file = str(home / "run" / "kernel.json")
        self.forker = forker
        self.request = {**request, "connection_file": self.connection_file}
        self._ids = ids

    async def _async_pre_start_kernel(self, **kw: Any) -> tuple[list[str], dict[str, Any]]:
        self.kernel_id = self.kernel_id or str(uuid.uuid4())
        self.provisioner = ForkedProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)

    def write_connection_file(self, **kwargs: Any) -> None:
        super().write_connection_file(**kwargs)
        if self._ids is not None:
            os.chown(self.connection_file, *self._ids)


class _SpecsOnce(KernelSpecManager):  # type: ignore[misc]
    """jupyter_client's kernel specs, each looked up once per pool: a lookup walks every Jupyter
    data folder, which cost more per notebook than forking the kernel."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._found: dict[str, Any] = {}

    def get_kernel_spec(self, kernel_name: str) -> Any:
        if kernel_name not in self._found:
            self._found[kernel_name] = super().get_kernel_spec(kernel_name)
        return self._found[kernel_name]


class ForkedProvisioner(LocalProvisioner):  # type: ignore[misc]
    """jupyter_client's local provisioner, with a process from the zygote instead of ``Popen``."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        km = self.parent
        self.process = await km.forker.fork(km.request)
        self.pid = self.pgid = self.process.pid  # the kernel starts a session of its own
        self.cwd = km.request["cwd"]
        return self.connection_info


class PooledKernel:
    """A started kernel waiting for, then serving, exactly one notebook."""

    def __init__(self, km: SandboxedKernelManager, home: Path, ids: tuple[int, int] | None,
                 log: Path, guard_name: str | None) -> None:
        self.km = km
        self.kc: Any = None  # made once the kernel runs: a client copies the connection info
        self.home = home
        self.workdir = home / "work"
        self.ids = ids
        self.guard_name = guard_name
        self.language_info: dict[str, Any] = {}  # from its kernel_info reply, before any student code
        self._log = log

    def populate(self, files: Sequence[tuple[str, str | bytes]]) -> None:
        """Copy the submission's files (``(relative path, path or contents)``) into the working directory."""
        root = self.workdir.resolve()
        for relative, content in files:
            target = (root / relative).resolve()
            if root not in target.parents:
                raise ValueError(f"{relative!r} would be outside the kernel's working directory")
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                shutil.copyfile(content, target)
        if self.ids is not None:
            for folder, dirs, names in os.walk(root):
                for name in [*dirs, *names]:
                    os.chown(os.path.join(folder, name), *self.ids, follow_symlinks=False)

    def death(self) -> str:
        """Why the kernel process ended, in words (exit code or signal, and its last words)."""
        process = getattr(self.km.provisioner, "process", None)
        code = process.poll() if process is not None else None
        if code is None:
            reason = "it stopped answering"
        elif code < 0:
            name = signal.Signals(-code).name
            reason = {"SIGXCPU": "it used up its CPU time limit", "SIGKILL": "it was killed (CPU or memory limit)",
                      "SIGXFSZ": "it wrote a file over the size limit"}.get(name, f"it was killed by {name}")
        else:
            reason = f"it exited with code {code}"
        last = self.last_words()
        if "MemoryError" in last or "Cannot allocate memory" in last:
            reason += " (out of memory)"
        elif code:
            reason += f" ({last})" if last else ""
        return reason

    def last_words(self) -> str:
        """The last line the kernel process wrote to its log (a traceback's error)."""
        with open(self._log, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - _LOG_TAIL))
            tail = handle.read().decode("utf-8", "replace").strip().splitlines()
        return next((line.strip() for line in reversed(tail) if line.strip()), "")

    async def discard(self) -> None:
        """Stop the kernel and everything it started, and delete its home."""
        pid = getattr(self.km.provisioner, "pid", None)
        if self.kc is not None:
            self.kc.stop_channels()
        try:
            await self.km.shutdown_kernel(now=True)
        except Exception as error:  # a kernel that died on its own may leave nothing to shut down
            log.debug("shutting down kernel in %s: %s", self.home, error)
        await asyncio.to_thread(self._remove, pid)

    def _remove(self, pid: int | None) -> None:
        """Kill what is left of the kernel and delete its files: blocking work (a fork, a tree to
        delete), kept off the event loop that feeds the other kernels."""
        if pid is not None:
            kill_all(pid, self.ids)
        remove_workdir(str(self.home))
        with contextlib.suppress(FileNotFoundError):
            self._log.unlink()


class KernelPool:
    """Kernels kept starting ahead of demand, ``size`` at a time.

    Use as ``async with KernelPool(settings, size) as pool``; ``await pool.acquire()`` hands
    out a ready kernel and starts its replacement; ``pool.release(kernel)`` destroys it once
    its notebook is done.
    """

    def __init__(self, settings: KernelSettings, size: int) -> None:
        self.settings = settings
        self.size = max(1, size)
        self._ready: asyncio.Queue[PooledKernel | BaseException] = asyncio.Queue()
        self._starting: set[asyncio.Task[None]] = set()
        self._discarding: set[asyncio.Task[None]] = set()
        self._outstanding = 0
        self._root: Path | None = None
        self._env: dict[str, str] = {}
        self._limits = settings.limits
        self._zygote: Zygote | None = None
        self._specs = _SpecsOnce()
        self._shown: tuple[str, ...] = ()  # of the installation, what each kernel binds back into its own view
        self.network_isolated = False
        self.containment: Containment = containment()

    async def __aenter__(self) -> KernelPool:
        self._root = Path(tempfile.mkdtemp(prefix="lessonkit-kernels-"))
        try:
            await self._start_zygote(self._root)
        except BaseException:  # nothing is left behind by a run that could not start
            remove_workdir(str(self._root))
            self._root = None
            raise
        self._fill()
        return self

    async def _start_zygote(self, root: Path) -> None:
        os.chmod(root, 0o711)  # kernels may pass through to their own home, not list the others
        as_root = os.geteuid() == 0
        sandboxed = self.containment.namespaces
        isolate = self.settings.isolate_network
        self.network_isolated = isolate and (sandboxed or (as_root and _can_isolate_network()))
        if isolate and not self.network_isolated:
            log.warning("cannot give kernels a network namespace here: student code can reach the network")
        python = interpreter(packages=True, by_descriptor=as_root and not sandboxed)
        self._env = _base_env(python)
        self._limits = self.settings.limits
        if not as_root:  # the process limit would count all of this user's processes: a desktop session
            self._limits = dataclasses.replace(self._limits, processes=resource.getrlimit(resource.RLIMIT_NPROC)[0])
        view = bwrap.View(read_only=python.binds, writable=(str(root),), cwd=str(root), tmp_mb=self._limits.file_mb,
                          network=not isolate, keep_capabilities=True) if sandboxed else None
        if view is not None:
            self._shown = bwrap.below_private_mounts(view, str(root))
        try:
            # a home, for what ipykernel's imports look up there (the kernels get their own)
            self._zygote = await Zygote.start(python, {**self._env, "HOME": str(root)}, view,
                                              self.settings.preload)
        finally:
            for fd in python.fds:  # the zygote holds them now, and hands them down to every kernel
                os.close(fd)

    async def __aexit__(self, *exc: object) -> None:
        for task in self._starting:
            task.cancel()
        await asyncio.gather(*self._starting, *self._discarding, return_exceptions=True)
        while not self._ready.empty():
            item = self._ready.get_nowait()
            if isinstance(item, PooledKernel):
                await item.discard()
        if self._zygote is not None:
            await self._zygote.close()
        if self._root is not None:
            remove_workdir(str(self._root))

    async def acquire(self) -> PooledKernel:
        """A ready kernel; a failed start is retried once before it is reported."""
        failure: BaseException | None = None
        for _ in range(2):
            item = await self._ready.get()
            self._outstanding -= 1
            self._fill()
            if isinstance(item, PooledKernel):
                return item
            log.warning("a kernel failed to start (%s)", item)
            failure = item
        raise KernelStartError(f"kernels fail to start: {failure}") from failure

    async def warm(self) -> None:
        """Wait until every kernel being started is ready (nothing starting: a quiet machine)."""
        await asyncio.gather(*self._starting, return_exceptions=True)

    def release(self, kernel: PooledKernel) -> None:
        """Discard a used kernel in the background: its slot goes to the next notebook at once."""
        task = asyncio.ensure_future(kernel.discard())
        self._discarding.add(task)
        task.add_done_callback(self._discarding.discard)

    def _fill(self) -> None:
        while self._outstanding < self.size:
            self._outstanding += 1
            task = asyncio.ensure_future(self._start_one())
            self._starting.add(task)
            task.add_done_callback(self._starting.discard)

    async def _start_one(self) -> None:
        try:
            kernel = await self._start_kernel()
        except asyncio.CancelledError:
            raise
        except BaseException as error:
            self._ready.put_nowait(error)
        else:
            self._ready.put_nowait(kernel)

    async def _start_kernel(self) -> PooledKernel:
        assert self._root is not None and self._zygote is not None
        ids = sandbox_ids()
        home = Path(tempfile.mkdtemp(prefix="k-", dir=self._root))
        for sub in ("run", "work", "tmp"):
            (home / sub).mkdir()
        if ids is not None:
            for path in (home, home / "run", home / "work", home / "tmp"):
                os.chown(path, *ids)
        log_path = Path(f"{home}.log")
        log_path.touch(mode=0o600)
        env = {**self._env, "HOME": str(home), "TMPDIR": str(home / "tmp")}
        private = {"home": str(home), "shown": self._shown, "tmp_mb": self._limits.file_mb} \
            if self.containment.namespaces else None
        guard_name = f"_lessonkit_guard_{secrets.token_hex(8)}" if self.settings.guard else None
        request = {"cwd": str(home / "work"), "env": env, "log": str(log_path), "ids": ids,
                   "limits": dataclasses.asdict(self._limits), "isolate_network": self.network_isolated,
                   "private": private, "arguments": _KERNEL_ARGUMENTS, "guard": guard_name}
        km = SandboxedKernelManager(home=home, ids=ids, forker=self._zygote, request=request,
                                    kernel_name=self.settings.kernel_name, kernel_spec_manager=self._specs)
        kernel = PooledKernel(km, home, ids, log_path, guard_name)
        try:
            await km.start_kernel()
            kernel.kc = km.client()
            # the shell and IOPub only, as nbclient's kernels for nbgrader: no stdin, so input()
            # fails at once (allow_stdin off) rather than waiting out the timeout; liveness is the
            # process's (the manager's), and interrupts and shutdown are signals, so no heartbeat
            # thread and no control channel per kernel
            kernel.kc.start_channels(stdin=False, hb=False, control=False)
            kernel.language_info = await ready(kernel.kc, self.settings.startup_timeout)
        except BaseException as error:
            reason = kernel.death() if km.has_kernel else (kernel.last_words() or "its log is empty")
            await kernel.discard()
            if isinstance(error, asyncio.CancelledError):
                raise
            raise KernelStartError(f"{reason}: {error}") from error
        return kernel


async def ready(kc: Any, timeout: float) -> dict[str, Any]:
    """Wait until the kernel answers ``kernel_info`` on its shell channel and publishes on IOPub
    (before that, a cell's outputs could be lost); its ``language_info``, which the notebook records.

    jupyter_client's ``wait_for_ready`` does the same, then waits 0.2 s for IOPub to go quiet,
    which changes nothing here (an execution's outputs are picked by its request's id, not by
    arrival); and the reply's ``language_info`` spares each notebook a ``kernel_info`` request.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        kc.kernel_info()
        with contextlib.suppress(queue.Empty):
            reply = await kc.shell_channel.get_msg(timeout=1)
            if reply["msg_type"] == "kernel_info_reply":  # this request's or a slow earlier one's
                with contextlib.suppress(queue.Empty):  # the request's busy status: IOPub is connected
                    await kc.iopub_channel.get_msg(timeout=0.2)
                    return dict(reply["content"].get("language_info", {}))
        if not await kc.is_alive():
            raise RuntimeError("the kernel died before replying to kernel_info")
        if loop.time() > deadline:
            raise RuntimeError(f"the kernel did not reply to kernel_info in {timeout:g} s")


def _base_env(python: Interpreter) -> dict[str, str]:
    """The environment of the zygote and its kernels: none of the grader's own variables."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",  # ipykernel's debugger would warn on every start
            **python.env}


def _can_isolate_network() -> bool:
    """Whether this machine lets us create network namespaces (containers may forbid it)."""
    pid = os.fork()
    if pid == 0:  # only system calls here: the parent may have threads
        try:
            zygote.unshare_network()
        except BaseException:
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0
