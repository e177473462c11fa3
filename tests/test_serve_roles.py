"""Who may reach what on ``lessonkit serve``: every route as its owner, as the wrong student, as
nobody, and with forged headers and cookies; the teacher's class view; join codes; the pause
after failed sign-ins surviving a restart.  A real server with preheated kernels, real HTTP
and websockets."""

from __future__ import annotations

import re
import time

import pytest
from jupyter_core.utils import run_sync
from lessonfactory import write_lesson
from longstart import serving
from playwright.sync_api import expect
from system import free_port
from test_serve_auth import (
    PASSWORDS,
    SHORT,
    fetch,
    lessonkit,
    serve_command,
    session_cookie,
)
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from lessonkit.progress import Event, open_store
from lessonkit.serve.auth import COOKIE

pytestmark = pytest.mark.slow

PAGE = "voila/render/tiny/page/tiny.ipynb"
TEACHER = ("mr.lee", "teacher-pass-9")


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    """Two students and a teacher on a served lesson with a preheated kernel: (url, folder, cookies)."""
    folder = tmp_path_factory.mktemp("school")
    write_lesson(folder / "lessons")
    roster = f"--roster={folder / 'roster.sqlite'}"
    for name in ("ana", "bo"):
        assert lessonkit("class", roster, "add", name, "--password-stdin", stdin=PASSWORDS[name] + "\n").returncode == 0
    assert lessonkit("class", roster, "add", TEACHER[0], "--teacher", "--password-stdin",
                     stdin=TEACHER[1] + "\n").returncode == 0
    port = free_port()
    with serving(serve_command(folder, port, "--warm=1"), port, folder) as url:
        cookies = {name: {"Cookie": f"{COOKIE}={session_cookie(url, name, password)}"}
                   for name, password in (("ana", PASSWORDS["ana"]), ("bo", PASSWORDS["bo"]), TEACHER)}
        yield url, folder, cookies


def kernel_of(url: str, cookie: dict[str, str]) -> str:
    """Open the page as a browser would and return the id of the kernel it was given."""
    status, _, html = fetch(url + PAGE, headers=cookie)
    assert status == 200, status
    return re.search(r'"kernelId": "([0-9a-f-]{36})"', html).group(1)


def with_xsrf(url: str, headers: dict[str, str]) -> dict[str, str]:
    """``headers`` plus a valid XSRF cookie and token, as Voila's front end sends with a POST or DELETE:
    so that a refusal below is the owner check's, not the XSRF check's."""
    from http.cookies import SimpleCookie

    token = SimpleCookie(fetch(url + "lessonkit/login")[1]["Set-Cookie"])["_xsrf"].value
    cookie = "; ".join(part for part in (headers.get("Cookie", ""), f"_xsrf={token}") if part)
    return {**headers, "Cookie": cookie, "X-XSRFToken": token}


def websocket_status(url: str, path: str, headers: dict[str, str]) -> int:
    """101 if the websocket at ``path`` opens for these headers, else the HTTP status it was refused with."""
    async def attempt() -> int:
        request = HTTPRequest(url.replace("http", "ws", 1) + path, headers=headers, request_timeout=30)
        try:
            connection = await websocket_connect(request)
        except HTTPClientError as error:
            return error.code
        connection.close()
        return 101

    return run_sync(attempt)()


def test_a_kernel_answers_its_owner_and_no_one_else(school):
    url, _, cookies = school
    kernel = kernel_of(url, cookies["ana"])
    channels = f"api/kernels/{kernel}/channels"
    assert fetch(url + f"api/kernels/{kernel}", headers=cookies["ana"])[0] == 200
    assert websocket_status(url, channels, cookies["ana"]) == 101
    forged_as_ana = {**cookies["bo"], "X-Lessonkit-Student": "ana"}
    for who in (cookies["bo"], cookies["mr.lee"], forged_as_ana, {"X-Lessonkit-Student": "ana"}, {}):
        model = fetch(url + f"api/kernels/{kernel}", headers=who)
        assert model[0] in (403, 404) and kernel not in model[2], (who, model[0])
        assert websocket_status(url, channels, who) in (403, 404), who
        for method in ("DELETE", "POST"):
            target = f"api/kernels/{kernel}" if method == "DELETE" else f"voila/api/shutdown/{kernel}"
            assert fetch(url + target, headers=with_xsrf(url, who), method=method)[0] in (403, 404), (who, method)
    # the preheat callback is the kernel's own, once: a browser (a cookie) never gets the student's request
    assert websocket_status(url, f"voila/query/{kernel}", cookies["ana"]) == 404
    assert websocket_status(url, f"voila/query/{kernel}", {}) == 404
    assert fetch(url + f"api/kernels/{kernel}", headers=cookies["ana"])[0] == 200  # still alive for ana


