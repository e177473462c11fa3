"""Containment of untrusted code: limits, clean-up, and what the child can reach.

What the child can reach is tested in each layer this machine can run: bubblewrap (the
namespace layer, :mod:`lessonkit.engine.bwrap`) and the uid-switch fallback used where
bubblewrap is missing (forced here by making it unusable).  Tests of what only root can do
fail, saying so, when the suite runs as another user: never a green skip.

Fork-bomb and grandchild tests are bounded (at most 200 forks, children that sleep and
are killed by the sandbox's clean-up), because this suite runs on a shared 2-core machine.
"""

from __future__ import annotations

import logging
import os
import random
import resource
import secrets
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
from jupyter_core.utils import run_sync
from system import bubblewrap

from lessonkit.engine import bwrap
from lessonkit.engine.sandbox import (
    SANDBOX_UIDS,
    Containment,
    Limits,
    containment,
    limit_process,
    private_dir,
    run_python,
    sandbox_ids,
)
from lessonkit.grade.course import Course
from lessonkit.grade.kernels import KernelPool, KernelSettings

REPO = Path(__file__).resolve().parents[1]
FAST = Limits(timeout=5)


@pytest.fixture
def root():
    """For tests of what only root can do: where the suite does not run as root they fail, saying so."""
    if os.geteuid() != 0:
        pytest.fail("this test checks the uid switch, which only root can make: run the suite as root "
                    "(as CI does, .ci/run), e.g. `sudo python -m pytest tests/test_sandbox.py`")


as_root = pytest.mark.usefixtures("root")


@pytest.fixture(params=["bubblewrap", "uid switch"])
def layer(request, monkeypatch):
    """Each containment layer in turn: bubblewrap, then the fallback without it."""
    if request.param == "bubblewrap":
        bubblewrap()
    else:
        monkeypatch.setattr(bwrap, "usable", lambda: False)
    return request.param


def marked(text: str) -> tuple[str, str]:
    """``text`` with a token of its own, so its processes can be found by their command line."""
    token = f"lk{secrets.token_hex(6)}"
    return f"# {token}\n{text}", token


def processes_with(token: str) -> list[int]:
    """Live processes whose command line holds ``token`` (a run's program, whatever pid namespace it has)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and token.encode() in (entry / "cmdline").read_bytes() and alive(int(entry.name)):
                found.append(int(entry.name))
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def program(text: str) -> str:
    return textwrap.dedent(text).strip() + "\n"


def tempfile_dir() -> str:
    """A root-owned folder outside pytest's private tmp_path, like a course folder."""
    return tempfile.mkdtemp(prefix="lessonkit-teacher-")


