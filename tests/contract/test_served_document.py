"""The running stack publishes the document the fuzzer and the generated client are built from.

Over HTTP, without a token (public routes), as a browser or a client generator reaches them.
"""

from __future__ import annotations

import json
import urllib.request

from local.openapi import DOCUMENT


def _get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=30) as answer:
        return answer.status, answer.headers.get("content-type", ""), answer.read()


def test_openapi_json_is_the_committed_document(stack):
    status, content_type, body = _get(stack.base_url + "/openapi.json")
    assert status == 200 and content_type == "application/json"
    assert json.loads(body) == json.loads(DOCUMENT.read_text())


def test_docs_is_swagger_ui_for_that_document(stack):
    status, content_type, body = _get(stack.base_url + "/docs")
    assert status == 200 and content_type.startswith("text/html")
    page = body.decode()
    assert "SwaggerUIBundle(swaggerUIOptions)" in page
    assert json.dumps(json.loads(DOCUMENT.read_text())["info"]["title"]) in page
    status, _, document = _get(stack.base_url + "/docs?format=json")  # what the page's address bar shows
    assert status == 200 and json.loads(document) == json.loads(DOCUMENT.read_text())
