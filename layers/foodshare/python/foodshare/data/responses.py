"""DynamoDB's item-carrying answers read with `json.loads` alone, skipping botocore's walk over their shape.

botocore parses a JSON answer twice: `json.loads`, then a walk over the operation's output shape that visits
every attribute value of every item only to convert blobs and timestamps. For the outputs named in
`PLAIN_OUTPUTS` that walk changes nothing but the blobs (`B`, `BS`): their other members are strings,
numbers, booleans, lists and maps that `json.loads` already gives as the walk would leave them (the walk
would also drop null members and members its model does not name, which DynamoDB does not send). It was most
of a read's parsing (~0.06 ms an item; a moderation page reads ~40 items). So an answer of those outputs
that names no blob is returned as `json.loads` gives it; any other answer (a blob, another output, an error)
is parsed by botocore as before. The table stores no binary attribute, so on this table the fallback is only
a safety net. `tests/unit/test_responses.py` checks both ways agree, on sample answers and on every
answer the routes' samples read.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.parsers import JSONParser, ResponseParserFactory

# The outputs whose only members are attribute values, counts, keys and consumed capacity.
PLAIN_OUTPUTS = frozenset({
    "GetItemOutput", "BatchGetItemOutput", "QueryOutput", "ScanOutput", "TransactGetItemsOutput",
    "PutItemOutput", "UpdateItemOutput", "DeleteItemOutput", "BatchWriteItemOutput", "TransactWriteItemsOutput",
})
# A blob's type in an answer's JSON is the key `"B"` or `"BS"`, whatever spacing follows it. Inside a string
# value a quote is escaped (`\"B\"`), so these appear only as a whole key or value; an attribute named "B"
# or a string value "B" just takes botocore's walk.
_BLOB_KEYS = (b'"B"', b'"BS"')


class ItemsParser(JSONParser):
    """botocore's JSON parser, with `PLAIN_OUTPUTS` answers that hold no blob taken as `json.loads` gives them."""

    def _handle_json_body(self, raw_body: bytes, shape: Any) -> Any:
        if shape is not None and shape.name in PLAIN_OUTPUTS and not any(key in raw_body for key in _BLOB_KEYS):
            return json.loads(raw_body) if raw_body else {}
        return super()._handle_json_body(raw_body, shape)


class ItemsParserFactory(ResponseParserFactory):
    """The session's parser factory with `ItemsParser` for the JSON protocol (DynamoDB's and EventBridge's;
    EventBridge's outputs are not in `PLAIN_OUTPUTS`, so they are parsed as before)."""

    def create_parser(self, protocol_name: str) -> Any:
        if protocol_name == "json":
            return ItemsParser(**self._defaults)
        return super().create_parser(protocol_name)


def install(session: Any) -> None:
    """Make `session`'s clients created from now on read DynamoDB answers with `ItemsParser`."""
    session.register_component("response_parser_factory", ItemsParserFactory())
