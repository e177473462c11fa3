"""Containment of untrusted code: limits, clean-up, and what the child can reach.

Fork-bomb and grandchild tests are bounded (at most 200 forks, children that sleep and
are killed by the sandbox's clean-up), because this suite runs on a shared 2-core machine.
"""

from __future__ import annotations

import os
import random
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from lessonkit.engine.sandbox import (
    SANDBOX_UIDS,
    Limits,
    limit_process,
    private_dir,
    run_python,
    sandbox_ids,
)

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="privilege drop and per-run uids need root")
FAST = Limits(timeout=5)


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
    result = run_python("while True: pass", limits=Limits(timeout=5, cpu_seconds=1))
    assert result.killed_reason == "cpu" and not result.timed_out
    assert result.duration_s < 3


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


# --- what the child can reach (root: a uid of its own) ----------------------------------


@as_root
def test_child_runs_as_a_fresh_unprivileged_uid():
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
def test_cannot_read_shadow_or_a_private_teacher_dir():
    teacher = Path(tempfile_dir())
    try:
        (teacher / "gradebook.db").write_text("secret grades")
        os.chmod(teacher / "gradebook.db", 0o644)
        os.chmod(teacher, 0o755)
        reader = f"print(open({str(teacher / 'gradebook.db')!r}).read())"
        assert run_python(reader, limits=FAST).stdout == "secret grades\n"  # reachable before...
        private_dir(teacher)
        assert oct(teacher.stat().st_mode & 0o777) == "0o700"
        result = run_python(reader, limits=FAST)
        assert "PermissionError" in result.stderr and "secret" not in result.stdout  # ...not after
    finally:
        subprocess.run(["rm", "-rf", str(teacher)], check=True)
    shadow = run_python("print(open('/etc/shadow').read())", limits=FAST)
    assert "PermissionError" in shadow.stderr and shadow.stdout == ""
    root_home = run_python("import os; print(os.listdir(os.path.expanduser('~root')))", limits=FAST)
    assert "PermissionError" in root_home.stderr


@as_root
def test_cannot_write_outside_its_directory(monkeypatch):
    shared = Path(tempfile_dir())
    try:
        os.chmod(shared, 0o755)  # like a course folder: readable by all, writable by its owner
        monkeypatch.chdir(shared)
        result = run_python(
            program(
                f"""
                import os
                for path in ({str(shared / 'pwned')!r}, "/etc/pwned", "/work/pwned"):
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
        assert result.stdout.split() == ["PermissionError"] * 3 + ["fine"]
        assert not (shared / "pwned").exists()
    finally:
        subprocess.run(["rm", "-rf", str(shared)], check=True)


@as_root
def test_bounded_fork_bomb_is_contained_and_cleaned_up():
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
def test_grandchildren_do_not_outlive_the_run_even_in_their_own_session():
    result = run_python(
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
        ),
        limits=Limits(timeout=20),
    )
    *pids, uid = map(int, result.stdout.split())
    assert result.duration_s < 2  # the run ends when its own process does, not at the timeout
    assert result.killed_reason is None
    assert not any(alive(pid) for pid in pids)
    assert processes_of(uid) == []


def test_detached_grandchild_that_closed_its_pipes_is_killed_too():
    result = run_python(
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
        ),
        limits=FAST,
    )
    pid = int(result.stdout)
    if os.geteuid() == 0:
        assert not alive(pid)
    else:  # documented: without root, a grandchild in its own session escapes
        os.kill(pid, 9)


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


def test_without_root_the_same_interpreter_runs_isolated(monkeypatch):
    """The non-root path (no uid to drop to), exercised here by pretending."""
    monkeypatch.setattr("lessonkit.engine.sandbox.sandbox_ids", lambda: None)
    result = run_python("import os, sys; print(os.getuid() == os.geteuid(), sys.flags.isolated)", limits=FAST)
    assert result.stdout == "True 1\n"
    assert run_python("while True: pass", limits=Limits(timeout=0.5)).killed_reason == "timeout"
