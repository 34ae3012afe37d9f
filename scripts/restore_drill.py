"""`make restore-drill`: restore the table to a point in time, switch the functions to it, verify, time it.

Two modes:
- `--stage S` (on AWS, or any endpoint AWS_ENDPOINT_URL names): restores table
  foodshare-S to `--restore-time` (default: the latest restorable time) into
  foodshare-S-restored-<time>, re-attaches what a restore drops, grants and switches
  the stage's functions to it (unless `--no-switch`), checks the invariants
  (foodshare.invariants) on the restored data and prints the recovery time and the
  data-loss window. Nothing is deleted: the old table stays for forensics.
- `--rehearse` (the default of `make restore-drill`): the same on the served stack (the
  synthesized dev template deployed on the emulator, as `make serve` does, with point-in-time
  history: local/ministack_pitr.py) after building a history to restore: a seeded community
  with exchanges (T0), the restore point T, then more exchanges and one corrupting write. It
  proves the live table fails the invariants, the restored one passes them and does not have
  the corruption, that the stack's API (through the switched functions' `live` aliases)
  answers from the restored table, and that rebuilding the read side from the event store
  plus the archive window after T, reordered and duplicated through the real consumer
  handlers, ends in the live read side. With AWS_ENDPOINT_URL set, it rehearses on that
  (empty) emulator instead, building the table and stand-in functions itself.

Exit status 0 only when every check passed. `--json FILE` writes the measurements.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "foodshare" / "python")]

from foodshare import clock, invariants

from ops import restore

STAND_IN_FUNCTIONS = ("discovery", "claiming")


def _log(message: str) -> None:
    print(f"[drill] {message}", file=sys.stderr, flush=True)


def _emulator_environment(endpoint: str, stage: str, region: str) -> None:
    """This process and its steps on the emulator's table. Events go to a bus of the drill's own
    (`foodshare-<stage>-drill`, no rules): the stack's consumers are not fed during the drill, the
    read side is derived by replaying the event store, and the second path delivers the window itself."""
    os.environ.update({
        "AWS_ENDPOINT_URL": endpoint, "DYNAMODB_ENDPOINT": endpoint, "AWS_ACCESS_KEY_ID": "drill",
        "AWS_SECRET_ACCESS_KEY": "drill", "AWS_REGION": region, "AWS_DEFAULT_REGION": region,
        "STAGE": stage, "TABLE_NAME": f"foodshare-{stage}", "EVENT_BUS_NAME": f"foodshare-{stage}-drill",
        "REDIS_URL": "", "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_SERVICE_NAME": "foodshare",
        "POWERTOOLS_METRICS_NAMESPACE": "Foodshare",
        # the emulated stage's own HMAC key for per-group pseudonyms and handles (foodshare.identity_key)
        "IDENTITY_KEY": f"foodshare-{stage}-rehearsal-identity-key"})


def _step(step: str, table: str, *args: str) -> dict:
    """One ops.rehearsal step in its own process, on `table`."""
    env = {**os.environ, "TABLE_NAME": table,
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "layers" / "foodshare" / "python")])}
    done = subprocess.run([sys.executable, "-m", "ops.rehearsal", step, *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"rehearsal step {step} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def prepare(stage: str) -> None:
    """On an empty emulator (AWS_ENDPOINT_URL), the stage's table as the CDK builds it (PITR, TTL, stream,
    tags) and stand-in functions; the served stack has its own. The drill's bus either way."""
    import boto3
    from foodshare.data import schema

    table = f"foodshare-{stage}"
    dynamodb = boto3.client("dynamodb")
    if table not in dynamodb.list_tables()["TableNames"]:
        dynamodb.create_table(**{**schema.table_definition(table),
                                 "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}},
                              Tags=[{"Key": "project", "Value": "foodshare"}, {"Key": "stage", "Value": stage}])
        dynamodb.update_time_to_live(TableName=table, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": schema.TTL_ATTRIBUTE})
        dynamodb.update_continuous_backups(TableName=table, PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": True})
    events, bus = boto3.client("events"), os.environ["EVENT_BUS_NAME"]
    if bus not in [b["Name"] for b in events.list_event_buses()["EventBuses"]]:
        events.create_event_bus(Name=bus)
    if restore.stage_functions(stage, table):
        return
    iam, lambda_ = boto3.client("iam"), boto3.client("lambda")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                                "Principal": {"Service": "lambda.amazonaws.com"}}]})
    import io
    import zipfile

    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return None\n")
    for name in STAND_IN_FUNCTIONS:
        role = iam.create_role(RoleName=f"foodshare-{stage}-{name}-role", AssumeRolePolicyDocument=trust)["Role"]
        lambda_.create_function(FunctionName=f"foodshare-{stage}-{name}", Runtime="python3.12", Role=role["Arn"],
                                Handler="handler.handler", Code={"ZipFile": code.getvalue()},
                                Environment={"Variables": {"TABLE_NAME": table, "STAGE": stage}})


