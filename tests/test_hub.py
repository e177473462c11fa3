"""A school's setup from docs/deploy.md, run for real: JupyterHub with its configurable-http-proxy
on loopback, PostgreSQL for progress, two students in Chromium; each page is filed under its
own hub user and one student cannot open the other's server."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import REPO_ROOT, wait_for_widgets
from lessonfactory import write_lesson
from longstart import START_TIMEOUT, running
from pg import create_database, temporary_postgres
from playwright.sync_api import expect
from system import free_port

from lessonkit.progress import open_store
from lessonkit.progress.rowsecurity import student_url

pytestmark = pytest.mark.slow

PASSWORD = "hub-password-1"
SECRET = b"the-hub's-own-secret-0123456789"
PROXY_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "lessonkit-tests" / "chp"
PROXY = PROXY_CACHE / "node_modules" / ".bin" / "configurable-http-proxy"


def configurable_http_proxy() -> Path:
    """JupyterHub's proxy, installed from npm into a cache folder the first time (as CI does)."""
    if not PROXY.exists():
        npm = shutil.which("npm")
        assert npm, "npm is needed to install configurable-http-proxy (apt-get install npm)"
        subprocess.run([npm, "install", "--prefix", str(PROXY_CACHE), "configurable-http-proxy"], check=True,
                       capture_output=True, timeout=600)
    return PROXY


def documented_config() -> str:
    """The jupyterhub_config.py block of docs/deploy.md, as a teacher would copy it."""
    text = (REPO_ROOT / "docs" / "deploy.md").read_text()
    return re.search(r"```python\n(# jupyterhub_config\.py.*?)```", text, re.S).group(1)


@contextlib.contextmanager
def hub(folder: Path, db: str) -> Iterator[str]:
    port, hub_port, api_port = free_port(), free_port(), free_port()
    # the documented steps before the first spawn: the hub's secret, and the store secured by the teacher
    (folder / "db-secret").write_text(SECRET.decode())
    secured = subprocess.run([sys.executable, "-m", "lessonkit", "secure-store", "--store", db], capture_output=True,
                             text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert secured.returncode == 0, secured.stderr
    config = documented_config().replace("/srv/lessonkit/build", str(folder / "build")).replace(
        "postgresql+psycopg://lessonkit:PASSWORD@db.example-school.org:5432/lessonkit", db).replace(
        "/srv/lessonkit/db-secret", str(folder / "db-secret"))
    # this machine's stand-ins for the school's authenticator and spawner
    config += f"""
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.command = [{str(configurable_http_proxy())!r}]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {PASSWORD!r}
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.Spawner.args = ["--allow-root"]
c.Spawner.start_timeout = {int(START_TIMEOUT)}
c.Spawner.http_timeout = {int(START_TIMEOUT)}
c.Spawner.environment.update({{"PYTHONPATH": {str(REPO_ROOT)!r}}})
"""
    (folder / "jupyterhub_config.py").write_text(config)
    url = f"http://127.0.0.1:{port}/"
    # the proxy answers 404 until the hub has added its route: only the hub's own 200 means it is up
    with running([sys.executable, "-m", "jupyterhub", "-f", "jupyterhub_config.py"], url + "hub/health", cwd=folder,
                 healthy=True):
        yield url


def sign_in(context, url: str, name: str):
    page = context.new_page()
    page.goto(url + "hub/login", timeout=120_000)
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"/user/{name}/"), timeout=int(START_TIMEOUT * 1000))  # the hub spawned it
    return page


def test_each_hub_user_is_their_own_student_and_cannot_open_another_server(tmp_path, browser):
    write_lesson(tmp_path / "lessons")
    built = subprocess.run([sys.executable, "-m", "lessonkit", "build", str(tmp_path / "lessons"),
                            f"--out={tmp_path / 'build'}", f"--course={tmp_path / 'grading'}"],
                           capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert built.returncode == 0, built.stderr
    lesson = "voila/render/tiny/page/tiny.ipynb"
    with temporary_postgres() as server, hub(tmp_path, db := create_database(server)) as url:
        pages = {}
        for name in ("ana", "bo"):
            context = browser.new_context(viewport={"width": 1000, "height": 700})
            context.route(re.compile(r"^(?!http://127\.0\.0\.1[:/])"), lambda route: route.abort())
            pages[name] = sign_in(context, url, name)
            pages[name].goto(url + f"user/{name}/{lesson}", timeout=int(START_TIMEOUT * 1000))
            wait_for_widgets(pages[name], timeout=START_TIMEOUT * 1000)
            expect(pages[name].get_by_text(f"Your work is saved for {name}")).to_be_visible()
        pages["ana"].screenshot(path=str(tmp_path / "hub-ana.png"))
        intruder = pages["bo"].goto(url + f"user/ana/{lesson}", timeout=120_000)
        assert intruder.status in (403, 404) or "/user/bo/" in pages["bo"].url, intruder.status
        expect(pages["bo"].get_by_text("Your work is saved for ana")).to_have_count(0)
        with open_store(db) as store:  # the teacher's login reads the class
            assert store.students("tiny") == ["ana", "bo"]
        for name in ("ana", "bo"):  # each server was given a login of its own, which sees its own rows only
            with open_store(student_url(db, name, SECRET)) as store:
                assert store.students("tiny") == [name]
