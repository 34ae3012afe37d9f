"""The one place where the local stack's template differs from what `cdk deploy` creates.

`make serve` deploys the CDK app's own synthesized template onto ministack (docs/local-stack.md).
ministack's CloudFormation does not know a few resource types, and the local machine stands in
for two AWS pieces; everything else (functions, routes, authorizer, queues, event source
mappings, rules, schedules, table, bus) is deployed exactly as synthesized. Each difference is
listed here with its reason, and `transform()` reports what it did so `make serve` can print it.

Stdlib only: it runs in the emulator's own virtualenv (.local/stack-venv).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

# Resource types ministack's CloudFormation cannot create, and why leaving them out changes
# nothing the local stack can observe.
SKIPPED_TYPES: dict[str, str] = {
    "AWS::ApplicationAutoScaling::ScalableTarget": "provisioned-concurrency scaling: workers are started on demand locally",
    "AWS::ApplicationAutoScaling::ScalingPolicy": "provisioned-concurrency scaling: workers are started on demand locally",
    "AWS::EC2::FlowLog": "VPC flow logs: the emulator has no network to log (it ignores VpcConfig)",
    "AWS::EC2::SecurityGroupIngress": "security-group rules: the emulator ignores VpcConfig, nothing filters traffic",
    "AWS::EC2::SecurityGroupEgress": "security-group rules: the emulator ignores VpcConfig, nothing filters traffic",
    "AWS::ElastiCache::ServerlessCache": "Valkey: the real Redis on REDIS_URL stands in for it (see REDIS_URL below)",
    "AWS::Events::Archive": "event archive for replays: the emulator's EventBridge has no archives",
    "AWS::EC2::NatGateway": "the chat callers' way out: the emulator ignores VpcConfig, its workers reach any host",
    "AWS::EC2::EIP": "the NAT gateways' public addresses (see AWS::EC2::NatGateway)",
    "AWS::Backup::BackupSelection": "what the daily backup plan covers: the emulator's Backup has no selections "
                                    "(restores are rehearsed with `make restore-drill`)",
}
# Resources that only exist for a skipped one go with it (until nothing more is skipped).
SKIPPED_WITH_TARGET: dict[str, str] = {
    "AWS::EC2::Route": "a route through a NAT gateway the local stack skips: the emulator ignores VpcConfig",
    "AWS::CloudWatch::CompositeAlarm": "a composite of metric-math alarms the local stack skips: nothing alarms locally",
    "AWS::CloudWatch::Dashboard": "a dashboard showing alarms the local stack skips: no metrics reach it locally",
}
# Alarms on metric math (`Metrics` instead of `MetricName`): the emulator's CloudWatch rejects
# them, and no alarm ever fires locally anyway (no metrics are emitted to it).
SKIP_METRIC_MATH_ALARMS = "metric-math alarms: the emulator's CloudWatch cannot create them; nothing alarms locally"

# Cognito cannot sign anyone in here (no hosted UI, its `sub` is a random UUID while the README's
# tour names its users). The HTTP API's JWT authorizer is pointed at the local issuer instead:
# `make token USER=<id>` signs RS256 tokens with `sub=<id>` (local/jwt_keys.py) and the emulator
# serves that issuer's public key (local/stack.py). The authorizer itself, and which routes
# need it, stay as synthesized.
LOCAL_ISSUER = "https://auth.foodshare.local"
LOCAL_AUDIENCE = "foodshare-local"


@dataclass
class Transformed:
    template: dict[str, Any]
    skipped: dict[str, str] = field(default_factory=dict)  # logical id -> reason
    rewritten: list[str] = field(default_factory=list)  # what was changed, one line each


def _referenced(value: Any, ids: set[str]) -> bool:
    """Whether `value` (a CloudFormation expression) refers to one of `ids`."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and inner in ids:
                return True
            if key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) else str(inner).split(".")[0]
                if target in ids:
                    return True
            if _referenced(inner, ids):
                return True
    elif isinstance(value, list):
        return any(_referenced(inner, ids) for inner in value)
    return False


def transform(template: dict[str, Any], *, redis_url: str) -> Transformed:
    """A copy of `template` the emulator can create; `template` is left as it is."""
    result = Transformed(copy.deepcopy(template))
    resources: dict[str, Any] = result.template["Resources"]
    for logical_id, resource in resources.items():
        kind = resource["Type"]
        if kind in SKIPPED_TYPES:
            result.skipped[logical_id] = f"{kind}: {SKIPPED_TYPES[kind]}"
        elif kind == "AWS::CloudWatch::Alarm" and "Metrics" in resource.get("Properties", {}):
            result.skipped[logical_id] = f"{kind}: {SKIP_METRIC_MATH_ALARMS}"
    grew = True
    while grew:
        grew = False
        for logical_id, resource in resources.items():
            kind = resource["Type"]
            if (kind in SKIPPED_WITH_TARGET and logical_id not in result.skipped
                    and _referenced(resource.get("Properties", {}), set(result.skipped))):
                result.skipped[logical_id] = f"{kind}: {SKIPPED_WITH_TARGET[kind]}"
                grew = True
    skipped = set(result.skipped)
    for logical_id in skipped:
        del resources[logical_id]

    for logical_id, resource in resources.items():
        depends = resource.get("DependsOn")
        if depends:
            depends = [depends] if isinstance(depends, str) else depends
            resource["DependsOn"] = [name for name in depends if name not in skipped]
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Lambda::Function":
            variables = props.get("Environment", {}).get("Variables", {})
            for name, value in list(variables.items()):
                if not _referenced(value, skipped):
                    continue
                if name != "REDIS_URL":
                    raise ValueError(f"{logical_id}: {name} refers to a resource the local stack skips")
                variables[name] = redis_url
                result.rewritten.append(f"{logical_id}: REDIS_URL -> {redis_url} (the local Redis stands in for Valkey)")
        elif resource["Type"] == "AWS::ApiGatewayV2::Authorizer" and props.get("AuthorizerType") == "JWT":
            props["JwtConfiguration"] = {"Issuer": LOCAL_ISSUER, "Audience": [LOCAL_AUDIENCE]}
            result.rewritten.append(f"{logical_id}: JWT issuer -> {LOCAL_ISSUER} (make token signs for it)")
        if _referenced(resource, skipped):
            raise ValueError(f"{logical_id} refers to a resource the local stack skips: {sorted(skipped)}")
    for name, output in list(result.template.get("Outputs", {}).items()):
        if _referenced(output, skipped):
            del result.template["Outputs"][name]
    return result


if __name__ == "__main__":  # python -m local.template cdk.out/dev/Foodshare-dev.template.json
    import sys

    done = transform(json.loads(open(sys.argv[1]).read()), redis_url="redis://127.0.0.1:6379/0")
    for line in [*(f"skip {k}: {v}" for k, v in done.skipped.items()), *done.rewritten]:
        print(line)
