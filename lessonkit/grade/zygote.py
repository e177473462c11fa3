"""The kernel zygote: one process that has imported ipykernel and forks contained kernels.

Starting a kernel is mostly importing IPython and ipykernel (architecture §8: 0.8 s of nbgrader's
1.3 s per notebook), the same work for every notebook.  The zygote does it once; each kernel
is then a ``fork`` of it that contains itself (the limits, uid and network namespace of
:mod:`lessonkit.grade.kernels`) and starts the kernel application, a fresh process and a
fresh kernel for every notebook, at about half the cost.

The grader runs this file's source in a fresh, isolated interpreter (``python -I -c SOURCE
PATH PRELOAD``, inside bubblewrap where it works: :mod:`lessonkit.engine.bwrap`), whose import path is
``PATH`` (JSON), the environment's as :func:`lessonkit.engine.interpreter.interpreter` gives
it: the zygote finds lessonkit and ipykernel where the grader does, whatever was on the
grader's ``PYTHONPATH``.  It imports no more than that before it forks, and the modules named
by ``PRELOAD`` (JSON, a list: what every notebook of the assignment imports, such as a lesson's
widgets; :data:`lessonkit.grade.kernels.LESSON_IMPORTS`), so the kernels carry nothing of the
grader, and compiles the test guard once, which each kernel installs before it answers its
first request.  It talks to the grader in JSON lines: on its stdin, a request per
kernel; on its stdout, ``{"ready": pid}`` once, ``{"id": ..., "pid": ...}`` for each kernel
forked and ``{"exited": pid, "code": ...}`` (``subprocess``'s convention: negative for a signal)
when one ends; pids as the zygote sees them, in its sandbox's PID namespace.  It exits when
its stdin closes.
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import os
import select
import signal
import sys
import traceback
from types import CodeType
from typing import Any

CLONE_NEWNET = 0x40000000


def unshare_network() -> None:
    """Move this process into a network namespace of its own (root only): no interface is up."""
    if ctypes.CDLL(None, use_errno=True).unshare(CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET)")


def serve(requests: int, replies: int, preload: list[str]) -> None:  # pragma: no cover  (runs in the zygote)
    """Fork a kernel for every request read from ``requests``, until it closes; ``preload``,
    modules every kernel would import, imported once here instead."""
    import ipykernel.debugger  # noqa: F401  (what every kernel imports: done once, here)
    import ipykernel.ipkernel  # noqa: F401
    import ipykernel.kernelapp  # noqa: F401

    import lessonkit.engine.sandbox  # noqa: F401  (what every kernel contains itself with)

    for name in preload:
        importlib.import_module(name)

    guard = _guard_code()

    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # wake the select below when a kernel ends
    _reply(replies, {"ready": os.getpid()})
    pending = b""
    while True:
        ready, _, _ = select.select([requests, wake_read], [], [])
        if wake_read in ready:
            os.read(wake_read, 4096)
            _reap(replies)
        if requests in ready:
            data = os.read(requests, 1 << 16)
            if not data:
                return
            pending += data
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                request = json.loads(line)
                pid = os.fork()
                if pid == 0:
                    _become_kernel(request, guard, (wake_read, wake_write))
                _reply(replies, {"id": request["id"], "pid": pid})


def _guard_code() -> CodeType:
    """:mod:`lessonkit.engine.guard`, compiled once here rather than in every kernel, and not
    imported: a module in ``sys.modules`` would be one more thing for student code to patch."""
    spec = importlib.util.find_spec("lessonkit.engine.guard")
    assert spec is not None and spec.origin is not None
    with open(spec.origin, encoding="utf-8") as handle:
        return compile(handle.read(), "<string>", "exec")


def _become_kernel(request: dict[str, Any], guard: CodeType,
                   wake_fds: tuple[int, ...]) -> None:  # pragma: no cover  (in a kernel)
    """In the forked child: contain this process, then run the kernel in it; never returns.

    Its stdin becomes ``/dev/null`` and its stdout and stderr the kernel's log, in place of
    the zygote's request and reply pipes.  In a sandbox, ``request["private"]`` names the
    kernel's home, the only one of the pool's homes it keeps in view
    (:func:`lessonkit.engine.bwrap.private_view`); it drops the capabilities the zygote kept
    for this once its view and uid are set.  With ``request["guard"]`` (a module name), the test
    guard is installed before the kernel answers its first request, so before any student code.
    """
    from lessonkit.engine import bwrap
    from lessonkit.engine.sandbox import Limits, limit_process

    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDONLY)
        log = os.open(request["log"], os.O_WRONLY | os.O_APPEND)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        for fd in {null, log, *wake_fds} - {0, 1, 2}:
            os.close(fd)
        os.environ.clear()
        os.environ.update(request["env"], JPY_PARENT_PID=str(os.getppid()))  # ends with the zygote
        private = request["private"]
        if private is not None:
            bwrap.private_view(private["home"], shown=private["shown"], tmp_mb=private["tmp_mb"],
                               new_network=request["isolate_network"])
        elif request["isolate_network"]:
            unshare_network()
        os.chdir(request["cwd"])
        os.umask(0o077)
        ids = request["ids"]
        limit_process(Limits(**request["limits"]), **({"uid": ids[0], "gid": ids[1]} if ids else {}))()
        if private is not None:
            bwrap.clear_capabilities()
        from ipykernel.kernelapp import IPKernelApp

        app = IPKernelApp.instance()
        app.initialize(["-f", request["connection_file"], *request["arguments"]])
        widgets = sys.modules.get("ipywidgets")
        if widgets is not None:  # preloaded: what importing it in this kernel would have done
            widgets.register_comm_target()
        if request["guard"] is not None:
            _install_guard(app.kernel, guard, request["guard"])
        app.start()
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _install_guard(kernel: Any, guard: CodeType, name: str) -> None:  # pragma: no cover  (in a kernel)
    """:func:`lessonkit.engine.guard.install` in the state of an execute request (what the guard
    snapshots must be what a test cell runs with): the shell's builtins (``get_ipython``) and
    ipykernel's ``input``, both bound to the kernel for each request, in place."""
    kernel._forward_input(False)
    try:
        with kernel.shell.builtin_trap:
            namespace: dict[str, Any] = {}
            exec(guard, namespace)
            namespace["install"](name)
    finally:
        kernel._restore_input()


def _reap(replies: int) -> None:  # pragma: no cover  (runs in the zygote)
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _reply(replies, {"exited": pid, "code": os.waitstatus_to_exitcode(status)})


def _reply(replies: int, message: dict[str, Any]) -> None:  # pragma: no cover  (runs in the zygote)
    data = (json.dumps(message) + "\n").encode()
    while data:
        data = data[os.write(replies, data):]


if __name__ == "__main__":  # the zygote's entry point (python -I -c <this file> <import path> <preload>)
    sys.path[:] = json.loads(sys.argv[1])
    serve(sys.stdin.fileno(), sys.stdout.fileno(), json.loads(sys.argv[2]))
