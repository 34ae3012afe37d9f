"""Builds the CDK app for one stage: the stack plus cdk-nag's AwsSolutions checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import App

from cdk.catalog import Catalog
from cdk.config import file_context, stage_config
from cdk.nag import add_checks
from cdk.stack import FUNCTIONS_DIR, FoodshareStack


def build_app(
    *,
    layer_dir: Path,
    context: dict[str, Any] | None = None,
    outdir: str | None = None,
    functions_dir: Path = FUNCTIONS_DIR,
    catalog: Catalog | None = None,
) -> tuple[App, FoodshareStack]:
    """cdk.json's context is the base; the CLI's (`-c stage=prod`) or `context` wins over it."""
    app = App(context={**file_context(), **(context or {})}, outdir=outdir)
    config = stage_config(app.node.try_get_context)
    stack = FoodshareStack(
        app,
        f"Foodshare-{config.name}",
        config=config,
        layer_dir=layer_dir,
        functions_dir=functions_dir,
        catalog=catalog,
    )
    add_checks(app)
    return app, stack
