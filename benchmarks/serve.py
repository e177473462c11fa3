"""A class opening a lesson page: `lessonkit serve` against plain `voila` on the same page notebook.

    python benchmarks/serve.py                  # the documented run; updates benchmarks/RESULTS.md
    python benchmarks/serve.py --clients 10 --browser-runs 1 --no-record
    python benchmarks/serve.py --only lessonkit --browser-runs 1 --no-record   # a quick loop, one server

The page is `lessons/fractions` as `lessonkit build` writes it; its first step has a check.
Both servers run on this machine, one after the other, with the same notebook:

* plain: `voila PAGE` (a kernel started per visit, as Voila does by default);
* lessonkit: `lessonkit serve --warm N` behind a stand-in proxy (`--trusted-proxy 127.0.0.1`,
  each client names its own student in the header), N kernels preheated, filled before timing.

Figures:

1. one student in a real Chromium (Playwright, headless): from `page.goto` to the first check's
   Check button visible and enabled, median of `--browser-runs` fresh browser contexts, the
   server otherwise idle;
2. `--clients` students opening the page at once: each client does what a browser does on the
   wire: GET the page (the whole streamed HTML), open the kernel's websocket, open the widget
   control comm and ask for the widget state (`request_states`, as ipywidgets 8's front end
   does), and stops its clock when the state holds the Check button.  p50/p95/max over
   clients; one real Chromium page opens alongside them and its own time is shown beside;
3. memory per student: after the burst, the resident set (RSS) and unique set (USS, what the
   kernel alone costs) of each kernel that served a client, averaged (psutil);
4. CPU over the burst: the server's process and all its kernels, user + system seconds (psutil),
   from the burst's start to the last wire client's state.  On a machine others load, this is the
   figure that says what the class costs; the seconds above are also how long others made it wait.

Where the seconds go (py-spy on the server, psutil CPU times of the server and its kernels over
the burst, 2026-12-01, others' work loading this 2-core machine to 10 to 40):

* the class's burst: with Voila's own refill (each kernel handed out replaced ``fill_delay`` = 10 s
  later, all thirty at once, plus a check every 15 s) the thirty refills' kernel starts (imports,
  the rehearsal) and the server's template render for each ran while the class was still
  arriving: p95 109 s at load 18 to 30, where the same burst with no refill took 14 s at load 40.
  So the pool is refilled by lessonkit (``lessonkit.serve.pool``): one kernel at a time, only
  after 3 s with no page served, pooled kernels at ``nice`` 5: p95 13 s at load 25;
* what is left is the server's one thread relaying the kernels' widget messages: about 0.11 s of
  server CPU and 0.16 s of kernel CPU per student (3.4 s and 4.9 s for 30), every client
  finishing within a second or two of the others because the event loop interleaves them all.
  Of the server's main thread, a fifth was Jupyter Server's activity watch decoding each message
  (signature, dates) a second time, now reading the header's type only
  (``lessonkit.serve.kernels.LeanKernelManager``); most of the rest scales with the page's widget
  models: 111 for the first step, 69 of them each widget's own Layout or style object, now shared
  in a page kernel (``lessonkit.player.sharedstyle``: 58 models).  With both, 30 at once cost
  2.5 s of server CPU and 4.6 s of kernel CPU: p95 11.5 s at load 15, all of it others' load
  but ~7 s of CPU.  Left on the server's thread: Jinja rendering the rest of the page template
  after the page's cell, per student (~15 % of it; nbconvert's lab template, once per kernel),
  the websocket relay, and nbclient's own decoding of each message;
* a pooled kernel's own work after its student's request (cProfile in a real ipykernel, the fractions
  page's first step, 2026-12-01): 0.12 to 0.14 s of CPU, of which a fifth was ipywidgets' text repr
  of the page's whole widget tree (built for the display data, cut at 110 characters, replaced by
  lessonkit's readable text), now lessonkit's own display data, and most of the rest one message
  per widget model or change.  Making widgets with their classes, Markdown and options instead of
  changing them after (29 update messages after the widgets opened -> 10) was tried and taken
  back: a page built at start showed no Markdown Output made with its content (the prompt of a
  check on a resumed page was missing) and gave no measurable gain (p95 10.4 s before, 7.9 and
  9.9 s after, within the noise of others' load 3 to 13);
* after all that (2026-12-02, one student at a time so that each one's CPU is its own: psutil CPU
  of the server and of the kernel handed out, from the GET to the widget state, median of 8, under
  others' load 25 to 30): the server 0.12 s and the kernel 0.12 s per student, 30 x 0.24 / 2 cores
  = 3.6 s.  Of the kernel's messages after the request, 68 were widget models' own ``comm_open``
  and ``update`` messages, sent while the page's cell built them, when no browser is connected
  yet (the browser gets every state from ``request_states`` anyway): only the server's nbclient
  and activity watch read them.  A page is now built unannounced
  (``lessonkit.player.pagestart.unannounced``): server 0.05 s, kernel 0.08 s per student, 30 x
  0.13 / 2 = 1.95 s (again at load 8: 0.105 s + 0.105 s before, 0.035 s + 0.065 s after, 3.15 s
  against 1.5 s for 30).  The whole burst of 30 then cost 1.1 s of server CPU and 3.2 s of kernel
  CPU (the figure the run now reports), a floor of about 2.2 s on 2 cores with nobody else's work.  The same holds the rehearsal's messages back, which were most of the
  server's CPU for each pooled kernel besides its template render; and the pool starts one kernel
  per core at a time: a pool of 9 filled in 154 s against 216 s before both changes (the two runs
  side by side under others' load 30: a rough figure; 81 s against 106 s at load 8);
* one student in a browser: the page's HTML is ~19 KB; Voila's front end is ~100 JavaScript
  files, 5.4 MB uncompressed, fetched in two waves, and widget rendering: 4 to 6 s of a fresh
  Chromium's 7 to 10 s at load 10 to 15 is loading JavaScript, which is why one student in a
  browser cannot get near the wire clients' time;
* memory: a page kernel importing ``voila.utils`` (for ``wait_for_request``) loaded Jupyter Server
  with it: 45 MB RSS more per kernel; lessonkit's own request client removed it (RSS 135 -> 93 MB,
  USS 114 -> 74 MB per kernel, measured as below).

The check, under lessonkit only: every client and browser got the Check button within 240 s, each
client's page names its own student ("saved for <name>") and no two clients share a kernel;
otherwise the run records nothing and fails.  Plain Voila's pages that never show the check (its
browser beside the burst does not, at this load) are its figure: "did not show within 240 s".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psutil
from results import REPO, Run, arguments, percentile
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import websocket_connect

TITLE = "Serving a class: time to a usable first check, lessonkit serve vs plain Voila"
LESSON = REPO / "lessons" / "fractions"
PAGE = "fractions/page/fractions.ipynb"
HEADER = "X-Lessonkit-Student"
GOAL_P95_S = 3.0
START_TIMEOUT = 600.0
#: how long one student may wait for the first check: longer is reported as "did not show within"
#: (plain Voila's browser beside the burst never shows it), and is a failure of lessonkit's
TIMEOUT_S = 240.0
TIMEOUT_MS = TIMEOUT_S * 1000


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def server(command: list[str], port: int, warm: int, log_path: Path) -> Iterator[tuple[str, int]]:
    """Run a server; yield (base URL, pid) once it answers and ``warm`` pooled kernels have each run
    their page up to the point where it waits for its student (each has called back for its request)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH"))))}
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise SystemExit(f"{command[:4]} exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise SystemExit(f"{command[:4]} was not ready in {START_TIMEOUT:.0f} s")
            try:
                urllib.request.urlopen(url + "voila/static/voila.js", timeout=2).close()
                if pooled(log_path) >= warm:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        yield url, process.pid
    finally:
        kernels = psutil.Process(process.pid).children(recursive=True)
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        for child in kernels:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()


def pooled(log_path: Path) -> int:
    """How many pooled kernels have so far reached the point where they wait for their student."""
    return log_path.read_text().count("is waiting for its student")


def wait_for_pool(log_path: Path, count: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while pooled(log_path) < count and time.monotonic() < deadline:
        time.sleep(0.5)


def _message(msg_type: str, content: dict[str, Any], session: str, metadata: dict[str, str] | None = None) -> str:
    header = {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "bench", "session": session,
              "date": "", "version": "5.3"}
    return json.dumps({"header": header, "parent_header": {}, "metadata": metadata or {}, "content": content,
                       "channel": "shell", "buffers": []})


def _decode(frame: str | bytes) -> dict[str, Any]:
    if isinstance(frame, str):
        return json.loads(frame)
    # jupyter_server's legacy binary frame: count, offsets (uint32 big-endian), then the JSON message
    count = int.from_bytes(frame[:4], "big")
    offsets = [int.from_bytes(frame[4 * (i + 1):4 * (i + 2)], "big") for i in range(count)]
    return json.loads(frame[offsets[0]:offsets[1]] if count > 1 else frame[offsets[0]:])


def _has_check(states: dict[str, Any]) -> bool:
    return any(entry.get("model_name") == "ButtonModel" and entry.get("state", {}).get("description") == "Check"
               for entry in states.values())


async def wire_client(url: str, student: str | None) -> dict[str, Any]:
    """One student's browser on the wire; returns seconds to the first check, kernel id, widget text."""
    started = time.perf_counter()
    headers = {HEADER: student} if student else {}
    page = await AsyncHTTPClient().fetch(HTTPRequest(url + ("voila/render/" + PAGE if student else ""),
                                                     headers=headers, request_timeout=TIMEOUT_MS / 1000))
    html = page.body.decode()
    kernel = re.search(r'"kernelId": "([0-9a-f-]{36})"', html).group(1)
    socket = await websocket_connect(HTTPRequest(url.replace("http", "ws", 1) + f"api/kernels/{kernel}/channels",
                                                 headers=headers, request_timeout=TIMEOUT_MS / 1000))
    session, comm = uuid.uuid4().hex, uuid.uuid4().hex
    socket.write_message(_message("comm_open", {"comm_id": comm, "target_name": "jupyter.widget.control",
                                                "data": {}}, session, {"version": "1.0.0"}))
    socket.write_message(_message("comm_msg", {"comm_id": comm, "data": {"method": "request_states"}}, session))
    try:
        while True:
            frame = await asyncio.wait_for(socket.read_message(), TIMEOUT_MS / 1000)
            if frame is None:
                raise RuntimeError("the kernel's websocket closed before the widget state came")
            message = _decode(frame)
            data = message.get("content", {}).get("data", {})
            if message["header"]["msg_type"] == "comm_msg" and data.get("method") == "update_states":
                if _has_check(data["states"]):
                    values = " ".join(str(entry.get("state", {}).get("value", "")) for entry in data["states"].values())
                    text = re.sub(r"<[^>]+>", "", values)
                    return {"seconds": time.perf_counter() - started, "kernel": kernel, "text": text}
                raise RuntimeError("the widget state has no Check button")
    finally:
        socket.close()


def browser_seconds(browser: Any, url: str, student: str | None) -> float:
    context = browser.new_context(extra_http_headers={HEADER: student} if student else {})
    context.route(re.compile(r"^(?!http://127\.0\.0\.1[:/])"), lambda route: route.abort())  # no network here
    try:
        page = context.new_page()
        started = time.perf_counter()
        page.goto(url + ("voila/render/" + PAGE if student else ""), timeout=TIMEOUT_MS)
        page.get_by_role("button", name="Check").first.wait_for(state="visible", timeout=TIMEOUT_MS)
        return time.perf_counter() - started
    finally:
        context.close()


def kernel_memory(server_pid: int, kernel_ids: set[str]) -> tuple[float, float]:
    """Mean RSS and USS in MB of the kernels (found by their connection file) that served a client."""
    rss, uss = [], []
    for child in psutil.Process(server_pid).children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            if any(kernel in " ".join(child.cmdline()) for kernel in kernel_ids):
                info = child.memory_full_info()
                rss.append(info.rss / 2**20)
                uss.append(info.uss / 2**20)
    return (statistics.mean(rss), statistics.mean(uss)) if rss else (float("nan"), float("nan"))


def cpu_seconds(server_pid: int) -> tuple[float, float]:
    """CPU seconds (user + system) the server's process and its kernels (all its descendants) have used."""
    def used(process: psutil.Process) -> float:
        times = process.cpu_times()
        return times.user + times.system

    server = psutil.Process(server_pid)
    kernels = 0.0
    for child in server.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            kernels += used(child)
    return used(server), kernels


def measure(name: str, url: str, pid: int, args: Any, browser: Any, problems: list[str],
            log_path: Path, warm: int) -> dict[str, float]:
    """The server's figures; a student who did not get the check within :data:`TIMEOUT_S` counts as
    ``inf`` (shown as "did not show within"), a run-voiding problem only for lessonkit's own."""
    lessonkit = name == "lessonkit"
    solo = [_or_inf(browser_seconds, browser, url, f"solo-{run}" if lessonkit else None)
            for run in range(args.browser_runs)]
    if lessonkit:  # the pool refills after each use: let it, so the burst finds it as a class would
        wait_for_pool(log_path, warm + args.browser_runs)

    async def clients() -> list[Any]:
        AsyncHTTPClient.configure(None, max_clients=args.clients + 8)
        return await asyncio.gather(*(wire_client(url, f"student-{n}" if lessonkit else None)
                                      for n in range(args.clients)), return_exceptions=True)

    # each in a thread of its own: the wire clients' event loop, and a Playwright beside the main thread's
    server_before, kernels_before = cpu_seconds(pid)
    with ThreadPoolExecutor(2) as threads:
        burst = threads.submit(asyncio.run, clients())
        alongside_run = threads.submit(_or_inf, browser_alongside, url, "alongside" if lessonkit else None)
        results = burst.result()
        server_after, kernels_after = cpu_seconds(pid)  # the browser alongside is in it (its share so far)
        alongside = alongside_run.result()
    failed = [result for result in results if isinstance(result, BaseException)]
    done = [result for result in results if not isinstance(result, BaseException)]
    if lessonkit:
        problems += [f"lessonkit: a client failed: {error!r}"[:300] for error in failed[:3]]
        problems += ["lessonkit: " + what for what, seconds in (("a solo browser", max(solo)),
                                                                ("the browser alongside the burst", alongside))
                     if seconds == math.inf]
        problems += [f"lessonkit: student-{n}'s page does not name them" for n, result in enumerate(results)
                     if not isinstance(result, BaseException) and f"saved for student-{n}" not in result["text"]]
        if len({result["kernel"] for result in done}) != len(done):
            problems.append("lessonkit: two clients were given the same kernel")
    elif failed:
        print(f"plain: {len(failed)} of {len(results)} clients failed, e.g. {failed[0]!r}"[:300], flush=True)
    times = [result["seconds"] for result in done] + [math.inf] * len(failed)
    rss, uss = kernel_memory(pid, {result["kernel"] for result in done})
    return {"solo": statistics.median(solo), "p50": percentile(times, 0.5), "p95": percentile(times, 0.95),
            "max": max(times), "alongside": alongside, "rss": rss, "uss": uss, "failed": len(failed),
            "server_cpu": server_after - server_before, "kernels_cpu": kernels_after - kernels_before}


def _or_inf(timed: Any, *args: Any) -> float:
    """Seconds ``timed(*args)`` took to the check, or ``inf`` if the page never showed it in time."""
    try:
        return timed(*args)
    except Exception as error:  # noqa: BLE001  (a page that never shows the check: its figure is "never")
        print(f"{timed.__name__}{args[1:]}: no check within {TIMEOUT_S:.0f} s: {error!r}"[:300], flush=True)
        return math.inf


def seconds(value: float) -> str:
    return f"{value:.2f}" if value != math.inf else f"did not show within {TIMEOUT_S:.0f} s"


def ratio(plain: float, ours: float) -> str:
    return f"{plain / ours:.1f}x" if plain != math.inf else f"> {TIMEOUT_S / ours:.0f}x"


def browser_alongside(url: str, student: str | None) -> float:
    """A real Chromium opening the page during the burst (its own Playwright, in this worker thread)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        try:
            return browser_seconds(browser, url, student)
        finally:
            browser.close()


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--clients", type=int, default=30, help="students opening the page at once")
    parser.add_argument("--browser-runs", type=int, default=3, help="fresh Chromium contexts for the solo figure")
    parser.add_argument("--only", choices=("plain", "lessonkit"),
                        help="run one server only, for quick loops (records nothing)")
    args = parser.parse_args()
    run = Run(TITLE)
    print(f"load average at the start: {os.getloadavg()[0]:.1f}", flush=True)
    problems: list[str] = []
    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        build = [sys.executable, "-m", "lessonkit", "build", str(LESSON), f"--out={folder / 'build'}",
                 f"--course={folder / 'grading'}"]
        subprocess.run(build, check=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(REPO)})
        warm = args.clients + args.browser_runs + 1
        servers = {
            "plain": ([sys.executable, "-m", "voila", str(folder / "build" / PAGE), "--no-browser",
                       "--Voila.ip=127.0.0.1"], 0),
            "lessonkit": ([sys.executable, "-m", "lessonkit", "serve", str(LESSON), f"--out={folder / 'build'}",
                           f"--course={folder / 'grading'}", f"--roster={folder / 'none.sqlite'}",
                           f"--db=sqlite:///{folder / 'progress.sqlite'}", "--trusted-proxy=127.0.0.1",
                           f"--warm={warm}"], warm),
        }
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            for name, (command, ready) in servers.items():
                if args.only and name != args.only:
                    continue
                port = free_port()
                with server([*command, f"--port={port}"], port, ready, folder / f"{name}.log") as (url, pid):
                    figures[name] = measure(name, url, pid, args, browser, problems, folder / f"{name}.log", ready)
                    print(name, figures[name], flush=True)
            browser.close()
    if args.only:
        print(f"--only {args.only}: {figures[args.only]}; load average at the end {os.getloadavg()[0]:.1f}; "
              f"problems: {problems or 'none'}")
        return
    plain, ours = figures["plain"], figures["lessonkit"]
    load_end = os.getloadavg()[0]
    rows = [f"| {label} | {seconds(plain[key])} | {seconds(ours[key])} | {ratio(plain[key], ours[key])} |"
            for label, key in (("1 student, real Chromium, median", "solo"), (f"{args.clients} at once, p50", "p50"),
                               (f"{args.clients} at once, p95", "p95"), (f"{args.clients} at once, max", "max"),
                               ("real Chromium during the burst", "alongside"))]
    verdict = "met" if ours["p95"] <= GOAL_P95_S else "NOT met"
    faster = "faster" if ours["solo"] < plain["solo"] else "NOT faster"
    body = f"""lesson `lessons/fractions` as built, one page; seconds to the first check usable (see the
script's docstring for how each figure is taken: Chromium to the Check button visible; wire clients GET
the page, open the kernel websocket and request the widget state until it holds the Check button).
lessonkit serve ran with `--warm {args.clients + args.browser_runs + 1}` (every pooled kernel waiting for its
student before timing) behind a
stand-in trusted proxy; plain is `voila PAGE`.

| seconds to a usable first check | plain Voila | lessonkit serve | plain / lessonkit |
|---|---:|---:|---:|
{chr(10).join(rows)}

Memory per student (mean over the kernels that served a client): plain RSS {plain['rss']:.0f} MB
(USS {plain['uss']:.0f} MB), lessonkit RSS {ours['rss']:.0f} MB (USS {ours['uss']:.0f} MB).
Plain Voila: {plain['failed']:.0f} of {args.clients} wire clients without the check within {TIMEOUT_S:.0f} s.
CPU over the burst (from its start to the last wire client's widget state, the browser alongside
included): plain server {plain['server_cpu']:.1f} s, kernels {plain['kernels_cpu']:.1f} s; lessonkit server
{ours['server_cpu']:.1f} s, kernels {ours['kernels_cpu']:.1f} s ({args.clients} students on 2 cores: the
wall time of the last cannot be below (server + kernels) / 2).
Load average at the end: {load_end:.1f} (the start's is on the first line; others' work shares this machine).
Goals: 1 student faster than plain Voila: {faster}; p95 for {args.clients} at once ≤ {GOAL_P95_S:.0f} s:
{ours['p95']:.2f} s, {verdict}."""
    run.finish(body, problems, record=not args.no_record)


if __name__ == "__main__":
    main()
