"""The all-in cost model: DynamoDB's billing rules, the recorder on real calls, the prices, and the plan agreeing.

The cost table (benchmarks.cost) and the capacity plan (benchmarks.capacity) price with the same
functions and the same `PRICES`; cdk.json's prod memory, provisioned concurrency and SnapStart are
what the plan chose (tests/perf/test_capacity.py checks the rest of cdk.json).
"""

from __future__ import annotations

import json
import math

import boto3
import pytest

from benchmarks import capacity, cost
from benchmarks.request_cost import Recorder, _measured, item_size, read_units, write_units

INDEXES = {"by_user": ("by_user_pk", "by_user_sk")}


def test_item_size_counts_names_and_values_as_dynamodb_does():
    assert item_size({"pk": {"S": "USER#1"}}) == 2 + 6
    assert item_size({"n": {"N": "12345"}}) == 1 + 4  # 5 significant digits: 3 bytes + 1
    assert item_size({"m": {"M": {"a": {"BOOL": True}}}}) == 1 + 3 + (1 + 1 + 1)


def test_read_and_write_units_round_up_and_double_in_transactions():
    assert read_units(100) == 0.5 and read_units(100, consistent=True) == 1 and read_units(100, transactional=True) == 2
    assert read_units(4097) == 1.0
    small = {"pk": {"S": "a"}, "sk": {"S": "b"}}
    big = {**small, "blob": {"S": "x" * 1500}}
    assert write_units(None, small, {}) == (1, 0)
    assert write_units(small, big, {}, transactional=True) == (4, 0)  # the larger image, 2 KB, doubled


def test_index_writes_follow_the_index_key_before_and_after():
    base = {"pk": {"S": "a"}, "sk": {"S": "b"}}
    indexed = {**base, "by_user_pk": {"S": "USER#1"}, "by_user_sk": {"S": "G#1"}}
    moved = {**base, "by_user_pk": {"S": "USER#2"}, "by_user_sk": {"S": "G#1"}}
    assert write_units(None, indexed, INDEXES)[1] == 1  # put into the index
    assert write_units(indexed, base, INDEXES)[1] == 1  # dropped out of it
    assert write_units(indexed, moved, INDEXES)[1] == 2  # key changed: a delete and a put
    assert write_units(base, {**base, "x": {"S": "y"}}, INDEXES)[1] == 0  # never in the index


def _table():
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(
        TableName="cost-test", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "by_user_pk", "by_user_sk")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{"IndexName": "by_user", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "by_user_pk", "KeyType": "HASH"},
                                               {"AttributeName": "by_user_sk", "KeyType": "RANGE"}]}])
    return client


def test_the_recorder_counts_what_real_calls_consume():
    client = _table()
    recorder = Recorder(("pk", "sk"), INDEXES)
    with recorder.installed(), _measured(recorder) as figures:
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": "cost-test", "Item": {"pk": {"S": "a"}, "sk": {"S": "1"},
                                                         "by_user_pk": {"S": "U"}, "by_user_sk": {"S": "1"}}}},
            {"Put": {"TableName": "cost-test", "Item": {"pk": {"S": "a"}, "sk": {"S": "2"}, "big": {"S": "x" * 1500}}}},
        ])
        client.get_item(TableName="cost-test", Key={"pk": {"S": "a"}, "sk": {"S": "1"}})
        client.query(TableName="cost-test", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "a"}})
        client.batch_write_item(RequestItems={"cost-test": [{"DeleteRequest": {"Key": {"pk": {"S": "a"}, "sk": {"S": "1"}}}}]})
    assert figures["wru"] == 2 * 1 + 2 * 2 + 1  # transactional 1 KB and 2 KB items, then a plain delete
    assert figures["index_wru"] == 1 + 1  # put into by_user, deleted from it
    assert figures["rru"] == 0.5 + 0.5  # one small item eventually consistent; a query of < 4 KB
    assert figures["calls"] == {"dynamodb:TransactWriteItems": 1, "dynamodb:GetItem": 1, "dynamodb:Query": 1,
                                "dynamodb:BatchWriteItem": 1}
    assert figures["cpu_ms"] > 0


def test_a_route_costs_its_services_at_the_dated_prices():
    figures = {"cpu_ms": 10.0, "rru": 1.0, "wru": 4.0, "index_wru": 1.0, "events": 1.0, "redis": 2.0,
               "calls": {"dynamodb:GetItem": 1.0}, "event_types": {}}
    model = cost.CostModel({"GET /me": figures}, {}, {}, {"users": cost.FunctionSetting(1024, snap_start=True)})
    billed_ms = math.ceil(10.0 * 1769 / 1024 + 4.0 + 2 * 0.5)
    expected = (1.00 + 0.20 + billed_ms / 1000 * 1.0 * 0.0000133334 * 1e6 + 1 * 0.125 + 5 * 0.625 + 2 * 0.0023
                + 1.00 + 1 / 1024 / 1024 * 0.10 * 1e6) / 1e6
    assert model.route("GET /me").total == pytest.approx(expected)
    assert cost.PRICES_DATE == "2026-12-01" and cost.PRICES_REGION == "us-east-1"


