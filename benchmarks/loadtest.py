"""`make loadtest`: a seed scenario as a headless locust run, then the report under loadtest-results/.

Against the served stack by default: this process deploys the synthesized dev template on
the emulator (local/serve.py, free ports, Redis database 13 flushed first), seeds it through
the domain from here (small by default, so a run fits a 2-core machine in a few minutes),
and locust drives its API Gateway from a separate process. The functions run in the
emulator's worker processes, so the cache hit rate is CloudWatch's (CacheHit/CacheMiss
metrics) and reported as n/a. With `--host URL` it only drives load against a running stack:
give the seed's manifest (`--manifest`, default .local/seed-manifest.json).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import memory, report, shape_report, shapes
from benchmarks.scenarios import SCENARIOS
from local.seed import DEFAULT_MANIFEST, SeedSize

RESULTS = Path(__file__).resolve().parent.parent / "loadtest-results"
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
LOADTEST_REDIS_URL = "redis://127.0.0.1:6379/13"


def run_locust(host: str, scenario: str, manifest: Path, users: int, duration: int, prefix: Path,
               shape: str | None = None) -> None:
    spawn_rate = users / max(duration / 2, 1) if SCENARIOS[scenario].ramp_up else max(users / 5, 1)
    env = {**os.environ, "LOADTEST_SCENARIO": scenario, "LOADTEST_MANIFEST": str(manifest),
           "LOADTEST_RATE_LIMITED_LOG": f"{prefix}_rate_limited.txt"}
    steady = ["-u", str(users), "-r", f"{spawn_rate:.2f}", "-t", f"{duration}s"]
    if shape:  # the locustfile's shape class drives users and ends the run (locust ignores -u/-r/-t then)
        env.update(LOADTEST_SHAPE=shape, LOADTEST_USERS=str(users), LOADTEST_DURATION=str(duration))
        steady = []
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", host,
               *steady, "--csv", str(prefix),
               "--csv-full-history", "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "5"]
    done = subprocess.run(command, env=env, check=False)
    if done.returncode not in (0, 1):  # 1: some requests failed, which the report shows
        raise RuntimeError(f"locust exited with {done.returncode}")


def start_local_stack(size: SeedSize, manifest_path: Path):
    """The dev template on the emulator, seeded; returns (base URL, stop)."""
    import redis

    from local.serve import ServedStack, free_port

    redis_url = os.environ.get("REDIS_URL", LOADTEST_REDIS_URL)
    redis.Redis.from_url(redis_url).flushdb()
    stack = ServedStack(port=int(os.environ.get("STACK_PORT") or free_port()),
                        emulator_port=int(os.environ.get("STACK_EMULATOR_PORT") or free_port()),
                        redis_url=redis_url, log=manifest_path.parent / "stack.log").start()
    os.environ.update(stack.client_environment())  # seeding writes into the emulator's table and bus
    from local.seed import seed

    manifest = seed(size)
    manifest.write(manifest_path)
    print(f"seeded {len(manifest.groups)} groups, {len(manifest.users)} users, {len(manifest.posts)} posts "
          f"in {manifest.seconds} s", file=sys.stderr)
    return stack.api_url, stack.stop, stack.pid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="daily_peak")
    parser.add_argument("--users", type=int, default=20, help="concurrent simulated users")
    parser.add_argument("--duration", type=int, default=60, help="seconds of load")
    parser.add_argument("--seed", type=SeedSize.parse, default=SeedSize(10, 100, 400),
                        help="groups,users,posts for the local stack (make seed's default is 200,2000,10000)")
    parser.add_argument("--host", help="drive an already running stack instead of starting one")
    parser.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST, help="with --host: the seed's manifest")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--warmup", type=int, default=20,
                        help="seconds of the same load first, not measured: the functions' workers start then")
    parser.add_argument("--shape", choices=shapes.SHAPES, help="a load shape over time instead of steady users")
    parser.add_argument("--workers", help="soak: whose memory to sample (benchmarks.memory: self, tree:PID, pids:1,2, "
                        "match:TEXT); default: the started stack's emulator and its function workers (tree:)")
    parser.add_argument("--sample-seconds", type=float, default=5.0, help="soak: memory sampling interval")
    args = parser.parse_args()
    label = f"{args.shape}-{args.scenario}" if args.shape else args.scenario
    folder = args.out / f"{label}-{time.strftime('%Y%m%d-%H%M%S')}"
    folder.mkdir(parents=True, exist_ok=True)
    stop, workers = None, args.workers
    if args.host:
        host, manifest = args.host.rstrip("/"), args.manifest
        if args.shape == "soak" and not workers:
            parser.error("--shape soak --host URL: say whose memory to sample with --workers (tree:PID, pids:, match:)")
    else:
        manifest = folder / "manifest.json"
        host, stop, stack_pid = start_local_stack(args.seed, manifest)
        workers = workers or f"tree:{stack_pid}"
    sampler = memory.Sampler(memory.finder(workers), args.sample_seconds).start() if args.shape == "soak" else None
    try:
        if args.warmup > 0:  # cold starts (a worker spawning and importing the layer) are measured by make bench
            run_locust(host, args.scenario, manifest, args.users, args.warmup, folder / "warmup")
        run_locust(host, args.scenario, manifest, args.users, args.duration, folder / "locust", args.shape)
    finally:
        samples = sampler.stop() if sampler else None
        counts = None  # the functions count in their own processes: CloudWatch has the hit rate
        if stop:
            stop()
    meta = {"scenario": args.scenario, "users": args.users, "duration_s": args.duration, "warmup_s": args.warmup,
            "host": args.host or "served stack (dev template on the emulator)",
            "seed": "external" if args.host else f"{args.seed.groups},{args.seed.users},{args.seed.posts}",
            "date": time.strftime("%Y-%m-%d %H:%M"), "cores": os.cpu_count()}
    if args.shape:
        meta["shape"] = args.shape
    summary = report.write(report.Run(folder / "locust", meta), counts, folder)
    passed = summary["passed"]
    if args.shape:
        stages = shapes.plan(args.shape, args.users, args.duration)
        analysis = shape_report.analyse(folder / "locust", args.shape, stages, meta, folder, samples)
        summary["shape"] = analysis
        (folder / "report.json").write_text(json.dumps(summary, indent=2) + "\n")
        with (folder / "report.md").open("a") as handle:
            handle.write(shape_report.markdown(analysis))
        # A stress run is meant to break the latency SLOs: its verdict is the shape's (it ran, it found the point).
        passed = analysis["passed"] and (passed or args.shape == "stress")
    print((folder / "report.md").read_text())
    print(f"report: {folder / 'report.md'}")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
