"""Configuration fails fast: a container without STAGE/TABLE_NAME/EVENT_BUS_NAME stops at its cold start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _cold_start(env_without: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != env_without}
    env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{ROOT / 'layers/foodshare/python'}"
    return subprocess.run([sys.executable, "-c", "import functions.posting.handler"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name", ["TABLE_NAME", "EVENT_BUS_NAME", "STAGE"])
def test_a_function_missing_a_required_variable_fails_at_import_naming_it(name):
    done = _cold_start(name)
    assert done.returncode != 0
    assert "MissingSetting" in done.stderr and f"{name} not set" in done.stderr


def test_with_everything_set_the_function_imports():
    done = _cold_start("NOTHING")
    assert done.returncode == 0, done.stderr


def test_settings_have_no_local_default_for_where_things_are(monkeypatch):
    from foodshare.settings import MissingSetting, get_settings

    monkeypatch.delenv("TABLE_NAME")
    get_settings.cache_clear()
    try:
        with pytest.raises(MissingSetting, match="TABLE_NAME"):
            get_settings()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_the_expiry_job_refuses_a_settle_time_that_is_not_positive_at_its_cold_start():
    env = {**os.environ, "EXCHANGE_SETTLE_HOURS": "0",
           "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'layers/foodshare/python'}"}
    done = subprocess.run([sys.executable, "-c", "import functions.food_expiry.handler"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "EXCHANGE_SETTLE_HOURS must be a positive number" in done.stderr
