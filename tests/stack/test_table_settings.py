"""The table as the template declares it, on the served stack: what ministack's CloudFormation
leaves out is applied by the deploy step, and a point-in-time restore is never answered wrongly."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError


def test_the_replicas_point_in_time_recovery_ttl_and_tags_are_applied(served_stack):
    dynamodb, table = served_stack.client("dynamodb"), served_stack.outputs["TableName"]
    pitr = dynamodb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    assert pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    ttl = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires_at_epoch")
    arn = dynamodb.describe_table(TableName=table)["Table"]["TableArn"]
    tags = {t["Key"]: t["Value"] for t in dynamodb.list_tags_of_resource(ResourceArn=arn)["Tags"]}
    assert tags == {"project": "foodshare", "stage": "dev"}
    assert served_stack.served.info["tableSettings"] == {table: ["pitr", "ttl:expires_at_epoch", "tags:2"]}


def test_a_stack_without_point_in_time_history_refuses_a_restore_instead_of_copying_the_present(served_stack):
    dynamodb, table = served_stack.client("dynamodb"), served_stack.outputs["TableName"]
    with pytest.raises(ClientError) as refused:
        dynamodb.restore_table_to_point_in_time(SourceTableName=table, TargetTableName=f"{table}-never",
                                                RestoreDateTime=time.time() - 60)
    assert "LOCAL_PITR_MINUTES" in refused.value.response["Error"]["Message"]
    assert f"{table}-never" not in dynamodb.list_tables()["TableNames"]
