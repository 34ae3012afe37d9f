"""The load-test report: locust's CSVs (and the cache's hit/miss counts) -> markdown, JSON, PNG charts, SLO verdicts.

Errors exclude 429s (the per-user rate limits answering as designed): those are
counted apart as `rate_limited`. The cache hit rate is what the cache's own counters
say: lookups served from L1 or L2 over all lookups (foodshare.cache.stats).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from foodshare import slo as _slo

# The verdicts' targets, from the one place they are written (foodshare.slo).
SLO = {
    "p95_ms": _slo.latency("api").p95_ms,
    "p99_ms": _slo.P99_GOAL_MS,
    "error_rate_pct": round(100 * _slo.AVAILABILITY.budget, 6),
    "cache_hit_rate_pct": _slo.CACHE_HIT_RATE_GOAL_PCT,
}
RATE_LIMITED = "rate_limited"


@dataclass(frozen=True)
class Run:
    """Where locust wrote its CSVs (`<prefix>_stats.csv`, …) and what the run was."""

    prefix: Path
    meta: dict


def _rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _number(value: str | None) -> float:
    try:
        return float(value) if value not in (None, "", "N/A") else 0.0
    except ValueError:
        return 0.0


def cache_hit_rate(counts: dict[tuple[str, str, bool], int]) -> float | None:
    """Percent of lookups served from L1 or L2; None when nothing was looked up (or counts are unknown)."""
    lookups = sum(n for (_, level, _), n in counts.items() if level == "L1")
    served = sum(n for (_, level, hit), n in counts.items() if hit and level in ("L1", "L2"))
    return 100.0 * served / lookups if lookups else None


def is_rate_limited(error: str) -> bool:
    """locust's failures.csv names the error as the script gave it ("rate_limited") or, since 2.x,
    as the exception it wrapped it in ("CatchResponseError('rate_limited')")."""
    error = error.strip()
    return error == RATE_LIMITED or error in (f"CatchResponseError('{RATE_LIMITED}')",
                                              f'CatchResponseError("{RATE_LIMITED}")')


def summarize(run: Run, cache_counts: dict[tuple[str, str, bool], int] | None) -> dict:
    stats = _rows(Path(f"{run.prefix}_stats.csv"))
    failures = _rows(Path(f"{run.prefix}_failures.csv"))
    limited: dict[str, int] = {}
    for row in failures:
        if is_rate_limited(row["Error"]):
            limited[row["Name"]] = limited.get(row["Name"], 0) + int(row["Occurrences"])
    routes, total = {}, None
    for row in stats:
        entry = {
            "requests": int(_number(row["Request Count"])),
            "failures": int(_number(row["Failure Count"])),
            "rate_limited": limited.get(row["Name"], 0) if row["Name"] != "Aggregated" else sum(limited.values()),
            "p50_ms": _number(row["50%"]), "p95_ms": _number(row["95%"]), "p99_ms": _number(row["99%"]),
            "rps": _number(row["Requests/s"]),
        }
        entry["errors"] = entry["failures"] - entry["rate_limited"]
        if row["Name"] == "Aggregated":
            total = entry
        else:
            routes[row["Name"]] = entry
    if total is None:
        raise ValueError(f"no aggregated row in {run.prefix}_stats.csv: did locust run?")
    error_rate = 100.0 * total["errors"] / total["requests"] if total["requests"] else 0.0
    hit_rate = cache_hit_rate(cache_counts) if cache_counts is not None else None
    values = {"p95_ms": total["p95_ms"], "p99_ms": total["p99_ms"], "error_rate_pct": error_rate,
              "cache_hit_rate_pct": hit_rate}
    slo = {}
    for name, target in SLO.items():
        value = values[name]
        passed = None if value is None else (value >= target if name == "cache_hit_rate_pct" else value < target)
        slo[name] = {"target": target, "value": value, "pass": passed}
    return {"meta": run.meta, "total": total, "routes": dict(sorted(routes.items())), "error_rate_pct": error_rate,
            "rate_limited": total["rate_limited"], "cache_hit_rate_pct": hit_rate, "slo": slo,
            "passed": all(v["pass"] is not False for v in slo.values())}


def charts(run: Run, folder: Path) -> list[Path]:
    """Latency percentiles and throughput over time from locust's stats history."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    history = [r for r in _rows(Path(f"{run.prefix}_stats_history.csv")) if r["Name"] == "Aggregated"]
    if not history:
        return []
    start = _number(history[0]["Timestamp"])
    seconds = [_number(r["Timestamp"]) - start for r in history]
    made = []
    figure, axis = plt.subplots(figsize=(9, 4))
    for column in ("50%", "95%", "99%"):
        axis.plot(seconds, [_number(r[column]) for r in history], label=f"p{column.rstrip('%')}")
    axis.axhline(SLO["p95_ms"], linestyle="--", color="grey", linewidth=0.8, label="p95 SLO")
    axis.set(xlabel="seconds", ylabel="ms", title="Latency percentiles (all routes)")
    axis.legend()
    made.append(folder / "latency.png")
    figure.savefig(made[-1], dpi=100, bbox_inches="tight")
    plt.close(figure)
    figure, axis = plt.subplots(figsize=(9, 4))
    axis.plot(seconds, [_number(r["Requests/s"]) for r in history], label="requests/s")
    axis.plot(seconds, [_number(r["Failures/s"]) for r in history], label="failures/s (incl. 429)")
    users = axis.twinx()
    users.plot(seconds, [_number(r["User Count"]) for r in history], color="grey", linestyle=":", label="users")
    users.set_ylabel("users")
    axis.set(xlabel="seconds", ylabel="per second", title="Throughput")
    axis.legend(loc="upper left")
    made.append(folder / "throughput.png")
    figure.savefig(made[-1], dpi=100, bbox_inches="tight")
    plt.close(figure)
    return made


