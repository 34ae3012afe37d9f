"""The emulator's Query reads one partition (local/moto_query.py) and answers as moto did."""

from __future__ import annotations


def test_a_query_answers_its_partition_in_sort_order_as_moto_did(aws):
    from moto.dynamodb.models.table import Table

    from foodshare.data.models import SignalDayItem

    for user in range(100):  # a table of 100 partitions x 10 items
        for day in range(10, 0, -1):
            SignalDayItem(*SignalDayItem.key(f"u{user:03d}", f"2026-05-{day:02d}"), claims=day).save()
    rows = list(SignalDayItem.query("USER#u007", SignalDayItem.sk.between("SIGNALS#2026-05-03", "SIGNALS#~")))
    assert [r.sk for r in rows] == [f"SIGNALS#2026-05-{d:02d}" for d in range(3, 11)]
    assert [int(r.claims) for r in rows] == list(range(3, 11))
    newest_first = list(SignalDayItem.query("USER#u007", scan_index_forward=False, limit=2))
    assert [r.sk for r in newest_first] == ["SIGNALS#2026-05-10", "SIGNALS#2026-05-09"]
    assert list(SignalDayItem.query("USER#nobody")) == []

    # moto's own path (every item of the table sorted for each Query) gives the same rows.
    patched = Table.all_items
    Table.all_items = lambda self: sorted(
        [item for partition in self.items.values() for item in partition.values()],
        key=lambda x: (x.hash_key, x.range_key))
    try:
        whole = list(SignalDayItem.query("USER#u007", SignalDayItem.sk.between("SIGNALS#2026-05-03", "SIGNALS#~")))
    finally:
        Table.all_items = patched
    assert [(r.sk, int(r.claims)) for r in whole] == [(r.sk, int(r.claims)) for r in rows]


def test_a_between_whose_bounds_are_reversed_is_refused_as_dynamodb_refuses_it(aws):
    """DynamoDB answers a ValidationException to `BETWEEN :lo AND :hi` with `:lo` above `:hi` (strings compared by
    their UTF-8 bytes); moto answered no items, so a key condition built from what a caller sent passed the tests."""
    import pytest
    from pynamodb.exceptions import QueryError

    from foodshare.data.models import SignalDayItem

    SignalDayItem(*SignalDayItem.key("u1", "2026-05-01"), claims=1).save()
    with pytest.raises(QueryError) as refused:
        list(SignalDayItem.query("USER#u1", SignalDayItem.sk.between("SIGNALS#~~", "SIGNALS#~")))
    assert refused.value.cause_response_code == "ValidationException"
    assert "BETWEEN operator requires upper bound" in refused.value.cause_response_message
    with pytest.raises(QueryError):  # é is above ~ in UTF-8 (0xC3 > 0x7E)
        list(SignalDayItem.query("USER#u1", SignalDayItem.sk.between("SIGNALS#é", "SIGNALS#~")))
    assert len(list(SignalDayItem.query("USER#u1", SignalDayItem.sk.between("SIGNALS#", "SIGNALS#~")))) == 1
    assert list(SignalDayItem.query("USER#u1", SignalDayItem.sk.between("SIGNALS#~", "SIGNALS#~"))) == []
