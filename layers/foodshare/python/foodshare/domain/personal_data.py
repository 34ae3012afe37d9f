"""Finding everything stored about a person: one pass over the table, shared by export and erasure.

An item names a person in places no index leads to (the event store's envelopes, a neighbour's
rating graph, chat links, counterparts' exchanges and ratings), so both read the whole table
(rare requests, in their own queue-fed functions: `cdk/functions.TABLE_SCANNERS`). The pass is
a DynamoDB **parallel scan**: the table is read as `TotalSegments` disjoint segments (every item
of one partition key falls in one segment), each paged on its own; export reads its segments on
a thread pool (`parallel_scan`), erasure gives each segment its own queue message (`scan_segment`).
An item is the person's when any value in it, or in a JSON document inside it, is one of their
markers: their user id or one of their private chats' keys. What export shows and what
erasure removes are therefore found by the same rule.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from foodshare import ids
from foodshare.data.models import table_connection
from foodshare.settings import get_settings


def private_chats(user_id: str) -> dict[str, str]:
    """Their private chats with the bots, chat key → address (the bots' `USER#<u>/CONTACT#<platform>` items, read
    without importing the bots). The table names a chat by its key (`ids.private_chat_key`), so the key is the
    marker; the bare address (for Telegram a number, their user id) only names the bots' rate-limit keys in Redis.
    As a marker in the table it matched any number equal to it and an API user whose id is those digits."""
    page = table_connection().connection.client.query(
        TableName=get_settings().table_name,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :contact)",
        ExpressionAttributeValues={":pk": {"S": f"USER#{user_id}"}, ":contact": {"S": "CONTACT#"}},
    )
    found = {ids.private_chat_key(user_id, i["address"]["S"]): i["address"]["S"]
             for i in page.get("Items", []) if "address" in i}
    if user_id.startswith(ids.TELEGRAM_PREFIX):  # a Telegram user's private chat id is their user id
        found[user_id] = user_id.removeprefix(ids.TELEGRAM_PREFIX)
    return found


def scan_segment(segment: int, total_segments: int, keep=lambda item: True):
    """The items of one segment of the table (one of `total_segments`) that `keep` accepts, page by page."""
    if not 0 <= segment < total_segments:
        raise ValueError(f"segment {segment} is not one of {total_segments}")
    client = table_connection().connection.client
    kwargs = {"TableName": get_settings().table_name, "Segment": segment, "TotalSegments": total_segments}
    while True:
        page = client.scan(**kwargs)
        yield from (i for i in page.get("Items", []) if keep(i))
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def parallel_scan(keep=lambda item: True, total_segments: int | None = None) -> list[dict]:
    """Every item `keep` accepts, the segments read concurrently (a thread each: the calls wait on the network)."""
    total = total_segments or get_settings().scan_segments
    if total == 1:
        return list(scan_segment(0, 1, keep))
    with ThreadPoolExecutor(max_workers=total, thread_name_prefix="scan") as pool:
        parts = pool.map(lambda segment: list(scan_segment(segment, total, keep)), range(total))
        return [item for part in parts for item in part]


def names(value, markers: set[str]) -> bool:
    """Whether a stored value (DynamoDB JSON, or a JSON document inside a string) holds one of the markers: a whole
    string, a `#`-separated part of one, a map's key. Never a number: ids are strings, and a number equal to one
    (a count, an epoch) is not the person."""
    if isinstance(value, dict):  # keys too: a JSON map may be keyed by people (the rating graph's neighbours)
        if len(value) == 1 and ("N" in value or "NS" in value):
            return False  # a DynamoDB number or number set
        return any(k in markers for k in value) or any(names(v, markers) for v in value.values())
    if isinstance(value, list):
        return any(names(v, markers) for v in value)
    if isinstance(value, str):
        if value in markers or any(part in markers for part in value.split("#")):
            return True
        if value[:1] in "{[":
            try:
                return names(json.loads(value), markers)
            except ValueError:
                return False
    return False
