"""Grading on a Dask cluster: every submission one task, kernels started ahead on each worker.

Each worker keeps a :class:`~lessonkit.grade.kernels.KernelPool` of its own (a worker plugin,
on an event loop of its own), so a worker's next kernel is starting while its current task
runs.  Workers need lessonkit, ipykernel and the course's packages installed; the gradebook
and the teacher's files stay on the grader's machine: a task carries the submission's files
and the prepared notebooks, and brings back the executed ones.  Student code in a worker's
kernels is contained as on the grader's machine (see :mod:`lessonkit.grade.kernels`); the
network namespace keeps it from the scheduler, which would run anything it is sent.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

from distributed import Client, WorkerPlugin, get_worker

from lessonkit.grade.execute import ExecutionSettings, SubmissionJob, SubmissionOutcome, execute_submission
from lessonkit.grade.kernels import KernelPool

WORKER_WAIT_S = 60.0
"""How long a run waits for the cluster's first worker before it gives up."""


class DaskRunner:
    """Each submission a task on the Dask cluster at ``address`` (``tcp://host:port``)."""

    def __init__(self, settings: ExecutionSettings, address: str) -> None:
        self.settings = settings
        self.address = address
        self.capacity = 1
        self.where = f"Dask at {address}"
        self._plugin = f"lessonkit-grade-{uuid.uuid4().hex[:8]}"
        self._client: Any = None

    async def __aenter__(self) -> DaskRunner:
        self._client = await Client(self.address, asynchronous=True)
        await self._client.register_plugin(WorkerKernels(self.settings), name=self._plugin)
        await self._client.wait_for_workers(1, timeout=WORKER_WAIT_S)
        workers = (await self._client.scheduler.identity())["workers"].values()
        self.capacity = max(1, sum(w["nthreads"] for w in workers))
        self.where += f" ({len(workers)} worker(s), {self.capacity} thread(s))"
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self._client.unregister_worker_plugin(self._plugin)
        finally:
            await self._client.close()

    async def run(self, job: SubmissionJob) -> SubmissionOutcome:
        # a worker elsewhere cannot read this machine's files: send their contents with the task
        files = tuple((rel, content if isinstance(content, bytes) else Path(content).read_bytes())
                      for rel, content in job.files)
        future = self._client.submit(run_on_worker, replace(job, files=files), self._plugin, pure=False,
                                     key=f"grade-{job.student_id}-{uuid.uuid4().hex[:8]}")
        return await future


class WorkerKernels(WorkerPlugin):
    """A Dask worker plugin: a kernel pool on each worker, on an event loop of its own."""

    def __init__(self, settings: ExecutionSettings) -> None:
        self.settings = settings

    def setup(self, worker: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="lessonkit-kernels", daemon=True)
        self._thread.start()
        self._pool = KernelPool(self.settings.kernel, worker.state.nthreads)
        asyncio.run_coroutine_threadsafe(self._pool.__aenter__(), self._loop).result()

    def teardown(self, worker: Any) -> None:
        asyncio.run_coroutine_threadsafe(self._pool.__aexit__(None, None, None), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()

    def run(self, job: SubmissionJob) -> SubmissionOutcome:
        coroutine = execute_submission(self._pool, job, self.settings)
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()


def run_on_worker(job: SubmissionJob, plugin: str) -> SubmissionOutcome:
    """The Dask task: grade one submission with the worker's kernel pool."""
    return get_worker().plugins[plugin].run(job)
