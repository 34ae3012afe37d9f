"""`data.responses.ItemsParser` answers exactly as botocore's own JSON parser does: on sample answers of every
output it shortens (every attribute type, keys, counts, consumed capacity), on answers it must leave to botocore
(blobs, errors, other outputs), and on every DynamoDB answer the routes' sample requests read."""

from __future__ import annotations

import json

import botocore.session
import pytest
from botocore.parsers import JSONParser
from foodshare.data import responses
from foodshare.data.models import table_connection

_MODEL = botocore.session.get_session().get_service_model("dynamodb")

# Every attribute type but blobs, nested both ways, and strings that look like blob keys.
ITEM = {
    "pk": {"S": "GROUP#g1"}, "sk": {"S": 'REPORT#1 "B": not a key'}, "count": {"N": "3"}, "ratio": {"N": "2.5"},
    "open": {"BOOL": False}, "gone": {"NULL": True}, "tags": {"SS": ["a", "b"]}, "scores": {"NS": ["1", "2"]},
    "evidence": {"M": {"text": {"S": "hi"}, "list": {"L": [{"S": "x"}, {"N": "1"}, {"M": {"name": {"S": "y"}}}]}}},
    "empty": {"L": []}, "nothing": {"M": {}},
}
KEY = {"pk": {"S": "GROUP#g1"}, "sk": {"S": "OPEN#2"}}
CAPACITY = {"TableName": "t", "CapacityUnits": 1.5, "ReadCapacityUnits": 1.5,
            "GlobalSecondaryIndexes": {"gsi1": {"CapacityUnits": 0.5}}}
PLAIN_ANSWERS = {
    "GetItem": [{"Item": ITEM}, {}, {"Item": ITEM, "ConsumedCapacity": CAPACITY}],
    "BatchGetItem": [{"Responses": {"t": [ITEM, KEY]}, "UnprocessedKeys": {}},
                     {"Responses": {"t": []}, "UnprocessedKeys": {"t": {"Keys": [KEY], "ConsistentRead": True}},
                      "ConsumedCapacity": [CAPACITY]}],
    "Query": [{"Items": [ITEM, KEY], "Count": 2, "ScannedCount": 2, "LastEvaluatedKey": KEY},
              {"Items": [], "Count": 0, "ScannedCount": 0}],
    "Scan": [{"Items": [ITEM], "Count": 1, "ScannedCount": 5, "ConsumedCapacity": CAPACITY}],
    "TransactGetItems": [{"Responses": [{"Item": ITEM}, {}]}],
    "PutItem": [{}, {"Attributes": ITEM}],
    "UpdateItem": [{"Attributes": ITEM, "ConsumedCapacity": CAPACITY}],
    "DeleteItem": [{"Attributes": KEY}],
    "BatchWriteItem": [{"UnprocessedItems": {"t": [{"PutRequest": {"Item": ITEM}}, {"DeleteRequest": {"Key": KEY}}]}}],
    "TransactWriteItems": [{}, {"ConsumedCapacity": [CAPACITY],
                                "ItemCollectionMetrics": {"t": [{"ItemCollectionKey": KEY,
                                                                 "SizeEstimateRangeGB": [0.0, 1.0]}]}}],
}
BLOB_ITEM = {**ITEM, "raw": {"B": "aGVsbG8="}, "raws": {"M": {"inner": {"BS": ["aGk=", "eW8="]}}}}


def _answer(body: dict | bytes, status: int = 200) -> dict:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return {"body": raw, "status_code": status,
            "headers": {"x-amzn-requestid": "r1", "content-type": "application/x-amz-json-1.0"}}


def _both(operation: str, answer: dict) -> tuple[dict, dict]:
    shape = _MODEL.operation_model(operation).output_shape
    return responses.ItemsParser().parse(answer, shape), JSONParser().parse(answer, shape)


@pytest.fixture
def walks(monkeypatch) -> list[str]:
    """The output shapes botocore's walk was run over."""
    walked: list[str] = []
    original = JSONParser._handle_json_body

    def counted(parser, raw_body, shape):
        walked.append(shape.name)
        return original(parser, raw_body, shape)

    monkeypatch.setattr(JSONParser, "_handle_json_body", counted)
    return walked


def test_the_shortened_outputs_are_dynamodbs_item_outputs():
    assert responses.PLAIN_OUTPUTS == {_MODEL.operation_model(name).output_shape.name for name in PLAIN_ANSWERS}


