"""Lookups in a synthesized template by what the catalog calls things, not by logical ids."""

from __future__ import annotations

import json

from tests.infra.conftest import Synth


def of_type(synth: Synth, cfn_type: str) -> dict[str, dict]:
    return {lid: r for lid, r in synth.resources.items() if r["Type"] == cfn_type}


def props(resource: dict) -> dict:
    return resource.get("Properties", {})


def function_id(synth: Synth, name: str) -> str:
    wanted = f"foodshare-{synth.config.name}-{name}"
    ids = [lid for lid, r in of_type(synth, "AWS::Lambda::Function").items() if props(r).get("FunctionName") == wanted]
    assert len(ids) == 1, f"expected one function named {wanted}, found {ids}"
    return ids[0]


def function(synth: Synth, name: str) -> dict:
    return props(synth.resources[function_id(synth, name)])


def live_alias_id(synth: Synth, name: str) -> str:
    fn = {"Ref": function_id(synth, name)}
    ids = [
        lid
        for lid, r in of_type(synth, "AWS::Lambda::Alias").items()
        if props(r)["FunctionName"] == fn and props(r)["Name"] == "live"
    ]
    assert len(ids) == 1, f"{name}: expected one live alias, found {ids}"
    return ids[0]


def refers_to(value: object, logical_id: str) -> bool:
    """Whether a property value (plain Ref or an intrinsic built from one, e.g. an alias ARN) refers to logical_id."""
    return json.dumps({"Ref": logical_id}) in json.dumps(value)


def role_statements(synth: Synth, name: str) -> list[dict]:
    """Every statement of every policy attached to the function's role."""
    role = function(synth, name)["Role"]["Fn::GetAtt"][0]
    statements = []
    for policy in of_type(synth, "AWS::IAM::Policy").values():
        if {"Ref": role} in props(policy)["Roles"]:
            statements.extend(props(policy)["PolicyDocument"]["Statement"])
    return statements


def actions_of(statement: dict) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else actions


def queue_id(synth: Synth, queue_name: str) -> str:
    ids = [lid for lid, r in of_type(synth, "AWS::SQS::Queue").items() if props(r).get("QueueName") == queue_name]
    assert len(ids) == 1, f"expected one queue named {queue_name}, found {ids}"
    return ids[0]


def arn_of(logical_id: str) -> dict:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def catalog_entries(synth: Synth) -> dict:
    """name -> catalog entry (API function, consumer, scheduled job or stream relay) of the stack's catalog."""
    c = synth.catalog
    return {e.name: e for e in (*c.api_functions, *c.consumers, *c.scheduled_jobs, *c.stream_relays)}
