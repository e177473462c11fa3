"""Real-browser test helpers: a standalone Voila server and headless Chromium via Playwright.

Students see lessons in Voila pages, so widget behaviour is only proven in a real browser
against a real standalone Voila (the way students are served, see docs/architecture.md §8), not against
mocks. The ``browser`` and ``page`` fixtures are registered in conftest.py; use from a test module::

    from browser import voila_server, wait_for_widgets

    @pytest.mark.slow
    def test_something(page, tmp_path):
        with voila_server(notebook) as url:
            page.goto(url)
            wait_for_widgets(page)

Pages can only reach loopback: any other request (Voila's template links a CDN stylesheet) is
aborted, so a test never waits on a network this machine does not have, and a front-end that
needs one fails visibly.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest
from system import debian_package, free_port

REPO_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # tests run as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TEMPLATE_ROOT = REPO_ROOT / "extensions" / "voila-template" / "share" / "jupyter"
"""Where the lessonkit Voila template is in the source tree: laid out as it is installed
(``share/jupyter/voila/templates/lessonkit``), so it is a JUPYTER_PATH entry as it stands."""
VOILA_START_TIMEOUT = 120.0
WIDGETS_TIMEOUT_MS = 60_000
NAVIGATION_TIMEOUT_MS = 120_000
EXPECT_TIMEOUT_MS = 30_000
"""How long an ``expect`` waits, for the whole session: Playwright's 5 s is short for a page whose
kernel shares two cores with another test worker; a longer wait only makes a failure take longer."""


@contextlib.contextmanager
def voila_server(
    notebook_path: str | os.PathLike[str],
    *,
    env: Mapping[str, str] | None = None,
    port: int | None = None,
    args: Sequence[str] = (),
) -> Iterator[str]:
    """Serve one notebook with standalone Voila on loopback; yield its base URL ("http://...:P/").

    The kernel imports lessonkit from this working tree (the repository root is put first on
    PYTHONPATH), so tests exercise the code under test, not an installed copy. ``env`` adds to
    or overrides the environment of Voila and its kernels; ``args`` are extra Voila options
    (e.g. ``--template=...``). Tracebacks are shown in the page, to make failures readable.
    On exit Voila and every kernel it started are stopped, killed if they linger.
    """
    port = port or free_port()
    command = [
        sys.executable, "-m", "voila", str(notebook_path),
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--Voila.port_retries=0",  # fail rather than silently serve on another port
        "--VoilaConfiguration.show_tracebacks=True",
        *args,
    ]  # fmt: skip
    with served(command, port, env) as url:
        yield url


@contextlib.contextmanager
def served(command: Sequence[str], port: int, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Run a command that serves Voila on ``port`` (Voila itself, or ``lessonkit serve``);
    yield its base URL once it answers, and stop it and its kernels on exit."""
    child_env = {**os.environ, **(env or {})}
    child_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), child_env.get("PYTHONPATH")) if p
    )
    child_env.setdefault("JUPYTER_PLATFORM_DIRS", "1")  # silences jupyter_core's warning
    # the lessonkit Voila template of this working tree, found before any installed copy
    child_env["JUPYTER_PATH"] = os.pathsep.join(
        p for p in (str(TEMPLATE_ROOT), child_env.get("JUPYTER_PATH")) if p
    )
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            list(command), env=child_env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        try:
            url = f"http://127.0.0.1:{port}/"
            _wait_until_answering(url, process, log)
            yield url
        finally:
            _stop(process)


