"""Layer 1, every environment variable lessonkit reads: its name, what it does, its default, who sets it.

One module, so that a deployment's every knob can be found: reading the environment
anywhere else in lessonkit fails tests/test_settings.py, and docs/configuration.md is
this module as a table (the same test keeps them equal).  Standard library only: the
student's kernel imports it on every page load.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping


@dataclass(frozen=True)
class Variable:
    """An environment variable, described as docs/configuration.md lists it."""

    name: str
    does: str
    default: str  # what happens when it is not set
    set_by: str

    def read(self) -> str | None:
        """The variable's value in this process, None when it is not set."""
        return os.environ.get(self.name)


#: The HTTP header a trusted proxy sets to the authenticated student, unless
#: ``LESSONKIT_IDENTITY_HEADER`` names another.
DEFAULT_IDENTITY_HEADER = "X-Lessonkit-Student"


def header_variable(header: str) -> str:
    """The variable Voila sets in a page's kernel for an HTTP header it was told to pass on
    (``--VoilaConfiguration.http_header_envs``)."""
    return "HTTP_" + header.upper().replace("-", "_")


DB = Variable(
    "LESSONKIT_DB",
    "where progress events go when no URL is given: a SQLAlchemy URL (sqlite:///…, postgresql+psycopg://…) "
    "or a file path (ending in .jsonl: a JSON-lines log; else a SQLite file)",
    "~/.lessonkit/progress.sqlite",
    "the teacher or the deployment; `lessonkit serve --db URL` sets it for Voila's kernels")
ROSTER = Variable(
    "LESSONKIT_ROSTER",
    "the class roster `lessonkit class` edits and `lessonkit serve` signs students in with (a SQLite file of "
    "names and argon2 hashes; the session cookies' secret is kept beside it, readable by its owner only)",
    "~/.lessonkit/roster.sqlite",
    "the teacher, when one machine serves several classes")
IDENTITY_HEADER = Variable(
    "LESSONKIT_IDENTITY_HEADER",
    "the HTTP header that names the student to a page's kernel: `lessonkit serve` writes into it the "
    "student it verified (signed-in session, trusted proxy's header, or this machine's user), replacing "
    "any copy the browser sent (empty: trust no header)",
    DEFAULT_IDENTITY_HEADER,
    "`lessonkit serve` (from `--identity-header`), for Voila's kernels")
STUDENT_HEADER = Variable(
    header_variable(DEFAULT_IDENTITY_HEADER),
    "the student a page belongs to, as `lessonkit serve` verified it (HTTP_ + the header "
    "LESSONKIT_IDENTITY_HEADER names, upper case, - as _)",
    "no header identity",
    "Voila, from the request's header, when started with --VoilaConfiguration.http_header_envs "
    "(as `lessonkit serve` does)")
TRUST_QUERY = Variable(
    "LESSONKIT_TRUST_QUERY",
    "1 accepts ?student=NAME in a page's URL as the student's id (demos only: anyone can type any name)",
    "the query string is ignored",
    "the teacher, for a demo")
JUPYTERHUB_USER = Variable(
    "JUPYTERHUB_USER",
    "the student, in JupyterLab and on pages served under JupyterHub (it comes first)",
    "the OS user in JupyterLab; the header, the query or an anonymous id on a page",
    "JupyterHub, for the user's own server")
QUERY_STRING = Variable(
    "QUERY_STRING",
    "a page's URL query, read for ?student=NAME when LESSONKIT_TRUST_QUERY=1",
    "no query",
    "Voila, for a page's kernel")
VOILA_PREHEAT = Variable(
    "VOILA_PREHEAT",
    "True in a kernel Voila started before its page was requested: the kernel waits for the request "
    "before it asks who the student is",
    "the request is already known",
    "Voila (preheated kernels)")
VOILA_KERNEL_ID = Variable(
    "VOILA_KERNEL_ID",
    "a page kernel's own id: a preheated kernel names it when it asks the server for its request",
    "no request is asked for",
    "Voila, in each page's kernel")
VOILA_APP_IP = Variable(
    "VOILA_APP_IP",
    "the address a preheated kernel reaches its server on, to learn its request",
    "127.0.0.1",
    "`lessonkit serve`, for pooled kernels (the address it listens on)")
VOILA_APP_PORT = Variable(
    "VOILA_APP_PORT",
    "the port a preheated kernel reaches its server on",
    "8866",
    "Voila, for pooled kernels")
VOILA_SERVER_URL = Variable(
    "VOILA_SERVER_URL",
    "the server's base path, under which a preheated kernel asks for its request",
    "/",
    "Voila, for pooled kernels")

NOTEBOOK_SECONDS = Variable(
    "LESSONKIT_NOTEBOOK_SECONDS",
    "the wall time `lessonkit grade` gives each notebook in all: a cell gets what is left of it when that is "
    "less than the per-cell timeout, and the cells left once it is spent are not run (0: no budget); "
    "`c.LessonkitGrader.notebook_seconds` in nbgrader_config.py comes first",
    "120",
    "the teacher, for an assignment whose notebooks run long")

#: Every variable, in the order docs/configuration.md lists them.
VARIABLES = (DB, ROSTER, IDENTITY_HEADER, STUDENT_HEADER, TRUST_QUERY, JUPYTERHUB_USER, QUERY_STRING, VOILA_PREHEAT,
             VOILA_KERNEL_ID, VOILA_APP_IP, VOILA_APP_PORT, VOILA_SERVER_URL, NOTEBOOK_SECONDS)


def identity_header() -> str | None:
    """The header a page's kernel trusts to name the student, None when it trusts none."""
    configured = IDENTITY_HEADER.read()
    header = DEFAULT_IDENTITY_HEADER if configured is None else configured.strip()
    return header or None


def student_from_header() -> str | None:
    """The trusted header's value, as Voila passed it to this kernel."""
    header = identity_header()
    return os.environ.get(header_variable(header)) if header else None


def environment_with(values: Mapping[Variable, str]) -> dict[str, str]:
    """This process's environment with ``values`` set: what a child (Voila and its kernels) inherits."""
    return {**os.environ, **{variable.name: value for variable, value in values.items()}}
