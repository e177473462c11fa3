"""Run untrusted code contained: time, memory, output, process and file limits, and a view of its own.

Student code run by a server (a Voila page's code check, the grader) must not hang it, eat
its memory, fill its disk, fork it to death, or read what the teacher keeps private
(architecture §6, "Untrusted code is contained").  This module gives three tools:

* :func:`limit_process`, a ``preexec_fn`` for :class:`subprocess.Popen` that applies
  :class:`Limits` as resource limits, starts a new session and drops privileges.  The
  grader's kernels contain themselves with it.
* :func:`run_python`, which runs a piece of Python in a fresh, private directory under
  those limits and returns what it printed, capped, and why it stopped.
* :func:`containment`, which says which of the layers below are in force here, for a
  grading summary or a server's log (docs/containment.md says what each defends).

The layers, strongest first; each applies where the machine allows it:

* **bubblewrap** (:mod:`lessonkit.engine.bwrap`), when it is installed and may make its
  namespaces: the child sees the standard library, the system's ``/usr`` and its own
  folder, nothing else of the file system (no course, no repository, no other run), a
  private ``/tmp``, no network, no other process; its PID namespace dies with it, so
  nothing it started outlives the run, whoever runs the server.
* **a uid of its own**, as root: ``RLIMIT_NPROC`` does not apply to root (a fork bomb would
  take the machine) and root reads every file, so the child runs under a **fresh uid**
  (:func:`sandbox_ids`, picked at random from a range no account uses, no supplementary
  groups): concurrent runs cannot signal or read each other, the process limit counts this
  run's processes alone, and the clean-up kills *every* process of the run by killing
  everything that uid owns.  Inside bubblewrap the uid is switched too, by ``setpriv``.
  Without bubblewrap the child can read what is world-readable: keep the gradebook, the
  teacher's sources and students' folders private (:func:`private_dir`), and the
  interpreter is handed over as open file descriptors
  (:mod:`lessonkit.engine.interpreter`), so it works even where it is installed under a
  private directory (``/root/.pyenv``).
* **resource limits**, always, inside bubblewrap too.  As another user than root they are
  all there is besides bubblewrap: the child runs as that user, and ``RLIMIT_NPROC``
  counts all of that user's processes.  Without bubblewrap it can also read what that user
  can and reach the network, and a grandchild that starts its own session escapes the
  final clean-up: run a class server with bubblewrap, as root or a dedicated user.

Not defended by any layer: the machine's CPU while the child runs (the wall timeout bounds
it), and without bubblewrap, the network and writes into world-writable directories such as
``/tmp`` (each file up to ``Limits.file_mb``, left behind).
"""

from __future__ import annotations

import errno
import functools
import logging
import os
import resource
import secrets
import selectors
import shutil
import signal
import stat
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from subprocess import PIPE, Popen, SubprocessError

from lessonkit.engine import bwrap
from lessonkit.engine.interpreter import interpreter
from lessonkit.errors import LessonkitError

log = logging.getLogger("lessonkit.sandbox")

MB = 1 << 20
SANDBOX_UIDS = range(1 << 30, (1 << 30) + (1 << 24))
"""The uids :func:`sandbox_ids` picks from: far above any account's, below 2**31."""

_ARG_MAX = 128 * 1024  # Linux's MAX_ARG_STRLEN: the longest single argument to exec
_READ_CHUNK = 64 * 1024
_POLL_S = 0.05  # how often a run whose pipes are held open by grandchildren is re-checked
_Status = tuple[int, int, resource.struct_rusage]  # os.wait4's answer: pid, wait status, usage


class SandboxError(LessonkitError, RuntimeError):
    """The sandbox itself could not start the child (not the child's own failure)."""