def test_an_event_costs_each_consumer_that_receives_it_with_sqs_per_batch():
    from foodshare.catalog import CONSUMERS

    per_record = {"cpu_ms": 0.0, "rru": 0.0, "wru": 0.0, "index_wru": 0.0, "events": 0.0, "redis": 0.0,
                  "calls": {}, "event_types": {}}
    settings = {c.name: cost.FunctionSetting(512, snap_start=True) for c in CONSUMERS}
    model = cost.CostModel({}, {c.name: per_record for c in CONSUMERS}, {}, settings)
    receivers = [c for c in CONSUMERS if "FoodShared" in c.event_types]
    event = model.event_cost("FoodShared")
    assert event.sqs == pytest.approx(len(receivers) * 3 / 1e6 * 0.40)  # nothing batched at no load: 1 + 2 per record
    assert event.lambda_ == pytest.approx(len(receivers) * (0.20 / 1e6 + 0))  # 0 ms billed as 0


def test_the_committed_plan_prices_itself_with_the_cost_table_and_cdk_json_follows_its_choices():
    durations = capacity.load_durations()
    plan = capacity.plan_for(durations, capacity.default_cases())
    # the plan's money is the cost table's: blended $/M x requests
    daily = plan.per_million["daily_peak"]
    assert plan.monthly_cost["total"] == pytest.approx(daily["total"] * plan.monthly_requests / 1e6, abs=0.05)
    daily_load = capacity.load_for(durations, plan.cases[0])
    model = capacity.cost_model_for(durations, plan, daily_load, capacity.plan_settings(plan))
    from benchmarks.scenarios import SCENARIOS

    variable = sum(share * model.route(route).total for route, share in SCENARIOS["daily_peak"].route_shares().items())
    assert daily["total"] - daily["fixed"] == pytest.approx(variable * 1e6, abs=0.001)
    # cdk.json's prod memory, provisioned concurrency and SnapStart are what the plan chose, function by function
    prod = json.loads(capacity.CDK_JSON.read_text())["context"]["stages"]["prod"]["capacity"]
    assert capacity.settings_from_cdk(prod) == capacity.plan_settings(plan)
    for fn in plan.functions.values():
        if fn.kind == "api":
            cheaper = min(fn.options, key=fn.options.get)
            assert (fn.provisioned is not None) == (cheaper == "provisioned")


def test_a_function_cannot_have_both_provisioned_concurrency_and_snapstart():
    from cdk.config import stage_config

    context = json.loads(capacity.CDK_JSON.read_text())["context"]
    prod = context["stages"]["prod"]
    prod["capacity"]["functions"]["discovery"]["snap_start"] = True
    config = stage_config(lambda key: {**context, "stage": "prod"}[key])
    with pytest.raises(ValueError, match="discovery has both"):
        config.capacity("api", "discovery")


def test_dynamodb_units_cost_per_request_on_demand_and_per_hour_at_the_target_utilisation_provisioned():
    assert cost.dynamodb_unit_prices("on_demand") == pytest.approx((0.125 / 1e6, 0.625 / 1e6))
    read, write = cost.dynamodb_unit_prices("provisioned")
    assert (read, write) == pytest.approx((0.00013 / 3600 / 0.7, 0.00065 / 3600 / 0.7))
    assert write < 0.625 / 1e6 / 2  # a consumed write unit at 70 % costs less than half the on-demand one
    figures = {"cpu_ms": 0.0, "rru": 2.0, "wru": 4.0, "index_wru": 1.0, "events": 0.0, "redis": 0.0,
               "calls": {}, "event_types": {}}
    settings = {"users": cost.FunctionSetting(1024, snap_start=True)}
    on_demand = cost.CostModel({"GET /me": figures}, {}, {}, settings)
    provisioned = cost.CostModel({"GET /me": figures}, {}, {}, settings, dynamodb_mode="provisioned")
    assert on_demand.route("GET /me").dynamodb == pytest.approx(2 * 0.125e-6 + 5 * 0.625e-6)
    assert provisioned.route("GET /me").dynamodb == pytest.approx(2 * read + 5 * write)
    with pytest.raises(ValueError, match="capacity mode"):
        cost.dynamodb_unit_prices("reserved")


def test_the_floor_is_what_the_architecture_charges_per_message_whatever_the_code_does():
    """API Gateway, an invocation's request charge, the events and their queues' requests stay; CPU, DynamoDB,
    the cache and cold starts go. Issue 15's goal is printed against it (`make capacity`)."""
    from foodshare.catalog import CONSUMERS

    receivers = [c for c in CONSUMERS if "FoodShared" in c.event_types]
    figures = {"cpu_ms": 30.0, "rru": 2.0, "wru": 9.0, "index_wru": 1.0, "events": 1.0, "redis": 3.0,
               "calls": {"dynamodb:TransactWriteItems": 1.0}, "event_types": {"FoodShared": 1.0}}
    per_record = {**figures, "events": 0.0, "event_types": {}}
    settings = {c.name: cost.FunctionSetting(512, snap_start=True) for c in CONSUMERS}
    settings["posting"] = cost.FunctionSetting(1024, snap_start=True)
    model = cost.CostModel({"POST /food": figures}, {c.name: per_record for c in CONSUMERS}, {}, settings,
                           environments_per_request={"posting": 0.01})
    floor = model.per_message().route("POST /food")
    assert floor.dynamodb == floor.valkey == 0.0
    expected = (1.00 + 0.20 + 1.00 + 1 / 1024 / 1024 * 0.10 * 1e6  # the request, its invocation, its event
                + len(receivers) * (3 * 0.40 + 0.20)) / 1e6  # per consumer: send, receive, delete; an invocation
    assert floor.total == pytest.approx(expected)
    assert model.route("POST /food").total > floor.total
    plan = capacity.plan_for(capacity.load_durations(), capacity.default_cases())
    assert 1.0 < plan.floor_per_million["daily_peak"] < plan.per_million["daily_peak"]["total"]
