"""Cold starts of every catalog function against the baseline of importing boto3 and Powertools.

`baseline_import_ms`: a fresh interpreter imports boto3 and aws_lambda_powertools and
exits. `cold_start_ms.<function>`: a fresh interpreter imports the function's handler
and serves its first event (API functions: their first route's request; consumers: a
real SQS batch of the events an exchange's lifecycle puts on their queue; scheduled
jobs: the scheduler's event), against moto served over HTTP and the real Redis. Both
are wall times of the whole process; the child also reports import and first event
apart (`cold_import_ms.*`, `cold_first_event_ms.*`). Medians of `runs` each.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks import environment, results

BASELINE_CODE = "import boto3, aws_lambda_powertools"
GOAL_RATIO = 1.5


def _run(args: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=os.environ.copy(), check=False)
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return elapsed, done.stdout


def baseline(runs: int) -> float:
    return results.median([_run(["-c", BASELINE_CODE])[0] for _ in range(runs)])


def cold_start(module: str, event: dict) -> dict[str, float]:
    from benchmarks.cold_child import MARKER

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(event, handle)
    try:
        wall_ms, stdout = _run(["-m", "benchmarks.cold_child", module, handle.name])
    finally:
        Path(handle.name).unlink()
    line = next(line for line in reversed(stdout.splitlines()) if line.startswith(MARKER))
    return {"wall_ms": wall_ms, **json.loads(line[len(MARKER):])}


def _first_events(world) -> dict[str, Callable[[], dict]]:
    """For every catalog function, a maker of a fresh first event (new state per run)."""
    from benchmarks.world import request_for, to_event
    from foodshare.catalog import API_FUNCTIONS, CONSUMERS, SCHEDULED_JOBS
    from local import backbone
    from local.event_source import SqsEventSource
    from local.schedules import scheduled_event

    makers: dict[str, Callable[[], dict]] = {}
    for fn in API_FUNCTIONS:
        route = fn.routes[0]
        makers[fn.name] = lambda key=f"{route.method} {route.path}": to_event(request_for(key, world))[1]
    queues = {queue.consumer.name: queue for queue in backbone.create_consumer_queues()}

    def batch_for(consumer: str) -> dict:
        """The SQS event Lambda would send: what one exchange's lifecycle puts on the consumer's queue."""
        world.completed()
        captured: list[dict] = []
        source = SqsEventSource(queues[consumer], lambda event: captured.append(event))
        while source.poll(wait_seconds=0 if captured else 1).received:
            pass
        if not captured:
            raise RuntimeError(f"no events reached the {consumer} queue")
        return captured[0]

    for consumer in CONSUMERS:
        makers[consumer.name] = lambda name=consumer.name: batch_for(name)
    for job in SCHEDULED_JOBS:
        makers[job.name] = lambda job=job: scheduled_event(job)
    return makers


def measure(runs: int = 5) -> dict[str, float]:
    environment.configure()
    environment.flush_redis()
    metrics: dict[str, float] = {}
    with environment.moto_server():
        from benchmarks.world import World

        metrics["baseline_import_ms"] = baseline(runs)
        world = World.build(posts=10)
        for name, make_event in _first_events(world).items():
            samples = [cold_start(f"functions.{name}.handler", make_event()) for _ in range(runs)]
            statuses = {s["status"] for s in samples}
            if any(isinstance(s, int) and s >= 500 for s in statuses) or any(s["failed_records"] for s in samples):
                raise RuntimeError(f"{name}: the first event failed: {samples}")
            metrics[f"cold_start_ms.{name}"] = results.median([s["wall_ms"] for s in samples])
            metrics[f"cold_import_ms.{name}"] = results.median([s["import_ms"] for s in samples])
            metrics[f"cold_first_event_ms.{name}"] = results.median([s["first_event_ms"] for s in samples])
    worst = max(v for k, v in metrics.items() if k.startswith("cold_start_ms."))
    metrics["cold_start_worst_ratio"] = worst / metrics["baseline_import_ms"]
    return metrics


def main() -> None:
    results.section_cli(__doc__.splitlines()[0], measure, "runs", 5)


if __name__ == "__main__":
    main()
