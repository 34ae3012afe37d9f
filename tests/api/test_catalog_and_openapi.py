"""The catalog, the handlers' real routes and the OpenAPI document agree."""

from __future__ import annotations

import importlib
import re

import jsonschema

from foodshare.api import contract, requests
from foodshare.catalog import API_FUNCTIONS
from local.openapi import DOCUMENT, document, render


def _registered_routes(module: str, documented: bool = True) -> set[tuple[str, str]]:
    app = importlib.import_module(module).app
    routes = app._static_routes + app._dynamic_routes
    return {(route.method, re.sub(r"<(\w+)>", r"{\1}", route.path)) for route in routes
            if route.include_in_schema == documented}


def test_every_catalog_route_is_served_by_its_function_and_nothing_else():
    for fn in API_FUNCTIONS:
        declared = {(route.method, route.path) for route in fn.routes}
        if fn.api_docs:  # served, but kept out of the document
            assert _registered_routes(fn.module, documented=False) == declared, fn.name
            assert _registered_routes(fn.module) == set(), fn.name
        else:
            assert _registered_routes(fn.module) == declared, fn.name


def test_the_document_lists_every_api_route_and_not_the_docs_own():
    paths = document()["paths"]
    documented = {(method.upper(), path) for path, operations in paths.items() for method in operations}
    expected = {(route.method, route.path) for fn in API_FUNCTIONS if not fn.api_docs for route in fn.routes}
    assert documented == expected
    assert "/openapi.json" not in paths and "/docs" not in paths
    assert "api_docs" not in {tag["name"] for tag in document()["tags"]}


def test_the_committed_document_is_the_generated_one():
    assert DOCUMENT.read_text() == render(), "docs/openapi.json is stale: run `make openapi`"


def test_every_operation_declares_its_answers_security_and_version():
    spec = document()
    assert spec["info"]["version"] == contract.API_VERSION
    for fn in API_FUNCTIONS:
        for route in () if fn.api_docs else fn.routes:
            operation = spec["paths"][route.path][route.method.lower()]
            assert operation["tags"] == [fn.name]
            assert re.fullmatch(r"[a-z][A-Za-z]+", operation["operationId"]), operation["operationId"]
            if route.public:
                assert operation["security"] in ([], [{contract.TELEGRAM_SECRET: []}],
                                                  [{contract.SLACK_SIGNATURE: [], contract.SLACK_TIMESTAMP: []}])
            else:
                assert operation["security"] == [{contract.JWT: []}]
                assert {"400", "401", "413", "415", "429"} <= set(operation["responses"]), route
            assert "422" not in operation["responses"]  # validation failures are answered 400
            for status, answer in operation["responses"].items():
                schema = answer.get("content", {}).get("application/json", {}).get("schema")
                assert schema, (route, status)  # every answer has a schema (Slack's 200 may be empty)
                if int(status) >= 400 and status != "503" or route.public and status == "503" and route.path != "/health":
                    if "anyOf" in schema:  # behind the authorizer: the envelope, or the gateway's own answer
                        assert not route.public and int(status) in contract.GATEWAY_ANSWERS, (route, status)
                        envelope, gateway = schema["anyOf"]
                        assert gateway == contract.GATEWAY_MESSAGE_SCHEMA
                        schema = envelope
                    codes = schema["properties"]["error"]["properties"]["code"]["enum"]
                    assert all(contract.ERRORS[code][0] == int(status) for code in codes), (route, status)
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_creations_answer_201_with_the_model_they_return():
    spec = document()
    claim = spec["paths"]["/food/{foodId}/claims"]["post"]["responses"]
    assert claim["201"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Exchange"}
    assert "200" not in claim
    assert set(claim["409"]["content"]["application/json"]["schema"]["properties"]["error"]["properties"]["code"]
               ["enum"]) >= {"already_claimed", "not_available", "insufficient_credits"}
    share = spec["paths"]["/food"]["post"]
    assert share["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ShareFoodRequest"}
    assert spec["paths"]["/food"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/DiscoveryPage"}


def _schema_of(spec: dict, schema: dict) -> dict:
    ref = schema.get("$ref", "")
    return spec["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else schema


def test_every_request_body_has_an_example_its_schema_accepts():
    spec = document()
    bodies = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for media, content in operation.get("requestBody", {}).get("content", {}).items():
                bodies += 1
                schema = _schema_of(spec, content["schema"])
                examples = schema.get("examples") or [content.get("example")]
                assert examples and examples[0] is not None, (method, path, media)
                if "$ref" in content["schema"]:  # a request model: the resolver itself must accept it
                    model = getattr(requests, content["schema"]["$ref"].rsplit("/", 1)[-1])
                    for example in examples:
                        model.model_validate(example)
                else:
                    for example in examples:
                        jsonschema.validate(example, schema)
    assert bodies == 17  # fifteen JSON API bodies (six of them trust and safety, two privacy) and the two webhooks'


def test_webhook_bodies_are_typed_in_their_platforms_media_type():
    spec = document()
    telegram = spec["paths"]["/webhooks/telegram"]["post"]["requestBody"]
    assert telegram["required"] is True
    update = telegram["content"]["application/json"]["schema"]
    assert update["required"] == ["update_id"] and update["properties"]["update_id"]["type"] == "integer"
    slack = spec["paths"]["/webhooks/slack"]["post"]["requestBody"]["content"]
    assert list(slack) == ["application/x-www-form-urlencoded"]
    assert slack["application/x-www-form-urlencoded"]["schema"]["properties"]["payload"]["type"] == "string"
