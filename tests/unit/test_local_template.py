"""The local stack's template transform (local/template.py): what it skips, rewrites, and refuses."""

from __future__ import annotations

import pytest

from local.template import LOCAL_AUDIENCE, LOCAL_ISSUER, transform

VALKEY = {"Type": "AWS::ElastiCache::ServerlessCache", "Properties": {}}


def _function(variables: dict) -> dict:
    return {"Type": "AWS::Lambda::Function", "DependsOn": ["Valkey", "Role"],
            "Properties": {"Environment": {"Variables": variables}}}


def _template(**resources) -> dict:
    return {"Resources": {"Valkey": VALKEY, **resources},
            "Outputs": {"Cache": {"Value": {"Fn::GetAtt": ["Valkey", "Endpoint.Address"]}}, "Other": {"Value": "x"}}}


def test_unknown_types_and_metric_math_alarms_are_skipped_with_their_reason():
    done = transform(_template(
        Archive={"Type": "AWS::Events::Archive", "Properties": {}},
        Math={"Type": "AWS::CloudWatch::Alarm", "Properties": {"Metrics": []}},
        Plain={"Type": "AWS::CloudWatch::Alarm", "Properties": {"MetricName": "Errors"}},
    ), redis_url="redis://r/0")
    assert set(done.skipped) == {"Valkey", "Archive", "Math"}
    assert "Plain" in done.template["Resources"]
    assert "archives" in done.skipped["Archive"] and "metric-math" in done.skipped["Math"]
    assert list(done.template["Outputs"]) == ["Other"]


def test_redis_url_pointing_at_valkey_becomes_the_local_redis_and_dependencies_follow():
    url = {"Fn::Join": ["", ["rediss://", {"Fn::GetAtt": ["Valkey", "Endpoint.Address"]}]]}
    done = transform(_template(Fn=_function({"REDIS_URL": url, "TABLE_NAME": "t"})), redis_url="redis://r/0")
    function = done.template["Resources"]["Fn"]
    assert function["Properties"]["Environment"]["Variables"] == {"REDIS_URL": "redis://r/0", "TABLE_NAME": "t"}
    assert function["DependsOn"] == ["Role"]


def test_another_reference_to_a_skipped_resource_is_refused_not_dropped():
    with pytest.raises(ValueError, match="CACHE_HOST"):
        transform(_template(Fn=_function({"CACHE_HOST": {"Fn::GetAtt": ["Valkey", "Endpoint.Address"]}})),
                  redis_url="redis://r/0")


def test_the_jwt_authorizer_trusts_the_local_issuer():
    authorizer = {"Type": "AWS::ApiGatewayV2::Authorizer", "Properties": {
        "AuthorizerType": "JWT", "JwtConfiguration": {"Issuer": {"Fn::GetAtt": ["Pool", "ProviderURL"]}, "Audience": ["c"]}}}
    done = transform(_template(Auth=authorizer), redis_url="redis://r/0")
    assert done.template["Resources"]["Auth"]["Properties"]["JwtConfiguration"] == {
        "Issuer": LOCAL_ISSUER, "Audience": [LOCAL_AUDIENCE]}


def test_the_given_template_is_left_as_it_is():
    template = _template(Fn=_function({"REDIS_URL": {"Fn::GetAtt": ["Valkey", "Endpoint.Address"]}}))
    transform(template, redis_url="redis://r/0")
    assert "Valkey" in template["Resources"]


def test_what_exists_only_for_a_skipped_resource_goes_with_it_and_nothing_else_does():
    done = transform(_template(
        Nat={"Type": "AWS::EC2::NatGateway", "Properties": {}},
        Route={"Type": "AWS::EC2::Route", "Properties": {"NatGatewayId": {"Ref": "Nat"}}},
        LocalRoute={"Type": "AWS::EC2::Route", "Properties": {"GatewayId": "local"}},
        Math={"Type": "AWS::CloudWatch::Alarm", "Properties": {"Metrics": []}},
        Page={"Type": "AWS::CloudWatch::CompositeAlarm",
              "Properties": {"AlarmRule": {"Fn::Join": ["", ["ALARM(", {"Fn::GetAtt": ["Math", "Arn"]}, ")"]]}}},
        Ticket={"Type": "AWS::CloudWatch::CompositeAlarm",  # a composite of a composite: skipped in turn
                "Properties": {"AlarmRule": {"Fn::GetAtt": ["Page", "Arn"]}}},
    ), redis_url="redis://r/0")
    assert {"Nat", "Route", "Page", "Ticket"} <= set(done.skipped)
    assert "NAT gateway" in done.skipped["Route"] and "composite" in done.skipped["Ticket"]
    assert "LocalRoute" in done.template["Resources"]
