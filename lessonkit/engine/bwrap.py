"""The namespace layer of containment: contained children run inside bubblewrap (architecture §6).

Resource limits and a uid of its own (:mod:`lessonkit.engine.sandbox`) stop a child from
exhausting the machine and from touching files it has no permission for; they do not hide
what is world-readable (the course, the repository, other users' homes), the network, or
other processes.  Linux namespaces do, and `bubblewrap <https://github.com/containers/bubblewrap>`_
(``bwrap``, what Flatpak uses) is the maintained tool that sets them up, so lessonkit builds
a ``bwrap`` command line rather than mounting things itself.  Inside, a child has:

* a root of bubblewrap's own holding only what Python needs, read-only (:class:`View`): the
  system's ``/usr`` and libraries, a few files of ``/etc``, and the interpreter's own
  folders; nothing else of the machine's file system exists there;
* its working directory, writable, and a private ``/tmp`` and ``/dev/shm`` (tmpfs, capped
  at ``View.tmp_mb`` where bubblewrap supports ``--size``) that vanish with the run;
* new IPC, PID, UTS, cgroup and network namespaces (no interface but a loopback of its own),
  a new session (no typing into the grader's terminal), ``no_new_privs``, and death with its
  parent: when the outermost ``bwrap`` is killed, so is every process inside.

As root, bubblewrap runs without a user namespace, so that the uid switch of the layer
below still works inside (the sandbox ids are not mapped into an unprivileged one): a
run's child is switched by ``setpriv`` (util-linux) as it starts, the kernel zygote keeps
the capabilities its forks need to make their own mounts and switch uid.  As another user,
bubblewrap makes an unprivileged user namespace, which this machine's kernel must allow.

The second half of this module runs in forked kernels, system calls only: :func:`private_view`
gives one kernel a mount namespace in which the other kernels' homes do not exist.
"""

from __future__ import annotations

import ctypes
import functools
import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass

MB = 1 << 20
SYSTEM = ("/usr",)
"""Read-only in every sandbox: the programs and libraries of the operating system."""
ROOT_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
"""Usually symlinks into ``/usr`` (a merged ``/usr``), recreated as such; bound where they are folders."""
ETC = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime", "/etc/nsswitch.conf")
"""The only files of ``/etc`` inside: the loader's cache and the time zone (no accounts, no secrets)."""

_CLONE_NEWNS = 0x00020000
_CLONE_NEWIPC = 0x08000000
_CLONE_NEWNET = 0x40000000
_MS_NOSUID, _MS_NODEV, _MS_BIND, _MS_REC, _MS_PRIVATE = 2, 4, 4096, 16384, 1 << 18
_CAPABILITY_V3 = 0x20080522
_PROBE_TIMEOUT_S = 10.0
_PID_LOOKUPS = 200  # a forked kernel shows up in /proc at once; this only bounds a bug


@dataclass(frozen=True)
class View:
    """What of the machine a sandboxed child sees, besides the system (:data:`SYSTEM`).

    ``read_only`` and ``writable`` are bound at their own paths, so every path the child is
    given means the same inside; ``hidden`` are folders inside a read-only one that appear
    empty (site-packages beside the standard library).  ``keep_capabilities`` is for the
    kernel zygote only: its forks need them to make their own view and switch uid, and drop
    them before running anything else.
    """

    read_only: tuple[str, ...] = ()
    writable: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()
    cwd: str = "/"
    tmp_mb: int = 16
    network: bool = False
    keep_capabilities: bool = False


def usable() -> bool:
    """Whether bubblewrap is installed and can make its namespaces here (checked once).

    Containers often forbid the namespaces (``bwrap: No permissions to create new
    namespace``), and a root server needs ``setpriv`` as well: in either case the sandbox
    falls back to the layer below, which :func:`lessonkit.engine.sandbox.containment` reports.
    """
    return _probe() is not None


def tmp_capped() -> bool:
    """Whether ``/tmp`` inside is size-capped (``bwrap --size``, bubblewrap 0.8 and later)."""
    return _probe() == "size"


