"""The VPC: isolated subnets for cache users, NAT-routed ones for chat callers, endpoints, and Valkey."""

from __future__ import annotations

from tests.infra.cfn import catalog_entries, of_type, props


def test_nat_gateways_per_stage_and_no_public_addresses_on_launch(synth):
    """Only the NAT gateways hold public addresses (routes: test_egress.py)."""
    assert len(of_type(synth, "AWS::EC2::NatGateway")) == synth.config.nat_gateways
    assert len(of_type(synth, "AWS::EC2::InternetGateway")) == 1
    for subnet in of_type(synth, "AWS::EC2::Subnet").values():
        assert props(subnet)["MapPublicIpOnLaunch"] is False


def test_only_functions_that_call_chat_platforms_have_a_way_out(synth):
    from tests.infra.reach import Network, placement

    network = Network(synth)
    in_vpc = [e for e in catalog_entries(synth).values() if placement(synth, e.name).subnets]
    assert in_vpc
    for entry in in_vpc:
        subnets = placement(synth, entry.name).subnets
        open_ = [s for s in subnets if network.internet_gap(s) is None]
        assert open_ == (list(subnets) if entry.chats else []), entry.name


def test_endpoints_for_dynamodb_xray_secrets_manager_and_eventbridge_when_functions_publish(synth):
    services = {}
    for endpoint in of_type(synth, "AWS::EC2::VPCEndpoint").values():
        name = props(endpoint)["ServiceName"]
        name = name if isinstance(name, str) else "".join(p for p in name["Fn::Join"][1] if isinstance(p, str))
        services[name.rsplit(".", 1)[-1]] = props(endpoint).get("VpcEndpointType", "Gateway")
    # the identity key (Secrets Manager), exports deleted at erasure (S3)
    expected = {"dynamodb": "Gateway", "s3": "Gateway", "xray": "Interface", "secretsmanager": "Interface"}
    if synth.config.outbox_delivery == "relay":
        expected["events"] = "Interface"
    assert services == expected


def test_serverless_valkey_with_usage_limits(synth):
    (cache,) = of_type(synth, "AWS::ElastiCache::ServerlessCache").values()
    cache = props(cache)
    assert cache["Engine"] == "valkey"
    assert cache["CacheUsageLimits"] == {
        "DataStorage": {"Maximum": synth.config.cache_max_data_storage_gb, "Unit": "GB"},
        "ECPUPerSecond": {"Maximum": synth.config.cache_max_ecpu_per_second},
    }


def test_cache_admits_only_the_cache_client_group(synth):
    (cache,) = of_type(synth, "AWS::ElastiCache::ServerlessCache").values()
    (cache_sg,) = props(cache)["SecurityGroupIds"]
    cache_sg_id = cache_sg["Fn::GetAtt"][0]
    ingress = [
        props(r)
        for r in of_type(synth, "AWS::EC2::SecurityGroupIngress").values()
        if props(r)["GroupId"]["Fn::GetAtt"][0] == cache_sg_id
    ]
    assert props(synth.resources[cache_sg_id]).get("SecurityGroupIngress") is None
    (rule,) = ingress
    assert (rule["FromPort"], rule["ToPort"], rule["IpProtocol"]) == (6379, 6379, "tcp")
    client_sg = rule["SourceSecurityGroupId"]
    functions = of_type(synth, "AWS::Lambda::Function").values()
    in_vpc = [props(f) for f in functions if "VpcConfig" in props(f)]
    assert in_vpc
    assert all(f["VpcConfig"]["SecurityGroupIds"] == [client_sg] for f in in_vpc)
