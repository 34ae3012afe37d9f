"""One function per catalog entry, built the same way, sized and configured from cdk.json."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match

from tests.infra.cfn import function, function_id, of_type, props

RETENTION_DAYS = {"dev": 14, "prod": 90}


def _entries(synth):
    """(name, capacity kind, catalog entry) for every function the catalog defines."""
    catalog = synth.catalog
    yield from ((fn.name, "api", fn) for fn in catalog.api_functions)
    yield from ((c.name, "consumer", c) for c in catalog.consumers)
    yield from ((j.name, "scheduled", j) for j in catalog.scheduled_jobs)


def test_one_function_per_catalog_entry(synth):
    names = {props(r)["FunctionName"] for r in of_type(synth, "AWS::Lambda::Function").values()}
    assert names == {f"foodshare-{synth.config.name}-{name}" for name in synth.catalog.names()}


def test_every_function_is_arm64_python312_with_the_shared_layer_tracing_and_json_logs(synth):
    (layer_id,) = of_type(synth, "AWS::Lambda::LayerVersion")
    for name, _, _ in _entries(synth):
        fn = function(synth, name)
        assert fn["Architectures"] == ["arm64"]
        assert fn["Runtime"] == "python3.12"
        assert fn["Handler"] == "handler.handler"
        assert fn["Layers"] == [{"Ref": layer_id}]
        assert fn["TracingConfig"] == {"Mode": "Active"}
        assert fn["LoggingConfig"]["LogFormat"] == "JSON"
        log_group = synth.resources[fn["LoggingConfig"]["LogGroup"]["Ref"]]
        assert props(log_group)["RetentionInDays"] == synth.config.log_retention_days


def test_log_retention_per_stage(dev, prod):
    assert dev.config.log_retention_days == RETENTION_DAYS["dev"]
    assert prod.config.log_retention_days == RETENTION_DAYS["prod"]


def test_memory_timeout_and_reserved_concurrency_come_from_the_stage(synth):
    for name, kind, entry in _entries(synth):
        capacity = synth.config.capacity(kind, name)
        fn = function(synth, name)
        assert fn["MemorySize"] == capacity.memory_mb
        assert fn["ReservedConcurrentExecutions"] == capacity.reserved_concurrency
        if kind == "consumer":
            # Queue visibility must cover six runs plus the batching window (AWS guidance).
            assert 6 * fn["Timeout"] + entry.max_batching_window_seconds <= entry.visibility_timeout_seconds
        else:
            assert fn["Timeout"] == capacity.timeout_seconds


def test_powertools_and_app_settings_in_the_environment(synth):
    for name, _, _ in _entries(synth):
        synth.template.has_resource_properties(
            "AWS::Lambda::Function",
            {
                "FunctionName": f"foodshare-{synth.config.name}-{name}",
                "Environment": {
                    "Variables": Match.object_like(
                        {
                            "STAGE": synth.config.name,
                            "TABLE_NAME": Match.any_value(),
                            "EVENT_BUS_NAME": Match.any_value(),
                            "POWERTOOLS_SERVICE_NAME": name,
                            "POWERTOOLS_METRICS_NAMESPACE": "Foodshare",
                            "POWERTOOLS_LOG_LEVEL": synth.config.log_level,
                        }
                    )
                },
            },
        )


def test_only_cache_users_join_the_vpc_and_get_the_cache_url(synth):
    for name, _, entry in _entries(synth):
        fn = function(synth, name)
        uses_cache = entry.uses_cache
        assert ("VpcConfig" in fn) == uses_cache, name
        assert ("REDIS_URL" in fn["Environment"]["Variables"]) == uses_cache, name
        if uses_cache:
            assert fn["Environment"]["Variables"]["REDIS_URL"]["Fn::Join"][1][0] == "rediss://"


def test_the_fake_catalog_exercises_a_function_outside_the_vpc(fake):
    assert "VpcConfig" not in function(fake, "webhooks")


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_reserved_concurrency_leaves_the_account_its_unreserved_pool(stage, request):
    """With the default regional limit of 1000, AWS requires at least 100 unreserved."""
    synth = request.getfixturevalue(stage)
    reserved = sum(props(r)["ReservedConcurrentExecutions"] for r in of_type(synth, "AWS::Lambda::Function").values())
    assert reserved <= 900


def test_every_function_has_its_own_role(synth):
    roles = [function(synth, name)["Role"]["Fn::GetAtt"][0] for name in synth.catalog.names()]
    assert len(set(roles)) == len(roles)
    assert all(function_id(synth, name) for name in synth.catalog.names())


def test_the_identity_key_secret_is_retained(synth):
    """A new key would change every handle and shown area (cdk/privacy.py); who reads it: test_iam.py."""
    (secret_id,) = [lid for lid, r in of_type(synth, "AWS::SecretsManager::Secret").items()
                    if r["Properties"]["Name"].endswith("/identity-key")]
    assert synth.resources[secret_id]["DeletionPolicy"] == "Retain"
