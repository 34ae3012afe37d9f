"""`make openapi`: one OpenAPI document for every HTTP route, generated from the handlers' code."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

from foodshare.catalog import API_FUNCTIONS

TITLE = "Foodshare API"
VERSION = "1.0.0"


def document() -> dict:
    """Merge each function's Powertools-generated schema; routes carry the function name as a tag."""
    merged: dict = {"openapi": "3.1.0", "info": {"title": TITLE, "version": VERSION}, "paths": {},
                    "components": {"schemas": {}, "securitySchemes": {"jwt": {"type": "http", "scheme": "bearer",
                                                                            "bearerFormat": "JWT"}}}}
    public = {(r.method.lower(), r.path) for fn in API_FUNCTIONS for r in fn.routes if r.public}
    for fn in API_FUNCTIONS:
        app = importlib.import_module(fn.module).app
        spec = json.loads(app.get_openapi_json_schema(title=TITLE, version=VERSION))
        for path, operations in spec.get("paths", {}).items():
            for method, operation in operations.items():
                operation["tags"] = [fn.name]
                if (method, path) not in public:
                    operation["security"] = [{"jwt": []}]
                merged["paths"].setdefault(path, {})[method] = operation
        merged["components"]["schemas"].update(spec.get("components", {}).get("schemas", {}))
    return merged


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/openapi.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document(), indent=2, sort_keys=True) + "\n")
    print(f"wrote {out} ({sum(len(ops) for ops in document()['paths'].values())} operations)")


if __name__ == "__main__":
    main()
