"""`make bench`: every benchmark, each in a fresh process, into one table and bench-results.json.

Sections: cold starts (benchmarks.cold_start), the in-process benchmarks (warm routes
and the claim race: benchmarks.in_process), the discovery cache (benchmarks.cache_bench,
the cache's own benchmark), event to effect through the local backbone
(benchmarks.event_to_effect, the backbone's own benchmark), what a request of every route uses
of each billed service (benchmarks.request_cost, priced by make capacity) and round trips and CPU per
route beside a baseline commit (benchmarks.round_trips, issue 15). `--quick` takes fewer samples.
`--only erasure` (not in the default run: minutes on moto) times erasure's sweep and export's scan on a
50,000-item table by parallel-scan segments (benchmarks.erasure_sweep; 5,000 with `--quick`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import results

SECTIONS = ("cold", "warm", "cache", "events", "cost", "round_trips", "erasure")
DEFAULT_SECTIONS = [section for section in SECTIONS if section != "erasure"]
# What benchmarks.cache_bench prints, as bench-results.json names it.
CACHE_LINES = {
    "redis_get_p50_ms": r"raw Redis GET of the payload\s+p50 ([\d.]+) ms",
    "discovery_cached_p50_ms": r"cached discovery \(warm\)\s+p50 ([\d.]+) ms",
    "discovery_uncached_p50_ms": r"uncached discovery \(DynamoDB\)\s+p50 ([\d.]+) ms",
    "cache_mix_hit_rate_pct": r"browse-heavy mix: .* hit rate ([\d.]+) %",
}


def _python(*args: str) -> subprocess.CompletedProcess:
    print(f"$ python {' '.join(args)}", file=sys.stderr, flush=True)
    return subprocess.run([sys.executable, *args], stdout=subprocess.PIPE, text=True, env=os.environ.copy(), check=False)


def _part(module: str, *args: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "part.json"
        done = _python("-m", module, *args, "--out", str(out))
        if done.returncode != 0:
            raise RuntimeError(f"{module} failed (its output is above)")
        return json.loads(out.read_text())


def cache_section(quick: bool = False) -> dict[str, float]:
    done = _python("-m", "benchmarks.cache_bench", *(["--quick"] if quick else []))
    if done.returncode != 0:
        raise RuntimeError("benchmarks.cache_bench failed (its output is above)")
    metrics = {}
    for name, pattern in CACHE_LINES.items():
        found = re.search(pattern, done.stdout)
        if not found:
            raise RuntimeError(f"benchmarks.cache_bench no longer prints {pattern!r}:\n{done.stdout}")
        metrics[name] = float(found.group(1))
    return metrics


def events_section(runs: int) -> dict[str, float]:
    done = _python("-m", "benchmarks.event_to_effect", "--runs", str(runs))
    first = (done.stdout.splitlines() or [""])[0]
    if not first.startswith("{"):  # exit status 1 only says the target was missed: the numbers still count
        raise RuntimeError(f"benchmarks.event_to_effect failed:\n{done.stdout}")
    return json.loads(first)


AFTER_RESTORE_GOAL_MS = 50.0


def _api_functions() -> set[str]:
    from foodshare.catalog import API_FUNCTIONS

    return {fn.name for fn in API_FUNCTIONS}


def round_trips_section(samples: int) -> dict[str, float]:
    """Prints the per-route table (before/after, verdicts); returns its flat metrics."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "part.json"
        done = _python("-m", "benchmarks.round_trips", "--samples", str(samples), "--out", str(out))
        if done.returncode != 0:
            raise RuntimeError("benchmarks.round_trips failed (its output is above)")
        print(done.stdout, flush=True)
        return json.loads(out.read_text())


