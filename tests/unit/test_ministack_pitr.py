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
    history.mark(table, 100.2)
    history.settle(100.5, LOCK)  # younger than SNAPSHOT_SECONDS: not copied yet
    assert len(history.copies["arn:table/t"]) == 1
    history.settle(100.0 + SNAPSHOT_SECONDS, LOCK)
    assert history.at("arn:table/t", 99.0) == (None, None)  # before the earliest copy
    assert history.at("arn:table/t", 100.1)[1]["a"][""]["v"] == 1
    assert history.at("arn:table/t", 100.2)[1]["a"][""]["v"] == 2  # the table was so from its write on
    restored = history.at("arn:table/t", 500.0)[1]
    restored["a"][""]["v"] = 3  # a restored table is a copy: the history does not change with it
    assert history.at("arn:table/t", 500.0)[1]["a"][""]["v"] == 2


def test_a_quiet_table_is_restored_with_its_last_writes_however_late_the_next_request_copies_it():
    """The restore drill's case: a rebuild writes, then nothing asks the emulator anything until after the
    restore point. The copy the next request makes holds the rebuild's last writes, and the table was so from
    the last of them on: a restore to a moment in the quiet gets all of them, never half."""
    history, table = History(retention_seconds=600), _table({})
    history.take(table, 100.0, LOCK)
    for i, at in enumerate((100.3, 101.4, 101.6, 101.8)):  # copies at most once a second, before a request
        history.settle(at, LOCK)
        table["items"][f"line{i}"] = {"": {"v": i}}
        history.mark(table, at)
    assert sorted(history.at("arn:table/t", 104.0)[1]) == ["line0"]  # copied before line1's write, no later
    history.settle(106.0, LOCK)  # the next request, long after the restore point (104)
    assert sorted(history.at("arn:table/t", 104.0)[1]) == ["line0", "line1", "line2", "line3"]
    assert sorted(history.at("arn:table/t", 101.7)[1]) == ["line0"]  # between writes one copy holds: the one before
    # a copy of a table already marked is one copy: the next settle has nothing left to take
    history.mark(table, 106.5)
    history.take(table, 107.0, LOCK)
    history.settle(109.0, LOCK)
    assert [t for t, _ in history.copies["arn:table/t"]] == [100.0, 100.3, 101.8, 107.0]


def test_an_unchanged_table_is_not_copied_and_old_copies_leave_the_window():
    history, table = History(retention_seconds=10), _table({})
    history.take(table, 0.0, LOCK)
    history.settle(5.0, LOCK, force=True)
    assert len(history.copies["arn:table/t"]) == 1  # nothing marked
    for moment in (5.0, 20.0, 30.0):
        history.mark(table, moment - 0.5)
        history.settle(moment, LOCK)
    # 0.0 and 4.5 left the window (30 - 10 = 20); 19.5 is kept: it is the table as it was at the window's start
    assert [t for t, _ in history.copies["arn:table/t"]] == [19.5, 29.5]
    assert history.earliest("arn:table/t") == 19.5