@dataclass(frozen=True)
class Limits:
    """What one contained run may use.

    ``timeout`` is wall-clock seconds for the whole run, the limit a student notices;
    ``cpu_seconds`` stops a busy child even if the wall clock is generous.  ``memory_mb``
    is address space (``RLIMIT_AS``), so Python raises ``MemoryError`` instead of the
    machine swapping.  ``output_bytes`` caps each of stdout and stderr: past it the child
    is killed, so megabytes of prints never sit in the server's memory.  ``processes``
    counts processes and threads; ``file_mb`` is the largest file the child may write.
    """

    timeout: float = 10.0
    cpu_seconds: int = 10
    memory_mb: int = 512
    output_bytes: int = 1_000_000
    processes: int = 32
    file_mb: int = 16


@dataclass(frozen=True)
class RunResult:
    """How a contained run ended.

    ``returncode`` is negative for a signal, as in :mod:`subprocess`.  ``killed_reason``
    says why the run was cut short: ``"timeout"``, ``"output"`` (it printed more than
    allowed), ``"cpu"``, ``"memory"`` (it died of ``MemoryError``), ``"signal N"``; ``None``
    when it ended by itself, whatever its exit code.  ``channel`` is what the child wrote
    on the results channel (see :func:`run_python`).
    """

    returncode: int
    stdout: str
    stderr: str
    timed_out: bool
    killed_reason: str | None
    duration_s: float
    channel: str = ""


def limit_process(limits: Limits, *, uid: int | None = None, gid: int | None = None) -> Callable[[], None]:
    """A ``preexec_fn`` for :class:`subprocess.Popen` that contains the child.

    In the child, before it executes the program: a new session (so killing the process
    group ends everything it started; skipped when ``Popen(start_new_session=True)``, as
    jupyter_client passes, already made one), ``RLIMIT_CPU`` (``SIGXCPU``, then
    ``SIGKILL`` a second later), ``RLIMIT_AS``, ``RLIMIT_NPROC``, ``RLIMIT_FSIZE`` and no
    core dumps.  With ``uid``, it then drops privileges: no supplementary groups, ``gid``
    (default: the same number as ``uid``), ``uid``.  Limits come first because after the
    drop they could no longer be raised to their values.

    ``RLIMIT_NPROC`` counts every process and thread of the child's user and does not
    apply to root at all: give a root-launched child a ``uid`` (see :func:`sandbox_ids`)
    or a fork bomb is not stopped.  A kernel's threads count too, and glibc reserves
    address space per thread: size ``processes`` and ``memory_mb`` for that.

    A ``preexec_fn`` because resource limits have no ``Popen`` argument of their own; it
    makes system calls only (no imports, no locks), which is what keeps it safe to use
    from a server with threads.
    """
    rlimits = (
        (resource.RLIMIT_CPU, limits.cpu_seconds, limits.cpu_seconds + 1),
        (resource.RLIMIT_AS, limits.memory_mb * MB, limits.memory_mb * MB),
        (resource.RLIMIT_NPROC, limits.processes, limits.processes),
        (resource.RLIMIT_FSIZE, limits.file_mb * MB, limits.file_mb * MB),
        (resource.RLIMIT_CORE, 0, 0),
    )

    def contain() -> None:
        if os.getsid(0) != os.getpid():
            os.setsid()
        for which, soft, hard in rlimits:
            _, current_hard = resource.getrlimit(which)
            if os.geteuid() != 0 and current_hard != resource.RLIM_INFINITY:
                hard = min(hard, current_hard)  # only root may raise a hard limit
                soft = min(soft, hard)
            resource.setrlimit(which, (soft, hard))
        if uid is not None:
            os.setgroups([])
            os.setgid(uid if gid is None else gid)
            os.setuid(uid)

    return contain


def sandbox_ids() -> tuple[int, int] | None:
    """A fresh ``(uid, gid)`` for one contained run, or ``None`` when not running as root.

    Drawn from the system's randomness (not :mod:`random`, which a lesson may seed) in
    :data:`SANDBOX_UIDS` (16 million values), so concurrent runs, even from different
    processes, practically never share one.  The gid is the same number.
    """
    if os.geteuid() != 0:
        return None
    uid = secrets.choice(SANDBOX_UIDS)
    return uid, uid


