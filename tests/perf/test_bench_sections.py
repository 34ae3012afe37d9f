"""`make bench`'s sections still run on the current code. The cache section had stopped: a setting made required
(EVENT_BUS_NAME) and the page renderer's new argument broke it, and only a full `make bench`, run rarely, would
have told (sections run one by one with `--only` did not include it)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_cache_section_runs_and_prints_what_make_bench_reads(monkeypatch):
    from benchmarks.__main__ import CACHE_LINES, cache_section

    monkeypatch.setenv("PYTHONPATH", f"{ROOT}:{ROOT / 'layers' / 'foodshare' / 'python'}")
    metrics = cache_section(quick=True)  # a small world, few samples: seconds
    assert set(metrics) == set(CACHE_LINES)
    assert all(value > 0 for value in metrics.values()), metrics
    assert metrics["discovery_uncached_p50_ms"] > metrics["discovery_cached_p50_ms"]
