"""The catalog, the handlers' real routes and the OpenAPI document agree."""

from __future__ import annotations

import importlib
import re

from foodshare.catalog import API_FUNCTIONS
from local.openapi import document


def _registered_routes(module: str) -> set[tuple[str, str]]:
    app = importlib.import_module(module).app
    routes = app._static_routes + app._dynamic_routes
    return {(route.method, re.sub(r"<(\w+)>", r"{\1}", route.path)) for route in routes}


def test_every_catalog_route_is_served_by_its_function_and_nothing_else():
    for fn in API_FUNCTIONS:
        declared = {(route.method, route.path) for route in fn.routes}
        assert _registered_routes(fn.module) == declared, fn.name


def test_openapi_documents_every_route_with_security():
    spec = document()
    for fn in API_FUNCTIONS:
        for route in fn.routes:
            operation = spec["paths"][route.path][route.method.lower()]
            assert operation["tags"] == [fn.name]
            assert ("security" in operation) is (not route.public), route
    share = spec["paths"]["/food"]["post"]
    assert share["requestBody"]["content"]["application/json"]["schema"]
    assert {"ShareFoodRequest", "PickupLocation"} <= set(spec["components"]["schemas"])
