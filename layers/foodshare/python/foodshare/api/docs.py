"""The API's published OpenAPI document and its Swagger UI page, as the api_docs function serves them.

The document is `docs/openapi.json`, the one `make openapi` generates and a test keeps
equal to the code; the layer build copies it into this package (`foodshare/openapi.json`),
where a Lambda finds it. It is served as committed rather than generated at run time:
generating it would import every API function's handler into this one.

The Swagger UI page is Powertools' own (`generate_swagger_html`), with its bundled
JavaScript and CSS inlined (no CDN for the browser to fetch from) and the document
embedded. Both are read on first use and kept for the container's life.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_PACKAGED = Path(__file__).resolve().parents[1] / "openapi.json"
_REPOSITORY = Path(__file__).resolve().parents[5] / "docs" / "openapi.json"


def document_path() -> Path:
    return _PACKAGED if _PACKAGED.is_file() else _REPOSITORY


@lru_cache(maxsize=1)
def document_text() -> str:
    return document_path().read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def swagger_html() -> str:
    """Swagger UI with the document embedded (`</` escaped so the JSON cannot close the script)."""
    import aws_lambda_powertools.event_handler.openapi.swagger_ui as swagger_ui
    from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html

    assets = Path(swagger_ui.__file__).parent
    return generate_swagger_html(
        spec=document_text().replace("</", "<\\/"),
        swagger_js=(assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        swagger_css=(assets / "swagger-ui.min.css").read_text(encoding="utf-8"),
        swagger_base_url="",
        oauth2_config=None,
    )
