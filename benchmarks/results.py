"""Numbers in, numbers out: percentiles, the flat `{metric: number}` file and the printed table."""

from __future__ import annotations

import argparse
import json
import math
import statistics
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_RESULTS = ROOT / "bench-results.json"


def machine() -> str:
    """What the figures were measured on: the CPU's model and family (two sessions' machines of one name differed
    by 2x in CPU per request), cores, architecture and Python. Printed above every run's table."""
    import os
    import platform

    cpu = platform.processor() or platform.machine()
    try:
        fields = dict(line.split(":", 1) for line in Path("/proc/cpuinfo").read_text().splitlines() if ":" in line)
        info = {k.strip(): v.strip() for k, v in fields.items()}
        cpu = f"{info['model name']} (family {info['cpu family']}, model {info['model']})"
    except (OSError, KeyError, ValueError):
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100) of a non-empty sample."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def rounded(metrics: dict[str, float]) -> dict[str, float]:
    return {name: round(value, 2) for name, value in metrics.items()}


def write(metrics: dict[str, float], path: Path = BENCH_RESULTS) -> None:
    path.write_text(json.dumps(rounded(metrics), indent=2, sort_keys=True) + "\n")


def read(path: Path = BENCH_RESULTS) -> dict[str, float]:
    return json.loads(path.read_text())


def table(metrics: dict[str, float]) -> str:
    width = max((len(name) for name in metrics), default=10)
    lines = [f"{'metric':<{width}}  {'value':>10}", f"{'-' * width}  {'-' * 10}"]
    lines += [f"{name:<{width}}  {value:>10.2f}" for name, value in sorted(metrics.items())]
    return "\n".join(lines)


def section_cli(description: str, measure: Callable[[int], dict[str, float]], option: str, default: int) -> None:
    """`python -m benchmarks.<section> --<option> N --out part.json`: how `python -m benchmarks` runs a section."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(f"--{option}", type=int, default=default)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.write_text(json.dumps(measure(getattr(args, option))))
