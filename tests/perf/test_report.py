"""The load-test report from locust's CSVs: per-route percentiles, 429s apart from errors, SLO verdicts, charts."""

from __future__ import annotations

import csv
import json

from benchmarks import report

STATS_HEADER = ["Type", "Name", "Request Count", "Failure Count", "Median Response Time", "Average Response Time",
                "Min Response Time", "Max Response Time", "Average Content Size", "Requests/s", "Failures/s",
                "50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%"]
HISTORY_HEADER = ["Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s", "50%", "66%", "75%", "80%",
                  "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%", "Total Request Count", "Total Failure Count"]


def _write(path, header, rows):
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _stats_row(name, count, failures, p50, p95, p99, rps):
    return ["GET", name, count, failures, p50, p50, 1, p99, 100, rps, 0, p50, p50, p50, p50, p95, p95, p99, p99,
            p99, p99, p99]


def _tiny_run(tmp_path, failures_rows, aggregated_failures):
    prefix = tmp_path / "locust"
    _write(tmp_path / "locust_stats.csv", STATS_HEADER, [
        _stats_row("GET /food", 900, 0, 40, 120, 300, 15.0),
        _stats_row("POST /food", 100, aggregated_failures, 80, 400, 900, 1.7),
        ["", "Aggregated", 1000, aggregated_failures, 45, 50, 1, 900, 100, 16.7, 0, 45, 50, 60, 70, 100, 150, 300,
         400, 900, 900, 900],
    ])
    _write(tmp_path / "locust_failures.csv", ["Method", "Name", "Error", "Occurrences"], failures_rows)
    _write(tmp_path / "locust_stats_history.csv", HISTORY_HEADER, [
        [1_790_000_000 + s, 10, "", "Aggregated", 16, 0.1, 45, 50, 60, 70, 100, 150, 300, 400, 900, 900, 900, 16 * s, 0]
        for s in range(1, 6)])
    return report.Run(prefix, {"scenario": "daily_peak", "users": 10})


def test_locusts_wrapped_error_name_is_recognised_as_rate_limited(tmp_path):
    run = _tiny_run(tmp_path, [["POST", "POST /food", "CatchResponseError('rate_limited')", 7]], aggregated_failures=7)
    summary = report.summarize(run, None)
    assert summary["routes"]["POST /food"]["rate_limited"] == 7 and summary["routes"]["POST /food"]["errors"] == 0


def test_rate_limited_answers_are_counted_apart_from_errors_and_slos_judged(tmp_path):
    run = _tiny_run(tmp_path, [["POST", "POST /food", "rate_limited", 7]], aggregated_failures=7)
    hits = {("food_discovery", "L1", True): 80, ("food_discovery", "L1", False): 20,
            ("food_discovery", "L2", True): 10, ("food_discovery", "L2", False): 10}
    summary = report.write(run, hits, tmp_path / "out")
    assert summary["routes"]["POST /food"]["rate_limited"] == 7
    assert summary["total"]["errors"] == 0 and summary["error_rate_pct"] == 0
    assert summary["cache_hit_rate_pct"] == 90.0
    assert summary["slo"]["p95_ms"] == {"target": 2000.0, "value": 150.0, "pass": True}
    assert summary["passed"] is True
    out = tmp_path / "out"
    assert json.loads((out / "report.json").read_text())["rate_limited"] == 7
    assert "| POST /food | 100 | 1.7 | 80 | 400 | 900 | 0 | 7 |" in (out / "report.md").read_text()
    assert (out / "latency.png").read_bytes()[:4] == b"\x89PNG" and (out / "throughput.png").stat().st_size > 0


def test_real_errors_and_a_cold_cache_fail_the_run(tmp_path):
    run = _tiny_run(tmp_path, [["POST", "POST /food", "500 boom", 3]], aggregated_failures=3)
    summary = report.summarize(run, {("food_discovery", "L1", True): 5, ("food_discovery", "L1", False): 5})
    assert summary["error_rate_pct"] == 0.3
    assert summary["slo"]["error_rate_pct"]["pass"] is False
    assert summary["slo"]["cache_hit_rate_pct"]["pass"] is False
    assert summary["passed"] is False


def test_without_cache_counts_the_hit_rate_is_not_judged(tmp_path):
    summary = report.summarize(_tiny_run(tmp_path, [], 0), None)
    assert summary["slo"]["cache_hit_rate_pct"] == {"target": 85.0, "value": None, "pass": None}
    assert summary["passed"] is True
