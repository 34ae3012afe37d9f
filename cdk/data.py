"""The single DynamoDB table, laid out from foodshare.data.schema so code and infra cannot drift."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct
from foodshare.data import schema

from cdk.config import Bounds, StageConfig, TableCapacity


def _key(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


def _autoscaled(bounds: Bounds, target: float) -> dynamodb.Capacity:
    return dynamodb.Capacity.autoscaled(min_capacity=bounds.min, max_capacity=bounds.max,
                                        target_utilization_percent=round(target * 100))


def _billing(capacity: TableCapacity) -> tuple[dynamodb.Billing, dict]:
    """The table's billing, and what each index is given with it (provisioned: its own auto scaling)."""
    if capacity.billing == "on_demand":
        return dynamodb.Billing.on_demand(), {}
    target = capacity.target_utilisation
    billing = dynamodb.Billing.provisioned(read_capacity=_autoscaled(capacity.table_read, target),
                                           write_capacity=_autoscaled(capacity.table_write, target))
    return billing, {"read_capacity": _autoscaled(capacity.index_read, target),
                     "write_capacity": _autoscaled(capacity.index_write, target)}


class Data(Construct):
    """Encrypted, point-in-time recoverable; the NEW_IMAGE stream feeds the outbox delivery. On demand, or
    provisioned with target-tracking auto scaling on the table and every index where the stage's
    `capacity.dynamodb` says so (prod: the capacity plan's choice by cost, benchmarks/capacity.py)."""

    def __init__(self, scope: Construct, id: str, *, config: StageConfig) -> None:
        super().__init__(scope, id)
        billing, index_capacity = _billing(config.dynamodb)
        self.table = dynamodb.TableV2(
            self,
            "Table",
            table_name=f"foodshare-{config.name}",
            partition_key=_key(schema.HASH_KEY),
            sort_key=_key(schema.RANGE_KEY),
            billing=billing,
            encryption=dynamodb.TableEncryptionV2.aws_managed_key(),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=schema.TTL_ATTRIBUTE,
            dynamo_stream=dynamodb.StreamViewType.NEW_IMAGE,
            deletion_protection=config.retain_data,
            removal_policy=RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY,
            global_secondary_indexes=[
                dynamodb.GlobalSecondaryIndexPropsV2(
                    index_name=name,
                    partition_key=_key(hash_attr),
                    sort_key=_key(range_attr),
                    projection_type=dynamodb.ProjectionType.ALL,
                    **index_capacity,
                )
                for name, (hash_attr, range_attr) in schema.INDEXES.items()
            ],
        )
