"""The single DynamoDB table, laid out from foodshare.data.schema so code and infra cannot drift."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct
from foodshare.data import schema

from cdk.config import StageConfig


def _key(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


class Data(Construct):
    """On-demand, encrypted, point-in-time recoverable; the NEW_IMAGE stream feeds the outbox delivery."""

    def __init__(self, scope: Construct, id: str, *, config: StageConfig) -> None:
        super().__init__(scope, id)
        self.table = dynamodb.TableV2(
            self,
            "Table",
            table_name=f"foodshare-{config.name}",
            partition_key=_key(schema.HASH_KEY),
            sort_key=_key(schema.RANGE_KEY),
            billing=dynamodb.Billing.on_demand(),
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
                )
                for name, (hash_attr, range_attr) in schema.INDEXES.items()
            ],
        )
