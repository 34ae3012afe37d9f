"""The request bodies' fields of one Python type, split by whether their annotation carries a guard: the inventory
tests of whole numbers and decimals (a new field of that type without its typed annotation fails them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, get_args, get_origin


def fields_of(kind: type, guarded: Callable[[list], bool]) -> tuple[set[str], set[str]]:
    """(fields of `kind` whose metadata `guarded` accepts, fields of `kind` it does not) of every request body, by
    their wire name; a field `kind | None` counts as `kind`."""
    from foodshare.api import requests

    def kinds(annotation, metadata) -> set[bool]:
        if annotation is kind:
            return {guarded(metadata)}
        if get_origin(annotation) is Annotated:
            inner, *more = get_args(annotation)
            return kinds(inner, [*metadata, *more])
        return {found for arg in get_args(annotation) for found in kinds(arg, metadata)}

    typed, plain = set(), set()
    for model in vars(requests).values():
        if isinstance(model, type) and issubclass(model, requests.Body):
            for name, info in model.model_fields.items():
                found = kinds(info.annotation, info.metadata)
                (typed if True in found else set()).add(info.alias or name)
                (plain if False in found else set()).add(info.alias or name)
    return typed, plain