def alive(pid: int) -> bool:
    """True if ``pid`` is a running process (a zombie waiting for init counts as dead)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    state = next(line for line in status.splitlines() if line.startswith("State:"))
    return "Z" not in state.split()[1]


def processes_of(uid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            uid_line = next(line for line in (entry / "status").read_text().splitlines() if line.startswith("Uid:"))
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
        if int(uid_line.split()[1]) == uid and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


# --- ordinary runs ----------------------------------------------------------------------


def test_output_stdin_files_and_exit_code():
    result = run_python(
        program(
            """
            import sys
            name = input()
            print("hello", name)
            print(open("data/numbers.txt").read().split(), file=sys.stderr)
            """
        ),
        stdin="Ada\n",
        files={"data/numbers.txt": b"1 2 3"},
        limits=FAST,
    )
    assert result.returncode == 0
    assert result.stdout == "hello Ada\n"
    assert result.stderr == "['1', '2', '3']\n"
    assert not result.timed_out and result.killed_reason is None
    assert 0 < result.duration_s < 5


def test_large_stdin_is_fed_without_deadlock():
    text = "x" * 3_000_000
    result = run_python("import sys; print(len(sys.stdin.read()))", stdin=text, limits=FAST)
    assert result.stdout == "3000000\n"


def test_os_exit_code_is_reported_and_not_a_kill():
    result = run_python("import os; print('bye', flush=True); os._exit(3)", limits=FAST)
    assert (result.returncode, result.stdout, result.killed_reason) == (3, "bye\n", None)


@pytest.mark.parametrize("call, code, stderr", [("sys.exit()", 0, ""), ("sys.exit(4)", 4, ""), ("sys.exit('no')", 1, "no\n")])
def test_sys_exit(call, code, stderr):
    result = run_python(f"import sys; {call}", limits=FAST)
    assert (result.returncode, result.stderr, result.killed_reason) == (code, stderr, None)


def test_student_files_cannot_escape_the_run_directory():
    with pytest.raises(ValueError, match="outside"):
        run_python("pass", files={"../escape.py": b""})


def test_the_run_directory_is_private_fresh_and_deleted_even_if_made_unreadable():
    result = run_python(
        program(
            """
            import os
            print(os.getcwd(), os.environ["HOME"], os.environ["TMPDIR"], sorted(os.listdir()))
            os.makedirs("locked/inner")
            open("locked/inner/f", "w").write("x")
            os.chmod("locked/inner", 0)
            os.chmod("locked", 0)
            """
        ),
        files={"a.txt": b""},
        limits=FAST,
    )
    cwd, home, tmp, listing = result.stdout.split(" ", 3)
    assert cwd == home == tmp and listing.strip() == "['a.txt']"
    assert result.returncode == 0
    assert not os.path.exists(cwd)


def test_environment_is_minimal_and_holds_no_secrets(monkeypatch):
    monkeypatch.setenv("LESSONKIT_SECRET_KEY", "s3cret")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cret")
    monkeypatch.setenv("PYTHONPATH", "/work/main")
    result = run_python("import os, sys; print(sorted(os.environ)); print(sys.flags.no_user_site, 'site' in sys.modules)", env={"LESSON": "fractions"}, limits=FAST)
    names, flags = result.stdout.splitlines()
    # PWD: bubblewrap sets it to the working directory it enters
    assert set(eval(names)) <= {"PATH", "HOME", "TMPDIR", "LC_ALL", "LANG", "PYTHONHOME", "LD_LIBRARY_PATH", "LESSON", "PWD"}
    assert "s3cret" not in result.stdout
    assert flags == "1 False"  # no user site, no site-packages at all


def test_the_child_runs_this_very_python():
    """Not, say, the system's libpython under this interpreter's standard library."""
    result = run_python("import sys; print(sys.version)", limits=FAST)
    assert result.stdout == sys.version + "\n"


def test_lessonkit_is_not_importable():
    result = run_python("import lessonkit", limits=FAST)
    assert "ModuleNotFoundError" in result.stderr


def test_results_channel_cannot_be_reached_by_prints():
    result = run_python(
        "import os, sys; print('PASS'); os.write(int(sys.argv[1]), b'{\"ok\": 1}')", channel=True, limits=FAST
    )
    assert result.channel == '{"ok": 1}'
    assert result.stdout == "PASS\n"


# --- limits -----------------------------------------------------------------------------


def test_infinite_loop_is_killed_at_the_wall_timeout():
    result = run_python("while True: pass", limits=Limits(timeout=1))
    assert result.timed_out and result.killed_reason == "timeout"
    assert result.returncode == -9
    assert 1 <= result.duration_s < 2


def test_sleeping_child_is_killed_at_the_wall_timeout():
    result = run_python("import time; time.sleep(60)", limits=Limits(timeout=0.5))
    assert result.killed_reason == "timeout" and result.duration_s < 1.5


def test_cpu_limit():
    result = run_python("while True: pass", limits=Limits(timeout=8, cpu_seconds=1))
    assert result.killed_reason == "cpu" and not result.timed_out  # one CPU second, on a shared machine
    assert result.duration_s < 8


def test_memory_bomb_is_stopped_and_reported():
    result = run_python(
        "chunks = []\nwhile True: chunks.append(bytearray(10**7))", limits=Limits(timeout=10, memory_mb=256)
    )
    assert result.killed_reason == "memory"
    assert result.returncode == 1
    assert result.duration_s < 5


def test_megabytes_of_output_are_capped_and_the_child_killed():
    result = run_python("while True: print('x' * 10000)", limits=Limits(timeout=10, output_bytes=100_000))
    assert result.killed_reason == "output"
    assert len(result.stdout) == 100_000
    assert result.duration_s < 2


def test_stderr_is_capped_too():
    result = run_python("import sys\nwhile True: sys.stderr.write('e' * 10000)", limits=Limits(output_bytes=50_000))
    assert result.killed_reason == "output" and len(result.stderr) == 50_000


def test_file_size_limit():
    result = run_python(
        program(
            """
            try:
                open("big", "wb").write(b"x" * (3 << 20))
            except OSError as error:
                print(error.errno)
            """
        ),
        limits=Limits(file_mb=1),
    )
    assert result.stdout == "27\n"  # EFBIG


def test_limit_process_applies_limits_and_a_new_session():
    limits = Limits(cpu_seconds=7, memory_mb=300, processes=20, file_mb=3)
    script = (
        "import os, resource as r; print(os.getsid(0) == os.getpid(), "
        "[r.getrlimit(x) for x in (r.RLIMIT_CPU, r.RLIMIT_AS, r.RLIMIT_NPROC, r.RLIMIT_FSIZE, r.RLIMIT_CORE)])"
    )
    for new_session in (False, True):  # jupyter_client starts kernels with start_new_session=True
        out = subprocess.run(
            [sys.executable, "-c", script],
            preexec_fn=limit_process(limits),
            start_new_session=new_session,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        mb = 1 << 20
        assert out.strip() == f"True {[(7, 8), (300 * mb, 300 * mb), (20, 20), (3 * mb, 3 * mb), (0, 0)]}"


# --- what the child can reach (root: a uid of its own; bubblewrap: a view of its own) ----


@as_root
def test_child_runs_as_a_fresh_unprivileged_uid(layer):
    first = run_python("import os; print(os.getuid(), os.getgid(), os.getgroups())", limits=FAST)
    second = run_python("import os; print(os.getuid())", limits=FAST)
    uid, gid, groups = first.stdout.split(" ", 2)
    assert int(uid) in SANDBOX_UIDS and gid == uid and groups.strip() == "[]"
    assert second.stdout.split()[0] != uid
    assert sandbox_ids() != sandbox_ids()
    random.seed(7)  # a lesson seeding random (variants) must not make runs share a uid
    first_ids = sandbox_ids()
    random.seed(7)
    assert sandbox_ids() != first_ids


@as_root
def test_cannot_read_shadow_or_a_private_teacher_dir(layer):
    teacher = Path(tempfile_dir())
    try:
        (teacher / "gradebook.db").write_text("secret grades")
        os.chmod(teacher / "gradebook.db", 0o644)
        os.chmod(teacher, 0o755)
        reader = f"print(open({str(teacher / 'gradebook.db')!r}).read())"
        before = run_python(reader, limits=FAST)
        if layer == "bubblewrap":  # not there at all, readable or not
            assert "FileNotFoundError" in before.stderr and before.stdout == ""
        else:
            assert before.stdout == "secret grades\n"  # reachable before...
        private_dir(teacher)
        assert oct(teacher.stat().st_mode & 0o777) == "0o700"
        result = run_python(reader, limits=FAST)
        assert "Error" in result.stderr and "secret" not in result.stdout  # ...not after
    finally:
        subprocess.run(["rm", "-rf", str(teacher)], check=True)
    shadow = run_python("print(open('/etc/shadow').read())", limits=FAST)
    assert "Error" in shadow.stderr and shadow.stdout == ""
    root_home = run_python("import os; print(os.listdir(os.path.expanduser('~root')))", limits=FAST)
    if layer == "bubblewrap":  # only the folders bubblewrap made to reach the interpreter, if it lives there
        assert set(eval(root_home.stdout or "[]")) <= {".pyenv"}, root_home
    else:
        assert "PermissionError" in root_home.stderr


@as_root
def test_cannot_write_outside_its_directory(layer, monkeypatch):
    shared = Path(tempfile_dir())
    try:
        os.chmod(shared, 0o755)  # like a course folder: readable by all, writable by its owner
        monkeypatch.chdir(shared)
        result = run_python(
            program(
                f"""
                import os
                for path in ({str(shared / 'pwned')!r}, "/etc/pwned", "/usr/pwned"):
                    try:
                        open(path, "w").write("x")
                        print("wrote", path)
                    except OSError as error:
                        print(type(error).__name__)
                open("mine.txt", "w").write("fine")
                print(open("mine.txt").read())
                """
            ),
            limits=FAST,
        )
        expected = ["FileNotFoundError", "PermissionError", "OSError"] if layer == "bubblewrap" else \
            ["PermissionError"] * 3  # bubblewrap: the course is not there, its /etc is root's, /usr read-only
        assert result.stdout.split() == expected + ["fine"]
        assert not (shared / "pwned").exists()
    finally:
        subprocess.run(["rm", "-rf", str(shared)], check=True)


@as_root
def test_bounded_fork_bomb_is_contained_and_cleaned_up(layer):
    result = run_python(
        program(
            """
            import os, time
            started = failed = 0
            for _ in range(200):
                try:
                    pid = os.fork()
                except OSError:
                    failed += 1
                    continue
                if pid == 0:
                    time.sleep(60)
                    os._exit(0)
                started += 1
            print(os.getuid(), started, failed, flush=True)
            """
        ),
        limits=Limits(timeout=10, processes=16),
    )
    uid, started, failed = map(int, result.stdout.split())
    assert started < 16 and failed >= 185
    assert result.returncode == 0 and result.duration_s < 5
    assert processes_of(uid) == []


@as_root
def test_grandchildren_do_not_outlive_the_run_even_in_their_own_session(layer):
    source, token = marked(
        program(
            """
            import os, time
            for escape in (False, True):
                pid = os.fork()
                if pid == 0:
                    if escape:
                        os.setsid()
                    time.sleep(60)  # holds stdout open
                    os._exit(0)
                print(pid, flush=True)
            print(os.getuid(), flush=True)
            """
        )
    )
    result = run_python(source, limits=Limits(timeout=20))
    *_, uid = map(int, result.stdout.split())
    assert result.duration_s < 2  # the run ends when its own process does, not at the timeout
    assert result.killed_reason is None
    assert processes_with(token) == []
    assert processes_of(uid) == []


def test_detached_grandchild_that_closed_its_pipes_is_killed_too():
    source, token = marked(
        program(
            """
            import os, sys, time
            pid = os.fork()
            if pid == 0:
                os.setsid()
                devnull = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(devnull, fd)
                time.sleep(60)
                os._exit(0)
            print(pid)
            """
        )
    )
    run_python(source, limits=FAST)
    left = processes_with(token)
    if containment().namespaces or os.geteuid() == 0:  # its PID namespace died with it, or its uid was swept
        assert left == []
    else:  # documented: without either, a grandchild in its own session escapes
        for pid in left:
            os.kill(pid, 9)


# --- bubblewrap: the repository, other students, the network, /tmp ------------------------


def test_inside_bubblewrap_nothing_of_the_machine_is_reachable():
    """A check's child sees no lessons, no other student's folder, no network, no other process."""
    bubblewrap()
    other_student = Path(tempfile_dir())
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        os.chmod(other_student, 0o755)
        (other_student / "answers.py").write_text("secret = 42")
        os.chmod(other_student / "answers.py", 0o644)
        assert list(REPO.glob("lessons/*/*.ipynb"))  # there to be found, outside
        probe = program(
            f"""
            import glob, os, socket
            print(glob.glob({str(REPO / 'lessons')!r} + "/*/*.ipynb"), os.path.exists({str(REPO)!r} + "/lessons"))
            try:
                print(open({str(other_student / 'answers.py')!r}).read())
            except OSError as error:
                print(type(error).__name__)
            try:
                socket.create_connection(("127.0.0.1", {listener.getsockname()[1]}), timeout=2)
                print("connected")
            except OSError as error:
                print(type(error).__name__)
            print(len([p for p in os.listdir("/proc") if p.isdigit()]))
            open("/tmp/left-behind", "w").write("x")
            print(os.listdir("/tmp"))
            """
        )
        result = run_python(probe, limits=FAST)
        lessons, student, network, processes, tmp = result.stdout.splitlines()
        assert lessons == "[] False"
        assert student == "FileNotFoundError"
        assert network in {"ConnectionRefusedError", "OSError"}  # a loopback of its own, nothing listens
        assert int(processes) <= 3  # bubblewrap's init, the child, and no one else
        assert "left-behind" in tmp
        assert not os.path.exists("/tmp/left-behind")
        again = run_python("import os; print(os.listdir('/tmp'))", limits=FAST)
        assert "left-behind" not in again.stdout  # each run's /tmp is its own and gone after it
    finally:
        listener.close()
        subprocess.run(["rm", "-rf", str(other_student)], check=True)


def test_containment_names_the_layer_in_force_and_warns_once(monkeypatch, caplog):
    bubblewrap()
    assert containment() == Containment(namespaces=True, own_uid=os.geteuid() == 0)
    monkeypatch.setattr(bwrap, "usable", lambda: False)
    weaker = containment()
    assert not weaker.namespaces and "no usable bubblewrap" in str(weaker)
    with caplog.at_level(logging.WARNING, logger="lessonkit.sandbox"):
        containment.__globals__["_say_once"].cache_clear()
        for _ in range(3):
            containment()
    assert len([r for r in caplog.records if "no usable bubblewrap" in r.getMessage()]) == 1
    assert "not root" in str(Containment(namespaces=True, own_uid=False))
    assert "rlimits only" in str(Containment(namespaces=False, own_uid=False))


# --- the grader's kernels: each sees its own home only -------------------------------------


async def output_of(kernel, code: str) -> str:
    printed: list[str] = []

    def collect(message):
        if message["msg_type"] == "stream":
            printed.append(message["content"]["text"])
        elif message["msg_type"] == "error":
            printed.append(f"ERROR {message['content']['ename']}")

    await kernel.kc.execute_interactive(code, output_hook=collect, timeout=60)
    return "".join(printed)


def test_kernels_in_bubblewrap_see_neither_each_other_nor_the_machine():
    """Two kernels of one pool: neither sees the other's home or /tmp, the repository, the network."""
    bubblewrap()

    async def scenario():
        async with KernelPool(KernelSettings(limits=Limits(timeout=30, memory_mb=2048, processes=64)), 2) as pool:
            first, second = await pool.acquire(), await pool.acquire()
            try:
                where = await output_of(first, "import os; open('/tmp/mine', 'w').write('x'); "
                                               "open('note', 'w').write('x'); print(os.getcwd())")
                seen = await output_of(second, program(
                    f"""
                    import glob, os, socket
                    print(os.path.exists({where.strip()!r} + "/note"), os.path.exists("/tmp/mine"))
                    print(glob.glob({str(REPO / 'lessons')!r} + "/*/*.ipynb"))
                    try:
                        socket.create_connection(("1.1.1.1", 53), timeout=2)
                        print("online")
                    except OSError as error:
                        print("offline")
                    status = open("/proc/self/status").read()
                    print([line.split()[1] for line in status.splitlines() if line.startswith(("CapEff", "CapPrm"))])
                    import lessonkit
                    print(lessonkit.__file__)
                    """))
            finally:
                pool.release(first)
                pool.release(second)
            return where, seen, pool.containment

    where, seen, layer = run_sync(scenario)()  # the session's Playwright may hold a running loop
    assert layer.namespaces
    homes, lessons, network, capabilities, package = seen.splitlines()
    assert homes == "False False"
    assert lessons == "[]"
    assert network == "offline"
    assert capabilities == "['0000000000000000', '0000000000000000']"
    assert package == str(REPO / "lessonkit" / "__init__.py")  # this checkout, whatever PYTHONPATH said
    assert not Path(where.strip()).exists()


