"""`make restore-drill --rehearse` end to end on the served stack (dev template on the emulator, PITR history on).

One run (a few minutes on a busy 2-core machine, so once per session): the stack deployed,
a community with exchanges, the restore point, more exchanges and one corrupting write after
it, then the restore, the switch of the stack's functions and aliases, and a call through
its API. The drill's JSON says what it measured; the assertions are ours.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _dev_functions() -> set[str]:
    """The dev template's functions (it serves the API docs and delivers the outbox from the stream)."""
    from cdk.catalog import Catalog

    return Catalog.current().deployed(api_docs=True, outbox_delivery="stream").names()


@pytest.fixture(scope="module")
def drill(tmp_path_factory):
    out = tmp_path_factory.mktemp("drill") / "drill.json"
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_ENDPOINT_URL", "DYNAMODB_ENDPOINT")}
    env["DRILL_SEED"] = "2,12,20"
    # Free ports, or beside the session stack's pinned ones (STACK_PORT: a shared machine's port range).
    ports = ["--port", str(int(os.environ["STACK_PORT"]) + 10), "--emulator-port", str(int(os.environ["STACK_PORT"]) + 11)] \
        if os.environ.get("STACK_PORT") else []
    done = subprocess.run([sys.executable, "scripts/restore_drill.py", "--rehearse", "--json", str(out), *ports],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert out.exists(), done.stderr[-3000:]
    return done, json.loads(out.read_text())


@pytest.fixture(autouse=True)
def aws():
    """The drill talks to its own served stack, not the suite's in-process moto."""
    yield


def test_the_drill_passes_on_the_served_stack_and_prints_recovery_time_and_data_loss_window(drill):
    done, report = drill
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert "DRILL PASSED" in done.stdout
    assert "recovery time:" in done.stdout and "data-loss window:" in done.stdout
    assert report["served_stack"] and report["source"] == "foodshare-dev"
    assert report["recovery_seconds"] > 0 and report["data_loss_window_seconds"] > 0


def test_the_corruption_after_the_restore_point_is_not_in_the_restored_table(drill):
    _, report = drill
    corrupted = report["corrupted"]
    assert corrupted["after"] != corrupted["before"]
    # The live table has it, and the invariants say so; the restored one has the value of before.
    assert report["live_check_caught_corruption"]
    assert any(v["rule"] == "ledger-balance" and v["key"] == f"{corrupted['pk']}/PROFILE"
               for v in report["live_violations"])
    assert report["restored_value"] == corrupted["before"]
    assert report["violations"] == []
    # Item for item the table as the drill scanned it, quiet, before the point: nothing of before lost (the
    # emulator once restored its copy from before a rebuild's last second of writes), nothing of after back
    assert report["restored_equals_point"], report["point_differences"]
    assert report["point_items"] > report["checked"]["users"]
    assert report["checked"]["exchanges"] > 0 and report["checked"]["ledger_entries"] > 0


def test_what_a_restore_drops_is_attached_again_and_the_functions_switched(drill):
    _, report = drill
    assert {"ttl:expires_at_epoch", "stream:NEW_IMAGE", "pitr", "tags:2"} <= set(report["reattached"])
    assert len(report["switched"]) == len(_dev_functions())  # every function of the dev template uses the table
    assert set(report["functions_on_restored_table"]) == set(report["switched"])
    assert set(report["functions_on_restored_table"].values()) == {report["target"]}


def test_the_api_answers_from_the_restored_table_through_the_moved_live_aliases(drill):
    _, report = drill
    # every function is invoked through its live alias (SnapStart), so every alias moves
    assert {name.rsplit(":", 1)[1] for name in report["aliases"]} == {"live"}
    assert len(report["aliases"]) == len(_dev_functions())
    answer = report["api_after_switch"]
    assert answer["status"] == 200
    assert answer["body"]["balance"] == report["corrupted"]["before"] != report["corrupted"]["after"]
    assert report["api_serves_restored"]


def test_a_reordered_duplicated_archive_window_ends_in_the_live_read_side(drill):
    _, report = drill
    window = report["window"]
    assert window["window_events"] > 0 and window["delivered"] > window["window_events"]
    assert window["failures"] == 0
    assert report["window_replay_matches_live"], report["window_differences"]