def markdown(summary: dict, images: list[Path]) -> str:
    meta, total = summary["meta"], summary["total"]
    verdict = lambda ok: "n/a" if ok is None else ("PASS" if ok else "FAIL")  # noqa: E731
    lines = [f"# Load test: {meta.get('scenario')}", "",
             " · ".join(f"{k}: {v}" for k, v in meta.items() if k != "scenario"), "",
             f"**{total['requests']} requests, {total['rps']:.1f} req/s; errors {summary['error_rate_pct']:.3f} % "
             f"({total['errors']}); 429 rate limited {summary['rate_limited']}; cache hit rate "
             + (f"{summary['cache_hit_rate_pct']:.1f} %" if summary["cache_hit_rate_pct"] is not None else "n/a")
             + f"** — overall {'PASS' if summary['passed'] else 'FAIL'}", "",
             "| SLO | target | measured | verdict |", "|---|---|---|---|"]
    for name, slo in summary["slo"].items():
        value = "n/a" if slo["value"] is None else f"{slo['value']:.2f}"
        lines.append(f"| {name} | {'≥' if name == 'cache_hit_rate_pct' else '<'} {slo['target']:g} | {value} | "
                     f"{verdict(slo['pass'])} |")
    lines += ["", "| route | requests | req/s | p50 ms | p95 ms | p99 ms | errors | 429 |", "|---|---|---|---|---|---|---|---|"]
    for name, r in [*summary["routes"].items(), ("**all**", total)]:
        lines.append(f"| {name} | {r['requests']} | {r['rps']:.1f} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | "
                     f"{r['p99_ms']:.0f} | {r['errors']} | {r['rate_limited']} |")
    lines += [""] + [f"![{image.stem}]({image.name})" for image in images]
    return "\n".join(lines) + "\n"


def write(run: Run, cache_counts: dict[tuple[str, str, bool], int] | None, folder: Path) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    summary = summarize(run, cache_counts)
    images = charts(run, folder)
    (folder / "report.json").write_text(json.dumps(summary, indent=2) + "\n")
    (folder / "report.md").write_text(markdown(summary, images))
    return summary
