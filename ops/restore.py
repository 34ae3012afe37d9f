"""Restore the table to a point in time, give the copy back what a restore drops, and move the functions onto it.

A DynamoDB point-in-time restore always creates a NEW table, and leaves behind:
TTL, the stream, point-in-time recovery itself, deletion protection, tags, auto
scaling, alarms and IAM. This module re-attaches what applies to foodshare (TTL on
`expires_at_epoch`, the NEW_IMAGE stream when the source had one, PITR, deletion
protection when the source had it, the source's tags), points every function of the
stage whose TABLE_NAME is the source at the new table, grants their roles the
new table (an inline policy; the CDK grants name only the original table), and moves
each function's aliases (the API's `live` alias) to a version published from the new
configuration: an alias points at an immutable version, so a configuration change
alone never reaches the API. Alarms are
per stage, not per table, and the table is on-demand, so nothing else applies.

Everything goes through boto3, so AWS_ENDPOINT_URL sends it to an emulator.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from boto3.dynamodb.types import TypeDeserializer
from foodshare.data import schema

RESTORE_POLICY = "foodshare-restored-table"
_deserializer = TypeDeserializer()


def clients():
    import boto3

    return boto3.client("dynamodb"), boto3.client("lambda"), boto3.client("iam")


def _plain(value):
    """DynamoDB's Decimal numbers as int/float, the rest as is."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_plain(v) for v in value]
    return value


def scan(table: str, dynamodb=None) -> list[dict]:
    """Every item of `table`, deserialized to plain values (a consistent, paged scan)."""
    dynamodb = dynamodb or clients()[0]
    items, start = [], None
    while True:
        page = dynamodb.scan(TableName=table, ConsistentRead=True, **({"ExclusiveStartKey": start} if start else {}))
        items += [{k: _plain(_deserializer.deserialize(v)) for k, v in raw.items()} for raw in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def latest_restorable(table: str, dynamodb=None) -> datetime:
    dynamodb = dynamodb or clients()[0]
    pitr = dynamodb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    described = pitr.get("PointInTimeRecoveryDescription", {})
    if described.get("PointInTimeRecoveryStatus") != "ENABLED":
        raise SystemExit(f"point-in-time recovery is not enabled on {table}")
    return _as_datetime(described["LatestRestorableDateTime"])


def _as_datetime(value) -> datetime:

    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(float(value), tz=UTC)


@dataclass
class Restored:
    source: str
    target: str
    restore_point: datetime
    restore_seconds: float = 0.0  # from the request until the new table is ACTIVE
    reattached: list[str] = field(default_factory=list)
    switched: list[str] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)  # "<function>:<alias>" -> the version it now points at


def restore(source: str, target: str, point: datetime, poll_seconds: float = 2.0, timeout: float = 3600) -> Restored:
    dynamodb = clients()[0]
    started = time.monotonic()
    dynamodb.restore_table_to_point_in_time(SourceTableName=source, TargetTableName=target, RestoreDateTime=point)
    while True:
        status = dynamodb.describe_table(TableName=target)["Table"]["TableStatus"]
        if status == "ACTIVE":
            break
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{target} still {status} after {timeout} s")
        time.sleep(poll_seconds)
    return Restored(source, target, point, restore_seconds=time.monotonic() - started)


def reattach(restored: Restored) -> None:
    """TTL, stream, PITR, deletion protection and tags, as the source has them."""
    dynamodb = clients()[0]
    source = dynamodb.describe_table(TableName=restored.source)["Table"]
    target = dynamodb.describe_table(TableName=restored.target)["Table"]
    ttl = dynamodb.describe_time_to_live(TableName=restored.source)["TimeToLiveDescription"]
    if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
        dynamodb.update_time_to_live(TableName=restored.target, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": ttl.get("AttributeName", schema.TTL_ATTRIBUTE)})
        restored.reattached.append(f"ttl:{ttl.get('AttributeName', schema.TTL_ATTRIBUTE)}")
    stream = source.get("StreamSpecification", {})
    if stream.get("StreamEnabled") and not target.get("StreamSpecification", {}).get("StreamEnabled"):
        dynamodb.update_table(TableName=restored.target, StreamSpecification={
            "StreamEnabled": True, "StreamViewType": stream["StreamViewType"]})
        restored.reattached.append(f"stream:{stream['StreamViewType']}")
    dynamodb.update_continuous_backups(TableName=restored.target, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})
    restored.reattached.append("pitr")
    if source.get("DeletionProtectionEnabled"):
        dynamodb.update_table(TableName=restored.target, DeletionProtectionEnabled=True)
        restored.reattached.append("deletion-protection")
    tags = dynamodb.list_tags_of_resource(ResourceArn=source["TableArn"]).get("Tags", [])
    tags = [t for t in tags if not t["Key"].startswith("aws:")]
    if tags:
        dynamodb.tag_resource(ResourceArn=target["TableArn"], Tags=tags)
        restored.reattached.append(f"tags:{len(tags)}")


def stage_functions(stage: str, table: str) -> list[dict]:
    """The stage's functions (named foodshare-<stage>-...) that use `table`."""
    lambda_ = clients()[1]
    found = []
    for page in lambda_.get_paginator("list_functions").paginate():
        for fn in page["Functions"]:
            env = fn.get("Environment", {}).get("Variables", {})
            if fn["FunctionName"].startswith(f"foodshare-{stage}-") and env.get("TABLE_NAME") == table:
                found.append(fn)
    return found


def switch(restored: Restored, stage: str) -> None:
    """Grant each function's role the new table, then set its TABLE_NAME (other variables kept)."""
    dynamodb, lambda_, iam = clients()
    arn = dynamodb.describe_table(TableName=restored.target)["Table"]["TableArn"]
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Action": ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem",
                   "dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem",
                   "dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem"],
        "Resource": [arn, f"{arn}/index/*"]}]})
    for fn in stage_functions(stage, restored.source):
        role = fn["Role"].rsplit("/", 1)[-1]
        iam.put_role_policy(RoleName=role, PolicyName=RESTORE_POLICY, PolicyDocument=policy)
        variables = {**fn["Environment"]["Variables"], "TABLE_NAME": restored.target}
        lambda_.update_function_configuration(FunctionName=fn["FunctionName"], Environment={"Variables": variables})
        restored.switched.append(fn["FunctionName"])
    for name in restored.switched:
        lambda_.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    for name in restored.switched:
        _move_aliases(lambda_, name, restored)


def _move_aliases(lambda_, name: str, restored: Restored) -> None:
    """The HTTP API integrates with each API function's `live` alias, which points at a published,
    immutable version: a new configuration reaches it only through a new version. So every alias of
    the function is moved to a version published from the switched configuration (provisioned
    concurrency on the alias follows it: AWS warms the new version's environments)."""
    aliases = lambda_.list_aliases(FunctionName=name).get("Aliases", [])
    if not aliases:
        return
    version = lambda_.publish_version(FunctionName=name, Description=f"restored table {restored.target}")["Version"]
    for alias in aliases:
        lambda_.update_alias(FunctionName=name, Name=alias["Name"], FunctionVersion=version)
        restored.aliases[f"{name}:{alias['Name']}"] = version