def _wait_until_answering(url: str, process: subprocess.Popen, log) -> None:
    """Return once Voila answers HTTP at all; a 404 will do, any page would start a kernel."""
    deadline = time.monotonic() + VOILA_START_TIMEOUT
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"voila exited with {process.returncode}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(url + "voila/lessonkit-readiness-probe", timeout=2):
                return
        except urllib.error.HTTPError as answer:
            answer.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"voila did not answer at {url}:\n{_tail(log)}") from None
            time.sleep(0.1)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM lets Voila shut its kernels down; whatever still runs after 5 s is killed.

    Kernels run in their own process sessions, so killing Voila's process group would miss
    them: they are found as Voila's descendants before it is told to stop.
    """
    try:
        children = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    _, alive = psutil.wait_procs(children, timeout=2)
    for child in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()


def _tail(log, chars: int = 4000) -> str:
    log.flush()
    log.seek(0)
    return log.read()[-chars:]


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium, shared by the whole test session (starting one takes ~1 s)."""
    debian_package("chromium", CHROMIUM.exists)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A page in a fresh browser context (no cookies or storage shared between tests)."""
    context = browser.new_context(viewport={"width": 1000, "height": 700})
    # Playwright's 30 s for a page load or an action is short for a loaded machine (CI runs two
    # workers beside Voila kernels): a failure is a wait that ends at all, not a slow one
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    context.route(_is_remote, lambda route: route.abort())
    yield context.new_page()
    context.close()


def _is_remote(url: str) -> bool:
    return urlsplit(url).hostname not in (None, "127.0.0.1", "localhost", "::1")


# Rendered when: the loading spinner is gone, Voila has taken every cell output out of its
# script tag, and no widget output still shows the widget renderer's "Loading widget..." text.
_WIDGETS_RENDERED = """() =>
    !document.getElementById("loading")
    && !document.querySelector('script[type="application/vnd.voila.cell-output+json"]')
    && [...document.querySelectorAll("#rendered_cells .jp-OutputArea-output")]
        .every((out) => out.textContent !== "Loading widget...")
"""


# What a failed page shows: the widget renderer's messages, and Voila's traceback of the cell
# that raised (rendered as stderr, like warnings, from which the exception's name tells it).
_PAGE_ERRORS = r"""() => [...document.querySelectorAll("#rendered_cells .jp-OutputArea-output")]
    .filter((out) => out.textContent.startsWith("Error displaying widget")
        || (out.dataset.mimeType === "application/vnd.jupyter.stderr"
            && /^[\w.]*(Error|Exception)\b/m.test(out.innerText)))
    .map((out) => out.innerText)
"""


def wait_for_widgets(page, timeout: float = WIDGETS_TIMEOUT_MS) -> None:
    """Wait until Voila has run the notebook and rendered every widget output on the page.

    Raises AssertionError with the page's message if a widget could not be displayed or a cell
    raised (Voila stops at the first failing cell and shows its traceback), rather than letting
    the test time out later on a missing element.
    """
    page.wait_for_function(_WIDGETS_RENDERED, timeout=timeout)
    errors = page.evaluate(_PAGE_ERRORS)
    if errors:
        raise AssertionError("the Voila page shows errors:\n" + "\n".join(errors))


def record_requests(page) -> list[str]:
    """Every URL the page asks for from now on (aborted ones included), in order."""
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    return urls


def foreign_requests(urls: Sequence[str], base_url: str) -> list[str]:
    """The requests that went anywhere but the server at ``base_url`` (data: URLs stay in the page)."""
    own = urlsplit(base_url)
    return [u for u in urls if not u.startswith(("data:", "blob:"))
            and (urlsplit(u).scheme, urlsplit(u).netloc) != (own.scheme, own.netloc)]


def serious_accessibility_violations(page, context: str | None = None) -> list[str]:
    """axe-core's audit of the page as it is now (WCAG 2.x A and AA rules and best practices):
    each serious or critical violation as "rule: help (selectors)"."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context=context)
    return [f"{v['id']}: {v['help']} ({', '.join(str(n['target']) for n in v['nodes'][:5])})"
            for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]


def tab_to(page, selector: str, *, presses: int = 60, backwards: bool = False) -> None:
    """Press Tab (Shift+Tab) until the focused element matches ``selector``: the keyboard alone
    moves; the test only reads where the focus is."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(presses):
        if page.evaluate("(s) => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{presses} presses of {key} never reached {selector!r}")
