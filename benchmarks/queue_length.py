"""The moderation queue's cost against its length: AWS calls, items read, response size and CPU p50 of
`GET /groups/{groupId}/moderation` as open reports pile up (issue 15; the queue is paged since 2026-12-02).

Each length is the benchmark world (benchmarks/world.py) plus that many `POST /reports` samples (new members
reporting one member of group A), served as `benchmarks.round_trips` serves routes: moto as an HTTP server in
another thread, the real Redis, the handler thread's CPU with the heap frozen. `--code` runs another checkout's
layer and functions (e.g. `.local/baseline-<ref>` made by `round_trips`) under this harness:

    python -m benchmarks.queue_length [--code CHECKOUT] [--lengths 0,25,100] [--samples 40]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from benchmarks.round_trips import ROOT, _ops, _use_code, handler_cpu

ROUTE = "GET /groups/{groupId}/moderation"


def measure(lengths: list[int], samples: int) -> list[dict]:
    """One world; the queue grown to each length in turn (lengths ascending)."""
    from benchmarks import environment

    environment.configure()
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    environment.flush_redis(environment.BENCH_REDIS_URL)
    with environment.moto_server():
        from benchmarks.world import World, request_for, to_event
        from tests.support import stream
        from tests.support.api import invoke

        world = World.build(posts=2)
        rows, added = [], 0
        for length in sorted(lengths):
            for _ in range(length - added):
                function, event = to_event(request_for("POST /reports", world))
                if int(invoke(event, function)["statusCode"]) != 201:
                    raise RuntimeError("a report was not filed")
                stream.pump()
            added = length
            rows.append(_one(world, samples) | {"length": length})
        return rows


def _one(world, samples: int) -> dict:
    from benchmarks.results import percentile
    from benchmarks.world import request_for, to_event
    from tests.support import round_trips

    trips = round_trips.measure(*to_event(request_for(ROUTE, world)))
    cpu, answer = handler_cpu(ROUTE, world, samples)
    if int(answer.get("statusCode", 0)) != 200:
        raise RuntimeError(f"{ROUTE} answered {answer.get('statusCode')}")
    return {"calls": dict(trips.aws), "items": trips.items_read, "bytes": len(answer["body"]),
            "p50": percentile(cpu, 50), "p95": percentile(cpu, 95)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout whose layer and functions run")
    parser.add_argument("--lengths", default="0,25,100,250")
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    _use_code(args.code.resolve())
    rows = measure([int(n) for n in args.lengths.split(",")], args.samples)
    print(f"{ROUTE}, code: {args.code}")
    print(f"{'reports added':>13} {'AWS calls':<22} {'items':>6} {'bytes':>8} {'CPU p50/p95 ms':>15}")
    for row in rows:
        calls = _ops(row["calls"])
        print(f"{row['length']:>13} {calls:<22} {row['items']:>6} {row['bytes']:>8} "
              f"{row['p50']:>7.1f}/{row['p95']:.1f}")


if __name__ == "__main__":
    main()
