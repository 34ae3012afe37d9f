"""`make loadtest`: a seed scenario as a headless locust run, then the report under loadtest-results/.

Against the local stack by default: this process starts it (moto, backbone, Redis
database 13 flushed first), seeds it through the domain (small by default, so a run
fits a 2-core machine in a few minutes) and serves the API on a free port; locust
runs as a separate process so the load generator does not share this one's GIL. The
cache's hit/miss counters are read from this process, where every container runs.
With `--host URL` (e.g. a `make seed` server) it only drives load: give the seed's
manifest (`--manifest`, default .local/seed-manifest.json); the hit rate is then
CloudWatch's (CacheHit/CacheMiss) and reported as n/a.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
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
    env = {**os.environ, "LOADTEST_SCENARIO": scenario, "LOADTEST_MANIFEST": str(manifest)}
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
    """The local stack in this process, seeded; returns (base URL, stop)."""
    os.environ.setdefault("REDIS_URL", LOADTEST_REDIS_URL)
    os.environ.setdefault("LOCAL_ACCESS_LOG", "0")
    os.environ.setdefault("LOCAL_MAX_CONTAINERS", "8")
    from local import environment
    from local.seed import seed
    from local.server import make_server

    stack = environment.start()
    if stack.redis_url:
        import redis

        redis.Redis.from_url(stack.redis_url).flushdb()
    manifest = seed(size)
    manifest.write(manifest_path)
    print(f"seeded {len(manifest.groups)} groups, {len(manifest.users)} users, {len(manifest.posts)} posts "
          f"in {manifest.seconds} s", file=sys.stderr)
    server = make_server("127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop() -> None:
        server.shutdown()
        stack.stop()

    return f"http://127.0.0.1:{server.server_address[1]}", stop


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
    parser.add_argument("--shape", choices=shapes.SHAPES, help="a load shape over time instead of steady users")
    parser.add_argument("--workers", default="self",
                        help="soak: whose memory to sample (benchmarks.memory: self, pids:1,2, match:TEXT)")
    parser.add_argument("--sample-seconds", type=float, default=5.0, help="soak: memory sampling interval")
    args = parser.parse_args()
    label = f"{args.shape}-{args.scenario}" if args.shape else args.scenario
    folder = args.out / f"{label}-{time.strftime('%Y%m%d-%H%M%S')}"
    folder.mkdir(parents=True, exist_ok=True)
    stop, before = None, None
    if args.host:
        host, manifest = args.host.rstrip("/"), args.manifest
    else:
        manifest = folder / "manifest.json"
        host, stop = start_local_stack(args.seed, manifest)
        from foodshare.cache import stats

        before = Counter(stats.totals())
    sampler = memory.Sampler(memory.finder(args.workers), args.sample_seconds).start() if args.shape == "soak" \
        else None
    try:
        run_locust(host, args.scenario, manifest, args.users, args.duration, folder / "locust", args.shape)
    finally:
        samples = sampler.stop() if sampler else None
        counts = None
        if before is not None:
            from foodshare.cache import stats

            counts = dict(Counter(stats.totals()) - before)
        if stop:
            stop()
    meta = {"scenario": args.scenario, "users": args.users, "duration_s": args.duration,
            "host": args.host or "local stack (this process)",
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
