"""Load shapes as stages, the stress breaking point and capacity input, spike recovery, soak memory growth."""

from __future__ import annotations

import csv
import json
from itertools import pairwise

import pytest

from benchmarks import memory, shape_report, shapes
from benchmarks.capacity import default_cases, load_durations, plan_for


def test_each_shape_covers_the_duration_and_then_stops():
    for name in shapes.SHAPES:
        stages = shapes.plan(name, 40, 120)
        assert stages[0].start_s == 0 and stages[-1].end_s == 120
        assert all(a.end_s == b.start_s for a, b in pairwise(stages))
        assert shapes.tick(stages, 119.9) is not None and shapes.tick(stages, 120) is None
    assert [s.users for s in shapes.plan("stress", 40, 120)] == [10, 20, 30, 40]
    assert [s.users for s in shapes.plan("spike", 40, 120)] == [4, 40, 4]
    assert shapes.plan("spike", 40, 120)[1].spawn_rate == 40  # all at once
    assert shapes.plan("baseline", 500, 60)[0].users == 10
    with pytest.raises(ValueError):
        shapes.plan("ramp", 1, 1)


HEADER = ["Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s", "50%", "66%", "75%", "80%",
          "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%", "Total Request Count", "Total Failure Count"]


def _history(tmp_path, seconds: int, p95_of, failures_of=lambda t: 0):
    """One Aggregated and one GET /food row per second; p95_of(t) and cumulative failures_of(t)."""
    with (tmp_path / "locust_stats_history.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for t in range(seconds):
            p95 = p95_of(t)
            for name in ("Aggregated", "GET /food"):
                writer.writerow([1_790_000_000 + t, 1, "", name, 10.0, 0, p95 / 4, 0, 0, 0, 0, p95, 0, 0, 0, 0, 0,
                                 10 * (t + 1), failures_of(t)])
    return tmp_path / "locust"


def test_stress_finds_the_first_step_over_the_latency_slo_and_writes_capacity_input(tmp_path):
    stages = shapes.plan("stress", 40, 120)  # steps of 30 s
    prefix = _history(tmp_path, 120, lambda t: [300, 900, 2500, 4000][t // 30])
    result = shape_report.analyse(prefix, "stress", stages, {"date": "2026-12-01", "cores": 2}, tmp_path)
    assert result["breaking_point"]["users"] == 30 and result["breaking_point"]["p95_ms"] == 2500
    assert result["capacity"] == {"users": 20, "rps": 10.0}
    durations = json.loads((tmp_path / "capacity-input.json").read_text())
    assert durations["routes"]["GET /food"] == {"p50_ms": 225.0, "p95_ms": 900.0}
    plan = plan_for(load_durations(tmp_path / "capacity-input.json"), default_cases())
    committed = plan_for(load_durations(), default_cases())
    assert plan.functions["discovery"].peak > committed.functions["discovery"].peak  # slower routes: more capacity
    assert "Breaking point**: 30 users" in shape_report.markdown(result)


def test_rate_limited_answers_do_not_count_as_a_stages_errors(tmp_path):
    stages = shapes.plan("stress", 40, 120)  # steps of 30 s; 10 requests a second
    prefix = _history(tmp_path, 120, lambda t: 300, failures_of=lambda t: 0 if t < 30 else 2 * (t - 29))
    # every failure of steps 2-4 was a 429 (two a second), except 6 in step 4
    start = 1_790_000_000
    limited = [start + t + 0.5 for t in range(30, 120) for _ in range(2)][:-6]
    (tmp_path / "locust_rate_limited.txt").write_text("".join(f"{t}\n" for t in limited))
    result = shape_report.analyse(prefix, "stress", stages, {}, tmp_path)
    assert [s["rate_limited"] for s in result["stages"]] == [0, 60, 60, 54]
    assert [round(s["error_share"] * 300) for s in result["stages"]] == [0, 0, 0, 6]
    assert result["breaking_point"]["users"] == 40  # 2 % errors (6 in 300) pages; the 429s never did
    (tmp_path / "locust_rate_limited.txt").unlink()
    assert shape_report.analyse(prefix, "stress", stages, {}, tmp_path)["breaking_point"]["users"] == 20


def test_stress_breaks_on_errors_at_the_page_burn_rate(tmp_path):
    stages = shapes.plan("stress", 40, 120)
    # 300 requests per step; from the third step on, 2 % fail (over 14.4 x 0.1 %).
    prefix = _history(tmp_path, 120, lambda t: 300, lambda t: 0 if t < 60 else (t - 59) * 0.2)
    result = shape_report.analyse(prefix, "stress", stages, {}, tmp_path)
    assert result["breaking_point"]["users"] == 30


def test_spike_recovery(tmp_path):
    stages = shapes.plan("spike", 40, 90)
    recovered = shape_report.analyse(_history(tmp_path, 90, lambda t: 3000 if 30 <= t < 60 else 200), "spike",
                                     stages, {}, tmp_path)
    assert recovered["recovered"] and recovered["passed"]
    stuck = shape_report.analyse(_history(tmp_path, 90, lambda t: 200 if t < 30 else 3000), "spike", stages, {},
                                 tmp_path)
    assert not stuck["recovered"] and not stuck["passed"]


def test_memory_growth_per_hour_and_the_leak_verdict():
    flat = [(t, 200_000_000 + (1_000_000 if t < 10 else 0)) for t in range(0, 600, 5)]
    leaking = [(t, 200_000_000 + t * 20_000) for t in range(0, 600, 5)]  # 20 kB/s = 72 MB/h
    result = memory.growth({"flat": flat, "leaking": leaking})
    assert result["flat"]["growth_mb_per_hour"] == 0 and not result["flat"]["leak"]
    assert result["leaking"]["growth_mb_per_hour"] == pytest.approx(72, abs=0.5) and result["leaking"]["leak"]


def test_the_emulator_holding_the_data_is_reported_but_not_judged(tmp_path):
    growing = [(t, 150_000_000 + t * 20_000) for t in range(0, 600, 5)]
    stages = shapes.plan("soak", 10, 600)
    result = shape_report.analyse(_history(tmp_path, 60, lambda t: 200), "soak", stages, {}, tmp_path,
                                  {"emulator": growing, "foodshare-dev-users#1": [(t, 60_000_000) for t in range(0, 600, 5)]})
    assert result["memory"]["emulator"]["growth_mb_per_hour"] == pytest.approx(72, abs=0.5)
    assert result["memory"]["emulator"]["leak"] is None and result["passed"]
    assert "not judged (data)" in shape_report.markdown(result)
    assert (tmp_path / "memory-samples.json").exists()
    leaking = shape_report.analyse(_history(tmp_path, 60, lambda t: 200), "soak", stages, {}, tmp_path,
                                   {"foodshare-dev-users#1": growing})
    assert not leaking["passed"]


def test_the_sampler_reads_this_process_and_matching_processes():
    sampler = memory.Sampler(memory.finder("self"), interval=0.05).start()
    samples = sampler.stop()
    assert samples["local-stack"][0][1] > 10_000_000
    assert memory.finder("pids:1")() == {"pid 1": 1}
    with pytest.raises(ValueError):
        memory.finder("everything")


def test_the_tree_finder_names_each_descendant_by_its_function():
    import os
    import subprocess
    import sys
    import time

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"],
                             env={**os.environ, "AWS_LAMBDA_FUNCTION_NAME": "foodshare-dev-posting"})
    try:
        deadline = time.monotonic() + 10
        while (found := memory.finder(f"tree:{os.getpid()}")()).get(f"foodshare-dev-posting#{child.pid}") is None:
            assert time.monotonic() < deadline, found
            time.sleep(0.05)
        assert found["emulator"] == os.getpid()
        assert all(label == "emulator" or "#" in label for label in found)
        assert memory.finder("tree:1")()  # everything descends from 1: the finder walks the whole tree
    finally:
        child.kill()
        child.wait()
