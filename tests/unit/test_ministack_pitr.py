"""The emulator's point-in-time history (local/ministack_pitr.py): which copy a restore gets."""

from __future__ import annotations

import threading

from local.ministack_pitr import SNAPSHOT_SECONDS, History

LOCK = threading.Lock()


def _table(items: dict) -> dict:
    return {"TableArn": "arn:table/t", "items": items}


def test_a_restore_gets_the_last_copy_at_or_before_the_time_asked():
    history, table = History(retention_seconds=600), _table({"a": {"": {"v": 1}}})
    history.take(table, 100.0, LOCK)
    table["items"]["a"][""]["v"] = 2  # a write after the copy: the copy keeps 1
    history.mark(table)
    history.settle(100.5, LOCK)  # younger than SNAPSHOT_SECONDS: not copied yet
    assert len(history.copies["arn:table/t"]) == 1
    history.settle(100.0 + SNAPSHOT_SECONDS, LOCK)
    assert history.at("arn:table/t", 99.0) == (None, None)  # before the earliest copy
    assert history.at("arn:table/t", 100.9)[1]["a"][""]["v"] == 1
    assert history.at("arn:table/t", 101.0)[1]["a"][""]["v"] == 2
    restored = history.at("arn:table/t", 500.0)[1]
    restored["a"][""]["v"] = 3  # a restored table is a copy: the history does not change with it
    assert history.at("arn:table/t", 500.0)[1]["a"][""]["v"] == 2


def test_an_unchanged_table_is_not_copied_and_old_copies_leave_the_window():
    history, table = History(retention_seconds=10), _table({})
    history.take(table, 0.0, LOCK)
    history.settle(5.0, LOCK, force=True)
    assert len(history.copies["arn:table/t"]) == 1  # nothing marked
    for moment in (5.0, 20.0, 30.0):
        history.mark(table)
        history.settle(moment, LOCK)
    # 0.0 left the window (30 - 10 = 20); 5.0 is kept: it is the table as it was at the window's start
    assert [t for t, _ in history.copies["arn:table/t"]] == [5.0, 20.0, 30.0]
    assert history.earliest("arn:table/t") == 5.0
