"""Cold starts: SnapStart on every function without provisioned concurrency, and every caller on a published version.

SnapStart only serves published versions: a caller that invokes the function itself
($LATEST) gets a plain cold start every time. So every function has a `live` alias on its
current version, and the API's integrations, the SQS event source mappings and the
schedules and the stream relay's mapping all invoke that alias; a replaced version is deleted (a SnapStart version left
behind keeps its snapshot cache billed).
"""

from __future__ import annotations

import json

from tests.infra.cfn import function_id, live_alias_id, of_type, props


def _entries(synth):
    return ([("api", fn.name) for fn in synth.catalog.api_functions]
            + [("consumer", c.name) for c in synth.catalog.consumers]
            + [("consumer", r.name) for r in synth.catalog.stream_relays]
            + [("scheduled", j.name) for j in synth.catalog.scheduled_jobs])


def test_snapstart_on_every_function_without_provisioned_concurrency(synth):
    for kind, name in _entries(synth):
        capacity = synth.config.capacity(kind, name)
        snap = props(synth.resources[function_id(synth, name)]).get("SnapStart")
        if capacity.provisioned:
            assert snap is None, f"{name}: SnapStart and provisioned concurrency exclude each other"
            assert not capacity.snap_start
        else:
            assert snap == {"ApplyOn": "PublishedVersions"}, f"{name} has neither SnapStart nor provisioned concurrency"


def test_every_function_has_a_live_alias_on_its_current_version_and_old_versions_are_deleted(synth):
    versions = of_type(synth, "AWS::Lambda::Version")
    for _, name in _entries(synth):
        alias = props(synth.resources[live_alias_id(synth, name)])
        version_id = alias["FunctionVersion"]["Fn::GetAtt"][0]
        assert props(versions[version_id])["FunctionName"] == {"Ref": function_id(synth, name)}
        assert versions[version_id].get("DeletionPolicy") == "Delete"
        assert versions[version_id].get("UpdateReplacePolicy") == "Delete"


def _function_refs(synth) -> dict[str, str]:
    """Every way a template names a function itself ($LATEST): its Ref and its Arn."""
    refs = {}
    for _, name in _entries(synth):
        fid = function_id(synth, name)
        refs[json.dumps({"Ref": fid})] = name
        refs[json.dumps({"Fn::GetAtt": [fid, "Arn"]})] = name
    return refs


def test_api_integrations_event_sources_and_schedules_invoke_the_alias(synth):
    aliases = {json.dumps({"Ref": live_alias_id(synth, name)}) for _, name in _entries(synth)}
    unqualified = _function_refs(synth)

    def names_the_alias(caller) -> bool:
        """The alias's ARN (Ref), or its qualified name `function:live` cut from that ARN (event source mappings)."""
        text = json.dumps(caller)
        return text in aliases or (any(alias in text for alias in aliases) and text.endswith('":live"]]}'))

    integrations = [props(r)["IntegrationUri"] for r in of_type(synth, "AWS::ApiGatewayV2::Integration").values()]
    mappings = [props(r)["FunctionName"] for r in of_type(synth, "AWS::Lambda::EventSourceMapping").values()]
    schedules = [props(r)["Target"]["Arn"] for r in of_type(synth, "AWS::Scheduler::Schedule").values()]
    assert integrations and mappings and schedules
    for caller in (*integrations, *mappings, *schedules):
        assert json.dumps(caller) not in unqualified, f"a caller invokes $LATEST of {unqualified[json.dumps(caller)]}"
        assert names_the_alias(caller), caller
    assert len(mappings) == len(synth.catalog.consumers) + len(synth.catalog.stream_relays)
    assert len(schedules) == len(synth.catalog.scheduled_jobs)


def test_the_prod_stage_deploys_what_the_capacity_plan_chose(prod):
    """Memory, provisioned concurrency and SnapStart in the prod template are the plan's (tests/perf checks
    cdk.json = plan): the template follows cdk.json."""
    from benchmarks.capacity import default_cases, load_durations, plan_for

    plan = plan_for(load_durations(), default_cases())
    for name, fn in plan.functions.items():
        if fn.kind != "api":
            continue
        template_fn = props(prod.resources[function_id(prod, name)])
        assert template_fn["MemorySize"] == fn.memory_mb
        assert ("SnapStart" in template_fn) == fn.snap_start
        alias = props(prod.resources[live_alias_id(prod, name)])
        assert ("ProvisionedConcurrencyConfig" in alias) == (fn.provisioned is not None)
