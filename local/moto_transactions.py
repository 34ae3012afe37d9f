"""moto's TransactWriteItems without its whole-table backup: a failed transaction restores only its items.

moto 5.2 deep-copies every table a transaction names, once per item of the
transaction, so it can roll back when a condition fails. That makes each write
O(size of the table): seeding 10,000 posts took minutes and gigabytes. Here the
items the transaction touches are copied before it runs and put back if it fails;
moto's own table copies become references for the duration of the call.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

_lock = threading.Lock()
_installed = False


def _same(table: Any, memo: dict) -> Any:
    return table


def _touched(backend: Any, transact_items: list[dict]) -> list[tuple[Any, Any, Any, Any]]:
    """(table, hash key, range key, copy of the item or None) for every item the transaction names."""
    touched = []
    for entry in transact_items:
        for operation in entry.values():
            table = backend.tables.get(operation.get("TableName"))
            if table is None:
                continue
            if "Key" in operation:
                key = operation["Key"]
            else:
                key = {name: operation["Item"][name] for name in (table.hash_key_attr, table.range_key_attr)
                       if name and name in operation.get("Item", {})}
            try:
                hash_key, range_key = backend.get_keys_value(table, key)
            except Exception:  # a malformed key: moto itself will refuse the transaction
                continue
            touched.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
    return touched


def _restore(touched: list[tuple[Any, Any, Any, Any]]) -> None:
    for table, hash_key, range_key, item in reversed(touched):
        if item is None:  # moto's own rollback writes no stream record either
            if table.has_range_key:
                table.items[hash_key].pop(range_key, None)
            else:
                table.items.pop(hash_key, None)
        elif table.has_range_key:
            table.items[hash_key][range_key] = item
        else:
            table.items[hash_key] = item


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items: list[dict[str, Any]]) -> None:
        with _lock:
            touched = _touched(self, transact_items)
            # Stream records the failed part wrote go too (moto's own rollback restored whole tables, their
            # stream shards included): DynamoDB streams only what a transaction committed.
            streamed = {id(t): (t, len(t.stream_shard.items)) for t, *_ in touched if t.stream_shard is not None}
            Table.__deepcopy__ = _same
            try:
                original(self, transact_items)
            except Exception:
                _restore(touched)
                for table, length in streamed.values():
                    del table.stream_shard.items[length:]
                raise
            finally:
                del Table.__deepcopy__

    DynamoDBBackend.transact_write_items = transact_write_items
    _installed = True
