"""The preheated pools' refills: one kernel per core at a time, only while no page is being served, at low CPU priority.

A kernel's start costs seconds of CPU (its imports, the page's rehearsal, the server's template
render for it) while a student's own part of a page costs the server about a tenth of a second.
Voila refills a pool ``fill_delay`` seconds after each hand-out, all at once: measured with
``benchmarks/serve.py`` (30 students opening a page at once, 2 cores, 2026-12-01), its thirty
refills took the CPU from the class arriving (p95 109 s at load 18), where the same burst with no
refill waited 14 s under a heavier load.  So Voila never refills here (each page's ``pool_size``
in Voila's configuration stays 0, and Voila's own fill adds nothing); the :class:`PoolKeeper`
does: when the server has served no page for :data:`QUIET_S` seconds it starts kernels, at most
:data:`PARALLEL` (one per core) at once, each counted until it has run its page up to the point
where it waits for its student (or :data:`WARM_TIMEOUT_S`).  One at a time left a core idle: with
``--warm 30`` the pool took minutes to fill.  Pooled kernels run at :data:`POOL_NICE`, so a
refill that is under way when a class arrives yields the CPU to the server relaying their pages.
A pooled kernel that died is dropped and replaced, so a student is never handed a dead one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from jupyter_core.utils import ensure_async

#: seconds with no page served before a refill may start (a class arrives within a few seconds)
QUIET_S = 3.0
#: how often the keeper looks at the pools
CHECK_S = 1.0
#: the longest one refill may take before the next starts (a kernel that hangs must not stop the pool)
WARM_TIMEOUT_S = 120.0
#: the CPU priority (``nice``) of pooled kernels: below the server, which relays every student's page
POOL_NICE = 5
#: kernels started at once while the server is quiet: a start is one process's work (imports, the
#: rehearsal), so one per core; more would only take turns on the same cores
PARALLEL = max(1, os.cpu_count() or 1)


class Activity:
    """Whether the server is serving pages now, and since when it has not been."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._running = 0
        self._last = -math.inf

    @contextlib.contextmanager
    def serving(self) -> Iterator[None]:
        """Around one page request, from its start to its last byte."""
        self._running += 1
        try:
            yield
        finally:
            self._running -= 1
            self._last = self._clock()

    def quiet_for(self) -> float:
        """Seconds since the last page was served; 0 while one is."""
        return 0.0 if self._running else self._clock() - self._last


class PoolKeeper:
    """Keeps each page's pool of Voila's kernel manager at its size, ``parallel`` quiet-time starts at a time.

    ``sizes``: page path → kernels to keep.  Uses Voila's own pool (``_pools``: page → tasks that
    yield a kernel) and its ``fill_if_needed``, with the page's configured size raised by one for
    that call only.
    """

    def __init__(self, manager: Any, sizes: Mapping[str, int], activity: Activity, log: logging.Logger, *,
                 quiet_s: float = QUIET_S, warm_timeout_s: float = WARM_TIMEOUT_S, nice: int = POOL_NICE,
                 parallel: int = PARALLEL) -> None:
        self._manager, self._sizes, self._activity, self._log = manager, dict(sizes), activity, log
        self._quiet_s, self._warm_timeout_s, self._nice, self._parallel = quiet_s, warm_timeout_s, nice, parallel
        self._arrived: dict[str, asyncio.Event] = {}
        self._warming: set[asyncio.Future] = set()

    def kernel_waiting(self, kernel_id: str) -> None:
        """A pooled kernel has run its page up to its student's request (its query socket opened)."""
        if (event := self._arrived.get(kernel_id)) is not None:
            event.set()

    async def run(self) -> None:
        """Forever: replace the dead, then start kernels if a pool is short and the server quiet."""
        while True:
            try:
                await self.step()
            except Exception:  # noqa: BLE001  (a failed start is logged; the next look tries again)
                self._log.exception("refilling the kernel pool failed")
            await asyncio.sleep(CHECK_S)

    async def step(self) -> list[str]:
        """One look at the pools; returns the pages a kernel was started for (at most one per free slot)."""
        for page in self._sizes:
            await self._drop_dead(page)
        self._warming = {task for task in self._warming if not task.done()}
        started: list[str] = []
        while self._activity.quiet_for() >= self._quiet_s and len(self._warming) < self._parallel:
            short = next((page for page, size in self._sizes.items() if len(self._pool(page)) < size), None)
            if short is None:
                break
            warming = asyncio.ensure_future(self._warm(short, self._start(short)))
            warming.add_done_callback(self._log_failure)
            self._warming.add(warming)
            started.append(short)
        return started

    def _log_failure(self, warming: asyncio.Future) -> None:
        """A refill runs beside the keeper's loop: what goes wrong in it is logged, as in the loop."""
        if not warming.cancelled() and (error := warming.exception()) is not None:
            self._log.error("refilling the kernel pool failed", exc_info=error)

    def _pool(self, page: str) -> list[asyncio.Task]:
        return self._manager._pools.setdefault(page, [])

    def _start(self, page: str) -> asyncio.Task:
        """Voila's pool task for one more kernel of ``page`` (in the pool at once, so the next look counts it)."""
        pool = self._pool(page)
        config = self._manager.kernel_pools_config[page]
        config["pool_size"] = len(pool) + 1
        try:
            self._manager.fill_if_needed(delay=0, notebook_name=page)
        finally:
            config["pool_size"] = 0  # Voila's refill after a hand-out must add nothing
        return pool[-1]

    async def _warm(self, page: str, task: asyncio.Task) -> None:
        """Until the kernel ``task`` yields has run ``page`` up to its student's request, or gave up."""
        try:
            kernel_id = (await task)["kernel_id"]
        except Exception:  # noqa: BLE001  (left in the pool: _drop_dead replaces it)
            return
        self._lower_priority(kernel_id)
        self._arrived[kernel_id] = event = asyncio.Event()
        try:
            await asyncio.wait_for(event.wait(), self._warm_timeout_s)
        except asyncio.TimeoutError:
            self._log.warning("pooled kernel %s of %s is not waiting for a student after %.0f s",
                              kernel_id, page, self._warm_timeout_s)
        finally:
            del self._arrived[kernel_id]

    def _lower_priority(self, kernel_id: str) -> None:
        pid = getattr(self._manager.get_kernel(kernel_id).provisioner, "pid", None)
        if pid is not None:
            with contextlib.suppress(OSError):  # it may have exited already: _drop_dead sees to it
                os.setpriority(os.PRIO_PROCESS, pid, self._nice)

    async def _drop_dead(self, page: str) -> None:
        """Voila's pool keeps a kernel that died until a student is handed it, whose page would never start."""
        manager, pool = self._manager, self._pool(page)
        for task in [task for task in pool if task.done()]:
            kernel_id = None if task.cancelled() or task.exception() else task.result()["kernel_id"]
            if kernel_id is not None and kernel_id in manager and await ensure_async(
                    manager.get_kernel(kernel_id).is_alive()):
                continue
            self._log.warning("a pooled kernel of %s is gone (%s): replacing it", page, kernel_id or "failed to start")
            pool.remove(task)
            if kernel_id is not None and kernel_id in manager:
                with contextlib.suppress(Exception):  # already gone is what we want
                    await ensure_async(manager.shutdown_kernel(kernel_id, now=True))
