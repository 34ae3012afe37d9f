"""`Item.from_raw_data` (data/models.py) builds every model as PynamoDB's own `_instantiate` does: the same values
of the same types, the defaults where an attribute is absent or NULL, TTLs and maps through their descriptors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from foodshare.data import models
from pynamodb import attributes as pa

MODELS = sorted((value for value in vars(models).values()
                 if isinstance(value, type) and issubclass(value, models.Item) and value is not models.Item),
                key=lambda model: model.__name__)


def _python_value(attribute: pa.Attribute) -> Any:
    """A value of the attribute's type (falsy where the type has one: a stored False must stay False)."""
    if isinstance(attribute, pa.MapAttribute):
        return type(attribute)(**{name: _python_value(inner) for name, inner in type(attribute).get_attributes().items()})
    samples: dict[type, Any] = {
        pa.UnicodeAttribute: "text",
        pa.NumberAttribute: 2.5,
        pa.BooleanAttribute: False,
        pa.UnicodeSetAttribute: {"a", "b"},
        pa.TTLAttribute: datetime(2030, 1, 1, tzinfo=UTC),
    }
    if isinstance(attribute, pa.ListAttribute):
        return ["a", "b"]
    return samples[type(attribute)]


def _stored(attribute: pa.Attribute) -> dict[str, Any]:
    return {attribute.attr_type: attribute.serialize(_python_value(attribute))}


def _raw_items(model: type[models.Item]) -> dict[str, dict[str, Any]]:
    attributes = model.get_attributes()
    keys = {"pk": {"S": "PK#1"}, "sk": {"S": "SK#1"}}
    return {
        "every attribute": {attribute.attr_name: _stored(attribute) for attribute in attributes.values()},
        "only the keys": keys,
        "every other attribute NULL": {**{a.attr_name: {"NULL": True} for a in attributes.values()}, **keys},
    }


def _shape(item: models.Item) -> dict[str, tuple[type, Any]]:
    """Each value's type and its stored form (MapAttribute values compare by content, not identity)."""
    return {name: (type(value), item.get_attributes()[name].serialize(value) if value is not None else None)
            for name, value in item.attribute_values.items()}


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_every_model_is_built_as_pynamodb_builds_it(model):
    for case, raw in _raw_items(model).items():
        fast, reference = model.from_raw_data(raw), model._instantiate(raw)
        assert type(fast) is type(reference) is model, case
        assert _shape(fast) == _shape(reference), case
        assert fast.serialize(null_check=False) == reference.serialize(null_check=False), case


def test_defaults_are_fresh_per_item():
    first, second = (models.FoodItem.from_raw_data({"pk": {"S": "FOOD#1"}, "sk": {"S": "META"}}) for _ in range(2))
    assert first.dietary_tags == [] and first.dietary_tags is not second.dietary_tags


def test_a_model_it_cannot_build_like_pynamodb_is_refused():
    class WithOwnInit(models.Item):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)

    with pytest.raises(TypeError, match="own __init__"):
        WithOwnInit.from_raw_data({"pk": {"S": "X"}, "sk": {"S": "Y"}})
