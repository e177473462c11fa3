"""Every kernel belongs to the student whose page started it, and only they can reach it.

Voila addresses a kernel by its id alone: its websocket, its REST model, its shutdown and the
preheat query socket all take ``/<kernel_id>`` from anyone the server lets in.  An id is
random and sent only to its own page, but a page's HTML is easy to share, a screenshot shows
it, and a student who learned a classmate's id could attach to their kernel and drive their
page.  So the page handler records the verified student as the kernel's owner the moment it
has a kernel (a fresh one, or one handed out of the preheated pool), and every
kernel-addressed handler answers 404 (not 403: no oracle for which ids exist) to anyone else.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import datetime, timezone
from typing import Any

from jupyter_core.utils import ensure_async
from jupyter_server.services.kernels.handlers import KernelHandler
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from voila.request_info_handler import RequestInfoSocketHandler
from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
from voila.tornado.execution_request_handler import ExecutionRequestHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

from lessonkit.serve import is_loopback

OWNERS = "lessonkit_kernel_owners"
#: the longest a page may take to run its notebook before the server gives up on its kernel
#: (``lessonkit serve --start-timeout``; the server's settings hold it under :data:`DEADLINE`)
PAGE_DEADLINE_S = 120.0
DEADLINE = "lessonkit_page_deadline"
#: the server's settings keys of its :class:`lessonkit.serve.pool.Activity` and ``PoolKeeper`` (with a pool)
ACTIVITY = "lessonkit_activity"
KEEPER = "lessonkit_pool_keeper"
#: what a page that was given up on ends with: the template's start script retries (extensions/voila-template)
GAVE_UP = ('<script>window.lessonkitStart && window.lessonkitStart.failed('
           '"The server took too long to start your lesson.")</script>')


class KernelOwners:
    """kernel id → the student it was started for, kept in the server's memory (kernels are too)."""

    def __init__(self) -> None:
        self._owner: dict[str, str] = {}

    def claim(self, kernel_id: str, student: str) -> None:
        if self._owner.setdefault(kernel_id, student) != student:  # a pooled kernel is handed out once
            raise web.HTTPError(500, f"kernel {kernel_id} already belongs to someone else")

    def claimed(self, kernel_id: str) -> bool:
        """Whether a page has been given this kernel."""
        return kernel_id in self._owner

    def owns(self, student: str | None, kernel_id: str, kernel_manager: Any) -> bool:
        if kernel_id not in kernel_manager:  # ended (culled, shut down): forget it
            self._owner.pop(kernel_id, None)
            return False
        return student is not None and self._owner.get(kernel_id) == student


class LeanKernelManager(AsyncMappingKernelManager):
    """Jupyter Server's kernel manager, with a cheaper watch on what each kernel sends.

    Jupyter Server decodes every message a kernel publishes, signature checked and dates parsed,
    only to note when the kernel was last active (what culling reads) and whether it is busy.  A
    page's kernel publishes about 110 widget messages as it builds its student's page, and that
    decoding was a fifth of the server's CPU while thirty students opened a page at once (py-spy,
    benchmarks/serve.py).  Here only the header's type, the parent's type and a status's state are
    read.  The signature is not checked on this watch: only the kernel publishes on its socket, and
    code running in the kernel holds the key anyway; the page's own channels still check it.
    """

    def start_watching_activity(self, kernel_id: str) -> None:
        kernel = self._kernels[kernel_id]
        kernel.reason = ""
        kernel.last_activity = datetime.now(timezone.utc)
        kernel._activity_stream = kernel.connect_iopub()
        session = kernel.session

        def record_activity(msg_list: list[bytes]) -> None:
            _, frames = session.feed_identities(msg_list)  # frames: signature, header, parent, metadata, content
            msg_type = json.loads(frames[1])["msg_type"]
            parent_type = json.loads(frames[2]).get("msg_type")
            if self.track_message_type(msg_type) or self.track_message_type(parent_type) \
                    or kernel.execution_state == "busy":
                self.last_kernel_activity = kernel.last_activity = datetime.now(timezone.utc)
            if msg_type == "status":
                state = json.loads(frames[4])["execution_state"]
                if self.track_message_type(parent_type):
                    kernel.execution_state = state
                elif kernel.execution_state == "starting" and state != "starting":
                    kernel.execution_state = "idle"  # as Jupyter Server: idle once started, unless tracked

        kernel._activity_stream.on_recv(record_activity)