def private_dir(path: str | os.PathLike[str]) -> str:
    """Make a teacher-side directory (gradebook, sources, submissions) unreadable to the sandbox.

    Mode 0o700: only its owner can list it or reach anything below it.  Run this on the
    folders a server keeps, since a contained child can read whatever is world-readable.
    Returns the path, for chaining.
    """
    os.chmod(path, 0o700)
    return os.fspath(path)


@dataclass(frozen=True)
class Containment:
    """Which layers contain a child on this machine, as :func:`containment` finds them.

    ``namespaces``: bubblewrap runs it (:mod:`lessonkit.engine.bwrap`); ``own_uid``: it gets a
    fresh uid (only root can give one); resource limits always apply.  ``str()`` says it in
    the words a grading summary or a server's log uses.
    """

    namespaces: bool
    own_uid: bool

    def __str__(self) -> str:
        if self.namespaces:
            return "contained by bubblewrap, a uid of its own and rlimits" if self.own_uid else \
                "contained by bubblewrap and rlimits (not root: no uid of its own)"
        if self.own_uid:
            return ("contained by a uid of its own and rlimits (no usable bubblewrap: "
                    "world-readable files and the network are reachable)")
        return ("contained by rlimits only (not root and no usable bubblewrap: "
                "student code runs as this user, can read its files and reach the network)")


def containment() -> Containment:
    """The containment in force for children started now; a weaker one than the best is logged once."""
    layer = Containment(namespaces=bwrap.usable(), own_uid=os.geteuid() == 0)
    if not (layer.namespaces and layer.own_uid):
        _say_once(str(layer))
    return layer


@functools.cache
def _say_once(text: str) -> None:
    log.warning("untrusted code is %s; see docs/containment.md", text)


def run_python(
    source: str,
    *,
    stdin: str = "",
    files: Mapping[str, bytes] = {},
    limits: Limits = Limits(),
    env: Mapping[str, str] | None = None,
    channel: bool = False,
) -> RunResult:
    """Run ``source`` as a Python program, contained, and return how it ended.

    The program runs in a fresh temporary directory (its working directory, ``HOME`` and
    ``TMPDIR``; deleted afterwards) holding ``files`` (relative paths to contents), with
    ``stdin`` as its standard input.  The interpreter is this one, isolated: no
    site-packages (the standard library only: nothing installed for the teacher, lessonkit
    included, is importable), no user site, no ``PYTHON*`` variables from this process,
    and an environment of ``PATH``, ``HOME``, ``TMPDIR`` and a UTF-8 locale, plus ``env``;
    inside bubblewrap where it works (:func:`containment`), where the directory and the
    standard library are all it sees of the file system.

    stdout and stderr are read as they come and capped at ``limits.output_bytes`` each;
    past the cap, at the wall timeout, or when the program's own process exits, every
    process it started is killed, so nothing it forked outlives this call.

    With ``channel``, the program gets one more pipe, for results its prints cannot reach:
    its file descriptor number is ``sys.argv[1]``, and what it writes there is returned in
    :attr:`RunResult.channel` (capped like stdout).
    """
    if len(source.encode()) >= _ARG_MAX:
        raise ValueError(f"the program is longer than {_ARG_MAX // 1024} KiB")
    layer = containment()
    ids = sandbox_ids()
    workdir = tempfile.mkdtemp(prefix="lessonkit-run-")
    python = interpreter(packages=False, by_descriptor=ids is not None and not layer.namespaces)
    inherited = list(python.fds)  # descriptors the child gets; closed here once it has them
    results: int | None = None  # the read end of the results channel
    try:
        _populate(workdir, files, ids)
        child_env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": workdir,
            "TMPDIR": workdir,
            "LC_ALL": "C.UTF-8",
            "LANG": "C.UTF-8",
            **python.env,
            **(env or {}),
        }
        argv = [*python.argv, "-S", "-B", "-c", source]
        if channel:
            results, results_write = os.pipe()
            inherited.append(results_write)
            argv.append(str(results_write))
        if layer.namespaces:  # the uid is switched inside, once bubblewrap has made the view
            view = bwrap.View(read_only=python.binds, hidden=python.hidden, writable=(workdir,), cwd=workdir,
                              tmp_mb=limits.file_mb)
            argv = bwrap.command(view, argv, uid=ids)
            contain = limit_process(limits)
        else:
            contain = limit_process(limits, **({"uid": ids[0], "gid": ids[1]} if ids else {}))
        try:
            process = Popen(
                argv,
                executable=argv[0],
                stdin=PIPE,
                stdout=PIPE,
                stderr=PIPE,
                cwd=workdir,
                env=child_env,
                pass_fds=inherited,
                preexec_fn=contain,
                umask=0o077,
            )
        except (OSError, SubprocessError) as error:
            raise SandboxError(f"could not start the contained Python: {error}") from error
        finally:
            _close(inherited)  # the child has its own copies
        return _supervise(process, stdin, limits, ids, results, layer.namespaces)
    finally:
        _close(inherited)
        if results is not None:
            os.close(results)
        remove_workdir(workdir)


