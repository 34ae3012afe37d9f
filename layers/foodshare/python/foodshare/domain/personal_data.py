"""Finding everything stored about a person: one pass over the table, shared by export and erasure.

Posts and exchanges have no by-user index, so both read the whole table (rare requests,
in their own functions: `cdk/functions.TABLE_SCANNERS`). An item is the person's when any
value in it, or in a JSON document inside it, is one of their markers: their user id or
one of their private chats' addresses. What export shows and what erasure removes are
therefore found by the same rule.
"""

from __future__ import annotations

import json

from foodshare.data.models import table_connection
from foodshare.settings import get_settings


def chat_addresses(user_id: str) -> set[str]:
    """Their private chats' ids (the bots' `USER#<u>/CONTACT#<platform>` items, read without importing the bots)."""
    page = table_connection().connection.client.query(
        TableName=get_settings().table_name,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :contact)",
        ExpressionAttributeValues={":pk": {"S": f"USER#{user_id}"}, ":contact": {"S": "CONTACT#"}},
    )
    found = {i["address"]["S"] for i in page.get("Items", []) if "address" in i}
    if user_id.startswith("tg:"):
        found.add(user_id[3:])  # a Telegram user's private chat id is their user id
    return found


def scan(keep=lambda item: True):
    client = table_connection().connection.client
    kwargs = {"TableName": get_settings().table_name}
    while True:
        page = client.scan(**kwargs)
        yield from (i for i in page.get("Items", []) if keep(i))
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def names(value, markers: set[str]) -> bool:
    """Whether a stored value (DynamoDB JSON, or a JSON document inside a string) holds one of the markers."""
    if isinstance(value, dict):  # keys too: a JSON map may be keyed by people (the rating graph's neighbours)
        return any(k in markers for k in value) or any(names(v, markers) for v in value.values())
    if isinstance(value, list):
        return any(names(v, markers) for v in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value) in markers
    if isinstance(value, str):
        if value in markers or any(part in markers for part in value.split("#")):
            return True
        if value[:1] in "{[":
            try:
                return names(json.loads(value), markers)
            except ValueError:
                return False
    return False