def verify(table: str, as_of: datetime) -> tuple[list[invariants.Violation], dict, list[dict]]:
    from foodshare.settings import get_settings

    items = restore.scan(table)
    return invariants.check(items, as_of, get_settings().outbox_sweep_grace_seconds), invariants.summary(items), items


def run_restore(stage: str, source: str, point: datetime, switch: bool) -> tuple[restore.Restored, float]:
    target = f"{source}-restored-{point:%Y%m%d%H%M%S}"
    _log(f"restoring {source} to {clock.iso(point)} into {target}")
    started = time.monotonic()
    restored = restore.restore(source, target, point)
    restore.reattach(restored)
    if switch:
        restore.switch(restored, stage)
    return restored, time.monotonic() - started


def drill(stage: str, point: datetime | None, switch: bool) -> dict:
    source = f"foodshare-{stage}"
    requested = clock.now()
    point = point or restore.latest_restorable(source)
    restored, recovery = run_restore(stage, source, point, switch)
    verify_started = time.monotonic()
    violations, counts, _ = verify(restored.target, point)
    return {
        "source": source, "target": restored.target, "restore_point": clock.iso(point),
        "requested_at": clock.iso(requested), "restore_seconds": round(restored.restore_seconds, 2),
        "recovery_seconds": round(recovery, 2), "verify_seconds": round(time.monotonic() - verify_started, 2),
        "data_loss_window_seconds": round((requested - point).total_seconds(), 2),
        "reattached": restored.reattached, "switched": restored.switched, "aliases": restored.aliases,
        "checked": counts,
        "violations": [v.__dict__ for v in violations],
    }


def _served_stack(port: int, emulator_port: int):
    """The synthesized dev template deployed on the emulator with point-in-time history
    (local/ministack_pitr.py), caching off (the drill reads the table, never a cache)."""
    from local.serve import ServedStack, free_port

    return ServedStack(port=port or free_port(), emulator_port=emulator_port or free_port(), redis_url="",
                       env={"LOCAL_PITR_MINUTES": "30"}, log=ROOT / ".local" / "restore-drill-stack.log")


def _settle(stage: str, table: str, timeout_s: float = 240) -> float:
    """Wait until the stack has done what the drill's writes set off: no event left in the outbox (the
    stream relay published it) and the consumers' queues empty, twice in a row. Writes go to the table
    directly; their effects (reputation, read models) follow through the bus, so a restore point or a
    comparison taken meanwhile would see them half applied. Returns the seconds waited."""
    import boto3

    sqs = boto3.client("sqs")
    urls = [u for u in sqs.list_queues(QueueNamePrefix=f"foodshare-{stage}").get("QueueUrls", [])
            if "dlq" not in u.rsplit("/", 1)[-1].lower()]
    started, quiet = time.monotonic(), 0
    while time.monotonic() - started < timeout_s:
        pending = invariants.summary(restore.scan(table))["outbox"]
        for url in urls:
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            pending += int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])
        quiet = quiet + 1 if pending == 0 else 0
        if quiet >= 2:
            return round(time.monotonic() - started, 1)
        time.sleep(1.0)
    raise RuntimeError(f"the stack did not settle within {timeout_s:.0f} s (outbox or consumer queues not empty)")


