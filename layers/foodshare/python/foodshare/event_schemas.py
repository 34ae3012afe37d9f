"""The JSON Schema of every event type's `detail`, compiled once per type and container.

Schemas live in `schemas/<EventType>.json` at the repository root; the layer build
copies them into this package (`foodshare/schemas/`), where a Lambda finds them.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Callable

_PACKAGED = Path(__file__).resolve().parent / "schemas"
_REPOSITORY = Path(__file__).resolve().parents[4] / "schemas"


class InvalidEvent(ValueError):
    """An event's detail does not match its type's schema (or the type has none)."""


def schema_dir() -> Path:
    return _PACKAGED if _PACKAGED.is_dir() else _REPOSITORY


def schema_path(event_type: str) -> Path:
    return schema_dir() / f"{event_type}.json"


def event_types() -> list[str]:
    """Every event type with a schema."""
    return sorted(path.stem for path in schema_dir().glob("*.json"))


@lru_cache(maxsize=None)
def _validator(event_type: str) -> Callable[[dict], object]:
    import fastjsonschema  # compiled code per type; imported on the first publish only

    path = schema_path(event_type)
    if not path.is_file():
        raise InvalidEvent(f"no schema for event type {event_type!r} at {path}")
    return fastjsonschema.compile(json.loads(path.read_text()))


def validate(event_type: str, detail: dict) -> None:
    """Raise InvalidEvent naming what is wrong when `detail` breaks its type's schema."""
    import fastjsonschema

    try:
        _validator(event_type)(detail)
    except fastjsonschema.JsonSchemaException as exc:
        raise InvalidEvent(f"{event_type}: {exc.message}") from exc
