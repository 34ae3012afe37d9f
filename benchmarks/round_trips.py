"""Round trips and CPU per API route, for this code and for a baseline commit, side by side (issue 15).

For every route with a budget (tests/budgets.py) the route's sample request (benchmarks/world.py)
is served through its handler against moto running as an HTTP server in another thread (so a
call costs the function what it costs on Lambda: serialise, sign, send, parse) and the real Redis:
- AWS calls by operation and items read (the IAM tests' botocore recorder), warm and, for the
  cached reads, with the cache emptied first; Redis round trips (tests/support/round_trips.py);
- function CPU p50/p95: `time.thread_time()` of the handler call, so moto's server threads are
  not counted, over `--samples` requests measured without the recorder, with the process's heap frozen as a
  deployed function's is (`environment.heap_as_deployed`).

The baseline runs the same measurement in a subprocess whose `foodshare` layer and `functions`
come from a `git worktree` of `--baseline` (default 2045618, early in issue 15: `BASELINE`); the
harness (this module, benchmarks/world.py, tests/support) is this tree's in both runs.
`python -m benchmarks.round_trips` prints the table and the goal verdicts; `python -m benchmarks`
runs it as its `round_trips` section.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The earliest main this harness measures (2026-12-01 evening: the stream relay and the first budgets, before the
# round-trip work): 376caf8, main before issue 15, lacks modules the samples use (erasure); tests/perf checks it.
BASELINE = "2045618"
WARM_UP = 3
ROUNDS = 3  # compare: each version measured in this many alternating runs, their CPU samples pooled
# Issue 15's goals.
WRITE_CALLS, CLAIM_CALLS, UNCACHED_READ_CALLS, CACHED_READ_REDIS = 2, 3, 2, 2
WRITE_CPU_P50_MS, READ_CPU_P50_MS = 10.0, 5.0
CLAIM = "POST /food/{foodId}/claims"


# ---- one code version, in this process ----------------------------------------------------------


def _use_code(code: Path) -> None:
    """Import `foodshare` and `functions` from `code` (a checkout), the harness from this tree."""
    sys.path.insert(0, str(code / "layers" / "foodshare" / "python"))
    if str(ROOT) not in sys.path:
        sys.path.insert(1, str(ROOT))
    import functions

    functions.__path__[:] = [str(code / "functions")]


def measure(samples: int) -> dict[str, dict]:
    from benchmarks import environment

    environment.configure()
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    environment.flush_redis(environment.BENCH_REDIS_URL)
    with environment.moto_server():
        from benchmarks.world import World, request_for, route_keys, to_event
        from tests.budgets import BUDGETS
        from tests.support import round_trips

        world = World.build(posts=10)
        out: dict[str, dict] = {}
        for key in [k for k in route_keys() if k in BUDGETS]:
            for _ in range(WARM_UP):
                function, event = to_event(request_for(key, world))
                round_trips.measure(function, event)
            time.sleep(0.002)  # cache versions minted by the warm-ups are older than what is measured
            function, event = to_event(request_for(key, world))
            warm = round_trips.measure(function, event)
            row = {"status": warm.status, "warm": dict(warm.aws), "items_read": warm.items_read, "redis": warm.redis}
            row["cpu_ms"], _ = handler_cpu(key, world, samples)
            if BUDGETS[key].cold is not None:
                function, event = to_event(request_for(key, world))
                round_trips.cold()
                cold = round_trips.measure(function, event)
                row.update(cold=dict(cold.aws), cold_items_read=cold.items_read, cold_redis=cold.redis)
            out[key] = row
        return out


def handler_cpu(key: str, world, samples: int) -> tuple[list[float], dict]:
    """The handler thread's CPU (ms) for `samples` requests of route `key`, the heap frozen as deployed, and the
    last answer (a 5xx stops the run)."""
    from benchmarks import environment
    from benchmarks.world import request_for, to_event
    from tests.support import stream
    from tests.support.api import invoke

    cpu, answer = [], {}
    with environment.heap_as_deployed():
        for _ in range(samples):
            function, event = to_event(request_for(key, world))
            with stream.paused():  # the stream relay is another function: not this request's CPU
                started = time.thread_time()
                answer = invoke(event, function)
                cpu.append((time.thread_time() - started) * 1000)
            stream.pump()
            if int(answer["statusCode"]) >= 500:
                raise RuntimeError(f"{key} answered {answer['statusCode']}")
    return cpu, answer


# ---- both versions, side by side ----------------------------------------------------------------


def _run(code: Path, samples: int) -> dict[str, dict]:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "trips.json"
        command = [sys.executable, "-m", "benchmarks.round_trips", "measure", "--code", str(code),
                   "--samples", str(samples), "--out", str(out)]
        print(f"$ {' '.join(command[1:])}", file=sys.stderr, flush=True)
        done = subprocess.run(command, cwd=ROOT, env=os.environ.copy(), check=False, stdout=subprocess.DEVNULL)
        if done.returncode != 0:
            raise RuntimeError(f"measuring {code} failed (its output is above)")
        return json.loads(out.read_text())


def baseline_checkout(ref: str, folder: Path) -> Path:
    """A detached worktree of `ref` (made once, kept under .local/ for later runs)."""
    target = folder / f"baseline-{ref}"
    if not (target / "layers").exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(target), ref], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
    return target


def _ops(ops: dict[str, int] | None) -> str:
    if ops is None:
        return "-"
    short = {"TransactWriteItems": "TW", "TransactGetItems": "TG", "GetItem": "G", "BatchGetItem": "BG",
             "Query": "Q", "BatchWriteItem": "BW", "PutEvents": "PE", "PutItem": "P", "UpdateItem": "U"}
    parts = [f"{short.get(op.split(':', 1)[1], op)}{n}" for op, n in sorted(ops.items())]
    return f"{sum(ops.values())} ({' '.join(parts)})" if parts else "0"


def _p(values: list[float], pct: float) -> float:
    from benchmarks.results import percentile

    return percentile(values, pct)


def verdicts(key: str, row: dict) -> list[str]:
    """Issue 15's goals that apply to this route, each 'ok' or 'OVER'."""
    from tests.budgets import BUDGETS

    out = []
    calls = sum(row["warm"].values())
    dynamodb = sum(n for op, n in row["warm"].items() if op.startswith("dynamodb:"))
    cpu = _p(row["cpu_ms"], 50)
    if not key.startswith("GET "):
        limit = CLAIM_CALLS if key == CLAIM else WRITE_CALLS
        out.append(f"{'ok' if calls <= limit else 'OVER'} calls {calls} <= {limit}")
        out.append(f"{'ok' if cpu <= WRITE_CPU_P50_MS else 'OVER'} cpu p50 {cpu:.1f} <= {WRITE_CPU_P50_MS:g}")
        return out
    if BUDGETS[key].cold is not None:
        ok = dynamodb == 0 and row["redis"] <= CACHED_READ_REDIS
        out.append(f"{'ok' if ok else 'OVER'} cached: {dynamodb} DynamoDB, {row['redis']} Redis (0, <= 2)")
    else:
        out.append(f"{'ok' if calls <= UNCACHED_READ_CALLS else 'OVER'} calls {calls} <= {UNCACHED_READ_CALLS}")
    out.append(f"{'ok' if cpu <= READ_CPU_P50_MS else 'OVER'} cpu p50 {cpu:.1f} <= {READ_CPU_P50_MS:g}")
    return out


