"""`make slo-report`: SLO attainment and error budget left, from CloudWatch or from a load test.

Sources:
- `--source loadtest` (default): a run's report.json under loadtest-results/ (the newest
  unless `--results DIR`). Availability counts errors as the load test does (429s, the
  rate limits answering as designed, are not errors). A scope's p95 is the worst p95 of
  its routes: an upper bound, since per-route percentiles cannot be merged exactly.
- `--source cloudwatch --stage S`: the deployed stage over the SLO window (30 days):
  API Gateway `5xx` / `Count` sums and `Latency` p95 of the stage's HTTP API, Lambda
  `Duration` p95 of the functions a latency SLO names (needs AWS credentials).

The targets are foodshare.slo's; this script only measures and judges.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from foodshare import slo

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "loadtest-results"


def from_loadtest(report: dict) -> dict:
    total = report["total"]
    latencies = {}
    for target in slo.LATENCY:
        if not target.routes:
            latencies[target.name] = total["p95_ms"] if total["requests"] else None
            continue
        seen = [report["routes"][r]["p95_ms"] for r in target.routes if report["routes"].get(r, {}).get("requests")]
        latencies[target.name] = max(seen) if seen else None
    return {
        "requests": total["requests"],
        "errors": total["errors"],
        "p95_ms": latencies,
        "window": f"load test {report['meta'].get('scenario')} {report['meta'].get('date')} "
        f"({report['meta'].get('duration_s')} s)",
    }


def from_cloudwatch(stage: str, now: datetime | None = None) -> dict:
    import boto3

    now = now or datetime.now(UTC)
    window = slo.AVAILABILITY.window_seconds
    api_name = f"foodshare-{stage}"
    apis = boto3.client("apigatewayv2").get_apis()["Items"]
    (api_id,) = [a["ApiId"] for a in apis if a["Name"] == api_name] or [None]
    if api_id is None:
        raise SystemExit(f"no HTTP API named {api_name}")
    api_dims = [{"Name": "ApiId", "Value": api_id}]

    def query(id_, namespace, name, dims, stat):
        return {
            "Id": id_,
            "MetricStat": {
                "Metric": {"Namespace": namespace, "MetricName": name, "Dimensions": dims},
                "Period": window,
                "Stat": stat,
            },
        }

    queries = [
        query("errors", "AWS/ApiGateway", "5xx", api_dims, "Sum"),
        query("requests", "AWS/ApiGateway", "Count", api_dims, "Sum"),
    ]
    for target in slo.LATENCY:
        stat = f"p{target.percentile:g}"
        if not target.functions:
            queries.append(query(f"lat_{target.name}", "AWS/ApiGateway", "Latency", api_dims, stat))
        for i, fn in enumerate(target.functions):
            dims = [{"Name": "FunctionName", "Value": f"foodshare-{stage}-{fn}"}]
            queries.append(query(f"lat_{target.name}_{i}", "AWS/Lambda", "Duration", dims, stat))
    answer = boto3.client("cloudwatch").get_metric_data(
        MetricDataQueries=queries, StartTime=now - timedelta(seconds=window), EndTime=now
    )
    values = {
        r["Id"]: sum(r["Values"]) if r["Id"] in ("errors", "requests") else max(r["Values"], default=None)
        for r in answer["MetricDataResults"]
    }
    latencies = {}
    for target in slo.LATENCY:
        found = [v for k, v in values.items() if k.startswith(f"lat_{target.name}") and v is not None]
        latencies[target.name] = max(found) if found else None
    return {
        "requests": values.get("requests") or 0,
        "errors": values.get("errors") or 0,
        "p95_ms": latencies,
        "window": f"CloudWatch {api_name}, last {window // slo.DAY} days to {now:%Y-%m-%d %H:%M} UTC",
    }


def judge(measured: dict) -> dict:
    avail = slo.attainment(measured["errors"], measured["requests"])
    latency = {
        t.name: {
            "target_ms": t.p95_ms,
            "p95_ms": measured["p95_ms"].get(t.name),
            "met": slo.latency_met(measured["p95_ms"].get(t.name), t),
        }
        for t in slo.LATENCY
    }
    return {
        "window": measured["window"],
        "availability": {
            "objective_pct": 100 * slo.AVAILABILITY.objective,
            "requests": avail.requests,
            "errors": avail.errors,
            "attained_pct": 100 * avail.availability,
            "budget_remaining_pct": 100 * avail.budget_remaining,
            "met": avail.met,
        },
        "latency": latency,
        "met": avail.met and all(v["met"] is not False for v in latency.values()),
    }


def markdown(result: dict) -> str:
    a = result["availability"]
    verdict = lambda ok: "n/a" if ok is None else ("met" if ok else "MISSED")
    lines = [
        f"# SLO report — {result['window']}",
        "",
        "| SLO | objective | measured | error budget left | verdict |",
        "|---|---|---|---|---|",
        (
            f"| API availability | ≥ {a['objective_pct']:g} % | {a['attained_pct']:.3f} % "
            f"({int(a['errors'])} errors / {int(a['requests'])} requests) | {a['budget_remaining_pct']:.1f} % | "
            f"{verdict(a['met'])} |"
        ),
    ]
    for name, v in result["latency"].items():
        measured = "n/a" if v["p95_ms"] is None else f"{v['p95_ms']:.0f} ms"
        lines.append(f"| {name} p95 | < {v['target_ms']:g} ms | {measured} | | {verdict(v['met'])} |")
    return "\n".join(lines) + "\n"


def newest_results() -> Path:
    runs = sorted((p for p in RESULTS.glob("*/report.json")), key=lambda p: p.stat().st_mtime)
    if not runs:
        raise SystemExit(f"no load-test results under {RESULTS}: run `make loadtest` first")
    return runs[-1].parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", choices=("loadtest", "cloudwatch"), default="loadtest")
    parser.add_argument("--results", type=Path, help="a load-test result folder (default: the newest)")
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args(argv)
    if args.source == "cloudwatch":
        measured = from_cloudwatch(args.stage)
    else:
        folder = args.results or newest_results()
        measured = from_loadtest(json.loads((folder / "report.json").read_text()))
    result = judge(measured)
    print(markdown(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
