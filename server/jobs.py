"""Work the server does by itself every so often: lapsing holds now, notices later.

A job is a plain function of the present time; the runner calls it in a worker thread
(jobs use the database) every `every_s` seconds while the app lives. A run that fails is
logged and the next one still comes, and stopping waits for a run under way to finish.
Jobs must be safe when several servers run them at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every_s: float
    run: Callable[[datetime], object]


class Jobs:
    """Runs each job on its own period; `start` inside the app's event loop, `stop` at exit."""

    def __init__(self, jobs: list[Job]) -> None:
        self.jobs = jobs
        self._stopping: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._stopping = asyncio.Event()
        self._tasks = [
            asyncio.create_task(self._every(job, self._stopping), name=f"job-{job.name}")
            for job in self.jobs
        ]

    async def stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
        await asyncio.gather(*self._tasks)
        self._tasks = []

    async def _every(self, job: Job, stopping: asyncio.Event) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=job.every_s)
            if stopping.is_set():
                return
            try:
                await asyncio.to_thread(job.run, datetime.now(UTC))
            except Exception:
                log.exception("job %s failed; it runs again in %s s", job.name, job.every_s)