@functools.cache
def _probe() -> str | None:
    if shutil.which("bwrap") is None or (os.geteuid() == 0 and shutil.which("setpriv") is None):
        return None
    for variant in ("size", "plain"):
        argv = command(View(), ["true"], uid=(65534, 65534) if os.geteuid() == 0 else None,
                       tmp_size=variant == "size")
        try:
            done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=_PROBE_TIMEOUT_S)
        except (OSError, subprocess.SubprocessError):
            return None
        if done.returncode == 0:
            return variant
    return None


def command(view: View, argv: Sequence[str], *, uid: tuple[int, int] | None = None,
            tmp_size: bool | None = None) -> list[str]:
    """The ``bwrap`` command that runs ``argv`` in ``view``; with ``uid``, as that uid and gid (root only)."""
    sized = tmp_capped() if tmp_size is None else tmp_size
    size = ["--size", str(view.tmp_mb * MB)] if sized else []
    args = [shutil.which("bwrap") or "bwrap", "--die-with-parent", "--new-session",
            "--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try"]
    if os.geteuid() != 0:
        args.append("--unshare-user")
    if not view.network:
        args.append("--unshare-net")
    if view.keep_capabilities:
        args += ["--cap-add", "ALL"]
    for path in SYSTEM:
        args += ["--ro-bind", path, path]
    for path in ROOT_LINKS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in ETC:
        args += ["--ro-bind-try", path, path]
    shared = ["--perms", "1777", *size]  # like the machine's: anyone may write, only the owner remove
    args += ["--proc", "/proc", "--dev", "/dev", *shared, "--tmpfs", "/tmp", *shared, "--tmpfs", "/dev/shm"]
    read_only = _outermost(view.read_only)
    for path in _parents([*read_only, *view.writable]):
        args += ["--perms", "0755", "--dir", path]
    for path in read_only:
        args += ["--ro-bind", path, path]
    for path in view.hidden:
        args += ["--tmpfs", path]
    for path in view.writable:
        args += ["--bind", path, path]
    args += ["--chdir", view.cwd, "--"]
    if uid is not None:
        args += [shutil.which("setpriv") or "setpriv", f"--reuid={uid[0]}", f"--regid={uid[1]}", "--clear-groups",
                 "--inh-caps=-all", "--bounding-set=-all", "--"]
    return [*args, *argv]


def _outermost(paths: Sequence[str]) -> list[str]:
    """``paths`` that exist, without those inside another one (or the system's) already bound."""
    kept: list[str] = []
    for path in sorted({os.path.abspath(p) for p in paths if os.path.exists(p)}):
        if not any(path == done or path.startswith(done.rstrip("/") + "/") for done in [*SYSTEM, *kept]):
            kept.append(path)
    return kept


def _parents(paths: Sequence[str]) -> list[str]:
    """The folders above ``paths`` that bubblewrap must create, made passable.

    Left to itself it copies their modes from the machine, so the ``0700`` of ``/root``
    would keep a child with a uid of its own from the interpreter bound below it.
    """
    made = {"/", "/tmp", "/dev", "/proc", *SYSTEM, *ROOT_LINKS}
    parents: list[str] = []
    for path in paths:
        parent = os.path.dirname(path)
        above: list[str] = []
        while parent not in made and not any(parent.startswith(bound + "/") for bound in paths if bound != path):
            above.append(parent)
            parent = os.path.dirname(parent)
        for folder in reversed(above):
            made.add(folder)
            parents.append(folder)
    return parents


def exit_code(code: int) -> int:
    """A sandboxed child's exit status as :mod:`subprocess` gives it: negative for a signal.

    bubblewrap exits with the child's code, or like a shell, ``128 + N`` when signal ``N``
    killed it.  A child could exit with such a number itself, but only to mislabel its own end.
    """
    return -(code - 128) if 128 < code < 128 + 65 else code