def _close(fds: list[int]) -> None:
    """Close and forget ``fds`` (safe to call twice: a closed number may be reused)."""
    while fds:
        os.close(fds.pop())


def _populate(workdir: str, files: Mapping[str, bytes], ids: tuple[int, int] | None) -> None:
    """Write ``files`` into the run's directory and hand it all to the child's uid."""
    root = os.path.realpath(workdir)
    for name, content in files.items():
        path = os.path.realpath(os.path.join(root, name))
        if not path.startswith(root + os.sep):
            raise ValueError(f"file {name!r} would be outside the run's directory")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(content)
    if ids is not None:
        for folder, dirs, names in os.walk(root):
            for name in [*dirs, *names]:
                os.chown(os.path.join(folder, name), *ids)
        os.chown(root, *ids)


def _supervise(
    process: Popen[bytes], stdin: str, limits: Limits, ids: tuple[int, int] | None, results: int | None,
    sandboxed: bool,
) -> RunResult:
    """Feed stdin, collect capped output, enforce the wall timeout, and always clean up.

    Whatever happens here (even an interrupt of the server's own thread), the child and
    everything it started are killed and reaped before this returns or raises.
    """
    started = time.monotonic()
    assert process.stdin and process.stdout and process.stderr
    stdout, stderr = bytearray(), bytearray()
    streams = {process.stdout.fileno(): stdout, process.stderr.fileno(): stderr}
    if results is not None:
        streams[results] = bytearray()
    status: _Status | None = None
    try:
        status, cut_short = _collect(process, stdin.encode(), streams, started + limits.timeout, limits, ids)
    finally:
        process.stdin.close()
        if status is None:
            _kill_group(process.pid)
            status = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status[1])
        if sandboxed:
            process.returncode = bwrap.exit_code(process.returncode)
        kill_all(process.pid, ids)
        process.stdout.close()
        process.stderr.close()
    rusage = status[2]
    returncode = process.returncode
    return RunResult(
        returncode=returncode,
        stdout=stdout.decode("utf-8", "replace"),
        stderr=stderr.decode("utf-8", "replace"),
        timed_out=cut_short == "timeout",
        killed_reason=cut_short
        or _why_it_died(returncode, bytes(stderr), rusage.ru_utime + rusage.ru_stime, limits),
        duration_s=time.monotonic() - started,
        channel=streams[results].decode("utf-8", "replace") if results is not None else "",
    )