def rehearse(port: int, emulator_port: int) -> dict:
    stack = None
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:  # any emulator with real point-in-time restore, empty: the drill builds its table
        stage, region = "drill", os.environ.get("AWS_REGION", "us-east-1")
    else:
        _log("deploying the dev template on the emulator (point-in-time history on)")
        stack = _served_stack(port, emulator_port).start(timeout=600)
        endpoint, stage, region = stack.aws_endpoint, "dev", stack.info["region"]
        _log(f"served: API {stack.api_url}, AWS endpoint {endpoint}; table settings applied {stack.info['tableSettings']}")
    _emulator_environment(endpoint, stage, region)
    source = f"foodshare-{stage}"
    try:
        prepare(stage)
        _log("populating: a seeded community and its exchanges")
        populated = _step("populate", source)
        if stack:
            _log(f"settled after {_settle(stage, source)} s (outbox published, consumers' queues empty)")
        populated.update(_step("rebuild", source))
        # Quiet now (settled, rebuilt; nothing writes until after the point): what the restore must bring back
        at_point = {(i["pk"], i["sk"]): i for i in restore.scan(source)}
        time.sleep(2.5)  # the point (to the second) well after the last write
        point = clock.now().replace(microsecond=0)
        time.sleep(2.5)
        _log(f"restore point {clock.iso(point)}; now the writes the restore must not bring back")
        later = _step("after", source, "--open", json.dumps(populated["open"]))
        if stack:
            _log(f"settled after {_settle(stage, source)} s")
        _step("rebuild", source)
        corrupted = _step("corrupt", source, "--touched", json.dumps(later["touched"]))["corrupted"]
        live_violations, _, _ = verify(source, clock.now() + timedelta(seconds=0))
        report = drill(stage, point, switch=True)
        restored_items = {(i["pk"], i["sk"]): i for i in restore.scan(report["target"])}
        restored_value = restored_items[(corrupted["pk"], corrupted["sk"])][corrupted["attribute"]]
        # Item for item, the table as it was at the point: no write of before missing, none of after back
        lost_or_back = _differing(at_point, restored_items, time.time())
        report["served_stack"] = bool(stack)
        if stack:  # the switched functions answer from the restored table, through the API
            answer = _api_balance(stack, corrupted["pk"].split("#", 1)[1])
            report["api_after_switch"] = answer
            report["api_serves_restored"] = answer["status"] == 200 and answer["body"]["balance"] == corrupted["before"]
        _log("second path: read side from the event store, then the archive window reordered")
        window = _step("window", report["target"], "--live", source, "--after", clock.iso(point))
        live = _step("derived", source)["derived"]
        differing = sorted(k for k in live.keys() | window["derived"].keys()
                           if live.get(k) != window["derived"].get(k))
        functions = {fn["FunctionName"]: fn["Environment"]["Variables"]["TABLE_NAME"]
                     for fn in restore.stage_functions(stage, report["target"])}
        report.update({
            "populated": {k: v for k, v in populated.items() if k != "open"},
            "after_point": {"completed": later["completed_after_point"]},
            "corrupted": corrupted, "restored_value": restored_value,
            "corruption_absent": restored_value == corrupted["before"],
            "restored_equals_point": not lost_or_back, "point_items": len(at_point),
            "point_differences": [f"{pk}/{sk}: {'restored' if (pk, sk) in restored_items else '-'} "
                                  f"{'at the point' if (pk, sk) in at_point else '-'}" for pk, sk in lost_or_back[:20]],
            "live_violations": [v.__dict__ for v in live_violations],
            "live_check_caught_corruption": any(v.key.startswith(corrupted["pk"]) for v in live_violations),
            "functions_on_restored_table": functions,
            "window": {k: v for k, v in window.items() if k != "derived"},
            "window_replay_matches_live": not differing,
            "window_differences": [{"key": k, "live": live.get(k), "replayed": window["derived"].get(k)}
                                   for k in differing[:20]],
        })
        return report
    finally:
        if stack:
            stack.stop()


