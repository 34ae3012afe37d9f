"""The api_docs function: the committed document at GET /openapi.json, Swagger UI at GET /docs.

Through the handler as API Gateway invokes it (public routes: no token), compressed or not.
"""

from __future__ import annotations

import base64
import gzip
import json

from foodshare.api import docs
from tests.support.apigw import build_event, match_route
from local.openapi import DOCUMENT
from tests.support.api import invoke


def _get(path: str, query: str = "", headers: dict | None = None) -> tuple[int, dict, str]:
    matched = match_route("GET", path)
    assert matched is not None and matched.function == "api_docs" and matched.route.public
    response = invoke(build_event(matched, path, query_string=query, headers=headers), "api_docs")
    body = response.get("body") or ""
    raw = base64.b64decode(body) if response.get("isBase64Encoded") else body.encode()
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    if headers.get("content-encoding") == "gzip":
        raw = gzip.decompress(raw)
    return response["statusCode"], headers, raw.decode()


def test_openapi_json_is_the_committed_document():
    status, headers, body = _get("/openapi.json")
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == json.loads(DOCUMENT.read_text())
    assert docs.document_path() == DOCUMENT  # outside a built layer: the repository's file


def test_docs_is_swagger_ui_with_the_document_embedded():
    status, headers, body = _get("/docs")
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert body.lstrip().startswith("<!DOCTYPE html>") and 'id="swagger-ui"' in body
    assert "SwaggerUIBundle(swaggerUIOptions)" in body  # the bundle is inlined: no CDN to reach
    embedded = body.split("spec: ", 1)[1].split(",\n    presets:", 1)[0]
    assert json.loads(embedded.replace("<\\/", "</")) == json.loads(DOCUMENT.read_text())
    # the page's address bar shows /docs?format=json: that answers the document too
    status, headers, fetched = _get("/docs", "format=json")
    assert status == 200 and json.loads(fetched) == json.loads(DOCUMENT.read_text())


def test_both_are_gzipped_for_browsers_that_accept_it():
    for path in ("/openapi.json", "/docs"):
        matched = match_route("GET", path)
        response = invoke(build_event(matched, path, headers={"accept-encoding": "gzip, deflate"}), "api_docs")
        assert response["statusCode"] == 200 and response["isBase64Encoded"] is True
        assert response["headers"]["Content-Encoding"] == "gzip"
        assert len(response["body"]) < 700_000  # ~1.8 MB of page uncompressed


def test_other_methods_are_not_routes():
    assert match_route("POST", "/openapi.json") is None and match_route("DELETE", "/docs") is None


def test_the_layer_build_copies_the_document_where_the_function_looks_for_it():
    from scripts import build_layer

    assert build_layer.OPENAPI_DOCUMENT == DOCUMENT
    # build_layer copies it to <site>/foodshare/openapi.json; OWN_PACKAGE is the same package in the repository
    assert docs._PACKAGED == build_layer.OWN_PACKAGE.resolve() / "openapi.json"
    assert not docs._PACKAGED.exists()  # never committed into the package: the repository's file is the one
