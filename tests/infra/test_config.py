"""Stage settings: typed from cdk.json, and a typo in a function name fails loudly."""

from __future__ import annotations

import pytest

from cdk.catalog import Catalog
from cdk.config import file_context, stage_config


def _config(stage: str, **overrides):
    return stage_config({**file_context(), "stage": stage, **overrides}.get)


def test_both_stages_are_defined():
    assert {"dev", "prod"} <= set(file_context()["stages"])


def test_capacity_merges_function_overrides_over_kind_defaults():
    prod = _config("prod")
    discovery = prod.capacity("api", "discovery")
    override = file_context()["stages"]["prod"]["capacity"]["functions"]["discovery"]  # written by make capacity
    assert discovery.reserved_concurrency == override["reserved_concurrency"]
    assert discovery.provisioned.peak.min == override["provisioned"]["peak"]["min"]
    users = prod.capacity("api", "users")
    assert users.provisioned is None
    assert users.memory_mb == file_context()["stages"]["prod"]["capacity"]["defaults"]["api"]["memory_mb"]


def test_settings_for_unknown_functions_are_refused():
    for stage in file_context()["stages"]:
        _config(stage).check_function_names(Catalog.current().names())
    with pytest.raises(ValueError, match="unknown functions"):
        _config("prod").check_function_names({"users"})


def test_unknown_stage_is_refused():
    with pytest.raises(ValueError, match="unknown stage"):
        _config("staging")


def test_api_docs_are_a_stage_setting_off_unless_set_to_true():
    assert _config("dev").api_docs is True and _config("prod").api_docs is False
    stages = file_context()["stages"]
    unset = {name: {k: v for k, v in settings.items() if k != "api_docs"} for name, settings in stages.items()}
    assert _config("dev", stages=unset).api_docs is False
    with pytest.raises(ValueError, match="api_docs must be true or false"):
        _config("dev", stages={**stages, "dev": {**stages["dev"], "api_docs": "false"}})
    catalog = Catalog.current()
    assert {fn.name for fn in catalog.deployed(True).api_functions} - {
        fn.name for fn in catalog.deployed(False).api_functions} == {"api_docs"}
