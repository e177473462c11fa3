"""Contained Jupyter kernels, started ahead of time and used once.

Starting a kernel is most of what autograding one small notebook costs (architecture §8), so a
:class:`KernelPool` keeps kernels starting while others run, and starts them cheaply: each
is a fork of a :mod:`zygote <lessonkit.grade.zygote>` that has already imported ipykernel.
Each kernel still serves exactly one notebook and is then destroyed, so nothing a student
leaves behind reaches the next.

Each kernel is contained by :func:`lessonkit.engine.sandbox.limit_process` (rlimits; as
root, a fresh uid of its own with no groups), plus what only a long-lived kernel needs:

* a private home (mode 0700, owned by its uid) holding its working directory, its
  temporary files and its connection file, so kernels cannot read one another;
* ZeroMQ over Unix sockets in that home rather than TCP on loopback, and (as root) a
  network namespace of its own with no interfaces up: student code reaches no network,
  not even a Dask scheduler or another kernel on this machine;
* the interpreter handed over as open file descriptors when it lives under a directory
  the kernel's uid may not enter (``/root/.pyenv``; :func:`lessonkit.engine.sandbox.interpreter`);
* the kernel's own stdout and stderr (not the notebook's: those travel over ZeroMQ) go to
  a log file beside its home, read back to explain a crash.

Kernels are this interpreter's ipykernel whatever the notebook's kernelspec names: the
zygote can only fork what it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import json
import logging
import os
import resource
import secrets
import shutil
import signal
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner

from lessonkit.engine.sandbox import Interpreter, Limits, interpreter, kill_all, remove_workdir, sandbox_ids
from lessonkit.grade import inkernel, zygote
from lessonkit.grade.course import GradingError

log = logging.getLogger("lessonkit.grade")

_LOG_TAIL = 2000
_KERNEL_ARGUMENTS = ["--HistoryManager.hist_file=:memory:"]  # as nbclient starts kernels for nbgrader


class KernelStartError(GradingError):
    """A kernel could not be started: a machine or setup problem, never a submission's."""


@dataclass(frozen=True)
class KernelSettings:
    """How the kernels of one grading run are started (picklable, for Dask workers)."""

    kernel_name: str = "python3"
    limits: Limits = Limits()
    isolate_network: bool = True
    guard: bool = True
    startup_timeout: float = 60.0


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
        with open(self._log, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - _LOG_TAIL))
            tail = handle.read().decode("utf-8", "replace").strip().splitlines()
        last = next((line for line in reversed(tail) if line.strip()), "")
        if "MemoryError" in last or "Cannot allocate memory" in last:
            reason += " (out of memory)"
        return reason

    async def discard(self) -> None:
        """Stop the kernel and everything it started, and delete its home."""
        pid = getattr(self.km.provisioner, "pid", None)
        if self.kc is not None:
            self.kc.stop_channels()
        try:
            await self.km.shutdown_kernel(now=True)
        except Exception as error:  # a kernel that died on its own may leave nothing to shut down
            log.debug("shutting down kernel in %s: %s", self.home, error)
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
        self.network_isolated = False

    async def __aenter__(self) -> KernelPool:
        self._root = Path(tempfile.mkdtemp(prefix="lessonkit-kernels-"))
        os.chmod(self._root, 0o711)  # kernels may pass through to their own home, not list the others
        as_root = os.geteuid() == 0
        self.network_isolated = as_root and self.settings.isolate_network and _can_isolate_network()
        if as_root and self.settings.isolate_network and not self.network_isolated:
            log.warning("cannot give kernels a network namespace here: student code can reach the network")
        python = interpreter(as_other_user=as_root)
        self._env = _base_env(python)
        self._limits = self.settings.limits
        if not as_root:  # the process limit would count all of this user's processes: a desktop session
            self._limits = dataclasses.replace(self._limits, processes=resource.getrlimit(resource.RLIMIT_NPROC)[0])
        try:
            self._zygote = await Zygote.start(python, self._env)
        finally:
            for fd in python.fds:  # the zygote holds them now, and hands them down to every kernel
                os.close(fd)
        self._fill()
        return self

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
        request = {"cwd": str(home / "work"), "env": env, "log": str(log_path), "ids": ids,
                   "limits": dataclasses.asdict(self._limits), "isolate_network": self.network_isolated,
                   "arguments": _KERNEL_ARGUMENTS}
        km = SandboxedKernelManager(home=home, ids=ids, forker=self._zygote, request=request,
                                    kernel_name=self.settings.kernel_name)
        guard_name = f"_lessonkit_guard_{secrets.token_hex(8)}" if self.settings.guard else None
        kernel = PooledKernel(km, home, ids, log_path, guard_name)
        try:
            await km.start_kernel()
            kernel.kc = km.client()
            kernel.kc.start_channels()
            await kernel.kc.wait_for_ready(timeout=self.settings.startup_timeout)
            if guard_name is not None:
                await install_guard(kernel.kc, guard_name)
        except BaseException as error:
            reason = kernel.death() if km.has_kernel else str(error)
            await kernel.discard()
            if isinstance(error, asyncio.CancelledError):
                raise
            raise KernelStartError(f"{reason}: {error}") from error
        return kernel


async def install_guard(kc: Any, name: str) -> None:
    """Run :func:`lessonkit.grade.inkernel.install` in the kernel, binding nothing in its namespace."""
    source = Path(inkernel.__file__).read_text(encoding="utf-8")
    code = f"(lambda ns: (exec({source!r}, ns), ns['install']({name!r})))({{}})"
    reply = await kc.execute_interactive(code, silent=True, store_history=False, timeout=30,
                                         output_hook=lambda msg: None)
    if reply["content"]["status"] != "ok":
        raise KernelStartError(f"the test guard did not install: {reply['content'].get('evalue')}")


class Zygote:
    """The grader's end of :mod:`lessonkit.grade.zygote`: forks kernels, hears when they end."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process
        self._ids = itertools.count()
        self._forks: dict[int, asyncio.Future[int]] = {}
        self._exits: dict[int, int] = {}
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def start(cls, python: Interpreter, env: Mapping[str, str]) -> Zygote:
        """Start the zygote: this interpreter (as descriptors, when root), running the zygote's source."""
        argv = [*python.argv, "-c", Path(zygote.__file__).read_text(encoding="utf-8")]
        process = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env, pass_fds=python.fds)
        assert process.stdout is not None
        line = await process.stdout.readline()
        if not line:
            raise KernelStartError(f"the kernel zygote did not start (exit code {await process.wait()})")
        return cls(process)

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
        await self._reader

    async def _read(self) -> None:
        assert self._process.stdout is not None
        async for line in self._process.stdout:
            message = json.loads(line)
            if "exited" in message:
                self._exits[message["exited"]] = message["code"]
                continue
            future = self._forks.pop(message["id"])
            if future.done():  # whoever asked was cancelled (the pool is closing): nobody will use it
                os.kill(message["pid"], signal.SIGKILL)
            else:
                future.set_result(message["pid"])
        for future in self._forks.values():  # the zygote is gone: no fork will come
            if not future.done():
                future.set_exception(KernelStartError("the kernel zygote exited"))


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