def test_the_owner_can_shut_their_kernel_and_then_it_is_gone(school):
    url, _, cookies = school
    kernel = kernel_of(url, cookies["bo"])
    assert fetch(url + f"voila/api/shutdown/{kernel}", headers=with_xsrf(url, cookies["bo"]), method="POST")[0] == 204
    assert fetch(url + f"api/kernels/{kernel}", headers=cookies["bo"])[0] == 404


def test_nothing_but_pages_and_public_assets_is_served(school):
    url, _, cookies = school
    for who in (cookies["ana"], {}):
        for path in ("api/kernels", "api/sessions", "api/contents", "voila/tree", "voila/api/contents/tiny",
                     "voila/render/tiny/student/tiny.ipynb", "voila/files/tiny/student/tiny.ipynb",
                     "voila/files/tiny/page/tiny.ipynb", "voila/static/../../tiny/page/tiny.ipynb",
                     "voila/templates/../../../roster.sqlite", "voila/templates/lessonkit/static/..%2fconf.json",
                     "voila/templates/lessonkit/static/%2e%2e/%2e%2e/roster.sqlite", "roster.sqlite", "progress.sqlite"):
            status, answer, body = fetch(url + path, headers=who)
            refused = status in (403, 404) or (status == 302 and answer["Location"].startswith("/lessonkit/login"))
            assert refused and "SQLite format" not in body and "lessonkit" not in body[:200], (path, who, status)
    # Voila's own front end is public, as it is for any Voila: no one's data is in it
    assert fetch(url + "voila/static/voila.js")[0] == 200


def test_the_teacher_sees_the_class_and_a_student_does_not(school):
    url, folder, cookies = school
    kernel_of(url, cookies["ana"])  # ana has started the lesson
    with open_store(f"sqlite:///{folder / 'progress.sqlite'}") as store:  # and a review of hers has come due
        store.append(Event(lesson_id="tiny", student_id="ana", type="review_done", data={
            "skill": "add", "correct": True, "next_due": time.time() - 60}))
    status, _, html = fetch(url + "teacher", headers=cookies["mr.lee"])
    assert status == 200
    rows = dict(re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', html))
    assert set(rows) == {"ana", "bo"}  # the roster's students, not the teacher
    assert "Left off at <b>Adding up</b>" in rows["ana"]
    for who in (cookies["ana"], {**cookies["ana"], "X-Lessonkit-Student": "mr.lee"}):
        assert fetch(url + "teacher", headers=who)[0] == 403
    status, answer, _ = fetch(url + "teacher")
    assert status == 302 and answer["Location"].startswith("/lessonkit/login")
    status, _, home = fetch(url, headers=cookies["ana"])
    assert status == 200 and "Review due: Adding" in home and "Left off at <b>Adding up</b>" in home
    assert 'href="/teacher"' not in home and not re.search(r"\bbo\b", home)
    assert 'href="/teacher"' in fetch(url, headers=cookies["mr.lee"])[2]


def test_a_join_code_signs_in_once(school):
    url, folder, _ = school
    issued = lessonkit("class", f"--roster={folder / 'roster.sqlite'}", "join-code", "bo")
    code = re.search(r"^  bo\t(\S+)$", issued.stdout, re.MULTILINE).group(1)
    assert issued.returncode == 0 and code.encode() not in (folder / "roster.sqlite").read_bytes()

    def join(value: str):
        _, headers, form = fetch(url + "lessonkit/join")
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form).group(1)
        jar = headers["Set-Cookie"].split(";")[0]
        return fetch(url + "lessonkit/join", headers={"Cookie": jar}, data={"_xsrf": xsrf, "code": value, "next": "/"})

    status, headers, _ = join(code.upper())  # typed in capitals: still the code
    session = re.search(COOKIE + r'="?([^;"]+)', headers["Set-Cookie"]).group(1)
    assert status == 302
    home = fetch(url, headers={"Cookie": f"{COOKIE}={session}"})
    assert home[0] == 200 and "Signed in as <b>bo</b>" in home[2]
    assert join(code)[0] == 403  # spent
    missing = lessonkit("class", f"--roster={folder / 'roster.sqlite'}", "join-code", "nobody")
    assert missing.returncode == 2 and "not in the roster" in missing.stderr


