"""Who the student is: the id their events are stored under.

Progress is only as private as this id is trustworthy (architecture §8): JupyterHub's
``JUPYTERHUB_USER`` is set by the hub for the user's own server; an HTTP header is
trustworthy when the server in front of the kernel sets it: ``lessonkit serve`` puts the
student it verified there (a signed-in session, or a proxy it was told to trust) in place of
any copy the browser sent, and Voila hands it to the kernel through
``--VoilaConfiguration.http_header_envs``; the query string is typed by anyone, so it is
used only when ``LESSONKIT_TRUST_QUERY=1`` says this is a demo.  Without any of these a
page gets an anonymous id of its own, which keeps a visit's events together but cannot
resume after a reload; in JupyterLab the OS user stands in (the log lives beside the
notebook, so it is the student's anyway).  The variables it reads are described in
:mod:`lessonkit.settings`.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import re
import threading
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from lessonkit import settings

#: The HTTP header a proxy sets to the authenticated student (give it to Voila with
#: ``--VoilaConfiguration.http_header_envs="['X-Lessonkit-Student']"``).
HEADER = settings.DEFAULT_IDENTITY_HEADER
HEADER_ENV = settings.STUDENT_HEADER.name
QUERY_KEY = "student"

_PRINTABLE = re.compile(r"^[^\x00-\x1f\x7f]{1,200}$")


@dataclass(frozen=True)
class Identity:
    """A student id and where it came from (``source`` is shown to the student, so that a
    wrong or anonymous identity is noticed before an hour of work is filed under it)."""

    student_id: str
    source: str  # "jupyterhub" | "header" | "query" | "os-user" | "anonymous"

    @property
    def resumable(self) -> bool:
        """Whether a later session will find this id again (an anonymous one will not)."""
        return self.source != "anonymous"


def _valid(value: str | None) -> str | None:
    value = (value or "").strip()
    return value if _PRINTABLE.match(value) else None


def notebook_identity() -> Identity:
    """JupyterLab: the hub user, else the OS user running the kernel."""
    if hub := _valid(settings.JUPYTERHUB_USER.read()):
        return Identity(hub, "jupyterhub")
    try:
        return Identity(_valid(getpass.getuser()) or "student", "os-user")
    except (KeyError, OSError):  # no passwd entry (some containers)
        return Identity("student", "os-user")


#: how long a preheated kernel keeps trying to reach its server before it gives up on a request
QUERY_PATIENCE_S = 600.0


class _NoRequest(Exception):
    """The server refused to say (the kernel is not one it is waiting on); trying again will not help."""


async def _receive_request(url: str, patience: float) -> dict[str, Any] | None:
    """Connect to the server's query socket and wait (however long) for this kernel's request.

    A server busy starting a class's kernels may take long to accept the connection, or drop
    it: each failure is retried, with a pause, for ``patience`` seconds in all (Voila's own
    helper tries once, for 5 s, and then runs the page as nobody's).
    """
    from tornado.httpclient import HTTPClientError, HTTPRequest
    from tornado.websocket import websocket_connect

    deadline = asyncio.get_running_loop().time() + patience
    pause = 0.25
    while asyncio.get_running_loop().time() < deadline:
        try:
            connection = await websocket_connect(HTTPRequest(url, connect_timeout=30, request_timeout=30))
        except HTTPClientError as error:
            if error.code == 404:
                raise _NoRequest(url) from None
        except (OSError, asyncio.TimeoutError):
            pass
        else:
            try:
                message = await connection.read_message()  # no timeout: a pooled kernel waits for its student
            finally:
                connection.close()
            if message is not None:
                return json.loads(message)
        await asyncio.sleep(pause)
        pause = min(5.0, pause * 2)
    return None


def wait_for_request(patience: float = QUERY_PATIENCE_S) -> bool:
    """In a preheated kernel, block until the server hands this kernel to a student, then put
    that request's variables (its trusted header among them) into this process's environment.

    lessonkit's own client rather than ``voila.utils.wait_for_request``: importing Voila would
    load Jupyter Server into every page's kernel (about 40 MB each), and Voila's helper gives
    up after one 5 s connection attempt.  The wait runs in a thread of its own because the cell
    that calls it runs inside the kernel's event loop.  Returns whether a request came.
    """
    port = settings.VOILA_APP_PORT.read() or "8866"
    host = settings.VOILA_APP_IP.read() or "127.0.0.1"
    url = f"ws://{host}:{port}{settings.VOILA_SERVER_URL.read() or '/'}voila/query/{settings.VOILA_KERNEL_ID.read()}"
    received: list[dict[str, Any] | None] = [None]

    def run() -> None:
        try:
            received[0] = asyncio.run(_receive_request(url, patience))
        except _NoRequest:
            pass

    thread = threading.Thread(target=run, name="lessonkit-wait-for-request", daemon=True)
    thread.start()
    thread.join()
    request = received[0]
    if request is None:
        return False
    os.environ.update({str(name): str(value) for name, value in request.items()})
    os.environ[settings.VOILA_PREHEAT.name] = "False"  # known now: a second page_identity() must not wait
    return True


def page_identity() -> Identity:
    """A Voila page: the hub user, else the trusted header, else (demos only) the query
    string, else a fresh anonymous id."""
    if settings.VOILA_PREHEAT.read() == "True":  # a preheated kernel learns its request late
        wait_for_request()
    if hub := _valid(settings.JUPYTERHUB_USER.read()):
        return Identity(hub, "jupyterhub")
    if header := _valid(settings.student_from_header()):
        return Identity(header, "header")
    if settings.TRUST_QUERY.read() == "1":
        values = parse_qs(settings.QUERY_STRING.read() or "").get(QUERY_KEY, [])
        if values and (query := _valid(values[0])):
            return Identity(query, "query")
    return Identity(f"anonymous-{uuid.uuid4().hex[:12]}", "anonymous")
