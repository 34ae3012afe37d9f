"""Network and cache: a VPC whose cache users have no way out unless they call a chat platform, and Valkey.

Only functions whose catalog entry says `uses_cache` join the VPC, with the one
security group the cache and the endpoints admit. They sit in isolated subnets
(DynamoDB through its gateway endpoint, X-Ray and EventBridge through interface
endpoints), except those that also call Telegram or Slack (`chats`): they sit in
`egress` subnets whose default route goes to NAT gateways (one per AZ in prod, one in
dev: `network.nat_gateways` in cdk.json), which is also their way to Secrets Manager.
docs/deploy.md argues this against the alternatives, with its cost.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk.config import StageConfig

VALKEY_MAJOR_VERSION = "8"


class Network(Construct):
    def __init__(self, scope: Construct, id: str, *, config: StageConfig) -> None:
        super().__init__(scope, id)
        prefix = f"foodshare-{config.name}"
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=config.nat_gateways,
            # Isolated first: its CIDRs stay those of the VPC before the egress subnets were added.
            subnet_configuration=[
                ec2.SubnetConfiguration(name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=22),
                ec2.SubnetConfiguration(name="egress", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=22),
                ec2.SubnetConfiguration(
                    name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=26, map_public_ip_on_launch=False
                ),
            ],
            gateway_endpoints={
                "DynamoDb": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.DYNAMODB),
                # exports: the users function presigns their downloads, the erasure consumer deletes them (cdk/exports.py)
                "S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3),
            },
        )
        self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(
                logs.LogGroup(
                    self,
                    "FlowLogGroup",
                    retention=config.log_retention,
                    removal_policy=RemovalPolicy.DESTROY,
                )
            ),
            traffic_type=ec2.FlowLogTrafficType.REJECT,
        )
        self.subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        self.egress_subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        self.function_sg = ec2.SecurityGroup(
            self, "CacheClients", vpc=self.vpc, description="Functions that use the cache", allow_all_outbound=False
        )
        cache_sg = ec2.SecurityGroup(
            self,
            "Cache",
            vpc=self.vpc,
            description="Valkey: reachable from cache clients only",
            allow_all_outbound=False,
        )
        endpoint_sg = ec2.SecurityGroup(
            self,
            "Endpoints",
            vpc=self.vpc,
            description="Interface endpoints: HTTPS from cache clients only",
            allow_all_outbound=False,
        )
        self.cache = elasticache.CfnServerlessCache(
            self,
            "Valkey",
            serverless_cache_name=prefix,
            engine="valkey",
            major_engine_version=VALKEY_MAJOR_VERSION,
            description="Foodshare read cache (TLS is always on for serverless caches)",
            security_group_ids=[cache_sg.security_group_id],
            subnet_ids=self.vpc.select_subnets(subnet_group_name="isolated").subnet_ids,
            cache_usage_limits=elasticache.CfnServerlessCache.CacheUsageLimitsProperty(
                data_storage=elasticache.CfnServerlessCache.DataStorageProperty(
                    maximum=config.cache_max_data_storage_gb, unit="GB"
                ),
                ecpu_per_second=elasticache.CfnServerlessCache.ECPUPerSecondProperty(
                    maximum=config.cache_max_ecpu_per_second
                ),
            ),
        )
        # Functions in the VPC emit trace segments through X-Ray's endpoint (DynamoDB uses the
        # gateway) and read the identity key (cdk/privacy.py) through Secrets Manager's; when
        # they publish events themselves they reach EventBridge through its own.
        endpoints = {"XRay": ec2.InterfaceVpcEndpointAwsService.XRAY,
                     "SecretsManager": ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER}
        if config.outbox_delivery == "relay":
            endpoints["Events"] = ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE
        for endpoint_id, service in endpoints.items():
            self.vpc.add_interface_endpoint(
                endpoint_id, service=service, subnets=self.subnets, security_groups=[endpoint_sg], open=False
            )
        cache_port = ec2.Port.tcp(6379)
        cache_sg.add_ingress_rule(self.function_sg, cache_port, "Valkey over TLS from cache clients")
        endpoint_sg.add_ingress_rule(self.function_sg, ec2.Port.HTTPS, "AWS APIs from cache clients")
        self.function_sg.add_egress_rule(cache_sg, cache_port, "Valkey over TLS")
        # HTTPS to any address: isolated subnets route only inside the VPC and to the
        # DynamoDB gateway endpoint, whose prefix-list id would need an account lookup;
        # egress subnets also reach the chat platforms and Secrets Manager through NAT.
        self.function_sg.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.HTTPS, "DynamoDB gateway and endpoints")

    @property
    def redis_url(self) -> str:
        return f"rediss://{self.cache.attr_endpoint_address}:{self.cache.attr_endpoint_port}"
