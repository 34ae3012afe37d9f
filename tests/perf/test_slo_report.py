"""`make slo-report` over a load test's report.json: attainment, budget left, latency verdicts by scope."""

from __future__ import annotations

import json

from foodshare import slo

from benchmarks import report
from scripts import slo_report
from tests.perf.test_report import _tiny_run


def _report(tmp_path, errors: int):
    tmp_path.mkdir(exist_ok=True)
    run = _tiny_run(tmp_path, [], aggregated_failures=errors)
    report.write(run, None, tmp_path / "out")
    return tmp_path / "out"


def test_a_clean_run_meets_every_slo_with_the_whole_budget_left(tmp_path, capsys):
    folder = _report(tmp_path, errors=0)
    assert slo_report.main(["--results", str(folder), "--json", str(tmp_path / "slo.json")]) == 0
    result = json.loads((tmp_path / "slo.json").read_text())
    assert result["availability"]["attained_pct"] == 100.0
    assert result["availability"]["budget_remaining_pct"] == 100.0
    # GET /food is discovery's route (p95 120 ms in the fixture); claims were not exercised.
    assert result["latency"]["discovery"] == {
        "target_ms": slo.latency("discovery").p95_ms,
        "p95_ms": 120.0,
        "met": True,
    }
    assert result["latency"]["claims"]["met"] is None
    assert "API availability" in capsys.readouterr().out


def test_one_error_in_a_thousand_requests_spends_the_whole_budget_and_more(tmp_path):
    """1 error / 1000 requests = 99.9 %: exactly the objective, 0 % budget left; 2 errors overspend it."""
    at_objective = slo_report.judge(
        slo_report.from_loadtest(json.loads((_report(tmp_path / "a", errors=1) / "report.json").read_text()))
    )
    assert at_objective["availability"]["met"] is True
    assert abs(at_objective["availability"]["budget_remaining_pct"]) < 1e-6
    over = slo_report.judge(
        slo_report.from_loadtest(json.loads((_report(tmp_path / "b", errors=2) / "report.json").read_text()))
    )
    assert over["availability"]["met"] is False and over["availability"]["budget_remaining_pct"] < -99
    assert over["met"] is False
