"""A moto server whose DynamoDB restores to a point in time, for `make restore-drill` without AWS.

moto's RestoreTableToPointInTime copies the source table as it is *now*, whatever
time is asked for, so a restore could never lose a bad write. This wraps moto:
- after any write, the table is marked changed; every SNAPSHOT_SECONDS a thread copies
  the changed tables' items (under the write lock of local.moto_dynamodb, so a copy is
  never torn) and records the time: the emulator's PITR granularity;
- RestoreTableToPointInTime honours `RestoreDateTime` / `UseLatestRestorableTime`: the
  new table gets the last copy taken at or before that time (older than the earliest
  copy: the error DynamoDB gives), and reports that time in its RestoreSummary;
- DescribeContinuousBackups reports the earliest and latest restorable times;
- a restore from a table without PITR enabled fails as on AWS.

Run: `python -m local.pitr --port 4671` (the drill starts it itself when
AWS_ENDPOINT_URL is not set). Another emulator with real PITR (ministack) makes
this unnecessary: point AWS_ENDPOINT_URL at it.
"""

from __future__ import annotations

import argparse
import copy
import threading
import time
from bisect import bisect_right
from functools import wraps

SNAPSHOT_SECONDS = 1.0
_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item", "create_table",
           "execute_statement", "execute_transaction")
_history: dict[str, list[tuple[float, object]]] = {}  # table ARN -> [(time, items)]
_dirty: dict[str, object] = {}  # table ARN -> table
_state = threading.Lock()
_installed = False


def _mark(handler) -> None:
    """The table a request wrote (all of the backend's for a transaction or batch)."""
    backend = handler.dynamodb_backend
    try:
        name = handler.body.get("TableName")
    except (AttributeError, ValueError):  # an unparsable body wrote nothing
        return
    tables = [backend.tables[name]] if name in backend.tables else list(backend.tables.values())
    with _state:
        for table in tables:
            _dirty[table.table_arn] = table


def snapshot(now: float | None = None) -> None:
    """Copy every changed table; the caller may hold the write lock already (it is re-entrant)."""
    from local.moto_dynamodb import _lock

    with _lock:
        with _state:
            changed = list(_dirty.values())
            _dirty.clear()
        taken = time.time() if now is None else now
        for table in changed:
            _history.setdefault(table.table_arn, []).append((taken, copy.deepcopy(table.items)))
            pitr = table.continuous_backups.get("PointInTimeRecoveryDescription", {})
            if pitr.get("PointInTimeRecoveryStatus") == "ENABLED":
                pitr["EarliestRestorableDateTime"] = _history[table.table_arn][0][0]
                pitr["LatestRestorableDateTime"] = taken


def _snapshots_forever() -> None:
    while True:
        time.sleep(SNAPSHOT_SECONDS)
        snapshot()


def items_at(table_arn: str, moment: float):
    """The items of the last copy taken at or before `moment`, None if there is none."""
    history = _history.get(table_arn, [])
    i = bisect_right([t for t, _ in history], moment)
    return (history[i - 1][0], copy.deepcopy(history[i - 1][1])) if i else (None, None)


def _epoch(value) -> float:
    """RestoreDateTime as moto's automatic parsing hands it over (a datetime), or epoch seconds."""
    return value.timestamp() if hasattr(value, "timestamp") else float(value)


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.dynamodb.exceptions import MockValidationException
    from moto.dynamodb.responses import DynamoHandler, DynamoResult

    from local.moto_dynamodb import serialize_writes

    serialize_writes()
    for name in _WRITES:
        original = getattr(DynamoHandler, name)

        @wraps(original)
        def marked(self, *args, __original=original, **kwargs):
            try:
                return __original(self, *args, **kwargs)
            finally:
                _mark(self)

        setattr(DynamoHandler, name, marked)

    original_restore = DynamoHandler.restore_table_to_point_in_time

    @wraps(original_restore)
    def restore(self, *args, **kwargs):
        body = self.body
        source = self.dynamodb_backend.get_table(body["SourceTableName"])
        pitr = source.continuous_backups.get("PointInTimeRecoveryDescription", {})
        if pitr.get("PointInTimeRecoveryStatus") != "ENABLED":
            raise MockValidationException(f"Point in time recovery is not enabled for table {source.name}")
        snapshot()
        moment = time.time() if body.get("UseLatestRestorableTime") else _epoch(body["RestoreDateTime"])
        _taken, items = items_at(source.table_arn, moment)
        if items is None:
            raise MockValidationException("RestoreDateTime is earlier than the earliest restorable time")
        original_restore(self, *args, **kwargs)
        target = self.dynamodb_backend.get_table(body["TargetTableName"])
        target.items = items
        target.restore_date_time = moment
        return DynamoResult(target.describe())

    DynamoHandler.restore_table_to_point_in_time = restore
    threading.Thread(target=_snapshots_forever, daemon=True, name="pitr-snapshots").start()
    _installed = True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=4671)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    install()
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address=args.host, port=args.port, verbose=False)
    server.start()
    print(f"moto with point-in-time restore on http://{args.host}:{args.port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
