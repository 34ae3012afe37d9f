"""Cold starts of every catalog function against the baseline of importing boto3 and Powertools.

Each is a fresh interpreter (`benchmarks.cold_child`): `baseline_import_ms` imports boto3 and
aws_lambda_powertools; `cold_start_ms.<function>` imports the function's handler and serves its
first event (API functions: their first route's request; consumers: a real SQS batch of the
events an exchange's lifecycle puts on their queue; scheduled jobs: the scheduler's event)
against moto served over HTTP and the real Redis.

Both are the process's **CPU time** until it is done (interpreter start, imports, first
event), medians of `runs`. CPU rather than wall because the wall time of a first event here
is mostly moto's: it answers a GSI query by scanning the table (food_expiry: ~1 s of waiting
on a query DynamoDB answers in milliseconds), so wall time would measure the stand-in, not
the function. The wall times are reported too (`cold_start_wall_ms.*`, `baseline_wall_ms`),
from spawn to the child's report line: the interpreter's teardown, which Lambda never runs
on a cold start, is left out of both sides.

Every child runs on the layer as Lambda would load it (`scripts/build_layer.py` built for
this machine's Python into build/bench-layer: trimmed botocore data, bytecode compiled)
ahead of the repository root (functions/), with the rest of the venv behind them where
Lambda's runtime has boto3.

SnapStart (`cold_snapshot_ms`, `cold_restore_hooks_ms`, `cold_after_restore_ms`,
`cold_restored_first_event_ms`): the same function and event with SnapStart's cycle in between
(`cold_child snapstart`): its before-snapshot hooks run once per published version; what
every restored environment runs is the after-restore hooks and the first event. Goal: that
after-restore part <= 50 ms CPU for every API function.

Provisioned concurrency (`cold_provisioned_init_ms`, `cold_provisioned_first_event_ms`, API functions): the
same cold start in an environment Lambda initializes ahead of requests (AWS_LAMBDA_INITIALIZATION_TYPE =
provisioned-concurrency), whose INIT does the before-snapshot work itself (no snapshot follows); no request
waits for that INIT, the first event is what the first request pays.

`cold_floor_ms.<function>`: a fresh interpreter importing only the third-party modules that
function had loaded by the end of its first event: what its libraries cost before any of
our code runs, the part of a cold start no change of ours can remove.
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
from benchmarks.cold_child import MARKER

GOAL_RATIO = 1.5
ROOT = Path(__file__).resolve().parents[1]
BENCH_LAYER = ROOT / "build" / "bench-layer"


def _layer_environment() -> dict[str, str]:
    from scripts.build_layer import HOST, build

    site = build(BENCH_LAYER, HOST) / "python"
    # setuptools' distutils shim (a .pth of the venv, absent on Lambda) sits in front of every import
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)]), "SETUPTOOLS_USE_DISTUTILS": "stdlib"}


def _child(env: dict[str, str], *args: str) -> dict:
    """Run `benchmarks.cold_child` with `args`; its report plus `wall_ms`, spawn to report line."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.cold_child", *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    report, output = None, []
    for line in process.stdout:
        if report is None and line.startswith(MARKER):
            report = {"wall_ms": (time.perf_counter() - started) * 1000, **json.loads(line[len(MARKER):])}
        else:
            output.append(line)
    if process.wait() != 0 or report is None:
        raise RuntimeError(f"cold_child {' '.join(args)} failed:\n{''.join(output)[-2000:]}")
    return report


def _with_file(content: object, run: Callable[[str], dict]) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(content, handle)
    try:
        return run(handle.name)
    finally:
        Path(handle.name).unlink()


def baseline(env: dict[str, str], runs: int) -> tuple[float, float]:
    """Median CPU and wall ms of importing boto3 and aws_lambda_powertools."""
    samples = [_child(env, "baseline") for _ in range(runs)]
    return results.median([s["cpu_ms"] for s in samples]), results.median([s["wall_ms"] for s in samples])


def cold_start(env: dict[str, str], module: str, event: dict, mode: str = "function") -> dict:
    """One cold start: `function` on demand, `snapstart` with the snapshot and restore hooks between."""
    return _with_file(event, lambda path: _child(env, mode, module, path))


def floor(env: dict[str, str], modules: list[str], runs: int) -> float:
    """Median CPU ms of importing just these modules."""
    return results.median([_with_file(modules, lambda path: _child(env, "floor", path))["cpu_ms"] for _ in range(runs)])


