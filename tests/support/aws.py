"""moto-backed AWS for tests: a fresh account per test with the Foodshare table and event bus."""

from __future__ import annotations

from contextlib import contextmanager

from moto import mock_aws

from tests.support.backbone import create_bus
from local.moto_dynamodb import serialize_writes


@contextmanager
def aws_environment():
    import boto3

    from foodshare.data.schema import table_definition
    from foodshare.settings import get_settings

    serialize_writes()
    with mock_aws():
        settings = get_settings()
        boto3.client("dynamodb", region_name=settings.region).create_table(**table_definition(settings.table_name))
        boto3.client("s3", region_name=settings.region).create_bucket(
            Bucket=settings.export_bucket, CreateBucketConfiguration={"LocationConstraint": settings.region})
        create_bus()  # the stream feeds the relay after every commit; queues and rules come with the `backbone` fixture
        yield
