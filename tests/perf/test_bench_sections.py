"""`make bench`'s sections still run on the current code. Two had stopped, and only a full `make bench`, run
rarely, would have told: the cache section (a setting made required, EVENT_BUS_NAME, and the page renderer's new
argument) and the round trips' default baseline (376caf8 lacked modules the samples came to use)."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_cache_section_runs_and_prints_what_make_bench_reads(monkeypatch):
    from benchmarks.__main__ import CACHE_LINES, cache_section

    monkeypatch.setenv("PYTHONPATH", f"{ROOT}:{ROOT / 'layers' / 'foodshare' / 'python'}")
    metrics = cache_section(quick=True)  # a small world, few samples: seconds
    assert set(metrics) == set(CACHE_LINES)
    assert all(value > 0 for value in metrics.values()), metrics
    assert metrics["discovery_uncached_p50_ms"] > metrics["discovery_cached_p50_ms"]


def test_the_default_baseline_still_measures_under_this_harness(tmp_path):
    """`make bench` measures round_trips.BASELINE's layer and functions with this tree's samples (benchmarks/world.py):
    a sample that needs what the baseline lacks must not stop the comparison."""
    from benchmarks import round_trips as bench

    checkout = bench.baseline_checkout(bench.BASELINE, tmp_path)
    try:
        rows = bench._run(checkout, 1)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(checkout)], cwd=bench.ROOT, check=False)
    assert rows["GET /me"]["status"] == 200 and rows["GET /me"]["warm"] == {"dynamodb:GetItem": 1}
    assert rows["POST /food/{foodId}/claims"]["status"] == 201
