"""Least privilege: each function's role holds only what its table-access entry and triggers need."""

from __future__ import annotations

from foodshare.data import schema

from cdk.functions import READ_ACTIONS, READ_ONLY, TABLE_SCANNERS, WRITE_ACTIONS
from tests.infra.cfn import actions_of, arn_of, function, of_type, role_statements

TRACING = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
LOGS = {"logs:CreateLogStream", "logs:PutLogEvents"}
VPC_NETWORKING = {
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
}
QUEUE_CONSUMPTION = {
    "sqs:ReceiveMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueUrl",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
}


def _table_arns(synth) -> tuple[dict, list[dict]]:
    (table_id,) = of_type(synth, "AWS::DynamoDB::GlobalTable")
    table = arn_of(table_id)
    indexes = [{"Fn::Join": ["", [table, f"/index/{name}"]]} for name in schema.INDEXES]
    return table, indexes


def _dynamodb_grants(statements) -> dict[str, list]:
    """action -> resources, for the DynamoDB statements of one role."""
    grants: dict[str, list] = {}
    for statement in statements:
        for action in actions_of(statement):
            if action.startswith("dynamodb:"):
                resources = statement["Resource"]
                grants.setdefault(action, []).extend(resources if isinstance(resources, list) else [resources])
    return grants


def test_table_access_follows_the_read_only_map(synth):
    table, indexes = _table_arns(synth)
    for name in synth.catalog.names():
        grants = _dynamodb_grants(role_statements(synth, name))
        expected = set(READ_ACTIONS) | (set() if name in READ_ONLY else set(WRITE_ACTIONS))
        expected |= {"dynamodb:Scan"} if name in TABLE_SCANNERS else set()
        assert set(grants) == expected, name
        for action in READ_ACTIONS:
            assert grants[action] == [table, *indexes], (name, action)
        for action in (set(WRITE_ACTIONS) | {"dynamodb:Scan"}) & set(grants):
            assert grants[action] == [table], (name, action)


def test_read_only_functions_are_the_get_only_ones(synth):
    for fn in synth.catalog.api_functions:
        if fn.name in READ_ONLY:
            assert {route.method for route in fn.routes} == {"GET"}, fn.name


def test_no_role_has_wildcard_actions_table_administration_or_scan_but_erasure(synth):
    for name in synth.catalog.names():
        for statement in role_statements(synth, name):
            for action in actions_of(statement):
                assert "*" not in action, (name, action)
                assert action not in {"dynamodb:DeleteTable", "dynamodb:UpdateTable"}
                assert action != "dynamodb:Scan" or name == "users", (name, action)  # erasure only


def test_functions_hold_only_known_permission_groups(synth):
    """Anything outside these groups is a new permission a reviewer should see in this test."""
    consumers = {c.name for c in synth.catalog.consumers}
    for name in synth.catalog.names():
        allowed = TRACING | LOGS | VPC_NETWORKING | set(READ_ACTIONS) | set(WRITE_ACTIONS) | {"events:PutEvents"} \
            | IDENTITY_KEY_READ | ({"dynamodb:Scan"} if name in TABLE_SCANNERS else set())
        if name in consumers:
            allowed |= QUEUE_CONSUMPTION
        actions = {a for s in role_statements(synth, name) for a in actions_of(s)}
        assert actions <= allowed, (name, actions - allowed)


def test_only_relaying_writers_may_publish_and_only_to_the_bus(synth):
    (bus_id,) = of_type(synth, "AWS::Events::EventBus")
    for name in synth.catalog.names():
        publishing = [s for s in role_statements(synth, name) if "events:PutEvents" in actions_of(s)]
        if synth.config.outbox_delivery == "relay" and name not in READ_ONLY:
            assert [s["Resource"] for s in publishing] == [arn_of(bus_id)], name
        else:
            assert not publishing, name


def test_wildcard_resources_only_where_aws_allows_no_other(synth):
    for name in synth.catalog.names():
        for statement in role_statements(synth, name):
            if statement["Resource"] == "*":
                assert set(actions_of(statement)) <= TRACING | VPC_NETWORKING, (name, statement)


def test_log_writes_are_scoped_to_the_functions_own_log_group(synth):
    for name in synth.catalog.names():
        log_statements = [s for s in role_statements(synth, name) if set(actions_of(s)) & LOGS]
        (statement,) = log_statements
        own_group = function(synth, name)["LoggingConfig"]["LogGroup"]["Ref"]
        assert statement["Resource"] == arn_of(own_group)


IDENTITY_KEY_READ = {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}


def test_secret_reads_only_of_the_identity_key(synth):
    (secret_id,) = of_type(synth, "AWS::SecretsManager::Secret")
    for name in synth.catalog.names():
        reading = [s for s in role_statements(synth, name) if set(actions_of(s)) & IDENTITY_KEY_READ]
        assert [s["Resource"] for s in reading] == [{"Ref": secret_id}], name