@pytest.mark.parametrize("operation", sorted(PLAIN_ANSWERS))
def test_an_answer_without_blobs_is_taken_as_json_gives_it(operation, walks):
    for body in PLAIN_ANSWERS[operation]:
        fast, reference = _both(operation, _answer(body))
        assert fast == reference, body
    assert walks == [_MODEL.operation_model(operation).output_shape.name] * len(PLAIN_ANSWERS[operation])  # botocore's only


def test_an_empty_body_is_an_empty_answer():
    fast, reference = _both("PutItem", _answer(b""))
    assert fast == reference and set(fast) == {"ResponseMetadata"}


@pytest.mark.parametrize("operation, body", [
    ("GetItem", {"Item": BLOB_ITEM}),
    ("Query", {"Items": [ITEM, BLOB_ITEM], "Count": 2, "ScannedCount": 2}),
    ("BatchGetItem", {"Responses": {"t": [BLOB_ITEM]}, "UnprocessedKeys": {}}),
])
def test_an_answer_with_blobs_is_walked_by_botocore(operation, body, walks):
    fast, reference = _both(operation, _answer(body))
    assert fast == reference
    items = fast.get("Items") or fast.get("Responses", {}).get("t") or [fast["Item"]]
    assert items[-1]["raw"] == {"B": b"hello"} and items[-1]["raws"]["M"]["inner"]["BS"] == [b"hi", b"yo"]
    assert len(walks) == 2  # ItemsParser's answer went through the walk too


def test_an_attribute_or_a_value_named_like_a_blob_is_walked_by_botocore(walks):
    for item in ({**ITEM, "B": {"S": "b"}}, {**ITEM, "grade": {"S": "B"}}):
        fast, reference = _both("GetItem", _answer({"Item": item}))
        assert fast == reference and fast["Item"] == item
    assert len(walks) == 4


def test_a_blob_is_found_whatever_spacing_follows_its_key(walks):
    body = b'{"Item": {"pk": {"S": "X"}, "raw" : {"B" : "aGk="}}}'
    fast, reference = _both("GetItem", _answer(body))
    assert fast == reference and fast["Item"]["raw"] == {"B": b"hi"} and len(walks) == 2


def test_errors_and_other_outputs_are_botocores():
    error = _answer({"__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
                     "message": "The conditional request failed", "Item": ITEM}, status=400)
    fast, reference = _both("PutItem", error)
    assert fast == reference and fast["Error"]["Code"] == "ConditionalCheckFailedException"
    described = _answer({"Table": {"TableName": "t", "CreationDateTime": 1764000000.5, "ItemCount": 3}})
    fast, reference = _both("DescribeTable", described)
    assert fast == reference and fast["Table"]["CreationDateTime"].year == 2025


def test_the_tables_client_reads_with_it(walks):
    connection = table_connection()
    client = connection.connection.client
    assert isinstance(client._endpoint._response_parser_factory, responses.ItemsParserFactory)
    client.put_item(TableName=connection.table_name, Item=ITEM)
    assert client.get_item(TableName=connection.table_name, Key={"pk": ITEM["pk"], "sk": ITEM["sk"]})["Item"] == ITEM
    assert walks == []


def test_every_answer_the_routes_read_is_what_botocore_gives(monkeypatch):
    """The routes' sample requests (benchmarks/world.py), each DynamoDB answer parsed both ways."""
    from benchmarks.world import World, request_for, to_event
    from tests.budgets import BUDGETS
    from tests.support.api import invoke

    compared: list[str] = []
    shortened = responses.ItemsParser._handle_json_body

    def checked(parser, raw_body, shape):
        answer = shortened(parser, raw_body, shape)
        if shape is not None and shape.name in responses.PLAIN_OUTPUTS:
            assert answer == JSONParser._handle_json_body(parser, raw_body, shape), shape.name
            compared.append(shape.name)
        return answer

    monkeypatch.setattr(responses.ItemsParser, "_handle_json_body", checked)
    world = World.build(posts=2)
    for key in sorted(BUDGETS):  # every route but the docs and the webhooks (their own secrets)
        function, event = to_event(request_for(key, world))
        assert invoke(event, function)["statusCode"] < 500, key
    assert {"GetItemOutput", "BatchGetItemOutput", "QueryOutput", "TransactWriteItemsOutput"} <= set(compared)
    assert len(compared) > 2 * len(BUDGETS)
