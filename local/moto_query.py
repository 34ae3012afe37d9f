"""moto's base-table Query reads its partition, not the whole table.

moto 5.2 answers a Query on the table (no index) by sorting every item of the table and
keeping those with the partition key, so each Query costs O(n log n) in the table's size
(measured: 233 ms a Query once `make bench-abuse` had written ~40,000 items). DynamoDB
reads one partition. Here `Table.all_items`, while such a Query runs, returns just that
partition (sorted by sort key, as moto's own code then sorts it): the same answer, at
the cost of the partition. Index queries and scans are unchanged.

It also refuses a key condition `BETWEEN :lo AND :hi` whose lower bound is above its upper one, as DynamoDB does
(a ValidationException: "The BETWEEN operator requires upper bound to be greater than or equal to lower bound");
moto answered it with no items, so a query built from what a caller sent could pass here and fail deployed.
"""

from __future__ import annotations

import threading
from typing import Any

_partition = threading.local()
_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.dynamodb.models.table import Table

    original_query, original_all_items = Table.query, Table.all_items

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        if index_name or hash_key is None or not self.range_key_attr:
            return original_query(self, hash_key, *args, **kwargs)
        _partition.key = hash_key
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            _partition.key = None

    def all_items(self: Any) -> list:
        key = getattr(_partition, "key", None)
        if key is None:
            return original_all_items(self)
        partition = self.items.get(key)  # .get: never add an empty partition to moto's defaultdict
        return sorted(partition.values(), key=lambda item: item.range_key) if partition else []

    Table.query, Table.all_items = query, all_items
    _refuse_reversed_between()
    _installed = True


def _refuse_reversed_between() -> None:
    from moto.dynamodb import responses
    from moto.dynamodb.exceptions import MockValidationException

    parse = responses.parse_expression

    def parse_expression(*args: Any, **kwargs: Any) -> Any:
        parsed = parse(*args, **kwargs)
        for _, comparison, values in parsed[1]:  # the range key's conditions: (name, comparison, values)
            if comparison.upper() == "BETWEEN" and len(values) == 2 and _above(values[0], values[1]):
                raise MockValidationException(
                    "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or "
                    f"equal to lower bound; lower bound operand: AttributeValue: {values[0]}, upper bound operand: "
                    f"AttributeValue: {values[1]}")
        return parsed

    responses.parse_expression = parse_expression


def _above(low: Any, high: Any) -> bool:
    """Whether `low` sorts after `high` as DynamoDB compares keys: strings by their UTF-8 bytes, numbers by value."""
    from decimal import Decimal

    if not (isinstance(low, dict) and isinstance(high, dict)) or low.keys() != high.keys():
        return False
    if "S" in low:
        return low["S"].encode("utf-8", "surrogatepass") > high["S"].encode("utf-8", "surrogatepass")
    if "N" in low:
        return Decimal(low["N"]) > Decimal(high["N"])
    return False
