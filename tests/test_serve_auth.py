"""``lessonkit serve`` decides who a page is for, not the browser: a real server, real Chromium,
as nobody, as the wrong person, with forged headers and forged or tampered cookies."""

from __future__ import annotations

import base64
import http.client
import re
import subprocess
import sys
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from browser import wait_for_widgets
from lessonfactory import HEADER, write_lesson
from longstart import serving
from playwright.sync_api import expect
from system import free_port
from tornado.web import create_signed_value

from lessonkit.serve.auth import COOKIE

pytestmark = pytest.mark.slow

PAGE = "voila/render/tiny/page/tiny.ipynb"
SCREENS = Path("/tmp/lessonkit-screens")
PASSWORDS = {"ana": "ana-password-1", "bo": "bo-password-22", "cy": "cy-password-333"}
#: a lesson that builds in a moment, for the tests that need a page but not its checks
SHORT = [("code", HEADER), ("code", 'lk.step("intro", title="Adding up")'), ("markdown", "Adding puts numbers together."),
         ("code", 'lk.step("done", kind="end", title="Done")'), ("markdown", "Well done.")]


def lessonkit(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lessonkit", *args], input=stdin, capture_output=True, text=True,
                          timeout=120)


def serve_command(folder: Path, port: int, *options: str) -> list[str]:
    return [sys.executable, "-m", "lessonkit", "serve", str(folder / "lessons"), f"--port={port}",
            f"--out={folder / 'build'}", f"--course={folder / 'grading'}", f"--roster={folder / 'roster.sqlite'}",
            f"--db=sqlite:///{folder / 'progress.sqlite'}", *options]


def fetch(url: str, *, headers: dict[str, str] | None = None, data: dict[str, str] | None = None,
          source: str = "127.0.0.1", method: str | None = None):
    """(status, headers, body) of one request from the address ``source``, redirects not followed."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60, source_address=(source, 0))
    body = urllib.parse.urlencode(data) if data is not None else None
    form = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
    try:
        connection.request(method or ("GET" if body is None else "POST"), parts.path or "/", body,
                           {**(headers or {}), **form})
        answer = connection.getresponse()
        return answer.status, answer.headers, answer.read().decode()
    finally:
        connection.close()


def session_cookie(url: str, name: str, password: str) -> str:
    """Sign in over plain HTTP as a browser would (the form's xsrf token and cookie) and return the session."""
    _, headers, form = fetch(url + "lessonkit/login")
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form).group(1)
    jar = SimpleCookie(headers["Set-Cookie"])
    status, headers, _ = fetch(url + "lessonkit/login", headers={"Cookie": f"_xsrf={jar['_xsrf'].value}"},
                               data={"_xsrf": xsrf, "name": name, "password": password, "next": "/"})
    assert status == 302, status
    return SimpleCookie(headers["Set-Cookie"])[COOKIE].value


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    """A class of two on a served lesson: (base URL, folder)."""
    folder = tmp_path_factory.mktemp("klass")
    write_lesson(folder / "lessons")
    for name, password in PASSWORDS.items():
        done = lessonkit("class", f"--roster={folder / 'roster.sqlite'}", "add", name, "--password-stdin",
                         stdin=password + "\n")
        assert done.returncode == 0, done.stderr
    port = free_port()
    with serving(serve_command(folder, port), port, folder) as url:
        yield url, folder


def test_nobody_and_a_forged_header_are_sent_to_sign_in(klass):
    url, _ = klass
    for path in ("", PAGE):
        for headers in ({}, {"X-Lessonkit-Student": "ana"}):
            status, answer, _ = fetch(url + path, headers=headers)
            assert status == 302 and answer["Location"].startswith("/lessonkit/login"), (path, headers, status)


