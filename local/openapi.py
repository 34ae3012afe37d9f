"""`make openapi`: the one OpenAPI document of the API, generated from the handlers' routes.

Each API function's resolver generates its part (routes, models, responses and security
as declared in the code, see foodshare/api/contract.py); Powertools' OpenAPIMerge joins
them. The catalog says which functions exist and tags each operation with its function; the
api_docs function, which serves this document and its Swagger UI, is not in it (it
describes the API rather than being part of it, and only some stages deploy it).
Two things Powertools adds are dropped, because this API never answers them: the 422
`HTTPValidationError` response of every validating route (request validation failures
are answered 400 with the error envelope) and its `ResponseValidationError` schema.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path

from aws_lambda_powertools.event_handler.openapi import OpenAPIMerge

from foodshare.api import contract
from foodshare.catalog import API_FUNCTIONS

DOCUMENTED = tuple(fn for fn in API_FUNCTIONS if not fn.api_docs)

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "openapi.json"
DESCRIPTION = (
    "Share surplus food within groups and their partner groups. Errors always answer "
    '`{"error": {"code", "message", "fields"?, "retryAt"?}}`; each operation lists its codes. '
    "Changelog: docs/api.md."
)
_UNANSWERED_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")


def _function_schema(module: str, tag: str) -> dict:
    schema = importlib.import_module(module).app.get_openapi_schema().model_dump(
        by_alias=True, exclude_none=True, mode="json"
    )
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            operation["tags"] = [tag]
            operation["responses"].pop("422", None)
    schemas = schema.get("components", {}).get("schemas", {})
    for name in _UNANSWERED_SCHEMAS:
        schemas.pop(name, None)
    return schema


def document() -> dict:
    merge = OpenAPIMerge(
        title=contract.TITLE,
        version=contract.API_VERSION,
        description=DESCRIPTION,
        security_schemes=contract.SECURITY_SCHEMES,  # type: ignore[arg-type]
        tags=[{"name": fn.name, "description": fn.description} for fn in DOCUMENTED],  # type: ignore[misc]
        on_conflict="error",
    )
    seen: dict[str, dict] = {}
    for fn in DOCUMENTED:
        schema = _function_schema(fn.module, fn.name)
        for name, definition in schema.get("components", {}).get("schemas", {}).items():
            if seen.setdefault(name, definition) != definition:  # the merge would keep only one of them
                raise ValueError(f"two different schemas named {name!r}: give one of the models another name")
        merge.add_schema(schema)
    return merge.get_openapi_schema()


def render() -> str:
    return json.dumps(document(), indent=2, sort_keys=True) + "\n"


def main() -> None:
    # Importing a handler runs its cold-start check of the settings a deployed function must have;
    # this tool only reads the routes, so it names them itself.
    from foodshare.settings import REQUIRED

    for name in REQUIRED:
        os.environ.setdefault(name, "openapi")
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else DOCUMENT
    out.parent.mkdir(parents=True, exist_ok=True)
    text = render()
    out.write_text(text)
    print(f"wrote {out} ({sum(len(ops) for ops in json.loads(text)['paths'].values())} operations)")


if __name__ == "__main__":
    main()
