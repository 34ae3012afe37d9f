"""What a load shape's run says beyond the steady report: steps, breaking point, recovery, memory growth.

Reads locust's full stats history (`<prefix>_stats_history.csv`, one row per route and
one `Aggregated` row every second) and cuts it into the shape's stages
(benchmarks.shapes). A stage's p95 is the median of locust's rolling p95 over the
stage; its error share is the failures over the requests counted in it, less the
429s answered in it (the per-user rate limits answering as designed, not errors: the
locustfile logs when each came, `<prefix>_rate_limited.txt`).

- stress: the breaking point is the first step whose p95 reaches the API latency SLO
  or whose error share would page (the fast-burn rate x the error budget, foodshare.slo);
  the step before it is the capacity, and its per-route p50/p95 are written as
  `capacity-input.json` in the format of benchmarks/measured-durations.json:
  `make capacity CAPACITY_ARGS="--durations <that file>"` sizes prod from them.
- spike: each phase's p95 and error share; recovered = the phase after the spike is
  back under the latency SLO.
- soak: memory growth per worker process (benchmarks.memory); a leak fails the run.
"""

from __future__ import annotations

import csv
import json
import statistics
from pathlib import Path

from foodshare import slo

from benchmarks.shapes import Stage

PAGE_ERROR_SHARE = slo.BURN_WINDOWS[0].burn_rate * slo.AVAILABILITY.budget
P95_SLO_MS = slo.latency("api").p95_ms
MEASURED = Path(__file__).resolve().parent / "measured-durations.json"


def _rows(prefix: Path) -> list[dict]:
    path = Path(f"{prefix}_stats_history.csv")
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _num(value) -> float:
    try:
        return float(value) if value not in (None, "", "N/A") else 0.0
    except ValueError:
        return 0.0


def _median(values: list[float]) -> float:
    values = [v for v in values if v > 0]
    return statistics.median(values) if values else 0.0


def stage_stats(rows: list[dict], stages: list[Stage], rate_limited_at: list[float] = ()) -> list[dict]:
    aggregated = [r for r in rows if r["Name"] == "Aggregated"]
    if not aggregated:
        return []
    t0 = _num(aggregated[0]["Timestamp"])
    out, before, since = [], (0.0, 0.0), float("-inf")
    for stage in stages:
        inside = [r for r in aggregated if stage.start_s <= _num(r["Timestamp"]) - t0 < stage.end_s]
        if not inside:
            out.append({"stage": stage.label, "users": stage.users, "rps": 0.0, "p95_ms": 0.0, "requests": 0,
                        "error_share": 0.0, "routes": {}})
            continue
        last = (_num(inside[-1]["Total Request Count"]), _num(inside[-1]["Total Failure Count"]))
        requests, failures = last[0] - before[0], last[1] - before[1]
        # a history row counts what completed up to its second: the stage's 429s came after the
        # previous stage's last row and by this stage's last row
        until = _num(inside[-1]["Timestamp"]) + 1
        limited = sum(1 for t in rate_limited_at if since <= t < until)
        failures = max(0.0, failures - limited)
        before, since = last, until
        routes = {}
        for name in {r["Name"] for r in rows if r["Name"] != "Aggregated"}:
            mine = [r for r in rows if r["Name"] == name and stage.start_s <= _num(r["Timestamp"]) - t0 < stage.end_s]
            p50, p95 = _median([_num(r["50%"]) for r in mine]), _median([_num(r["95%"]) for r in mine])
            if p50 and p95:
                routes[name] = {"p50_ms": round(p50, 2), "p95_ms": round(p95, 2)}
        out.append({"stage": stage.label, "users": stage.users, "rps": round(statistics.mean(_num(r["Requests/s"])
                                                                                           for r in inside), 2),
                    "p95_ms": _median([_num(r["95%"]) for r in inside]), "requests": int(requests),
                    "error_share": failures / requests if requests else 0.0, "rate_limited": limited,
                    "routes": routes})
    return out


def breaks(step: dict) -> bool:
    return step["requests"] > 0 and (step["p95_ms"] >= P95_SLO_MS or step["error_share"] >= PAGE_ERROR_SHARE)


def capacity_input(step: dict, meta: dict) -> dict:
    """measured-durations.json with the step's per-route durations (the rest as committed)."""
    committed = json.loads(MEASURED.read_text())
    return {**committed, "measured_on": meta.get("date"), "machine": f"{meta.get('cores')} cores",
            "source": f"make loadtest SHAPE=stress: per-route p50/p95 at {step['stage']}, the last step within the "
                      f"SLOs ({step['rps']} req/s); routes the load test did not exercise keep the committed values",
            "routes": {**committed["routes"], **step["routes"]}}


