"""Egress: every function reaches, from where the template puts it, each host and AWS API it calls.

What a function calls: the chat hosts of the platforms in its catalog entry
(`chats`, catalog.CHAT_HOSTS), Secrets Manager when it reads bot secrets (`secrets`),
and every AWS service its role lets it call itself (test_iam_calls.py checks the role
covers what the flows really call; the actions Lambda performs on the function's
behalf — logs, network interfaces, polling its queue — need no path from the function).
"""

from __future__ import annotations

import pytest
from foodshare.catalog import CHAT_HOSTS

from tests.infra.cfn import actions_of, catalog_entries, role_statements
from tests.infra.reach import Network, placement

# Actions the Lambda service performs with the function's role, from its own network
# (and X-Ray's, which the runtime's daemon sends; tracing is off in the tests' flows).
SERVICE_SIDE = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
    "sqs:ReceiveMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueUrl",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
}


def aws_services(synth, name: str) -> set[str]:
    """The AWS APIs the function calls from its own code: its role's services, plus secrets it declares."""
    services = {
        action.split(":", 1)[0]
        for statement in role_statements(synth, name)
        for action in actions_of(statement)
        if action not in SERVICE_SIDE or action.startswith("xray:")
    }
    if catalog_entries(synth)[name].secrets:
        services.add("secretsmanager")
    return services


def gaps(synth) -> list[str]:
    network = Network(synth)
    found = []
    for name, entry in sorted(catalog_entries(synth).items()):
        where = placement(synth, name)
        for platform in entry.chats:
            for host in CHAT_HOSTS[platform]:
                gap = network.host_gap(where, host)
                if gap:
                    found.append(f"{name} calls {host} ({platform}) but has no route: {gap}")
        for service in sorted(aws_services(synth, name)):
            gap = network.service_gap(where, service)
            if gap:
                found.append(f"{name} calls the {service} API but cannot reach it: {gap}")
    return found


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_every_function_reaches_what_it_calls(request, stage):
    synth = request.getfixturevalue(stage)
    problems = gaps(synth)
    assert not problems, "\n".join(problems)


def test_functions_that_call_chat_platforms_are_declared_and_some_sit_in_the_vpc(prod):
    """The check above must have something to check: the bot functions are declared, and some are in the VPC."""
    callers = {name for name, e in catalog_entries(prod).items() if e.chats}
    assert {"telegram_webhook", "slack_webhook", "notifications"} <= callers
    assert any(placement(prod, name).subnets for name in callers)


def test_a_function_in_isolated_subnets_is_reported_with_the_missing_route(prod):
    """The analysis itself: the same function, placed in subnets without a default route, is named with its host."""
    network = Network(prod)
    where = placement(prod, "telegram_webhook")
    isolated = [s for s in network.route_table_of if network.internet_gap(s)]
    assert isolated, "prod has no subnet without internet: nothing to compare with"
    gap = network.host_gap(type(where)(where.name, (isolated[0],), where.security_groups), "api.telegram.org")
    assert gap and "no 0.0.0.0/0 route" in gap
