"""Point-in-time recovery for ministack's DynamoDB, so the restore drill runs on the served stack.

ministack 1.5.33 accepts RestoreTableToPointInTime but copies the source table as it is
*now*, whatever `RestoreDateTime` says, and DescribeContinuousBackups reports "now" as both
the earliest and the latest restorable time: a restore could never lose a bad write. This
module (imported by local/stack.py inside the emulator's process, with `--pitr-minutes`)
keeps a history instead:

- a write to a table marks it changed, with the time it was done; before the emulator handles
  any DynamoDB request, a changed table whose last copy is SNAPSHOT_SECONDS old or more is
  copied. ministack handles requests one at a time on its event loop, so a copy made there
  is the table exactly as its last write left it (the TTL reaper thread is held off by the
  emulator's own lock), and it is stamped with that write's time: the table stayed so from
  then until the request that copies it, however long nothing asked. (Stamped with the time
  of copying instead, a quiet table's last writes would belong to whenever the next request
  came: a restore to a moment in the quiet after them got the copy from before them, half
  of what a consumer or a rebuild had done.) The granularity is one second: a restore to a
  moment between two writes a copy holds gets the copy before both (DynamoDB itself
  restores to the second);
- RestoreTableToPointInTime honours `RestoreDateTime` / `UseLatestRestorableTime`: the new
  table gets the last copy taken at or before that time; earlier than the earliest copy,
  or from a table without PITR enabled, it fails as DynamoDB does;
- DescribeContinuousBackups reports the earliest copy and now (latest restorable);
- UpdateContinuousBackups enabling PITR takes the first copy; copies older than the
  retention window are dropped (AWS keeps 35 days; a local stack keeps `--pitr-minutes`).

Without `--pitr-minutes` the stack keeps no history, and RestoreTableToPointInTime says so
instead of returning a wrong table. Standard library and ministack only (the emulator's venv).
"""

from __future__ import annotations

import copy
import time
from bisect import bisect_right
from collections import defaultdict
from functools import wraps

SNAPSHOT_SECONDS = 1.0
_WRITES = ("_put_item", "_update_item", "_delete_item", "_batch_write_item", "_transact_write_items",
           "_execute_statement", "_batch_execute_statement", "_execute_transaction", "_import_table",
           "_restore_table_from_backup")
_READS_AND_WRITES = (*_WRITES, "_get_item", "_query", "_scan", "_batch_get_item", "_transact_get_items",
                     "_describe_table", "_create_table", "_delete_table", "_update_table")


class History:
    """Copies of each table's items over time (per table ARN), and which tables changed since."""

    def __init__(self, retention_seconds: float):
        self.retention = retention_seconds
        self.copies: dict[str, list[tuple[float, dict]]] = {}  # ARN -> (the table was so from, its items)
        self.taken: dict[str, float] = {}  # ARN -> when its last copy was made
        self.dirty: dict[str, tuple[dict, float]] = {}  # ARN -> (the table's dict, its last write's time)

    def mark(self, table: dict, at: float) -> None:
        if table.get("TableArn"):
            self.dirty[table["TableArn"]] = (table, at)

    def take(self, table: dict, now: float, lock, since: float | None = None) -> None:
        """Copy the table as it is `now`, as it has been `since` (its last write; default now)."""
        arn = table["TableArn"]
        self.dirty.pop(arn, None)  # this copy holds every write so far
        with lock:
            items = copy.deepcopy(dict(table.get("items", {})))
        copies = self.copies.setdefault(arn, [])
        stamp = now if since is None else since
        copies.append((max(stamp, copies[-1][0]) if copies else stamp, items))
        self.taken[arn] = now
        while len(copies) > 1 and copies[1][0] < now - self.retention:  # keep one copy from before the window
            copies.pop(0)

    def settle(self, now: float, lock, force: bool = False) -> None:
        """Copy every changed table whose last copy is old enough (all of them when forced)."""
        for arn, (table, written) in list(self.dirty.items()):
            if force or arn not in self.taken or now - self.taken[arn] >= SNAPSHOT_SECONDS:
                self.take(table, now, lock, since=written)

    def at(self, arn: str, moment: float) -> tuple[float | None, dict | None]:
        copies = self.copies.get(arn, [])
        i = bisect_right([t for t, _ in copies], moment)
        return (copies[i - 1][0], copy.deepcopy(copies[i - 1][1])) if i else (None, None)

    def earliest(self, arn: str) -> float | None:
        copies = self.copies.get(arn)
        return copies[0][0] if copies else None


