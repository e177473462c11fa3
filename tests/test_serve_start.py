"""A lesson page while its kernel is starting, and when it never does: real ``lessonkit serve``, real
Chromium.  The student sees "Your lesson is starting…" at once instead of a blank page; a page whose
kernel never runs it is given up by the server (``--start-timeout``), retried by the page itself,
and after the last try says what to do.  Screenshots go to /tmp/lessonkit-screens."""

from __future__ import annotations

import contextlib
import re
import signal
import threading
import time
from collections.abc import Iterator

import psutil
import pytest
from lessonfactory import write_lesson
from longstart import serving
from playwright.sync_api import expect
from system import free_port
from test_serve_auth import PAGE, SCREENS, SHORT, serve_command

from lessonkit.serve.pool import PARALLEL, POOL_NICE

pytestmark = pytest.mark.slow


@contextlib.contextmanager
def kernels_frozen(port: int) -> Iterator[None]:
    """Every kernel the server on ``port`` has or starts is stopped (SIGSTOP) until the ``with`` ends:
    a kernel that never gets going, whatever the pool does."""
    server = next(p for p in psutil.process_iter(["cmdline"]) if f"--port={port}" in (p.info["cmdline"] or []))
    stopped: set[int] = set()
    done = threading.Event()

    def freeze() -> None:
        while not done.wait(0.1):
            for child in server.children(recursive=True):
                if child.pid not in stopped:
                    with contextlib.suppress(psutil.NoSuchProcess):
                        child.send_signal(signal.SIGSTOP)
                        stopped.add(child.pid)

    thread = threading.Thread(target=freeze, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        for pid in stopped:  # so that the server's shutdown can end them
            with contextlib.suppress(psutil.NoSuchProcess):
                psutil.Process(pid).send_signal(signal.SIGCONT)


def test_a_page_says_the_lesson_is_starting_then_shows_it(tmp_path, page):
    write_lesson(tmp_path / "lessons", SHORT)
    port = free_port()
    with serving(serve_command(tmp_path, port, "--warm=1"), port, tmp_path) as url:
        page.goto(url + PAGE, wait_until="commit", timeout=300_000)
        starting = page.locator("#lessonkit-starting")
        expect(starting).to_contain_text("Your lesson is starting", timeout=120_000)
        expect(starting).to_have_attribute("role", "status")
        expect(starting).to_be_visible()  # not only in the page: on the screen, while nothing else is
        SCREENS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENS / "start-starting.png")
        expect(page.locator(".lessonkit-page")).to_contain_text("Adding up", timeout=300_000)
        expect(starting).to_have_count(0)  # gone once the lesson is there
        page.screenshot(path=SCREENS / "start-lesson.png")
        # a pooled kernel learned who it is for: this machine's user, not an anonymous visitor
        expect(page.locator(".lessonkit-whose")).to_contain_text("Your work is saved for")


def test_a_page_whose_kernel_never_runs_retries_then_says_what_to_do(tmp_path, page):
    write_lesson(tmp_path / "lessons", SHORT)
    port = free_port()
    with serving(serve_command(tmp_path, port, "--warm=1", "--start-timeout=4"), port, tmp_path) as url:
        with kernels_frozen(port):
            page.goto(url + PAGE, wait_until="commit", timeout=300_000)
            starting = page.locator("#lessonkit-starting")
            expect(starting).to_contain_text("Your lesson is starting", timeout=120_000)
            # the server gives up on the frozen kernel; the page reloads by itself and says so
            expect(starting).to_contain_text("trying again", timeout=120_000)
            SCREENS.mkdir(exist_ok=True)
            page.screenshot(path=SCREENS / "start-retrying.png")
            expect(starting).to_contain_text("Your lesson could not start", timeout=240_000)
            expect(starting).to_have_attribute("role", "alert")
            expect(starting).to_contain_text("tell your teacher")
            page.screenshot(path=SCREENS / "start-failed.png")
            expect(starting).to_be_visible()
            expect(starting.locator("button")).to_have_text("Try again")
            expect(starting.locator("button")).to_be_focused()  # Enter retries, for a keyboard user
        log = (tmp_path / "server.log").read_text()
        assert "no kernel ran it in time" in log


def _pool_events(log: str) -> list[tuple[str, str]]:
    """("started" | "waiting", kernel id) in the order the server's log says them."""
    return [("started" if started else "waiting", started or waiting) for started, waiting in
            re.findall(r"Kernel started: ([0-9a-f-]{36})|kernel ([0-9a-f-]{36}) is waiting for its student", log)]


def _wait_for_log(folder, predicate, what: str, timeout: float = 300.0) -> str:
    deadline = time.monotonic() + timeout
    while not predicate(log := (folder / "server.log").read_text()):
        assert time.monotonic() < deadline, f"{what} not within {timeout:.0f} s:\n{log[-3000:]}"
        time.sleep(0.5)
    return log


def _most_starting_at_once(events: list[tuple[str, str]]) -> int:
    """The most kernels the log shows started and not yet waiting for their student, at any moment."""
    starting: set[str] = set()
    most = 0
    for event, kernel in events:
        if event == "started":
            starting.add(kernel)
        else:
            assert kernel in starting, f"kernel {kernel} waited for its student before it was started"
            starting.remove(kernel)
        most = max(most, len(starting))
    return most


def test_the_pool_starts_one_kernel_per_core_at_low_priority_and_refills_after_a_page(tmp_path, page):
    """A kernel's start costs seconds of CPU: the pool starts at most one per core at a time, the next only
    once one waits for its student, below the server's priority, and replaces one handed to a page
    (lessonkit.serve.pool)."""
    write_lesson(tmp_path / "lessons", SHORT)
    port = free_port()
    warm = PARALLEL + 1
    with serving(serve_command(tmp_path, port, f"--warm={warm}"), port, tmp_path) as url:
        log = _wait_for_log(tmp_path, lambda log: [e for e, _ in _pool_events(log)].count("waiting") >= warm,
                            f"{warm} pooled kernels")
        events = _pool_events(log)[:2 * warm]
        assert [event for event, _ in events[:PARALLEL]] == ["started"] * PARALLEL  # one per core at once
        assert _most_starting_at_once(events) == PARALLEL  # and the last only once one of them was waiting
        pooled_ids = {kernel for _, kernel in events}
        server = next(p for p in psutil.process_iter(["cmdline"]) if f"--port={port}" in (p.info["cmdline"] or []))
        pooled = [child for child in server.children(recursive=True)
                  if any(kernel in " ".join(child.cmdline()) for kernel in pooled_ids)]
        assert len(pooled) == warm and {child.nice() for child in pooled} == {POOL_NICE}
        page.goto(url + PAGE, timeout=300_000)
        expect(page.locator(".lessonkit-page")).to_contain_text("Adding up", timeout=300_000)
        # the page got a pooled kernel, and the pool started another once the page was served
        log = _wait_for_log(tmp_path, lambda log: [e for e, _ in _pool_events(log)].count("waiting") >= warm + 1,
                            "the replacement of the kernel handed to the page")
        assert "Using pre-heated kernel" in log
        events = _pool_events(log)
        assert len(events) == 2 * (warm + 1) and _most_starting_at_once(events) == PARALLEL
