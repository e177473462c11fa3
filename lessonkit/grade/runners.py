"""Where submissions run.

A runner takes a :class:`~lessonkit.grade.execute.SubmissionJob` and gives back its
:class:`~lessonkit.grade.execute.SubmissionOutcome` through
:func:`~lessonkit.grade.execute.execute_submission`, here (:class:`LocalRunner`) or on a Dask
cluster (:class:`lessonkit.grade.cluster.DaskRunner`): where the work happens changes, never
how it is scored.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from lessonkit.grade.execute import ExecutionSettings, SubmissionJob, SubmissionOutcome, execute_submission
from lessonkit.grade.kernels import KernelPool


class Runner(Protocol):
    capacity: int
    """How many submissions it runs at once."""
    where: str

    async def __aenter__(self) -> Runner: ...
    async def __aexit__(self, *exc: object) -> None: ...
    async def run(self, job: SubmissionJob) -> SubmissionOutcome: ...


class LocalRunner:
    """``workers`` kernels at a time on this machine, the next ones already starting."""

    def __init__(self, settings: ExecutionSettings, workers: int) -> None:
        self.settings = settings
        self.capacity = max(1, workers)
        self.where = f"{self.capacity} local kernel(s)"
        self._pool = KernelPool(settings.kernel, self.capacity)
        self._slots = asyncio.Semaphore(self.capacity)

    async def __aenter__(self) -> LocalRunner:
        await self._pool.__aenter__()
        self.where += f", {self._pool.containment}"
        if self._pool.network_isolated:
            self.where += ", no network"
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._pool.__aexit__(*exc)

    async def run(self, job: SubmissionJob) -> SubmissionOutcome:
        async with self._slots:
            return await execute_submission(self._pool, job, self.settings)
