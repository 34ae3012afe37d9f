"""Synthesized templates shared by the infrastructure tests: one synthesis per stack per session.

Three stacks are synthesized lazily, each at most once per session:
- `dev` and `prod`: the real catalog and cdk.json, as `make synth` builds them;
- `fake`: prod settings with a catalog that already has what the real one does not
  yet (a consumer, a scheduled job, a public route of a function that does not use
  the cache), an external JWT issuer and the "pipe" outbox delivery (the real stages
  use the relay), so those code paths stay tested.

The layer asset is `layers/foodshare` (our own package only): the tests check the
infrastructure, not the wheels, and must not need the network that building the full
layer (scripts/build_layer.py) may need. cdk-nag runs during each synthesis, so a
finding without an acknowledgement fails every test that uses that stack.
"""

from __future__ import annotations

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402
from foodshare.catalog import API_FUNCTIONS, ApiFunction, Consumer, Route, ScheduledJob  # noqa: E402
from foodshare.events import EVENT_SOURCES  # noqa: E402

from cdk.app import build_app  # noqa: E402
from cdk.catalog import Catalog  # noqa: E402
from cdk.config import ROOT, StageConfig, file_context, stage_config  # noqa: E402
from cdk.stack import FUNCTIONS_DIR  # noqa: E402

CODE_ONLY_LAYER = ROOT / "layers" / "foodshare"
EXTERNAL_ISSUER = "https://issuer.example.com/"

FAKE_CATALOG = Catalog(
    api_functions=(
        *API_FUNCTIONS,
        ApiFunction("webhooks", (Route("POST", "/webhooks/test", public=True),), uses_cache=False),
    ),
    consumers=(
        Consumer(
            "projector",
            ("FoodShared", "FoodClaimed", "CreditsGranted"),
            batch_size=25,
            max_batching_window_seconds=5,
            max_receive_count=3,
            visibility_timeout_seconds=120,
        ),
        Consumer("notifier", ("MemberJoined",)),
    ),
    scheduled_jobs=(ScheduledJob("sweeper", every_seconds=300),),
    event_sources=EVENT_SOURCES,
)


@dataclass(frozen=True)
class Synth:
    """One synthesized stack and what it was built from."""

    name: str
    template: Template
    template_path: Path
    resources: dict  # the template's Resources, for plain lookups
    catalog: Catalog  # what the stage deploys (without the api_docs functions where its settings leave them out)
    config: StageConfig


def _synthesize(name: str, outdir: Path, context: dict, catalog: Catalog, functions_dir: Path) -> Synth:
    app, stack = build_app(
        layer_dir=CODE_ONLY_LAYER, context=context, outdir=str(outdir), functions_dir=functions_dir, catalog=catalog
    )
    artifact = app.synth().get_stack_artifact(stack.artifact_id)
    config = stage_config({**file_context(), **context}.get)
    template = artifact.template
    return Synth(
        name, Template.from_json(template), Path(artifact.template_full_path), template["Resources"],
        catalog.deployed(config.api_docs, config.outbox_delivery), config,
    )


@pytest.fixture(autouse=True)
def aws():
    """Overrides the suite's moto account: synthesis calls no AWS API."""
    yield


@pytest.fixture(autouse=True)
def clean_redis():
    """Overrides the suite's Redis flush: infrastructure tests need no Redis."""
    yield


@pytest.fixture(scope="session")
def dev(tmp_path_factory) -> Synth:
    return _synthesize("dev", tmp_path_factory.mktemp("dev"), {"stage": "dev"}, Catalog.current(), FUNCTIONS_DIR)


@pytest.fixture(scope="session")
def prod(tmp_path_factory) -> Synth:
    return _synthesize("prod", tmp_path_factory.mktemp("prod"), {"stage": "prod"}, Catalog.current(), FUNCTIONS_DIR)


@pytest.fixture(scope="session")
def fake(tmp_path_factory) -> Synth:
    functions_dir = tmp_path_factory.mktemp("functions")
    for name in FAKE_CATALOG.names():
        (functions_dir / name).mkdir()
        (functions_dir / name / "handler.py").write_text("def handler(event, context):\n    return None\n")
    stages = file_context()["stages"]
    prod_settings = {**stages["prod"], "auth": {"issuer": EXTERNAL_ISSUER, "audience": ["foodshare-app"]}}
    context = {"stage": "prod", "stages": {**stages, "prod": prod_settings}, "outbox_delivery": "pipe"}
    return _synthesize("fake", tmp_path_factory.mktemp("fake"), context, FAKE_CATALOG, functions_dir)


@pytest.fixture(scope="session", params=["dev", "prod", "fake"])
def synth(request) -> Synth:
    """Each stack in turn: tests over the catalog run against the real and the fake one."""
    return request.getfixturevalue(request.param)