def report(before: dict[str, dict], after: dict[str, dict], ref: str) -> str:
    from benchmarks import results

    lines = [f"Round trips per route: before = {ref}, after = this tree "
             "(AWS calls: TW TransactWriteItems, G GetItem, BG BatchGetItem, Q Query, BW BatchWriteItem, PE PutEvents)",
             f"measured on: {results.machine()}",
             f"{'route':44} {'AWS warm before -> after':34} {'cold before -> after':34} "
             f"{'items':9} {'Redis':7} {'cold Redis':10} {'CPU p50/p95 ms before -> after':30} verdicts (after)"]
    for key, now in after.items():
        was = before.get(key)
        if was is None:
            continue
        cold = f"{_ops(was.get('cold'))} -> {_ops(now.get('cold'))}" if "cold" in now else ""
        cold_redis = f"{was.get('cold_redis', '-')}->{now['cold_redis']}" if "cold" in now else ""
        cpu = (f"{_p(was['cpu_ms'], 50):.1f}/{_p(was['cpu_ms'], 95):.1f} -> "
               f"{_p(now['cpu_ms'], 50):.1f}/{_p(now['cpu_ms'], 95):.1f}")
        lines.append(f"{key:44} {_ops(was['warm']) + ' -> ' + _ops(now['warm']):34} {cold:34} "
                     f"{was['items_read']}->{now['items_read']:<5} {was['redis']}->{now['redis']:<4} {cold_redis:10} "
                     f"{cpu:30} {'; '.join(verdicts(key, now))}")
    return "\n".join(lines)


