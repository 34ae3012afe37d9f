"""The table's physical layout, shared by the models, the local/test table creation and CDK.

One table holds every entity (single-table design). Keys are prefixed strings; each
global secondary index serves one access pattern and is sparse where it can be.
"""

from __future__ import annotations

HASH_KEY = "pk"
RANGE_KEY = "sk"
TTL_ATTRIBUTE = "expires_at_epoch"

# index name -> (hash attribute, range attribute); all project every attribute.
INDEXES: dict[str, tuple[str, str]] = {
    # A user's memberships: USER#<userId> / GROUP#<groupId>; their posts (FOOD#<createdAt>#<foodId>) and their
    # exchanges, claimed (the exchange) or shared (its sharer entry): EXCHANGE#<exchangeId>. Erasure winds them down
    # without a scan; GET /me/groups, /me/food and /me/exchanges page them newest first.
    "by_user": ("by_user_pk", "by_user_sk"),
    # Available posts of one group, by end of pickup window: AVAIL#<groupId> / <pickupEnd>#<foodId>.
    # Present only while a post is available, so past windows and claimed posts drop out.
    "available_food": ("avail_pk", "avail_sk"),
    # Available posts by the hour their window ends, for the expiry sweep:
    # EXPIRES#<yyyy-mm-ddThh> / <pickupEnd>#<foodId>.
    "expiring_food": ("expiry_pk", "expiry_sk"),
    # Events not yet published to the bus: OUTBOX#<shard> / <eventId>.
    "outbox": ("outbox_pk", "outbox_sk"),
}

OUTBOX_SHARDS = 4
EVENT_LOG_SHARDS = 8


def table_definition(table_name: str) -> dict:
    """CreateTable arguments (on-demand) for the local stack and the tests."""
    attributes = {HASH_KEY, RANGE_KEY}
    for pair in INDEXES.values():
        attributes.update(pair)
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in sorted(attributes)],
        "KeySchema": [
            {"AttributeName": HASH_KEY, "KeyType": "HASH"},
            {"AttributeName": RANGE_KEY, "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": name,
                "KeySchema": [
                    {"AttributeName": hash_attr, "KeyType": "HASH"},
                    {"AttributeName": range_attr, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for name, (hash_attr, range_attr) in INDEXES.items()
        ],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    }
