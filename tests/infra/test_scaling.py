"""Concurrency-based scaling: live aliases, provisioned concurrency, target tracking, peak floors, SQS caps."""

from __future__ import annotations

import json

from tests.infra.cfn import live_alias_id, of_type, props, refers_to


def _scalable_target(synth, alias_id: str) -> tuple[str | None, dict]:
    """The scaling target of an alias (its ResourceId is `function:<name>:live`, the name cut from the alias ARN)."""
    targets = [
        (lid, props(r))
        for lid, r in of_type(synth, "AWS::ApplicationAutoScaling::ScalableTarget").items()
        if {"Ref": alias_id} in props(r)["ResourceId"]["Fn::Join"][1][1]["Fn::Select"][1]["Fn::Split"]
    ]
    assert len(targets) <= 1
    return targets[0] if targets else (None, {})


def test_every_api_function_has_a_live_alias(synth):
    for fn in synth.catalog.api_functions:
        assert live_alias_id(synth, fn.name)


def test_provisioned_aliases_keep_provisioned_concurrency_scaled_on_utilisation(synth):
    """Provisioned concurrency where the stage's capacity (the plan's choice) says so, and nowhere else."""
    policies = of_type(synth, "AWS::ApplicationAutoScaling::ScalingPolicy").values()
    for fn in synth.catalog.api_functions:
        alias = props(synth.resources[live_alias_id(synth, fn.name)])
        target_id, target = _scalable_target(synth, live_alias_id(synth, fn.name))
        if synth.config.capacity("api", fn.name).provisioned is None:
            assert "ProvisionedConcurrencyConfig" not in alias
            assert not target
            continue
        capacity = synth.config.capacity("api", fn.name).provisioned
        assert alias["ProvisionedConcurrencyConfig"] == {"ProvisionedConcurrentExecutions": capacity.min}
        assert target["ScalableDimension"] == "lambda:function:ProvisionedConcurrency"
        assert (target["MinCapacity"], target["MaxCapacity"]) == (capacity.min, capacity.max)
        tracking = [
            props(p)["TargetTrackingScalingPolicyConfiguration"]
            for p in policies
            if props(p)["ScalingTargetId"] == {"Ref": target_id}
        ]
        assert tracking == [
            {
                "PredefinedMetricSpecification": {"PredefinedMetricType": "LambdaProvisionedConcurrencyUtilization"},
                "TargetValue": 0.7,
            }
        ]


def test_provisioned_concurrency_fits_in_reserved_concurrency(synth):
    for fn in synth.catalog.api_functions:
        capacity = synth.config.capacity("api", fn.name)
        if capacity.provisioned:
            assert capacity.provisioned.min <= capacity.provisioned.max <= capacity.reserved_concurrency
            if capacity.provisioned.peak:
                assert capacity.provisioned.min <= capacity.provisioned.peak.min <= capacity.provisioned.max


def test_prod_raises_the_floor_for_the_daily_peak_and_lowers_it_after(prod):
    provisioned_functions = [fn for fn in prod.catalog.api_functions if prod.config.capacity("api", fn.name).provisioned]
    # The plan's choice at prod load (tests/perf/test_capacity.py: cdk.json follows the plan): discovery; claiming
    # went to SnapStart when the claim's CPU halved (3 calls), as SnapStart then cost less.
    assert "discovery" in {fn.name for fn in provisioned_functions}
    for fn in provisioned_functions:
        provisioned = prod.config.capacity("api", fn.name).provisioned
        actions = {
            a["ScheduledActionName"]: a
            for a in _scalable_target(prod, live_alias_id(prod, fn.name))[1]["ScheduledActions"]
        }
        assert actions["PeakStart"]["ScalableTargetAction"] == {"MinCapacity": provisioned.peak.min}
        assert actions["PeakEnd"]["ScalableTargetAction"] == {"MinCapacity": provisioned.min}
        assert actions["PeakStart"]["Timezone"] == provisioned.peak.time_zone
        hour, minute = provisioned.peak.start.split(":")
        assert actions["PeakStart"]["Schedule"] == f"cron({int(minute)} {int(hour)} * * ? *)"


def test_dev_has_no_peak_schedule(dev):
    for r in of_type(dev, "AWS::ApplicationAutoScaling::ScalableTarget").values():
        assert "ScheduledActions" not in props(r)


def test_consumers_read_their_queue_in_capped_batches_with_partial_failures(synth):
    mappings = [m for m in of_type(synth, "AWS::Lambda::EventSourceMapping").values()
                if "StreamArn" not in json.dumps(props(m)["EventSourceArn"])]  # the stream relay's: test_backbone
    assert len(mappings) == len(synth.catalog.consumers)
    for consumer in synth.catalog.consumers:
        alias_id = live_alias_id(synth, consumer.name)  # the alias (`name:live`): SnapStart serves versions
        (mapping,) = [props(m) for m in mappings if refers_to(props(m)["FunctionName"], alias_id)]
        capacity = synth.config.capacity("consumer", consumer.name)
        assert mapping["BatchSize"] == consumer.batch_size
        assert mapping["MaximumBatchingWindowInSeconds"] == consumer.max_batching_window_seconds
        assert mapping["ScalingConfig"] == {"MaximumConcurrency": capacity.max_concurrency}
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert capacity.max_concurrency <= capacity.reserved_concurrency


def test_the_fake_catalog_exercises_consumers(fake):
    assert len(of_type(fake, "AWS::Lambda::EventSourceMapping")) == 2