def test_rlimits_of_this_process_are_untouched():
    before = resource.getrlimit(resource.RLIMIT_AS)
    run_python("pass", limits=Limits(memory_mb=100))
    assert resource.getrlimit(resource.RLIMIT_AS) == before


def test_many_runs_leave_no_descriptors_behind():
    before = len(os.listdir("/proc/self/fd"))
    started = time.monotonic()
    for _ in range(10):
        run_python("print(1)", channel=True, limits=FAST)
    assert len(os.listdir("/proc/self/fd")) == before
    assert time.monotonic() - started < 5


def test_without_root_the_same_interpreter_runs_isolated(monkeypatch, layer):
    """The non-root path (no uid to drop to), exercised here by pretending."""
    monkeypatch.setattr("lessonkit.engine.sandbox.sandbox_ids", lambda: None)
    result = run_python("import os, sys; print(os.getuid() == os.geteuid(), sys.flags.isolated)", limits=FAST)
    assert result.stdout == "True 1\n"
    assert run_python("while True: pass", limits=Limits(timeout=0.5)).killed_reason == "timeout"


@as_root
def test_kernels_without_bubblewrap_run_as_a_uid_of_their_own_and_find_this_checkout(monkeypatch):
    """The fallback: the interpreter and import path by descriptor, a uid per kernel, no network."""
    monkeypatch.setattr(bwrap, "usable", lambda: False)

    async def scenario():
        async with KernelPool(KernelSettings(limits=Limits(timeout=30, memory_mb=2048, processes=64)), 1) as pool:
            kernel = await pool.acquire()
            try:
                return await output_of(kernel, program(
                    """
                    import os, socket, lessonkit
                    print(os.getuid(), os.path.realpath(lessonkit.__file__))
                    try:
                        socket.create_connection(("1.1.1.1", 53), timeout=2)
                        print("online")
                    except OSError:
                        print("offline")
                    """)), pool.containment
            finally:
                pool.release(kernel)

    seen, layer = run_sync(scenario)()
    assert not layer.namespaces and layer.own_uid
    who, network = seen.splitlines()
    uid, package = who.split()
    assert int(uid) in SANDBOX_UIDS
    assert package == str(REPO / "lessonkit" / "__init__.py")
    assert network == "offline"


@as_root
def test_the_course_is_closed_for_grading_only_where_a_uid_is_the_only_wall_and_reopened(monkeypatch):
    bubblewrap()
    folder = Path(tempfile_dir())
    try:
        os.chmod(folder, 0o751)
        course = Course(folder)
        with course.private():  # bubblewrap: the kernels do not see the course at all
            assert folder.stat().st_mode & 0o777 == 0o751
        monkeypatch.setattr(bwrap, "usable", lambda: False)
        with pytest.raises(RuntimeError), course.private():
            assert folder.stat().st_mode & 0o777 == 0o700
            raise RuntimeError("a run that failed half-way")
        assert folder.stat().st_mode & 0o777 == 0o751
    finally:
        subprocess.run(["rm", "-rf", str(folder)], check=True)
