"""FoodshareStack: the whole platform of one stage, composed from one construct per concern."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import CfnOutput, Stack, Tags
from constructs import Construct

from cdk.api import Api
from cdk.backbone import Backbone
from cdk.bots import Bots
from cdk.backup import Backup
from cdk.catalog import Catalog
from cdk.config import ROOT, StageConfig
from cdk.data import Data
from cdk.functions import Functions
from cdk.network import Network
from cdk.observability import Observability
from cdk.slo_alarms import SloAlarms
from cdk.exports import ERASER, READER, WRITER, Exports
from cdk.privacy import Privacy

FUNCTIONS_DIR = ROOT / "functions"


class FoodshareStack(Stack):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: StageConfig,
        layer_dir: Path,
        functions_dir: Path = FUNCTIONS_DIR,
        catalog: Catalog | None = None,
        **kwargs,
    ) -> None:
        super().__init__(scope, id, description=f"Foodshare backend ({config.name})", **kwargs)
        catalog = (catalog or Catalog.current()).deployed(config.api_docs, config.outbox_delivery)
        Tags.of(self).add("project", "foodshare")
        Tags.of(self).add("stage", config.name)

        data = Data(self, "Data", config=config)
        Backup(self, "Backup", config=config, table=data.table)
        backbone = Backbone(self, "Backbone", config=config, catalog=catalog, table=data.table)
        network = Network(self, "Network", config=config)
        bots = Bots(self, "Bots", config=config)
        privacy = Privacy(self, "Privacy", config=config)
        functions = Functions(
            self,
            "Functions",
            config=config,
            catalog=catalog,
            table=data.table,
            bus=backbone.bus,
            network=network,
            bots=bots,
            consumer_queues=backbone.consumer_queues,
            delivery_dlq=backbone.delivery_dlq,
            layer_dir=layer_dir,
            functions_dir=functions_dir,
            privacy=privacy,
        )
        exports = Exports(self, "Exports", config=config)
        if WRITER in functions.functions:  # a test's fake catalog may have neither
            exports.grant_writer(functions.functions[WRITER])
        if READER in functions.functions:
            exports.grant_reader(functions.functions[READER])
        if ERASER in functions.functions:
            exports.grant_eraser(functions.functions[ERASER])
        api = Api(self, "Api", config=config, catalog=catalog, aliases=functions.aliases)
        observability = Observability(
            self,
            "Observability",
            config=config,
            http_api=api.http_api,
            functions=functions.functions,
            provisioned_aliases=functions.provisioned_aliases,
            queues={cq.consumer.name: cq.queue for cq in backbone.consumer_queues},
            dead_letter_queues={
                "delivery": backbone.delivery_dlq,
                **{cq.consumer.name: cq.dlq for cq in backbone.consumer_queues},
            },
            slo_covered=frozenset(fn.name for fn in catalog.api_functions),
        )
        SloAlarms(
            self,
            "Slo",
            stage=config.name,
            http_api=api.http_api,
            functions=functions.functions,
            topic=observability.topic,
        )
        CfnOutput(self, "ApiUrl", value=api.http_api.api_endpoint)
        CfnOutput(self, "TableName", value=data.table.table_name)
        CfnOutput(self, "EventBusName", value=backbone.bus.event_bus_name)
        # What `make telegram-webhook` / `make slack-manifest` read (scripts/bots.py): URLs and secret ARNs.
        for fn in catalog.api_functions:
            if fn.chats:
                (route,) = fn.routes
                CfnOutput(self, f"{fn.name.title().replace('_', '')}Url",
                          value=f"{api.http_api.api_endpoint}{route.path}")
        for setting, secret in bots.secrets.items():
            CfnOutput(self, f"{setting.title().replace('_', '')}Arn", value=secret.secret_arn)
