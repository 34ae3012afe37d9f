"""Make moto's DynamoDB serialize writes the way DynamoDB does per item.

moto checks a condition and applies the write in two Python steps with no lock, so
two threads can both pass "status = available". Real DynamoDB never lets that
happen; the local stack and the tests get the same guarantee from one lock around
moto's write operations.
"""

from __future__ import annotations

import threading
from functools import wraps

_WRITE_OPERATIONS = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item",
                     # moto's reads iterate the table's dicts: a concurrent write fails them with "dictionary
                     # changed size during iteration" (seen under load), so they take the same lock
                     "query", "scan", "get_item", "batch_get_item", "transact_get_items")
_lock = threading.RLock()
_installed = False


def serialize_writes() -> None:
    global _installed
    if _installed:
        return
    from moto.dynamodb.responses import DynamoHandler

    for name in _WRITE_OPERATIONS:
        original = getattr(DynamoHandler, name)

        @wraps(original)
        def locked(self, *args, __original=original, **kwargs):
            with _lock:
                return __original(self, *args, **kwargs)

        setattr(DynamoHandler, name, locked)
    from local import moto_query, moto_transactions

    moto_transactions.install()  # and no whole-table copy per transaction
    moto_query.install()  # and a Query reads its partition, not the whole table; a reversed BETWEEN is refused
    _installed = True