def test_the_pause_after_wrong_passwords_survives_a_restart(tmp_path):
    write_lesson(tmp_path / "lessons", SHORT)
    assert lessonkit("class", f"--roster={tmp_path / 'roster.sqlite'}", "add", "ana", "--password-stdin",
                     stdin=PASSWORDS["ana"] + "\n").returncode == 0

    def attempt(url: str, password: str) -> int:
        _, headers, form = fetch(url + "lessonkit/login")
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form).group(1)
        return fetch(url + "lessonkit/login", headers={"Cookie": headers["Set-Cookie"].split(";")[0]},
                     data={"_xsrf": xsrf, "name": "ana", "password": password})[0]

    port = free_port()
    with serving(serve_command(tmp_path, port, "--warm=0"), port, tmp_path) as url:
        assert [attempt(url, f"guess-{n}") for n in range(5)] == [403] * 5
    with serving(serve_command(tmp_path, port, "--warm=0"), port, tmp_path) as url:
        assert attempt(url, PASSWORDS["ana"]) == 429  # even the right password waits out the pause


def test_idle_kernels_are_culled(tmp_path):
    write_lesson(tmp_path / "lessons", SHORT)
    port = free_port()
    # no roster: this machine's user; a kernel with no browser connected for 0.1 min is shut down
    with serving(serve_command(tmp_path, port, "--warm=0", "--cull-idle=0.1"), port, tmp_path) as url:
        status, _, html = fetch(url + PAGE)
        kernel = re.search(r'"kernelId": "([0-9a-f-]{36})"', html).group(1)
        assert status == 200 and fetch(url + f"api/kernels/{kernel}")[0] == 200
        deadline = time.monotonic() + 60
        while fetch(url + f"api/kernels/{kernel}")[0] == 200 and time.monotonic() < deadline:
            time.sleep(1)
        assert fetch(url + f"api/kernels/{kernel}")[0] == 404


def test_the_home_and_the_class_view_in_chromium(school, browser, tmp_path):
    url, _, _ = school
    shots = {}
    for name, password in (("ana", PASSWORDS["ana"]), TEACHER):
        context = browser.new_context(viewport={"width": 1100, "height": 700})
        context.route(re.compile(r"^(?!http://127\.0\.0\.1[:/])"), lambda route: route.abort())  # no network
        try:
            page = context.new_page()
            page.goto(url)
            page.get_by_label("Name").fill(name)
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Your lessons")).to_be_visible()
            expect(page.get_by_role("progressbar")).to_have_count(1)
            shots[name] = tmp_path / f"home-{name}.png"
            page.screenshot(path=str(shots[name]))
            if name == TEACHER[0]:
                page.get_by_role("link", name="Your class").click()
                expect(page.get_by_role("rowheader", name="ana")).to_be_visible()
                expect(page.get_by_role("rowheader", name="bo")).to_be_visible()
                page.screenshot(path=str(tmp_path / "teacher.png"))
            else:
                expect(page.get_by_role("link", name="Your class")).to_have_count(0)
        finally:
            context.close()
    print("screenshots:", *shots.values(), tmp_path / "teacher.png")
