"""The erasure sweep's function, queue and DLQ, from the synthesized templates (docs/privacy.md, "Erasure").

DELETE /me only freezes the account in the users function (no Scan); the `erasure` consumer, fed the
wind-down's message and then one message per parallel-scan segment through its own queue, is the only one
besides `exports` that reads the whole table.
"""

from __future__ import annotations

import pytest
from foodshare.catalog import consumer

from cdk.functions import TABLE_SCANNERS
from tests.infra.cfn import actions_of, arn_of, function, live_alias_id, of_type, props, queue_id, refers_to, role_statements

ERASURE = consumer("erasure")


def _scans(synth, name: str) -> bool:
    return any("dynamodb:Scan" in actions_of(s) for s in role_statements(synth, name))


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_the_sweep_has_its_own_queue_dlq_rule_and_one_segment_per_invocation(request, stage):
    synth = request.getfixturevalue(stage)
    prefix = f"foodshare-{synth.config.name}"
    queue = props(synth.resources[queue_id(synth, f"{prefix}-erasure")])
    dlq_id = queue_id(synth, f"{prefix}-erasure-dlq")
    assert queue["RedrivePolicy"] == {"deadLetterTargetArn": arn_of(dlq_id), "maxReceiveCount": 3}
    assert queue["VisibilityTimeout"] == ERASURE.visibility_timeout_seconds == 5400
    (rule,) = [props(r) for r in of_type(synth, "AWS::Events::Rule").values() if props(r)["Name"] == f"{prefix}-erasure"]
    # and a member's departure from one group (domain/departures.py): the same winding down, scoped to the group
    assert rule["EventPattern"]["detail-type"] == ["ErasureStarted", "ErasureSegmentRequested", "MemberLeft",
                                                   "ModerationActionTaken"]
    fn = function(synth, "erasure")
    assert fn["Timeout"] == 900  # Lambda's most: a segment of a large table is read in minutes
    assert "VpcConfig" in fn  # the last segment purges the person's Redis keys
    (mapping,) = [props(m) for m in of_type(synth, "AWS::Lambda::EventSourceMapping").values()
                  if refers_to(props(m)["FunctionName"], live_alias_id(synth, "erasure"))]
    assert mapping["BatchSize"] == 1 and mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["EventSourceArn"] == arn_of(queue_id(synth, f"{prefix}-erasure"))


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_only_the_sweep_and_the_export_scan_the_table_never_the_api(request, stage):
    synth = request.getfixturevalue(stage)
    assert TABLE_SCANNERS == {"erasure", "exports"}
    assert _scans(synth, "erasure") and _scans(synth, "exports")
    assert not _scans(synth, "users")  # DELETE /me: keyed reads only
    assert {name for name in synth.catalog.names() if _scans(synth, name)} == TABLE_SCANNERS