class _ClaimingKernelManager:
    """The kernel manager as one page request sees it: any kernel it obtains is claimed for its student."""

    def __init__(self, manager: Any, owners: KernelOwners, student: str) -> None:
        self._manager, self._owners, self._student = manager, owners, student
        self.claimed: str | None = None  # the kernel this request obtained

    def __getattr__(self, name: str) -> Any:
        return getattr(self._manager, name)

    def _ready_first(self, notebook_name: str) -> list[Any]:
        """The page's pool (Voila's own list of tasks that yield a kernel), the ready ones moved first:
        Voila hands out the first, ready or not."""
        pool = getattr(self._manager, "_pools", {}).get(notebook_name, [])
        pool.sort(key=lambda task: not (task.done() and not task.cancelled() and task.exception() is None))
        return pool

    def get_pool_size(self, notebook_name: str) -> int:
        """The pooled kernels ready now: a page never waits on one still starting (Voila would, with
        nothing sent to the browser until it is up), it starts its own and streams the page meanwhile."""
        pool = self._ready_first(notebook_name)
        return sum(1 for task in pool if task.done() and not task.cancelled() and task.exception() is None)

    async def start_kernel(self, *args: Any, **kwargs: Any) -> str:
        kernel_id = await ensure_async(self._manager.start_kernel(*args, **kwargs))
        self._owners.claim(kernel_id, self._student)
        self.claimed = kernel_id
        return kernel_id

    async def get_rendered_notebook(self, notebook_name: str, **kwargs: Any) -> tuple[Any, list[str], str]:
        self._ready_first(notebook_name)
        task, rendered, kernel_id = await self._manager.get_rendered_notebook(notebook_name=notebook_name, **kwargs)
        # claimed before Voila sends the request (and the student's name) to the waiting kernel
        self._owners.claim(kernel_id, self._student)
        self.claimed = kernel_id
        return task, rendered, kernel_id


class PageHandler(TornadoVoilaHandler):
    """``/voila/render/<page>``: only a page ``lessonkit serve`` built, only for a verified student.

    This replaces Voila's ``prelaunch_hook`` (which the preheated pool cannot be combined with):
    the check runs before either path, pooled or fresh, obtains a kernel.
    """

    async def prepare(self, *args: Any, **kwargs: Any) -> None:
        await ensure_async(super().prepare(*args, **kwargs))
        if self._finished:  # sent to sign in
            return
        path = self.path_args[0] if self.path_args else ""
        if path not in self.settings["lessonkit_pages"]:
            raise web.HTTPError(404)  # a student notebook, or anything else in the build folder
        header = self.settings["identity_provider"].parent.identity_header
        if self.current_user is None or self.request.headers.get(header) != self.current_user.username:
            raise web.HTTPError(403)

    @property
    def kernel_manager(self) -> Any:
        manager = super().kernel_manager
        if self.current_user is None:
            return manager
        if getattr(self, "_claiming", None) is None:  # one per request: it remembers the kernel obtained
            self._claiming = _ClaimingKernelManager(manager, self.settings[OWNERS], self.current_user.username)
        return self._claiming

    @web.authenticated
    async def get(self, path: str | None = None) -> None:
        """Voila's page, streamed as it renders, but not for ever: a kernel that has not run the page
        within the deadline (:data:`PAGE_DEADLINE_S` unless configured: a pooled kernel that died,
        a server too busy to start one) is shut down and the page told to try again (its
        template retries, then says what to do).  While it runs, the pool waits with its refills."""
        with self.settings[ACTIVITY].serving():
            await self._stream(path)

    async def _stream(self, path: str | None) -> None:
        pieces = self.get_generator(path=path).__aiter__()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.get(DEADLINE, PAGE_DEADLINE_S)
        while True:
            try:
                html = await asyncio.wait_for(pieces.__anext__(), max(0.0, deadline - loop.time()))
            except StopAsyncIteration:
                return
            except asyncio.TimeoutError:
                await self._give_up()
                return
            self.write(html)
            self.flush()

    async def _give_up(self) -> None:
        kernel_id = getattr(self, "_claiming", None) and self._claiming.claimed
        self.log.warning("page %s: no kernel ran it in time (kernel %s): asking the page to retry",
                         self.request.path, kernel_id)
        self.write(GAVE_UP)
        self.finish()
        if kernel_id is not None and kernel_id in super().kernel_manager:
            with contextlib.suppress(Exception):  # already gone is what we want
                await ensure_async(super().kernel_manager.shutdown_kernel(kernel_id, now=True))