def host_pid(ancestor: int, pid: int) -> int:
    """The pid in this process's namespace of the descendant of ``ancestor`` that is ``pid`` inside its own.

    A sandbox has a PID namespace of its own, so what its processes say about their pids
    (the zygote reporting a kernel it forked) means nothing outside; ``/proc/N/status``
    lists a process's pid in every namespace it is in, this one's first.
    """
    for _ in range(_PID_LOOKUPS):
        frontier = [ancestor]
        while frontier:
            found = [child for parent in frontier for child in _children(parent)]
            for child in found:
                if _namespaced_pids(child)[-1:] == [pid]:
                    return child
            frontier = found
        time.sleep(0.001)
    raise LookupError(f"no descendant of process {ancestor} has pid {pid} in its namespace")


def _children(pid: int) -> list[int]:
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except (FileNotFoundError, ProcessLookupError):  # the process ended while we looked
        return []
    found = []
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.extend(int(child) for child in handle.read().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def _namespaced_pids(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("NSpid:"):
                    return [int(n) for n in line.split()[1:]]
    except (FileNotFoundError, ProcessLookupError):  # ESRCH: it ended between open and read
        pass
    return []


# --- in a forked kernel: system calls only ------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(source: str, target: str, fstype: str | None, flags: int, options: str | None = None) -> None:
    _check(_libc.mount(source.encode(), target.encode(), fstype.encode() if fstype else None, flags,
                       options.encode() if options else None), f"mount {target}")


def private_view(home: str, *, shown: Sequence[str], tmp_mb: int, new_network: bool) -> None:
    """Give this forked kernel a view of its own inside the zygote's sandbox.

    The zygote's sandbox holds the homes of all its kernels (one folder, bound writable), so
    each kernel, before it runs anything, moves into a mount namespace of its own and mounts
    fresh tmpfs over ``/tmp``, ``/dev/shm`` and that folder, then binds back its own ``home``
    and what of the installation lived below them (``shown``: a virtual environment in
    ``/tmp``, :func:`below_private_mounts`): the other kernels' homes, and whatever they leave
    in ``/tmp``, do not exist for it.  The mounts are locked into the namespace: a kernel
    cannot unmount them to look underneath, even from a user namespace of its own.  New IPC
    (and with ``new_network``, network) namespaces keep kernels from talking through
    System V memory or the loopback.
    """
    flags = _CLONE_NEWNS | _CLONE_NEWIPC | (_CLONE_NEWNET if new_network else 0)
    _check(_libc.unshare(flags), "unshare")
    _mount("none", "/", None, _MS_REC | _MS_PRIVATE)  # nothing mounted here reaches the zygote
    os.umask(0o022)  # the folders made below must be passable by the kernel's uid
    kept = {path: os.open(path, os.O_PATH) for path in [home, *shown]}
    try:
        for place, mode in (("/tmp", "1777"), ("/dev/shm", "1777"), (os.path.dirname(home), "0711")):
            os.makedirs(place, exist_ok=True)
            _mount("tmpfs", place, "tmpfs", _MS_NOSUID | _MS_NODEV, f"size={tmp_mb}m,mode={mode}")
        for path, fd in kept.items():  # bound from the descriptor: the path itself is covered now
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if os.path.isdir(f"/proc/self/fd/{fd}"):
                os.mkdir(path)
            else:
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))
            _mount(f"/proc/self/fd/{fd}", path, None, _MS_BIND | _MS_REC)
    finally:
        for fd in kept.values():
            os.close(fd)


def below_private_mounts(view: View, folder: str) -> tuple[str, ...]:
    """What :func:`private_view` must bind back: the read-only paths of ``view`` under its fresh mounts."""
    places = ("/tmp", "/dev/shm", folder)
    return tuple(p for p in _outermost(view.read_only) if any(p.startswith(place + "/") for place in places))


def clear_capabilities() -> None:
    """Drop every capability this process holds (those ``View.keep_capabilities`` kept)."""
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(_CapHeader(_CAPABILITY_V3, 0)), data), "capset")
