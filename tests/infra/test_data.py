"""The table is laid out from foodshare.data.schema, encrypted, recoverable and streamed."""

from __future__ import annotations

from foodshare.data import schema

from tests.infra.cfn import of_type, props


def _table(synth) -> dict:
    tables = of_type(synth, "AWS::DynamoDB::GlobalTable")
    assert len(tables) == 1
    return props(next(iter(tables.values())))


def test_keys_and_indexes_come_from_schema(synth):
    table = _table(synth)
    assert table["KeySchema"] == [
        {"AttributeName": schema.HASH_KEY, "KeyType": "HASH"},
        {"AttributeName": schema.RANGE_KEY, "KeyType": "RANGE"},
    ]
    indexes = {gsi["IndexName"]: gsi for gsi in table["GlobalSecondaryIndexes"]}
    assert set(indexes) == set(schema.INDEXES)
    for name, (hash_attr, range_attr) in schema.INDEXES.items():
        assert indexes[name]["KeySchema"] == [
            {"AttributeName": hash_attr, "KeyType": "HASH"},
            {"AttributeName": range_attr, "KeyType": "RANGE"},
        ]
        assert indexes[name]["Projection"] == {"ProjectionType": "ALL"}


def test_on_demand_encrypted_recoverable_with_ttl_and_stream(synth):
    table = _table(synth)
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSESpecification"]["SSEEnabled"] is True
    assert table["TimeToLiveSpecification"] == {"AttributeName": schema.TTL_ATTRIBUTE, "Enabled": True}
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    replica = table["Replicas"][0]
    assert replica["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_prod_data_survives_stack_deletion(prod):
    (table,) = of_type(prod, "AWS::DynamoDB::GlobalTable").values()
    assert table["DeletionPolicy"] == "Retain"
    assert props(table)["Replicas"][0]["DeletionProtectionEnabled"] is True