def _differing(at_point: dict, restored: dict, now_epoch: float) -> list[tuple[str, str]]:
    """Keys whose items differ between the table at the point and the restored one. An item past its TTL
    (`expires_at_epoch`) by now is left out on both sides: DynamoDB deletes it whenever it gets to it, so a copy
    may hold it or not (the emulator's reaper deletes without a request)."""
    def live(items: dict) -> dict:
        return {k: i for k, i in items.items()
                if i.get("expires_at_epoch") is None or float(i["expires_at_epoch"]) > now_epoch}

    before, after = live(at_point), live(restored)
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def _api_balance(stack, user_id: str) -> dict:
    """GET /me/credits as the corrupted user, through the stack's API Gateway and its switched function."""
    import urllib.error
    import urllib.request

    from local.jwt_keys import issue_token

    request = urllib.request.Request(f"{stack.api_url}/me/credits",
                                     headers={"authorization": f"Bearer {issue_token(user_id)}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, body = response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read().decode(errors="replace")
    return {"user": user_id, "status": status, "body": body}


def passed(report: dict, rehearsal: bool) -> bool:
    ok = not report["violations"]
    if rehearsal:
        ok = ok and report["corruption_absent"] and report["live_check_caught_corruption"] \
            and report["restored_equals_point"] \
            and report["window_replay_matches_live"] and not report["window"]["failures"] \
            and len(report["functions_on_restored_table"]) == len(report["switched"]) > 0
        if report.get("served_stack"):
            ok = ok and report["api_serves_restored"]
    return ok


def summary(report: dict, rehearsal: bool) -> str:
    lines = [
        f"restored {report['source']} to {report['restore_point']} as {report['target']}",
        (f"  recovery time: {report['recovery_seconds']} s (restore until ACTIVE {report['restore_seconds']} s, "
         f"then re-attach {', '.join(report['reattached'])} and switch {len(report['switched'])} functions); "
         f"verification {report['verify_seconds']} s"),
        f"  data-loss window: {report['data_loss_window_seconds']} s of writes (restore point -> request)",
        f"  checked {report['checked']}: {len(report['violations'])} violations",
    ]
    lines += [f"    {v['rule']} {v['key']}: {v['detail']}" for v in report["violations"][:10]]
    if rehearsal:
        c = report["corrupted"]
        lines += [
            (f"  the table at the point: {report['point_items']} items; restored equals it: "
             f"{report['restored_equals_point']}"),
            *(f"    differs: {d}" for d in report["point_differences"]),
            (f"  corruption after the point: {c['pk']} {c['attribute']} {c['before']} -> {c['after']}; live check "
             f"caught it: {report['live_check_caught_corruption']}; restored value {report['restored_value']} "
             f"(absent: {report['corruption_absent']})"),
            (f"  functions on the restored table: {len(report['functions_on_restored_table'])}, aliases moved: "
             f"{report['aliases']}"),
            (f"  archive window: {report['window']['window_events']} events after the point, delivered "
             f"{report['window']['delivered']} times reordered (duplicates included), failures "
             f"{report['window']['failures']}; read side equals live: {report['window_replay_matches_live']}"),
        ]
        lines += [f"    differs: {d['key']}: live {d['live']} replayed {d['replayed']}"
                  for d in report["window_differences"]]
    if report.get("served_stack"):
        answer = report["api_after_switch"]
        lines.append(f"  through the API after the switch: GET /me/credits as {answer['user']} -> {answer['status']}, "
                     f"balance {answer['body'].get('balance') if isinstance(answer['body'], dict) else answer['body']} "
                     f"(restored value served: {report['api_serves_restored']})")
    lines.append("DRILL " + ("PASSED" if passed(report, rehearsal) else "FAILED"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--stage", help="restore this deployed stage's table")
    mode.add_argument("--rehearse", action="store_true", help="build a history on an emulator, then restore it")
    parser.add_argument("--restore-time", help="ISO time to restore to (default: the latest restorable)")
    parser.add_argument("--no-switch", action="store_true", help="leave the functions on the old table")
    parser.add_argument("--port", type=int, default=0, help="--rehearse: the served stack's API port (default: a free one)")
    parser.add_argument("--emulator-port", type=int, default=0, help="--rehearse: its AWS endpoint port (default: free)")
    parser.add_argument("--json", type=Path, help="write the measurements here")
    args = parser.parse_args(argv)
    if args.rehearse:
        report = rehearse(args.port, args.emulator_port)
    else:
        point = clock.parse_iso(args.restore_time) if args.restore_time else None
        report = drill(args.stage, point, switch=not args.no_switch)
    print(summary(report, args.rehearse))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return 0 if passed(report, args.rehearse) else 1


if __name__ == "__main__":
    sys.exit(main())



