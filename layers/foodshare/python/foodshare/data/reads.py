"""Reads of several items of any entity in one round trip (every entity lives in the one table).

PynamoDB's `Model.batch_get` reads one model class; a rule that needs, say, a post and its
claimer's profile would make two calls. `get_many` sends their keys in one BatchGetItem
(100 keys a call, unprocessed keys asked again) and hands each item back as its own model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from foodshare.data.models import Item, table_connection

T = TypeVar("T", bound=Item)
MAX_KEYS_PER_CALL = 100  # the BatchGetItem limit
MAX_ROUNDS = 5  # unprocessed keys (throttling) asked again this many times


def get_many(wanted: Sequence[tuple[type[T], tuple[str, str]]]) -> list[Any]:
    """The items at `wanted` (model, (pk, sk)) in the same order, None where there is none."""
    found: dict[tuple[str, str], dict] = {}
    keys = list(dict.fromkeys(key for _, key in wanted))
    for start in range(0, len(keys), MAX_KEYS_PER_CALL):
        found.update(_batch(keys[start : start + MAX_KEYS_PER_CALL]))
    return [model.from_raw_data(found[key]) if key in found else None for model, key in wanted]


def _batch(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    connection = table_connection()
    table = connection.table_name
    pending = [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in keys]
    found: dict[tuple[str, str], dict] = {}
    for _ in range(MAX_ROUNDS):
        if not pending:
            return found
        answer = connection.connection.dispatch(
            "BatchGetItem", {"RequestItems": {table: {"Keys": pending}}}
        )
        for raw in answer.get("Responses", {}).get(table, []):
            found[(raw["pk"]["S"], raw["sk"]["S"])] = raw
        pending = answer.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
    if pending:
        raise RuntimeError(f"BatchGetItem left {len(pending)} keys unprocessed after {MAX_ROUNDS} rounds")
    return found


def query_prefix(pk: str, prefix: str, models: dict[str, type]) -> list[Any]:
    """The items of partition `pk` whose sort key begins with `prefix`, each as the model named by its sort key's
    prefix before the first `#` (`models`; other items are skipped): several kinds of item in one Query.

    Only the attributes of those models come back, so an item of another kind that shares the prefix costs its
    keys, not its body, to send and parse (`GROUP#<g>/OPENPOSTS`, a group's board, shares `OPEN` with the
    moderation queue's entries and grows with the group's open posts)."""
    connection = table_connection()
    kept = ["pk", "sk", *sorted({a.attr_name for model in models.values() for a in model.get_attributes().values()}
                                - {"pk", "sk"})]
    request: dict[str, Any] = {
        "TableName": connection.table_name,
        "KeyConditionExpression": "#a0 = :pk AND begins_with(#a1, :prefix)",
        "ExpressionAttributeValues": {":pk": {"S": pk}, ":prefix": {"S": prefix}},
        "ProjectionExpression": ", ".join(f"#a{i}" for i in range(len(kept))),
        "ExpressionAttributeNames": {f"#a{i}": name for i, name in enumerate(kept)},
    }
    found: list[Any] = []
    while True:
        answer = connection.connection.dispatch("Query", request)
        for raw in answer.get("Items", []):
            model = models.get(raw["sk"]["S"].split("#", 1)[0])
            if model is not None:
                found.append(model.from_raw_data(raw))
        if "LastEvaluatedKey" not in answer:
            return found
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


class Known:
    """Items read so far in one request, by key: a rule that learns keys step by step reads each step's keys in
    one batch (`read`), and asks for any item again (`get`) without a second read; one not read yet is read
    alone (a path the batches did not foresee)."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], Any] = {}

    def read(self, wanted: Sequence[tuple[type[T], tuple[str, str]]]) -> list[Any]:
        """The items at `wanted` in order, reading those not read yet in one BatchGetItem."""
        missing = [(model, key) for model, key in dict.fromkeys(wanted) if key not in self._items]
        if missing:
            self._items.update(zip((key for _, key in missing), get_many(missing), strict=True))
        return [self._items[key] for _, key in wanted]

    def get(self, model: type[T], key: tuple[str, str]) -> T | None:
        return self.read([(model, key)])[0]


