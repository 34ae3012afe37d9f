"""The stack really runs the template: change the template, and the served API changes with it.

Each test deploys a modified copy of the synthesized dev template on its own emulator
(`make serve TEMPLATE=...` does the same) and checks what the change does.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local.prepare import synthesize
from tests.support.stack import start_stack


def _variant(tmp_path: Path, name: str, change) -> Path:
    """A copy of the dev template named Foodshare-<name>, `change`d, with the dev assets beside it."""
    source = synthesize("dev")
    template = json.loads(source.read_text())
    change(template["Resources"])
    target = tmp_path / f"Foodshare-{name}.template.json"
    target.write_text(json.dumps(template))
    (tmp_path / f"Foodshare-{name}.assets.json").write_text(source.with_name("Foodshare-dev.assets.json").read_text())
    for asset in source.parent.glob("asset.*"):
        (tmp_path / asset.name).symlink_to(asset)
    return target


def _function(resources: dict, name: str) -> dict:
    return next(r for r in resources.values() if r["Type"] == "AWS::Lambda::Function"
                and r["Properties"]["Environment"]["Variables"].get("POWERTOOLS_SERVICE_NAME") == name)


@pytest.fixture
def body():
    from datetime import datetime, timedelta, timezone

    start = datetime.now(timezone.utc) + timedelta(hours=1)
    iso = lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    return {"groupId": "g", "title": "Soup", "quantity": 1, "pickupLocation": {"lat": 52.5, "lng": 13.4},
            "pickupStart": iso(start), "pickupEnd": iso(start + timedelta(hours=2))}


def test_posting_without_table_name_fails_while_discovery_answers(tmp_path, body):
    def drop_table_name(resources):
        del _function(resources, "posting")["Properties"]["Environment"]["Variables"]["TABLE_NAME"]

    with start_stack(_variant(tmp_path, "notable", drop_table_name), log_name="notable") as stack:
        assert stack.call("GET", "/food", user="tess", query={"lat": 52.5, "lng": 13.4}).status == 200
        reply = stack.call("POST", "/food", user="tess", json=body)
        assert reply.status >= 500, reply
        # The cause, as the function reports it when invoked directly: its cold start names the variable.
        functions = [r["PhysicalResourceId"] for r in stack.client("cloudformation").describe_stack_resources(
            StackName="Foodshare-notable")["StackResources"] if r["ResourceType"] == "AWS::Lambda::Function"]
        posting = next(name for name in functions if name.endswith("posting"))
        invoked = stack.client("lambda").invoke(FunctionName=posting, Payload=b"{}")
        assert invoked.get("FunctionError"), invoked
        assert "TABLE_NAME not set" in invoked["Payload"].read().decode()


def test_a_template_without_the_get_food_route_answers_404(tmp_path):
    def drop_route(resources):
        for logical_id in [k for k, r in resources.items()
                           if r["Type"] == "AWS::ApiGatewayV2::Route" and r["Properties"]["RouteKey"] == "GET /food"]:
            del resources[logical_id]

    with start_stack(_variant(tmp_path, "noroute", drop_route), log_name="noroute") as stack:
        assert stack.call("GET", "/food", user="tess", query={"lat": 52.5, "lng": 13.4}).status == 404
        assert stack.call("GET", "/me", user="tess").status == 200  # the rest is served
        # Deployed without the bots' settings in the environment: the webhooks say they are not set up.
        assert stack.call("POST", "/webhooks/telegram", json={"update_id": 1}).status == 503
        assert stack.call("POST", "/webhooks/slack", body=b"command=%2Ffood&text=help",
                          headers={"content-type": "application/x-www-form-urlencoded"}).status == 503