def goals(metrics: dict[str, float]) -> list[str]:
    """One line per goal of issue 8 that the metrics can answer."""
    lines = []
    base = metrics.get("baseline_import_ms")
    if base:
        for name, value in sorted(metrics.items()):
            if name.startswith("cold_start_ms."):
                function = name.split(".", 1)[1]
                ratio = value / base
                verdict = "ok" if ratio <= 1.5 else "OVER"
                floor = metrics.get(f"cold_floor_ms.{function}")
                libraries = f"; its libraries' imports alone {floor / base:.2f} x" if floor else ""
                lines.append(f"{verdict:4} cold start {function}: {ratio:.2f} x baseline (goal <= 1.5{libraries})")
    for name, value in sorted(metrics.items()):
        if name.startswith("cold_after_restore_ms."):
            function = name.split(".", 1)[1]
            if function in _api_functions():
                lines.append(f"{'ok' if value <= AFTER_RESTORE_GOAL_MS else 'OVER':4} after restore {function}: "
                             f"{value:.0f} ms CPU (goal <= {AFTER_RESTORE_GOAL_MS:.0f}; snapshot hooks "
                             f"{metrics.get(f'cold_snapshot_ms.{function}', 0):.0f} ms once per version)")
        if name.startswith("cold_provisioned_first_event_ms."):
            function = name.split(".", 1)[1]
            lines.append(f"{'ok' if value <= AFTER_RESTORE_GOAL_MS else 'OVER':4} provisioned {function}: first event "
                         f"{value:.0f} ms CPU (on demand {metrics.get(f'cold_first_event_ms.{function}', 0):.0f}; its "
                         f"INIT {metrics.get(f'cold_provisioned_init_ms.{function}', 0):.0f} ms, before any request)")
    cached, raw, uncached = (metrics.get(k) for k in
                             ("discovery_cached_p50_ms", "redis_get_p50_ms", "discovery_uncached_p50_ms"))
    if cached and raw and uncached:
        lines.append(f"{'ok' if cached <= 2 * raw else 'OVER':4} cached discovery {cached / raw:.2f} x raw GET (goal <= 2)")
        lines.append(f"{'ok' if uncached >= 10 * cached else 'LOW':4} uncached / cached {uncached / cached:.1f} (goal >= 10)")
    if "event_to_effect_p95_ms" in metrics:
        p95 = metrics["event_to_effect_p95_ms"]
        lines.append(f"{'ok' if p95 <= 1000 else 'OVER':4} event to effect p95 {p95:.0f} ms (goal <= 1000)")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples (a smoke run)")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=DEFAULT_SECTIONS)
    parser.add_argument("--out", type=Path, default=results.BENCH_RESULTS)
    args = parser.parse_args()
    metrics: dict[str, float] = {}
    if "cold" in args.only:
        metrics.update(_part("benchmarks.cold_start", "--runs", "3" if args.quick else "5"))
    if "warm" in args.only:
        metrics.update(_part("benchmarks.in_process", "--samples", "10" if args.quick else "40"))
    if "cache" in args.only:
        metrics.update(cache_section(args.quick))
    if "events" in args.only:
        metrics.update(events_section(5 if args.quick else 20))
    if "cost" in args.only:  # what each request uses of every billed service (make capacity prices it)
        metrics.update(_part("benchmarks.request_cost", "--samples", "3" if args.quick else "5"))
    if "round_trips" in args.only:
        metrics.update(round_trips_section(5 if args.quick else 20))
    if "erasure" in args.only:
        metrics.update(_part("benchmarks.erasure_sweep", "--items", "5000" if args.quick else "50000"))
    shown = {k: v for k, v in metrics.items() if not k.startswith(("request.", "consumer_request."))}
    print(f"measured on: {results.machine()}")
    print(results.table(results.rounded(shown)))
    if "cost" in args.only:
        print(f"(request.* / consumer_request.*: {len(metrics) - len(shown)} figures of use per request, in {args.out};"
              " make capacity CAPACITY_ARGS=--measure prices them)")
    print("\n".join(goals(metrics)))
    results.write(metrics, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
