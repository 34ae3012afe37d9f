"""The export bucket and who may touch it, from the synthesized template (cdk/exports.py)."""

from __future__ import annotations

import pytest

from cdk.exports import ERASER, EXPORT_DAYS, READER, WRITER
from tests.infra.cfn import actions_of, function, of_type, props, role_statements


def _bucket(synth) -> tuple[str, dict]:
    (bucket_id,) = of_type(synth, "AWS::S3::Bucket")
    return bucket_id, props(synth.resources[bucket_id])


def test_one_private_encrypted_bucket_whose_exports_expire_after_seven_days(synth):
    _, p = _bucket(synth)
    (rule,) = p["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert p["PublicAccessBlockConfiguration"] == {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                   "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert p["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert p.get("VersioningConfiguration", {}).get("Status") != "Enabled"
    (lifecycle,) = p["LifecycleConfiguration"]["Rules"]
    assert lifecycle["Status"] == "Enabled" and lifecycle["Prefix"] == "exports/"
    assert lifecycle["ExpirationInDays"] == EXPORT_DAYS == 7
    assert lifecycle["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}


def test_the_bucket_refuses_requests_without_tls(synth):  # every stage, the fake catalog's too
    bucket_id, _ = _bucket(synth)
    (policy,) = [props(p) for p in of_type(synth, "AWS::S3::BucketPolicy").values()
                 if props(p)["Bucket"] == {"Ref": bucket_id}]
    (deny,) = policy["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Action"] == "s3:*" and deny["Principal"] == {"AWS": "*"}
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def _s3_grants(synth, name: str) -> dict[str, list]:
    grants: dict[str, list] = {}
    for statement in role_statements(synth, name):
        for action in actions_of(statement):
            if action.startswith("s3:"):
                grants.setdefault(action, []).append(statement["Resource"])
    return grants


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_only_the_export_function_writes_the_users_function_reads_and_the_erasure_and_builder_delete(request, stage):
    synth = request.getfixturevalue(stage)
    bucket_id, _ = _bucket(synth)
    objects = {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/exports/*"]]}
    assert _s3_grants(synth, WRITER) == {"s3:PutObject": [objects], "s3:DeleteObject": [objects]}
    assert _s3_grants(synth, READER) == {"s3:GetObject": [objects]}
    assert _s3_grants(synth, ERASER) == {"s3:DeleteObject": [objects]}
    for name in synth.catalog.names():
        variables = function(synth, name)["Environment"]["Variables"]
        if name in (WRITER, READER, ERASER):
            assert variables["EXPORT_BUCKET"] == {"Ref": bucket_id}, name
        else:
            assert "EXPORT_BUCKET" not in variables and not _s3_grants(synth, name), name


def test_the_export_function_is_fed_by_its_own_queue_on_export_requests(dev):
    synth = dev
    rules = [props(r) for r in of_type(synth, "AWS::Events::Rule").values()
             if "ExportRequested" in props(r).get("EventPattern", {}).get("detail-type", [])]
    assert rules, "no rule routes ExportRequested"
    mappings = [props(m) for m in of_type(synth, "AWS::Lambda::EventSourceMapping").values()]
    assert any(m.get("BatchSize") == 1 for m in mappings)