def flat(rows: dict[str, dict], label: str) -> dict[str, float]:
    """bench-results.json metrics: round_trips.<label>.<metric>.<route>."""
    metrics: dict[str, float] = {}
    for key, row in rows.items():
        metrics[f"round_trips.{label}.aws_warm.{key}"] = sum(row["warm"].values())
        metrics[f"round_trips.{label}.redis_warm.{key}"] = row["redis"]
        metrics[f"round_trips.{label}.items_read.{key}"] = row["items_read"]
        metrics[f"round_trips.{label}.cpu_p50_ms.{key}"] = _p(row["cpu_ms"], 50)
        metrics[f"round_trips.{label}.cpu_p95_ms.{key}"] = _p(row["cpu_ms"], 95)
        if "cold" in row:
            metrics[f"round_trips.{label}.aws_cold.{key}"] = sum(row["cold"].values())
            metrics[f"round_trips.{label}.redis_cold.{key}"] = row["cold_redis"]
    return metrics


def _pooled(runs: list[dict[str, dict]]) -> dict[str, dict]:
    """One code version's runs as one: the first run's calls (the same in every run), every run's CPU samples."""
    rows = {key: dict(row) for key, row in runs[0].items()}
    for key, row in rows.items():
        row["cpu_ms"] = [ms for run in runs for ms in run[key]["cpu_ms"]]
    return rows


def compare(samples: int, ref: str = BASELINE, rounds: int = ROUNDS) -> tuple[str, dict[str, float]]:
    """(the printed report, flat metrics) of the baseline and this tree, measured in alternating rounds: a shared
    machine's load drifts over minutes, and two halves run one after the other would each meet a different one."""
    baseline = baseline_checkout(ref, ROOT / ".local")
    per_round = max(1, math.ceil(samples / rounds))
    before_runs, after_runs = [], []
    for _ in range(rounds):
        before_runs.append(_run(baseline, per_round))
        after_runs.append(_run(ROOT, per_round))
    before, after = _pooled(before_runs), _pooled(after_runs)
    return report(before, after, ref), {**flat(before, "before"), **flat(after, "after")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", choices=("compare", "measure"), default="compare")
    parser.add_argument("--code", type=Path, default=ROOT, help="measure: the checkout whose layer and functions run")
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--baseline", default=BASELINE)
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="compare: alternating runs of each version")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.mode == "measure":
        _use_code(args.code.resolve())
        rows = measure(args.samples)
        text = json.dumps(rows)
        if args.out:
            args.out.write_text(text)
        else:
            print(text)
        return
    printed, metrics = compare(args.samples, args.baseline, args.rounds)
    print(printed)
    if args.out:
        args.out.write_text(json.dumps(metrics))


if __name__ == "__main__":
    main()
