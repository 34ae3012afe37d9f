"""The Lambda functions: one per catalog entry, with their triggers, scaling and permissions.

Every function is reached through its `live` alias on the current published version: the
HTTP API integrates with it, the SQS event source mappings and the schedules invoke it.
The capacity plan (make capacity, cdk.json) gives each function either provisioned
concurrency on that alias, scaled on its utilisation, or SnapStart on its published
versions (which only takes effect when callers invoke a version or alias, never
$LATEST; AWS allows one of the two). Consumers read their own SQS queue; scheduled
jobs run from EventBridge Scheduler. Every function has its own role with only the table actions its map entry
grants, its own log group, and reserved concurrency from cdk.json.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy, Stack, TimeZone
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct
from foodshare.catalog import OUTBOX_STREAM_FILTER, ScheduledJob
from foodshare.data import schema

from cdk.backbone import ConsumerQueue
from cdk.bots import Bots
from cdk.catalog import Catalog
from cdk.config import FunctionCapacity, Provisioned, StageConfig
from cdk.nag import acknowledge
from cdk.network import Network
from cdk.privacy import Privacy

RUNTIME = lambda_.Runtime.PYTHON_3_12  # scripts/build_layer.py builds the layer's wheels for 3.12
METRICS_NAMESPACE = "Foodshare"
LIVE_ALIAS = "live"

READ_ACTIONS = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query")
# The item actions a TransactWriteItems call is authorised by (it has no action of its own).
WRITE_ACTIONS = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem",
                 # the outbox relay clears published events with one BatchWriteItem (events_relay)
                 "dynamodb:BatchWriteItem")
# Functions that only read the table (GET-only routes that never register a user). Every other function also gets
# the transactional item writes. PutEvents on the bus: with `outbox_delivery: relay` every writer (it publishes
# what it committed), otherwise only the publishers below. Only the stream relay reads the table's stream;
# nobody gets Scan or table administration.
READ_ONLY = frozenset({"discovery"})
STREAM_READ_ACTIONS = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                       "dynamodb:ListStreams")
PUBLISHERS = frozenset({"outbox_relay", "outbox_sweeper"})
# Erasure's sweep and export read the whole table (a parallel scan: items name a person where no index leads,
# docs/privacy.md), each in its own queue-fed function; nobody else scans (DELETE /me's synchronous part, in the
# users function, reads only what is keyed by the person).
TABLE_SCANNERS = frozenset({"erasure", "exports"})

# A scheduled run that fails is retried twice, never past the next run, then parked.
SCHEDULE_RETRY_ATTEMPTS = 2


@dataclass(frozen=True)
class FunctionSpec:
    """What the stack needs to know about one function, whatever kind of catalog entry it is."""

    name: str
    kind: str  # "api" | "consumer" | "scheduled": the capacity defaults it takes
    description: str
    uses_cache: bool
    latency_sensitive: bool = False
    chats: tuple[str, ...] = ()  # chat platforms it calls (catalog.CHAT_HOSTS)
    secrets: tuple[str, ...] = ()  # bot secrets it reads (catalog.BOT_SECRETS)
    uses_data: bool = True  # False: serves files from the layer (the catalog's api_docs), no table, no bus


def _hh_mm(value: str) -> tuple[str, str]:
    hour, minute = value.split(":")
    return str(int(hour)), str(int(minute))


class Functions(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: StageConfig,
        catalog: Catalog,
        table: dynamodb.ITableV2,
        bus: events.IEventBus,
        network: Network,
        bots: Bots,
        consumer_queues: list[ConsumerQueue],
        delivery_dlq: sqs.IQueue,
        layer_dir: Path,
        functions_dir: Path,
        privacy: Privacy | None = None,
    ) -> None:
        super().__init__(scope, id)
        self._privacy = privacy
        config.check_function_names(catalog.names())
        self._config = config
        self._table = table
        self._bus = bus
        self._network = network
        self._bots = bots
        self._functions_dir = functions_dir
        self._prefix = f"foodshare-{config.name}"
        self._environment = {
            "STAGE": config.name,
            "TABLE_NAME": table.table_name,
            "EVENT_BUS_NAME": bus.event_bus_name,
            "OUTBOX_DELIVERY": "relay" if config.outbox_delivery == "relay" else "stream",
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": config.log_level,
        }
        self._layer = lambda_.LayerVersion(
            self,
            "SharedLayer",
            code=lambda_.Code.from_asset(str(layer_dir), exclude=["**/__pycache__", "**/*.pyc"]),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[lambda_.Architecture.ARM_64],
            description="foodshare package and its runtime dependencies",
        )
        self.functions: dict[str, lambda_.Function] = {}
        self.aliases: dict[str, lambda_.Alias] = {}
        self.provisioned_aliases: dict[str, lambda_.Alias] = {}

        for entry in catalog.api_functions:
            spec = FunctionSpec(entry.name, "api", entry.description, entry.uses_cache, entry.latency_sensitive,
                                entry.chats, entry.secrets, uses_data=not entry.api_docs)
            capacity = config.capacity("api", entry.name)
            fn = self._function(spec, capacity, Duration.seconds(capacity.timeout_seconds))
            self.aliases[entry.name] = self._live_alias(fn, capacity.provisioned)
            if capacity.provisioned:
                self.provisioned_aliases[entry.name] = self.aliases[entry.name]

        for cq in consumer_queues:
            consumer = cq.consumer
            spec = FunctionSpec(consumer.name, "consumer", consumer.description, consumer.uses_cache,
                                chats=consumer.chats, secrets=consumer.secrets)
            capacity = config.capacity("consumer", consumer.name)
            # AWS guidance: queue visibility >= 6 x function timeout + batching window.
            timeout = (consumer.visibility_timeout_seconds - consumer.max_batching_window_seconds) // 6
            fn = self._function(spec, capacity, Duration.seconds(max(1, timeout)))
            alias = self.aliases[consumer.name] = self._live_alias(fn, capacity.provisioned)
            alias.add_event_source(
                sources.SqsEventSource(
                    cq.queue,
                    batch_size=consumer.batch_size,
                    max_batching_window=Duration.seconds(consumer.max_batching_window_seconds),
                    max_concurrency=capacity.max_concurrency,
                    report_batch_item_failures=True,
                )
            )

        for relay in catalog.stream_relays:
            spec = FunctionSpec(relay.name, "consumer", relay.description, uses_cache=False)
            capacity = config.capacity("consumer", relay.name)
            fn = self._function(spec, capacity, Duration.seconds(relay.timeout_seconds))
            table.grant_stream_read(fn.role)
            alias = self.aliases[relay.name] = self._live_alias(fn, capacity.provisioned)
            alias.add_event_source(
                sources.DynamoEventSource(
                    table,
                    starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                    batch_size=relay.batch_size,
                    max_batching_window=Duration.seconds(relay.max_batching_window_seconds),
                    retry_attempts=relay.retry_attempts,
                    bisect_batch_on_error=True,
                    max_record_age=Duration.seconds(relay.max_record_age_seconds),
                    on_failure=sources.SqsDlq(delivery_dlq),
                    filters=[lambda_.FilterCriteria.filter(OUTBOX_STREAM_FILTER)],
                )
            )

        for job in catalog.scheduled_jobs:
            spec = FunctionSpec(job.name, "scheduled", job.description, job.uses_cache,
                                chats=job.chats, secrets=job.secrets)
            capacity = config.capacity("scheduled", job.name)
            fn = self._function(spec, capacity, Duration.seconds(capacity.timeout_seconds))
            self.aliases[job.name] = self._live_alias(fn, capacity.provisioned)
            self._schedule(job, fn, self.aliases[job.name], delivery_dlq)

    def _schedule(self, job: ScheduledJob, fn: lambda_.Function, alias: lambda_.Alias, delivery_dlq: sqs.IQueue) -> None:
        """Its own scheduler role, so the grant CDK makes on the function's versions is acknowledged there."""
        role = iam.Role(self, f"{job.name}ScheduleRole", assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com"))
        stack = Stack.of(self)
        fn_logical_id = stack.resolve(stack.get_logical_id(fn.node.default_child))
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::<{fn_logical_id}.Arn>:*]",
            f"CDK grants invoking {job.name}'s own versions and aliases (`<arn>:*`), no other function.",
        )
        scheduler.Schedule(
            self,
            f"{job.name}Schedule",
            schedule_name=f"{self._prefix}-{job.name}",
            description=job.description or None,
            schedule=scheduler.ScheduleExpression.rate(Duration.seconds(job.every_seconds)),
            target=scheduler_targets.LambdaInvoke(
                alias,
                role=role,
                dead_letter_queue=delivery_dlq,
                retry_attempts=SCHEDULE_RETRY_ATTEMPTS,
                max_event_age=Duration.seconds(min(job.every_seconds, 86_400)),
            ),
        )

    def _function(self, spec: FunctionSpec, capacity: FunctionCapacity, timeout: Duration) -> lambda_.Function:
        code_dir = self._functions_dir / spec.name
        if not (code_dir / "handler.py").is_file():
            raise FileNotFoundError(f"catalog function {spec.name!r} has no {code_dir / 'handler.py'}")
        name = f"{self._prefix}-{spec.name}"
        log_group = logs.LogGroup(
            self,
            f"{spec.name}Logs",
            log_group_name=f"/aws/lambda/{name}",
            retention=self._config.log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        role = iam.Role(
            self,
            f"{spec.name}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{name}: its log group, its table actions, tracing",
        )
        log_group.grant_write(role)
        if spec.uses_data:
            self._grant_table(role, spec.name)
        publishes = spec.name in PUBLISHERS or (self._config.outbox_delivery == "relay" and spec.name not in READ_ONLY)
        if publishes and spec.uses_data:
            self._bus.grant_put_events_to(role)
        environment = {
            **self._environment,
            "POWERTOOLS_SERVICE_NAME": spec.name,
            **self._bots.environment(spec.chats, spec.secrets),
        }
        self._bots.grant_read(role, spec.secrets)
        if self._privacy is not None and spec.uses_data:
            self._privacy.grant_functions(role, environment)
        vpc_props = {}
        if spec.uses_cache:
            environment["REDIS_URL"] = self._network.redis_url
            vpc_props = {
                "vpc": self._network.vpc,
                # Callers of the chat platforms need a way out; the rest stay without one.
                "vpc_subnets": self._network.egress_subnets if spec.chats else self._network.subnets,
                "security_groups": [self._network.function_sg],
            }
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=[
                        "ec2:CreateNetworkInterface",
                        "ec2:DescribeNetworkInterfaces",
                        "ec2:DeleteNetworkInterface",
                        "ec2:AssignPrivateIpAddresses",
                        "ec2:UnassignPrivateIpAddresses",
                    ],
                    resources=["*"],
                )
            )
            acknowledge(
                role,
                "AwsSolutions-IAM5[Resource::*]",
                "Lambda's VPC networking and X-Ray's PutTraceSegments support no resource-level permissions.",
            )
        else:
            acknowledge(
                role,
                "AwsSolutions-IAM5[Resource::*]",
                "X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level permissions.",
            )
        fn = lambda_.Function(
            self,
            spec.name,
            function_name=name,
            description=spec.description or spec.name,
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler="handler.handler",
            code=lambda_.Code.from_asset(str(code_dir), exclude=["**/__pycache__", "**/*.pyc"]),
            layers=[self._layer],
            role=role,
            memory_size=capacity.memory_mb,
            timeout=timeout,
            reserved_concurrent_executions=capacity.reserved_concurrency,
            tracing=lambda_.Tracing.ACTIVE,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel(self._config.log_level),
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            log_group=log_group,
            environment=environment,
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if capacity.snap_start else None,
            # a replaced version is deleted once the alias has moved on: a SnapStart version left behind
            # would keep its snapshot cache billed
            current_version_options=lambda_.VersionOptions(removal_policy=RemovalPolicy.DESTROY),
            **vpc_props,
        )
        acknowledge(
            fn,
            "AwsSolutions-L1",
            "Python 3.12 is pinned together with the layer's cp312 wheels; both move in one change.",
        )
        self.functions[spec.name] = fn
        return fn

    def _grant_table(self, role: iam.Role, function_name: str) -> None:
        """Reads on the table and its indexes (named one by one); writes on the table only."""
        table_arn = self._table.table_arn
        index_arns = [f"{table_arn}/index/{index}" for index in schema.INDEXES]
        role.add_to_policy(iam.PolicyStatement(actions=list(READ_ACTIONS), resources=[table_arn, *index_arns]))
        if function_name not in READ_ONLY:
            role.add_to_policy(iam.PolicyStatement(actions=list(WRITE_ACTIONS), resources=[table_arn]))
        if function_name in TABLE_SCANNERS:
            role.add_to_policy(iam.PolicyStatement(actions=["dynamodb:Scan"], resources=[table_arn]))

    def _live_alias(self, fn: lambda_.Function, provisioned: Provisioned | None) -> lambda_.Alias:
        alias = lambda_.Alias(
            self,
            f"{fn.node.id}Live",
            alias_name=LIVE_ALIAS,
            version=fn.current_version,
            provisioned_concurrent_executions=provisioned.min if provisioned else None,
        )
        if provisioned:
            target = alias.add_auto_scaling(min_capacity=provisioned.min, max_capacity=provisioned.max)
            target.scale_on_utilization(utilization_target=provisioned.target_utilisation)
            if provisioned.peak:
                peak = provisioned.peak
                zone = TimeZone.of(peak.time_zone)
                for id_, at, floor in (("PeakStart", peak.start, peak.min), ("PeakEnd", peak.end, provisioned.min)):
                    hour, minute = _hh_mm(at)
                    target.scale_on_schedule(
                        id_,
                        schedule=appscaling.Schedule.cron(hour=hour, minute=minute),
                        min_capacity=floor,
                        time_zone=zone,
                    )
        return alias
