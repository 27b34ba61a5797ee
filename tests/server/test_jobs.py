"""The job runner: runs each job on its period, survives a failing run, stops cleanly."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

from server.jobs import Job, Jobs


def test_jobs_run_on_their_period_and_a_failure_does_not_stop_them() -> None:
    ran: list[datetime] = []
    failed: list[int] = []

    def record(now: datetime) -> None:
        ran.append(now)

    def fail(now: datetime) -> None:
        failed.append(1)
        raise RuntimeError("a bad row")

    async def main() -> None:
        jobs = Jobs([Job("record", 0.02, record), Job("fail", 0.02, fail)])
        jobs.start()
        await asyncio.sleep(0.3)
        await jobs.stop()

    asyncio.run(main())
    assert len(ran) >= 3
    assert len(failed) >= 3  # failed every time, ran again every time
    assert ran == sorted(ran)
    assert ran[0].tzinfo is not None


def test_stopping_waits_for_a_run_under_way_and_none_start_after() -> None:
    finished: list[str] = []

    def slow(now: datetime) -> None:
        time.sleep(0.2)
        finished.append("done")

    async def main() -> None:
        jobs = Jobs([Job("slow", 0.01, slow)])
        jobs.start()
        await asyncio.sleep(0.05)  # the first run is under way
        await jobs.stop()
        assert finished == ["done"]
        await asyncio.sleep(0.1)

    asyncio.run(main())
    assert finished == ["done"]