def _collect(
    process: Popen[bytes],
    stdin: bytes,
    streams: dict[int, bytearray],
    deadline: float,
    limits: Limits,
    ids: tuple[int, int] | None,
) -> tuple[_Status | None, str | None]:
    """Pump the pipes until they close, the output cap or the deadline; return
    the child's wait status if it has ended, and why the run was cut short (or ``None``)."""
    assert process.stdin
    stdin_fd = process.stdin.fileno()
    pending = memoryview(stdin)
    status: _Status | None = None
    with selectors.DefaultSelector() as selector:
        for fd in streams:
            selector.register(fd, selectors.EVENT_READ)
        if pending:
            os.set_blocking(stdin_fd, False)
            selector.register(stdin_fd, selectors.EVENT_WRITE)
        else:
            process.stdin.close()
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return status, "timeout"
            for key, _ in selector.select(min(remaining, _POLL_S)):
                if key.fd == stdin_fd:
                    try:
                        pending = pending[os.write(stdin_fd, pending[:_READ_CHUNK]) :]
                    except BrokenPipeError:
                        pending = pending[:0]
                    if not pending:
                        selector.unregister(stdin_fd)
                        process.stdin.close()
                    continue
                data = os.read(key.fd, _READ_CHUNK)
                if not data:
                    selector.unregister(key.fd)
                    continue
                buffer = streams[key.fd]
                buffer += data
                if len(buffer) > limits.output_bytes:
                    del buffer[limits.output_bytes :]
                    return status, "output"
            if status is None:
                status = _poll(process.pid)
                if status is not None and selector.get_map():
                    # Its own process is gone, but something it started holds the pipes open.
                    kill_all(process.pid, ids)
    return status, None


def _poll(pid: int) -> _Status | None:
    """The child's ``wait4`` status if it has ended (its CPU time tells a CPU-limit kill), else ``None``."""
    ended = os.wait4(pid, os.WNOHANG)
    return ended if ended[0] else None


def kill_all(pid: int, ids: tuple[int, int] | None) -> None:
    """Kill the child's process group, and with a uid of its own, every process of that uid.

    Killing by uid reaches what left the process group (``setsid``) too: a short-lived
    helper takes the uid and signals everything it may (``kill(-1)``).  One sweep is
    enough (a process being killed cannot finish a fork); a second catches stragglers.
    Zombies stay signalable, so the sweep does not wait for "nothing left".
    """
    _kill_group(pid)
    if ids is None:
        return
    helper = os.fork()
    if helper == 0:  # only system calls here: the parent may have threads
        try:
            os.setgroups([])
            os.setgid(ids[1])
            os.setuid(ids[0])
            for _ in range(2):
                os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        except BaseException:
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(helper, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SandboxError(f"could not kill the processes of sandbox uid {ids[0]}")


def _kill_group(pid: int) -> None:
    """Kill the session the child leads (its process group has the child's pid)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # already gone


def _why_it_died(returncode: int, stderr: bytes, cpu_s: float, limits: Limits) -> str | None:
    """Name the limit a child that ended by itself ran into, if any.

    ``"memory"`` is read from a final ``MemoryError`` on stderr: a child could fake it,
    but only to mislabel its own failure.
    """
    if returncode == -signal.SIGXCPU or (returncode == -signal.SIGKILL and cpu_s >= limits.cpu_seconds):
        return "cpu"
    if returncode < 0:
        return f"signal {-returncode}"
    last_line = stderr.rstrip().rsplit(b"\n", 1)[-1]
    if returncode != 0 and last_line.startswith(b"MemoryError"):
        return "memory"
    return None


def remove_workdir(workdir: str) -> None:
    """Delete the run's directory, even parts the child made unreadable (``chmod 000``)."""

    def unlock_and_retry(function: Callable[[str], object], path: str, _: object) -> None:
        parent = os.path.dirname(path)
        os.chmod(parent, stat.S_IRWXU)
        if os.path.isdir(path) and not os.path.islink(path):
            os.chmod(path, stat.S_IRWXU)
        function(path)

    try:
        shutil.rmtree(workdir, onerror=unlock_and_retry)
    except OSError as error:
        if error.errno != errno.ENOENT:
            raise