def _first_events(world) -> dict[str, Callable[[], dict]]:
    """For every catalog function, a maker of a fresh first event (new state per run)."""
    from benchmarks.world import request_for, to_event
    from foodshare.catalog import API_FUNCTIONS, CONSUMERS, SCHEDULED_JOBS
    from tests.support import backbone
    from tests.support.event_source import SqsEventSource
    from tests.support.schedules import scheduled_event

    makers: dict[str, Callable[[], dict]] = {}
    for fn in API_FUNCTIONS:
        route = fn.routes[0]
        makers[fn.name] = lambda key=f"{route.method} {route.path}": to_event(request_for(key, world))[1]
    queues = {queue.consumer.name: queue for queue in backbone.create_consumer_queues()}

    from tests.support.api import invoke

    # Consumers of work a person asks for, not of an exchange: the request that asks for it.
    requested_by = {"exports": "POST /me/exports", "erasure": "DELETE /me"}

    def batch_for(consumer: str) -> dict:
        """The SQS event Lambda would send: what one exchange's lifecycle (or the request that asks for the
        consumer's work) puts on the consumer's queue."""
        if consumer in requested_by:
            function, event = to_event(request_for(requested_by[consumer], world))
            if int(invoke(event, function)["statusCode"]) >= 400:
                raise RuntimeError(f"{requested_by[consumer]} failed: no event for {consumer}")
        else:
            _complete_an_exchange(world)
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


def _complete_an_exchange(world) -> None:
    """A whole exchange in the world. The fraud consumer, cold-started here on real batches, ends up flagging the
    world's one busy sharer (one person's posts claimed by a stream of brand-new accounts), which restricts them
    while moderators review: as it should. A new member of the group then takes over sharing."""
    from foodshare.errors import Conflict

    try:
        world.completed()
    except Conflict:
        world.sharer = world.member()
        world.completed()


def _check(name: str, what: str, samples: list[dict]) -> None:
    """A cold start whose event failed (a 5xx answer, or a batch record the consumer gave back) measures nothing."""
    if any(isinstance(s["status"], int) and s["status"] >= 500 or s["failed_records"] for s in samples):
        raise RuntimeError(f"{name}: {what} failed: {samples}")


def measure(runs: int = 5) -> dict[str, float]:
    environment.configure()
    environment.flush_redis()
    metrics: dict[str, float] = {}
    with environment.moto_server():
        from benchmarks.world import World

        env = _layer_environment()  # after moto_server() has put its endpoint into os.environ
        metrics["baseline_import_ms"], metrics["baseline_wall_ms"] = baseline(env, runs)
        from foodshare.catalog import API_FUNCTIONS
        from foodshare.snapstart import PROVISIONED

        api_names = {fn.name for fn in API_FUNCTIONS}
        provisioned_env = {**env, "AWS_LAMBDA_INITIALIZATION_TYPE": PROVISIONED}
        world = World.build(posts=10)
        for name, make_event in _first_events(world).items():
            samples = [cold_start(env, f"functions.{name}.handler", make_event()) for _ in range(runs)]
            _check(name, "the first event", samples)
            for metric, key in (("cold_start_ms", "cpu_ms"), ("cold_import_ms", "import_ms"),
                                ("cold_first_event_ms", "first_event_ms"), ("cold_start_wall_ms", "wall_ms"),
                                ("cold_first_event_wall_ms", "first_event_wall_ms")):
                metrics[f"{metric}.{name}"] = results.median([s[key] for s in samples])
            metrics[f"cold_floor_ms.{name}"] = floor(env, samples[-1]["third_party"], runs)
            restored = [cold_start(env, f"functions.{name}.handler", make_event(), "snapstart") for _ in range(runs)]
            _check(name, "the first event after a restore", restored)
            for metric, key in (("cold_snapshot_ms", "snapshot_ms"), ("cold_restore_hooks_ms", "restore_hooks_ms"),
                                ("cold_after_restore_ms", "after_restore_ms"),
                                ("cold_restored_first_event_ms", "first_event_ms")):
                metrics[f"{metric}.{name}"] = results.median([s[key] for s in restored])
            if name in api_names:  # any API function may get provisioned concurrency from the plan
                ready = [cold_start(provisioned_env, f"functions.{name}.handler", make_event()) for _ in range(runs)]
                _check(name, "the first event of a provisioned environment", ready)
                metrics[f"cold_provisioned_init_ms.{name}"] = results.median([s["import_ms"] for s in ready])
                metrics[f"cold_provisioned_first_event_ms.{name}"] = results.median([s["first_event_ms"] for s in ready])
    worst = max(v for k, v in metrics.items() if k.startswith("cold_start_ms."))
    metrics["cold_start_worst_ratio"] = worst / metrics["baseline_import_ms"]
    return metrics


def main() -> None:
    results.section_cli(__doc__.splitlines()[0], measure, "runs", 5)


if __name__ == "__main__":
    main()
