"""EventBridge Scheduler, emulated: each catalog ScheduledJob's handler runs on a timer thread."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

from foodshare import clock
from foodshare.catalog import SCHEDULED_JOBS, ScheduledJob


def scheduled_event(job: ScheduledJob) -> dict:
    """The event EventBridge Scheduler passes to a Lambda target (its default input)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "time": clock.now_iso(),
        "resources": [f"arn:aws:scheduler:local:000000000000:schedule/default/{job.name}"],
        "detail": {},
    }


class Timers:
    def __init__(self, invoker: Callable[[str], Callable[[dict], object]],
                 jobs: tuple[ScheduledJob, ...] = SCHEDULED_JOBS) -> None:
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(job, invoker(job.name)), name=f"schedule-{job.name}", daemon=True)
            for job in jobs
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def _run(self, job: ScheduledJob, invoke: Callable[[dict], object]) -> None:
        from foodshare.observability import logger

        while not self._stop.wait(job.every_seconds):
            try:
                invoke(scheduled_event(job))
            except Exception:  # a failed run is logged; the next one comes on time
                logger.exception("scheduled job failed", extra={"job": job.name})