def analyse(prefix: Path, shape: str, stages: list[Stage], meta: dict, folder: Path,
            memory: dict | None = None) -> dict:
    limited_log = Path(f"{prefix}_rate_limited.txt")
    limited_at = [float(x) for x in limited_log.read_text().split()] if limited_log.exists() else []
    steps = stage_stats(_rows(prefix), stages, limited_at)
    result: dict = {"shape": shape, "stages": [{k: v for k, v in s.items() if k != "routes"} for s in steps],
                    "passed": True}
    if shape == "stress":
        broken = next((i for i, s in enumerate(steps) if breaks(s)), None)
        if broken is None:
            result["breaking_point"] = None
            good = steps[-1] if steps else None
        else:
            result["breaking_point"] = {"users": steps[broken]["users"], "rps": steps[broken]["rps"],
                                        "p95_ms": steps[broken]["p95_ms"],
                                        "error_share": steps[broken]["error_share"]}
            good = steps[broken - 1] if broken else None
        result["capacity"] = {"users": good["users"], "rps": good["rps"]} if good else None
        if good and good["routes"]:
            path = folder / "capacity-input.json"
            path.write_text(json.dumps(capacity_input(good, meta), indent=2) + "\n")
            result["capacity_input"] = str(path)
    elif shape == "spike" and len(steps) == 3:
        result["spike_error_share"] = steps[1]["error_share"]
        result["recovered"] = steps[2]["requests"] > 0 and steps[2]["p95_ms"] < P95_SLO_MS
        result["passed"] = steps[1]["error_share"] < PAGE_ERROR_SHARE and result["recovered"]
    if memory is not None:
        from benchmarks.memory import growth

        result["memory"] = growth(memory)
        result["passed"] = result["passed"] and not any(w["leak"] for w in result["memory"].values())
        (folder / "memory-samples.json").write_text(json.dumps(
            {label: [[round(t, 1), rss] for t, rss in points] for label, points in memory.items()}) + "\n")
        chart = memory_chart(memory, folder)
        if chart:
            result["memory_chart"] = chart.name
    return result


def memory_chart(samples: dict, folder: Path) -> Path | None:
    if not any(samples.values()):
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(9, 4))
    for label, points in samples.items():
        axis.plot([t for t, _ in points], [v / 1e6 for _, v in points], label=label)
    axis.set(xlabel="seconds", ylabel="RSS (MB)", title="Worker memory")
    axis.legend()
    path = folder / "memory.png"
    figure.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(figure)
    return path


def markdown(result: dict) -> str:
    lines = ["", f"## Shape: {result['shape']}", "",
             "| stage | users | req/s | p95 ms | requests | errors % | 429 |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {s['stage']} | {s['users']} | {s['rps']:.1f} | {s['p95_ms']:.0f} | {s['requests']} | "
              f"{100 * s['error_share']:.2f} | {s.get('rate_limited', 0)} |" for s in result["stages"]]
    if result["shape"] == "stress":
        bp, cap = result.get("breaking_point"), result.get("capacity")
        lines.append("")
        lines.append(f"**Breaking point**: {bp['users']} users, {bp['rps']:.1f} req/s (p95 {bp['p95_ms']:.0f} ms, "
                     f"errors {100 * bp['error_share']:.2f} %)" if bp else
                     "**Breaking point**: not reached (raise USERS)")
        lines.append(f"**Capacity** (last step within the SLOs): {cap['users']} users, {cap['rps']:.1f} req/s"
                     if cap else "**Capacity**: the first step already broke an SLO")
        if "capacity_input" in result:
            lines.append(f"Capacity plan from it: `make capacity CAPACITY_ARGS=\"--durations "
                         f"{result['capacity_input']}\"`")
    if result["shape"] == "spike" and "recovered" in result:
        lines.append(f"\nSpike errors {100 * result['spike_error_share']:.2f} %, recovered after: "
                     f"{result['recovered']}")
    if "memory" in result:
        lines += ["", "| worker | samples | start MB | settled MB | end MB | growth MB/h | leak |",
                  "|---|---|---|---|---|---|---|"]
        lines += [f"| {label} | {m['samples']} | {m['start_mb']} | {m['settled_mb']} | {m['end_mb']} | "
                  f"{m['growth_mb_per_hour']} | {'not judged (data)' if m['leak'] is None else 'LEAK' if m['leak'] else 'no'} |"
                  for label, m in result["memory"].items()]
        if "memory_chart" in result:
            lines.append(f"\n![memory]({result['memory_chart']})")
    lines.append(f"\nShape verdict: {'PASS' if result['passed'] else 'FAIL'}")
    return "\n".join(lines) + "\n"