def test_a_tampered_or_forged_cookie_is_refused_and_a_real_one_is_not(klass):
    url, folder = klass
    real = session_cookie(url, "ana", PASSWORDS["ana"])
    assert fetch(url, headers={"Cookie": f"{COOKIE}={real}"})[0] == 200
    fields = real.split("|")  # tornado's signed value: version|key|timestamp|name|value|signature
    fields[4] = f"3:{base64.b64encode(b'bo').decode()}"
    tampered = "|".join(fields)
    forged = create_signed_value(b"a guessed secret", COOKIE, "bo").decode()
    for cookie in (tampered, forged):
        status, answer, _ = fetch(url + PAGE, headers={"Cookie": f"{COOKIE}={cookie}"})
        assert status == 302 and answer["Location"].startswith("/lessonkit/login")
    assert (folder / "roster.sqlite.cookie-secret").stat().st_mode & 0o077 == 0


def test_a_removed_student_is_signed_out_at_once(klass):
    url, folder = klass
    cookie = {"Cookie": f"{COOKIE}={session_cookie(url, 'cy', PASSWORDS['cy'])}"}
    assert fetch(url, headers=cookie)[0] == 200
    assert lessonkit("class", f"--roster={folder / 'roster.sqlite'}", "remove", "cy").returncode == 0
    status, answer, _ = fetch(url, headers=cookie)
    assert status == 302 and answer["Location"].startswith("/lessonkit/login")


def test_a_wrong_password_is_refused_and_guessing_is_slowed(klass):
    url, _ = klass
    statuses = []
    for attempt in range(7):
        _, headers, form = fetch(url + "lessonkit/login")
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form).group(1)
        cookie = SimpleCookie(headers["Set-Cookie"])["_xsrf"].value
        statuses.append(fetch(url + "lessonkit/login", headers={"Cookie": f"_xsrf={cookie}"},
                              data={"_xsrf": xsrf, "name": "zed", "password": f"guess-{attempt}"})[0])
    assert statuses == [403] * 5 + [429] * 2
    no_token = fetch(url + "lessonkit/login", data={"name": "ana", "password": PASSWORDS["ana"]})
    assert no_token[0] == 403 and COOKIE not in (no_token[1]["Set-Cookie"] or "")


def test_only_the_pages_are_served(klass):
    url, _ = klass
    cookie = {"Cookie": f"{COOKIE}={session_cookie(url, 'ana', PASSWORDS['ana'])}"}
    for path in ("voila/render/tiny/student/tiny.ipynb", "voila/tree", "voila/api/contents/tiny/student",
                 "voila/files/tiny/student/tiny.ipynb"):
        assert fetch(url + path, headers=cookie)[0] in (403, 404), path


def sign_in(page, url: str, name: str) -> None:
    page.goto(url + PAGE)
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORDS[name])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/" + PAGE)


