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


def test_encrypted_recoverable_with_ttl_and_stream(synth):
    table = _table(synth)
    assert table["SSESpecification"]["SSEEnabled"] is True
    assert table["TimeToLiveSpecification"] == {"AttributeName": schema.TTL_ATTRIBUTE, "Enabled": True}
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    replica = table["Replicas"][0]
    assert replica["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_prod_data_survives_stack_deletion(prod):
    (table,) = of_type(prod, "AWS::DynamoDB::GlobalTable").values()
    assert table["DeletionPolicy"] == "Retain"
    assert props(table)["Replicas"][0]["DeletionProtectionEnabled"] is True


def _scaling(bounds, target: float) -> dict:
    return {"MinCapacity": bounds.min, "MaxCapacity": bounds.max,
            "TargetTrackingScalingPolicyConfiguration": {"TargetValue": round(target * 100)}}


def test_the_table_is_billed_as_its_stage_says(synth):
    """dev on demand; prod (and the fake stack on prod's settings) as the capacity plan chose by cost: provisioned
    capacity with target-tracking auto scaling on the table and on every index, within the plan's bounds."""
    table, capacity = _table(synth), synth.config.dynamodb
    if capacity.billing == "on_demand":
        assert table["BillingMode"] == "PAY_PER_REQUEST"
        assert "WriteProvisionedThroughputSettings" not in table
        return
    target = capacity.target_utilisation
    assert table["BillingMode"] == "PROVISIONED"
    assert table["WriteProvisionedThroughputSettings"]["WriteCapacityAutoScalingSettings"] == \
        _scaling(capacity.table_write, target)
    (replica,) = table["Replicas"]
    assert replica["ReadProvisionedThroughputSettings"]["ReadCapacityAutoScalingSettings"] == \
        _scaling(capacity.table_read, target)
    reads = {gsi["IndexName"]: gsi for gsi in replica["GlobalSecondaryIndexes"]}
    for gsi in table["GlobalSecondaryIndexes"]:
        assert gsi["WriteProvisionedThroughputSettings"]["WriteCapacityAutoScalingSettings"] == \
            _scaling(capacity.index_write, target)
        assert reads[gsi["IndexName"]]["ReadProvisionedThroughputSettings"]["ReadCapacityAutoScalingSettings"] == \
            _scaling(capacity.index_read, target)
    assert set(reads) == set(schema.INDEXES)


def test_dev_stays_on_demand_and_prod_follows_the_capacity_plan(dev, prod):
    from benchmarks import capacity

    assert dev.config.dynamodb.billing == "on_demand"
    plan = capacity.plan_for(capacity.load_durations(), capacity.default_cases())
    assert prod.config.dynamodb.billing == plan.dynamodb["billing"]
    if plan.dynamodb["billing"] == "provisioned":
        assert (prod.config.dynamodb.table_write.min, prod.config.dynamodb.table_write.max) == \
            (plan.dynamodb["table"]["write"]["min"], plan.dynamodb["table"]["write"]["max"])


def test_a_provisioned_table_needs_sane_bounds():
    import pytest

    from cdk.config import TableCapacity

    good = {"billing": "provisioned", "target_utilisation": 0.7,
            "table": {"read": {"min": 5, "max": 50}, "write": {"min": 5, "max": 50}},
            "indexes": {"read": {"min": 1, "max": 50}, "write": {"min": 1, "max": 50}}}
    assert TableCapacity.parse("prod", good).table_read.max == 50
    assert TableCapacity.parse("dev", None).billing == "on_demand"
    with pytest.raises(ValueError, match="table_write"):
        TableCapacity.parse("prod", {**good, "table": {**good["table"], "write": {"min": 60, "max": 50}}})
    with pytest.raises(ValueError, match="billing"):
        TableCapacity.parse("prod", {"billing": "reserved"})