def _epoch(value) -> float:
    """RestoreDateTime as the SDKs send it in JSON: epoch seconds (a number or its string)."""
    return float(value)


def install(retention_minutes: float) -> History | None:
    """Patch ministack's DynamoDB; `retention_minutes` 0: no history, and a restore says so."""
    from ministack.services import dynamodb as ddb

    if retention_minutes <= 0:
        @wraps(ddb._restore_table_to_point_in_time)
        def refuse(data):
            return ddb.error_response_json(
                "ValidationException", "This local stack keeps no point-in-time history: start it with "
                "LOCAL_PITR_MINUTES=<n> (the restore drill does) to restore to a point in time.", 400)

        ddb._restore_table_to_point_in_time = refuse
        return None

    history = History(retention_minutes * 60)

    def table_named(data) -> dict | None:
        name = ddb._normalize_table_name(data.get("TableName") or data.get("SourceTableName") or "")
        return ddb._tables.get(name) if name else None

    for name in _READS_AND_WRITES:
        original = getattr(ddb, name)
        writes = name in _WRITES

        @wraps(original)
        def patched(data, __original=original, __writes=writes):
            history.settle(time.time(), ddb._lock)  # the tables as they were before this request
            try:
                return __original(data)
            finally:
                if __writes:
                    table = table_named(data)
                    written = time.time()
                    for changed in [table] if table else [ddb._tables[n] for n in list(ddb._tables)]:
                        history.mark(changed, written)

        setattr(ddb, name, patched)

    original_update = ddb._update_continuous_backups

    @wraps(original_update)
    def update_continuous_backups(data):
        answer = original_update(data)
        table = table_named(data)
        enabled = data.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled")
        if table and enabled and history.earliest(table["TableArn"]) is None:
            history.take(table, time.time(), ddb._lock)
        return answer

    def describe_continuous_backups(data):
        table = table_named(data)
        if table is None or not ddb._pitr_settings.get(table["TableName"], False):
            return original_describe(data)
        now = time.time()
        history.settle(now, ddb._lock, force=True)
        return ddb.json_response({"ContinuousBackupsDescription": {
            "ContinuousBackupsStatus": "ENABLED",
            "PointInTimeRecoveryDescription": {
                "PointInTimeRecoveryStatus": "ENABLED", "RecoveryPeriodInDays": 35,
                "EarliestRestorableDateTime": history.earliest(table["TableArn"]) or now,
                "LatestRestorableDateTime": now}}})

    original_describe = ddb._describe_continuous_backups
    original_restore = ddb._restore_table_to_point_in_time

    @wraps(original_restore)
    def restore(data):
        source = table_named(data)
        if source is None:
            return original_restore(data)  # its own "not found"
        if not ddb._pitr_settings.get(source["TableName"], False):
            return ddb.error_response_json(
                "PointInTimeRecoveryUnavailableException",
                f"Point in time recovery is not enabled for table '{source['TableName']}'", 400)
        now = time.time()
        history.settle(now, ddb._lock, force=True)
        moment = now if data.get("UseLatestRestorableTime") or "RestoreDateTime" not in data \
            else _epoch(data["RestoreDateTime"])
        if moment > now:
            return ddb.error_response_json("InvalidRestoreTimeException",
                                           "RestoreDateTime is later than the latest restorable time", 400)
        _taken, items = history.at(source["TableArn"], moment)
        if items is None:
            return ddb.error_response_json("InvalidRestoreTimeException",
                                           "RestoreDateTime is earlier than the earliest restorable time", 400)
        answer = original_restore(data)
        if answer[0] != 200:
            return answer
        target = ddb._tables[data["TargetTableName"]]
        target["items"] = defaultdict(dict, items)
        ddb._items_replaced(target)
        target["RestoreSummary"] = {"SourceTableArn": source["TableArn"], "RestoreDateTime": moment,
                                    "RestoreInProgress": False}
        return ddb.json_response({"TableDescription": {**ddb._table_description(data["TargetTableName"]),
                                                       "RestoreSummary": target["RestoreSummary"]}})

    ddb._update_continuous_backups = update_continuous_backups
    ddb._describe_continuous_backups = describe_continuous_backups
    ddb._restore_table_to_point_in_time = restore
    return history
