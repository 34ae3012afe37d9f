"""API docs function: GET /openapi.json (the published document) and GET /docs (Swagger UI).

Public routes, deployed only on stages whose cdk.json settings turn `api_docs` on (the
CDK stack leaves the function and its routes out elsewhere), and served by the local
stack. They are not in the document itself: they describe the API, they are not part of
its contract, and a stage without them would otherwise publish routes it does not have.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from foodshare.api import docs
from foodshare.api.http import JSON, build_resolver, entrypoint

app = build_resolver()
HTML = "text/html; charset=utf-8"


@app.get("/openapi.json", include_in_schema=False, compress=True)
def openapi_document() -> Response[str]:
    return Response(status_code=200, content_type=JSON, body=docs.document_text())


@app.get("/docs", include_in_schema=False, compress=True)
def swagger_ui() -> Response[str]:
    # Swagger UI's address bar shows `/docs?format=json` (Powertools' page sets it): answer it too.
    if (app.current_event.query_string_parameters or {}).get("format") == "json":
        return openapi_document()
    return Response(status_code=200, content_type=HTML, body=docs.swagger_html())


handler = entrypoint(app)