def test_two_students_sign_in_and_each_sees_only_their_own_work(klass, page, browser):
    url, _ = klass
    # what waits on a kernel (a page's first step, a Next, a Check) gets a loaded machine's time, not
    # Playwright's 5 s: in CI the pool's refills and other tests' servers share the two cores
    kernel = {"timeout": 60_000}
    SCREENS.mkdir(exist_ok=True)
    page.set_extra_http_headers({"X-Lessonkit-Student": "bo"})  # forged: must change nothing
    page.goto(url)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.screenshot(path=str(SCREENS / "login.png"))
    page.get_by_label("Name").fill("ana")
    page.get_by_label("Password").fill("not her password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match")
    page.get_by_label("Password").fill(PASSWORDS["ana"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as ana")).to_be_visible()
    page.screenshot(path=str(SCREENS / "home.png"))
    page.get_by_role("link", name="A tiny lesson").click()
    page.wait_for_url("**/" + PAGE)
    wait_for_widgets(page)
    expect(page.get_by_text("Your work is saved for ana")).to_be_visible(**kernel)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Practice")).to_be_visible(**kernel)
    page.get_by_role("radio", name="4").check()
    page.get_by_role("button", name="Check").first.click()
    expect(page.get_by_role("status").first).to_contain_text("Correct", **kernel)
    page.screenshot(path=str(SCREENS / "page-ana.png"))

    other = browser.new_context(viewport={"width": 1000, "height": 700})
    other.route(re.compile(r"^(?!http://127\.0\.0\.1[:/])"), lambda route: route.abort())
    try:
        theirs = other.new_page()
        sign_in(theirs, url, "bo")
        wait_for_widgets(theirs)
        expect(theirs.get_by_text("Your work is saved for bo")).to_be_visible(**kernel)
        expect(theirs.get_by_role("heading", name="Adding up")).to_be_visible(**kernel)  # ana's step is not bo's
        theirs.goto(url)
        theirs.get_by_role("button", name="Sign out").click()
        expect(theirs.get_by_role("heading", name="Sign in")).to_be_visible()
        theirs.goto(url + PAGE)
        expect(theirs.get_by_role("heading", name="Sign in")).to_be_visible()
    finally:
        other.close()

    page.reload()
    wait_for_widgets(page)
    expect(page.get_by_role("heading", name="Practice")).to_be_visible(**kernel)
    expect(page.get_by_role("radio", name="4")).to_be_checked(**kernel)


def test_a_trusted_proxy_names_the_student_and_another_address_does_not(tmp_path, page):
    write_lesson(tmp_path / "lessons", SHORT)
    port = free_port()
    with serving(serve_command(tmp_path, port, "--trusted-proxy=192.0.2.7,127.0.0.1",
                              "--identity-header=X-Remote-User"), port, tmp_path) as url:
        status, answer, _ = fetch(url + PAGE, headers={"X-Remote-User": "carol"}, source="127.0.0.2")
        assert status == 302 and answer["Location"].startswith("/lessonkit/login")
        page.set_extra_http_headers({"X-Remote-User": "carol"})
        page.goto(url + PAGE)
        wait_for_widgets(page)
        expect(page.get_by_text("Your work is saved for carol")).to_be_visible()


def test_the_roster_cli_adds_lists_removes_imports_and_keeps_no_password(tmp_path):
    roster = f"--roster={tmp_path / 'roster.sqlite'}"
    added = lessonkit("class", roster, "add", "ana")
    password = re.search(r"password (\S+)", added.stdout).group(1)
    assert added.returncode == 0 and len(password) >= 12
    assert lessonkit("class", roster, "add", "mr.lee", "--teacher", "--password-stdin",
                     stdin="teacher-pass-9\n").returncode == 0
    (tmp_path / "class.csv").write_text("name,teacher\ncy,\ndee,yes\n")
    imported = lessonkit("class", roster, "import", str(tmp_path / "class.csv"))
    passwords = dict(re.findall(r"^  (\S+)\t(\S+)$", imported.stdout, re.MULTILINE))
    assert imported.returncode == 0 and set(passwords) == {"cy", "dee"}
    assert lessonkit("class", roster, "remove", "cy").returncode == 0
    assert lessonkit("class", roster, "list").stdout.split("\n") == ["ana", "dee (teacher)", "mr.lee (teacher)", ""]
    missing = lessonkit("class", roster, "remove", "cy")
    assert missing.returncode == 2 and "not in the roster" in missing.stderr
    bad = lessonkit("class", roster, "add", "../x")
    assert bad.returncode == 2 and "a name is" in bad.stderr
    stored = (tmp_path / "roster.sqlite").read_bytes()
    for secret in (password, "teacher-pass-9", *passwords.values()):
        assert secret.encode() not in stored
    assert stored.count(b"$argon2id$") >= 3
    assert (tmp_path / "roster.sqlite").stat().st_mode & 0o077 == 0


def test_serving_beyond_this_machine_without_sign_in_is_refused(tmp_path):
    write_lesson(tmp_path / "lessons", SHORT)
    done = lessonkit("serve", str(tmp_path / "lessons"), "--ip=0.0.0.0", f"--roster={tmp_path / 'none.sqlite'}",
                     f"--out={tmp_path / 'build'}", f"--port={free_port()}")
    assert done.returncode == 2
    assert "refusing to serve on 0.0.0.0" in done.stderr and "lessonkit class add" in done.stderr
    assert "--trusted-proxy" in done.stderr and not (tmp_path / "build").exists()