class _OwnerOnly:
    """For handlers addressed by ``kernel_id``: 404 unless the signed-in student owns that kernel."""

    async def prepare(self, *args: Any, **kwargs: Any) -> None:
        await ensure_async(super().prepare(*args, **kwargs))  # type: ignore[misc]
        if self._finished:  # type: ignore[attr-defined]
            return
        user = self.current_user  # type: ignore[attr-defined]
        kernel_id = self.path_kwargs.get("kernel_id") or (self.path_args or [""])[0]  # type: ignore[attr-defined]
        owners: KernelOwners = self.settings[OWNERS]  # type: ignore[attr-defined]
        if not owners.owns(user.username if user else None, kernel_id, self.kernel_manager):  # type: ignore[attr-defined]
            raise web.HTTPError(404)


class OwnedKernelHandler(_OwnerOnly, KernelHandler):
    """``/api/kernels/<id>``: the kernel's model, or shut it down (DELETE)."""


class OwnedKernelWebsocketHandler(_OwnerOnly, VoilaKernelWebsocketHandler):
    """``/api/kernels/<id>/channels``: the page's widget messages."""


class OwnedShutdownHandler(_OwnerOnly, VoilaShutdownKernelHandler):
    """``/voila/api/shutdown/<id>``: the page's ``beforeunload`` shutdown."""


class OwnedExecutionHandler(_OwnerOnly, ExecutionRequestHandler):
    """``/voila/execution/<id>``: progressive rendering's execution socket."""


class KernelQueryHandler(RequestInfoSocketHandler):
    """``/voila/query/<id>``: where a preheated kernel learns who it is for.

    The client is the kernel itself, connecting from this machine with no cookie; Voila's own
    handler accepts anyone, any number of times, and replays the request (the student's name)
    to each.  Here a connection is accepted from loopback, carrying no browser session, for a
    kernel this server started, one at a time, and only while the kernel is still waiting: not
    yet handed to a page, or handed out with its request not yet collected (the cached copy is
    dropped once delivered).  A kernel whose connection dropped before its student came may
    connect again: a server busy starting a class's kernels does drop some.
    """

    def prepare(self) -> None:
        kernel_id = self.path_kwargs.get("kernel_id", "")
        sent_by_browser = "Cookie" in self.request.headers or "Origin" in self.request.headers
        waiting = not self.settings[OWNERS].claimed(kernel_id) or kernel_id in self._cache
        if (not is_loopback(self.request.remote_ip or "") or sent_by_browser or not waiting
                or kernel_id in self._waiters or kernel_id not in self.settings["kernel_manager"]):
            raise web.HTTPError(404)

    def open(self, kernel_id: str) -> None:  # type: ignore[override]
        # what a teacher's log shows of the pool: each kernel ready before a student arrives
        self.application.settings["identity_provider"].log.info("kernel %s is waiting for its student", kernel_id)
        if (keeper := self.settings.get(KEEPER)) is not None:
            keeper.kernel_waiting(kernel_id)
        super().open(kernel_id)
        if kernel_id in self._cache:  # the student came first: the request went out just now
            del RequestInfoSocketHandler._cache[kernel_id]

    def on_close(self) -> None:
        # Voila's own would delete another kernel's entry when this one is not there
        kernel_id = next((k for k, waiter in self._waiters.items() if waiter is self), None)
        if kernel_id is not None:
            del RequestInfoSocketHandler._waiters[kernel_id]


REPLACEMENTS = {
    KernelHandler: OwnedKernelHandler,
    VoilaKernelWebsocketHandler: OwnedKernelWebsocketHandler,
    VoilaShutdownKernelHandler: OwnedShutdownHandler,
    ExecutionRequestHandler: OwnedExecutionHandler,
    RequestInfoSocketHandler: KernelQueryHandler,
    TornadoVoilaHandler: PageHandler,
}
