"""Least privilege: each function's role holds only what its table-access entry and triggers need."""

from __future__ import annotations

from foodshare.data import schema

from cdk.functions import PUBLISHERS, READ_ACTIONS, READ_ONLY, STREAM_READ_ACTIONS, TABLE_SCANNERS, WRITE_ACTIONS
from tests.infra.cfn import actions_of, arn_of, catalog_entries, function, of_type, role_statements

EXPORT_ACCESS = {"exports": {"s3:PutObject", "s3:DeleteObject"}, "users": {"s3:GetObject"}, "erasure": {"s3:DeleteObject"}}
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


def _without_data(synth) -> set[str]:
    """Functions that serve files from the layer (the catalog's api_docs ones)."""
    return {fn.name for fn in synth.catalog.api_functions if fn.api_docs}


def _stream_relays(synth) -> set[str]:
    return {relay.name for relay in synth.catalog.stream_relays}


def test_table_access_follows_the_read_only_map(synth):
    table, indexes = _table_arns(synth)
    for name in synth.catalog.names() - _without_data(synth):
        grants = _dynamodb_grants(role_statements(synth, name))
        expected = set(READ_ACTIONS) | (set() if name in READ_ONLY else set(WRITE_ACTIONS))
        if name in _stream_relays(synth):  # only the stream relay reads the table's stream
            expected |= set(STREAM_READ_ACTIONS)
            stream_arn = {"Fn::GetAtt": [table["Fn::GetAtt"][0], "StreamArn"]}
            for action in set(STREAM_READ_ACTIONS) - {"dynamodb:ListStreams"}:
                assert grants[action] == [stream_arn], (name, action, grants[action])
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
                assert action != "dynamodb:Scan" or name in TABLE_SCANNERS, (name, action)  # erasure, export


def test_functions_hold_only_known_permission_groups(synth):
    """Anything outside these groups is a new permission a reviewer should see in this test."""
    consumers = {c.name for c in synth.catalog.consumers}
    for name in synth.catalog.names():
        allowed = TRACING | LOGS | VPC_NETWORKING | set(READ_ACTIONS) | set(WRITE_ACTIONS) | {"events:PutEvents"} \
            | IDENTITY_KEY_READ | ({"dynamodb:Scan"} if name in TABLE_SCANNERS else set()) \
            | EXPORT_ACCESS.get(name, set())  # test_exports.py: on the export bucket's objects only
        if name in consumers:
            allowed |= QUEUE_CONSUMPTION
        if name in _stream_relays(synth):  # the stream, and the on-failure destination of its mapping
            allowed |= set(STREAM_READ_ACTIONS) | {"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}
        if catalog_entries(synth)[name].secrets:
            allowed |= {"secretsmanager:GetSecretValue"}  # test_bots.py: on exactly its secrets
        actions = {a for s in role_statements(synth, name) for a in actions_of(s)}
        assert actions <= allowed, (name, actions - allowed)


def test_only_relaying_writers_may_publish_and_only_to_the_bus(synth):
    """With the stream relay (or a pipe) only the relay and the sweeper publish; with `relay` every writer."""
    (bus_id,) = of_type(synth, "AWS::Events::EventBus")
    for name in synth.catalog.names():
        publishing = [s for s in role_statements(synth, name) if "events:PutEvents" in actions_of(s)]
        every_writer = synth.config.outbox_delivery == "relay" and name not in READ_ONLY | _without_data(synth)
        if every_writer or name in PUBLISHERS:
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


def test_the_api_docs_function_reads_nothing_and_publishes_nothing(dev):
    assert _without_data(dev) == {"api_docs"}
    actions = {a for s in role_statements(dev, "api_docs") for a in actions_of(s)}
    assert actions == TRACING | LOGS  # no table, no bus, no VPC


IDENTITY_KEY_READ = {"secretsmanager:GetSecretValue"}


def _identity_key(synth) -> str:
    (secret_id,) = [lid for lid, r in of_type(synth, "AWS::SecretsManager::Secret").items()
                    if r["Properties"]["Name"].endswith("/identity-key")]
    return secret_id


def test_every_function_with_data_reads_the_identity_key_and_no_other_secret_but_its_own(synth):
    key = {"Ref": _identity_key(synth)}
    for name, entry in catalog_entries(synth).items():
        reading = [s for s in role_statements(synth, name) if set(actions_of(s)) & IDENTITY_KEY_READ]
        resources = [r for s in reading for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])]
        if getattr(entry, "api_docs", False):
            assert key not in resources, name
        else:
            assert key in resources, name
            env = function(synth, name)["Environment"]["Variables"]
            assert env["IDENTITY_KEY_SECRET_ARN"] == key, name
        assert len(resources) == len(entry.secrets) + (0 if getattr(entry, "api_docs", False) else 1), name