def by_user_page(user_id: str, prefix: str, limit: int, after: str | None = None, *,
                 attributes: Sequence[str] = (), equals: dict[str, str | tuple[str, ...]] | None = None
                 ) -> tuple[list[dict], str | None]:
    """One page of the person's `by_user` index entries whose sort key begins with `prefix`, highest sort key first
    (ids and times in the keys make that newest first), in one Query: at most `limit` raw items after the entry whose
    sort key is `prefix + after` (a previous page's cursor), and the `after` of the next page (None on the last).

    `attributes`: the only ones read back (besides the keys); `equals`: attribute -> value the entries must have, or
    a tuple of values one of which they must have (a filter: the page may then hold fewer than `limit`, even none,
    with a next page; the items read stay `limit` + 2).
    The partition is always the person's own: a cursor can only move within it."""
    connection = table_connection()
    names = {"#pk": "by_user_pk", "#sk": "by_user_sk"}
    values: dict[str, Any] = {":pk": {"S": f"USER#{user_id}"}, ":lo": {"S": prefix},
                              ":hi": {"S": prefix + (after if after is not None else "~")}}
    request: dict[str, Any] = {
        "TableName": connection.table_name,
        "IndexName": "by_user",
        "KeyConditionExpression": "#pk = :pk AND #sk BETWEEN :lo AND :hi",
        "ScanIndexForward": False,
        "Limit": limit + 1 + (after is not None),  # the next page's first entry; the cursor's own entry
    }
    if attributes:
        kept = ["pk", "sk", "by_user_sk", *(a for a in attributes if a not in ("pk", "sk", "by_user_sk"))]
        names |= {f"#a{i}": name for i, name in enumerate(kept)}
        request["ProjectionExpression"] = ", ".join(f"#a{i}" for i in range(len(kept)))
    if equals:
        names |= {f"#f{i}": name for i, name in enumerate(equals)}
        tests = []
        for i, wanted in enumerate(equals.values()):
            options = (wanted,) if isinstance(wanted, str) else wanted  # one value is a choice of one
            values |= {f":f{i}_{j}": {"S": value} for j, value in enumerate(options)}
            tests.append(f"#f{i} IN ({', '.join(f':f{i}_{j}' for j in range(len(options)))})")
        request["FilterExpression"] = " AND ".join(tests)
    request |= {"ExpressionAttributeNames": names, "ExpressionAttributeValues": values}
    answer = connection.connection.dispatch("Query", request)
    seen = prefix + after if after is not None else None
    found = [raw for raw in answer.get("Items", []) if raw["by_user_sk"]["S"] != seen]
    return _page(found, answer, limit, prefix, "by_user_sk")


def _page(found: list[dict], answer: dict, limit: int, prefix: str, sort_key: str) -> tuple[list[dict], str | None]:
    """A Query's raw items cut to `limit`, and the next page's `after` (the last item's sort key without `prefix`):
    the Query asked for one item more, so one past `limit` says there is a next page; else DynamoDB's own
    LastEvaluatedKey (its page filled, or a filter left it short), else None."""
    if len(found) > limit:
        found = found[:limit]
        return found, found[-1][sort_key]["S"].removeprefix(prefix)
    last = answer.get("LastEvaluatedKey")
    return found, last[sort_key]["S"].removeprefix(prefix) if last else None


def prefix_page(model: type[T], pk: str, prefix: str, limit: int, after: str | None = None) -> tuple[list[T], str | None]:
    """One page of partition `pk`'s items whose sort key begins with `prefix`, in sort key order, in one strongly
    consistent Query: at most `limit` items after the one whose sort key is `prefix + after` (a previous page's
    cursor), and the `after` of the next page (None on the last). The partition is always `pk`: a cursor can only
    move within it."""
    connection = table_connection()
    request: dict[str, Any] = {
        "TableName": connection.table_name,
        "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :prefix)",
        "ExpressionAttributeNames": {"#pk": "pk", "#sk": "sk"},
        "ExpressionAttributeValues": {":pk": {"S": pk}, ":prefix": {"S": prefix}},
        "ConsistentRead": True,
        "Limit": limit + 1,  # the next page's first item: whether there is one
    }
    if after is not None:
        request["ExclusiveStartKey"] = {"pk": {"S": pk}, "sk": {"S": prefix + after}}
    answer = connection.connection.dispatch("Query", request)
    found, more = _page(answer.get("Items", []), answer, limit, prefix, "sk")
    return [model.from_raw_data(raw) for raw in found], more
