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

import getpass
import re
import uuid
from dataclasses import dataclass
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


def page_identity() -> Identity:
    """A Voila page: the hub user, else the trusted header, else (demos only) the query
    string, else a fresh anonymous id."""
    if settings.VOILA_PREHEAT.read() == "True":  # a preheated kernel learns its request late
        from voila.utils import wait_for_request

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
