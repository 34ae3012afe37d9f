"""The AWS calls each function really makes, and whether its role in a template allows them.

Recording: every botocore API call in the process goes through
`BaseClient._make_api_call`; while recording, that method is wrapped to note
(function, IAM action, resource ARN), the function being the one whose invocation
is running on the calling thread (`invoking`). Calls outside an invocation are the
test's own setup and are ignored. (A `before-call` hook on a session would miss
clients made from other sessions — Powertools builds its own — and clients created
before the hook; walking the stack for `functions/<name>/handler.py` misses handlers
that are a wrapper defined elsewhere, like the consumers' `sqs_handler`.)

Checking: the role's statements are resolved against the running environment: a
`Ref`/`Fn::GetAtt` to one of the stack's resources becomes the name or ARN the
function was really given for it (its template environment says which variable holds
what: TABLE_NAME = Ref Table, so Ref Table is the TABLE_NAME of the test run), pseudo
parameters become moto's account and region, and IAM's wildcards (`*`, `?`) match.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

ACCOUNT = "123456789012"  # moto's default account
PARTITION = "aws"


@dataclass(frozen=True)
class Call:
    function: str
    action: str  # IAM action, e.g. dynamodb:PutItem
    resource: str  # ARN


class UnknownOperation(Exception):
    """A call whose IAM resource this module cannot derive: teach `authorizations` about it."""


# ---- recording -----------------------------------------------------------------------------------


_current = threading.local()


@contextmanager
def invoking(function: str) -> Iterator[None]:
    """Attribute the calls this thread makes in the block to `function`."""
    outer = getattr(_current, "function", None)
    _current.function = function
    try:
        yield
    finally:
        _current.function = outer


@dataclass(frozen=True)
class ApiCall:
    """One API round trip (a TransactWriteItems is one, whatever its items) and the items it read."""

    function: str
    operation: str  # service:Operation, e.g. dynamodb:TransactWriteItems
    items_read: int


def items_read(operation: str, response: dict) -> int:
    """Items a DynamoDB call read (what it is billed on: a Query's scanned items, not only the matches)."""
    if operation == "GetItem":
        return int("Item" in response)
    if operation in ("Query", "Scan"):
        return int(response.get("ScannedCount", response.get("Count", 0)))
    if operation == "BatchGetItem":
        return sum(len(items) for items in response.get("Responses", {}).values())
    if operation == "TransactGetItems":
        return sum(1 for r in response.get("Responses", []) if r.get("Item"))
    return 0


@contextmanager
def recording(operations: list[ApiCall] | None = None) -> Iterator[list[Call]]:
    """Record the calls made inside `invoking` blocks while this block runs (all threads).

    `operations`, when given, also gets one ApiCall per round trip (the IAM view splits a
    transaction into its item actions; this one counts requests)."""
    from botocore.client import BaseClient

    calls: list[Call] = []
    lock = threading.Lock()
    original = BaseClient._make_api_call

    def recorded(client, operation_name, api_params):
        function = getattr(_current, "function", None)
        if function is None:
            return original(client, operation_name, api_params)
        model = client.meta.service_model
        found = authorizations(model.signing_name, operation_name, api_params, client.meta.region_name)
        with lock:
            calls.extend(Call(function, action, resource) for action, resource in found)
        response: dict = {}
        try:
            response = original(client, operation_name, api_params)
            return response
        finally:  # a refused call (a failed condition) was a round trip too
            if operations is not None:
                read = items_read(operation_name, response) if model.signing_name == "dynamodb" else 0
                with lock:
                    operations.append(ApiCall(function, f"{model.signing_name}:{operation_name}", read))

    BaseClient._make_api_call = recorded
    try:
        yield calls
    finally:
        BaseClient._make_api_call = original


def _table_arn(region: str, table: str, index: str | None = None) -> str:
    if table.startswith("arn:"):
        arn = table
    else:
        arn = f"arn:{PARTITION}:dynamodb:{region}:{ACCOUNT}:table/{table}"
    return f"{arn}/index/{index}" if index else arn


_TRANSACT_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                     "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}
_TABLE_OPERATIONS = {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "DescribeTable"}


def authorizations(service: str, operation: str, params: dict, region: str) -> list[tuple[str, str]]:
    """(IAM action, resource ARN) pairs that authorise one API call."""
    if service == "dynamodb":
        if operation in _TABLE_OPERATIONS:
            return [(f"dynamodb:{operation}", _table_arn(region, params["TableName"], params.get("IndexName")))]
        if operation in ("TransactWriteItems", "TransactGetItems"):
            # No action of its own: each item is authorised by its item action (AWS DynamoDB docs).
            pairs = []
            for item in params["TransactItems"]:
                ((kind, body),) = item.items()
                pairs.append((f"dynamodb:{_TRANSACT_ACTIONS[kind]}", _table_arn(region, body["TableName"])))
            return pairs
        if operation in ("BatchGetItem", "BatchWriteItem"):
            return [(f"dynamodb:{operation}", _table_arn(region, table)) for table in params["RequestItems"]]
    if service == "events" and operation == "PutEvents":
        buses = {entry.get("EventBusName") or "default" for entry in params["Entries"]}
        return [("events:PutEvents", bus if bus.startswith("arn:") else
                 f"arn:{PARTITION}:events:{region}:{ACCOUNT}:event-bus/{bus}") for bus in sorted(buses)]
    if service == "secretsmanager" and operation in ("GetSecretValue", "DescribeSecret"):
        secret = params["SecretId"]
        return [(f"secretsmanager:{operation}", secret if secret.startswith("arn:") else
                 f"arn:{PARTITION}:secretsmanager:{region}:{ACCOUNT}:secret:{secret}-??????")]
    if service == "ssm" and operation in ("GetParameter", "GetParameters"):
        names = [params["Name"]] if operation == "GetParameter" else params["Names"]
        return [(f"ssm:{operation}", f"arn:{PARTITION}:ssm:{region}:{ACCOUNT}:parameter/{n.lstrip('/')}") for n in names]
    if service == "s3" and operation in ("PutObject", "GetObject", "DeleteObject", "HeadObject"):
        action = "GetObject" if operation == "HeadObject" else operation  # HEAD is authorised by GetObject
        return [(f"s3:{action}", f"arn:{PARTITION}:s3:::{params['Bucket']}/{params['Key']}")]
    if service == "sqs" and operation in ("SendMessage", "SendMessageBatch"):
        url = params["QueueUrl"]
        return [(f"sqs:{operation.replace('Batch', '')}", f"arn:{PARTITION}:sqs:{region}:{ACCOUNT}:{url.rsplit('/', 1)[-1]}")]
    raise UnknownOperation(f"{service}:{operation}")


# ---- the role's policy, resolved ---------------------------------------------------------------------


class Resolver:
    """Turns a template expression into the ARN pattern it denotes in the recorded run."""

    def __init__(self, resources: dict, bindings: dict[str, str], region: str) -> None:
        self.resources = resources
        self.bindings = bindings  # logical id -> the name (Ref) the run gave it
        self.region = region

    def __call__(self, value) -> str:
        if isinstance(value, str):
            return value
        if "Ref" in value:
            return self._ref(value["Ref"])
        if "Fn::GetAtt" in value:
            logical_id, attribute = value["Fn::GetAtt"]
            return self._get_att(logical_id, attribute)
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return separator.join(self(p) for p in parts)
        return f"<unresolved {value}>"

    def _ref(self, name: str) -> str:
        pseudo = {"AWS::Region": self.region, "AWS::AccountId": ACCOUNT, "AWS::Partition": PARTITION,
                  "AWS::URLSuffix": "amazonaws.com"}
        if name in pseudo:
            return pseudo[name]
        if name in self.bindings:
            return self.bindings[name]
        resource = self.resources.get(name, {})
        if resource.get("Type") == "AWS::SecretsManager::Secret" and "Name" in resource.get("Properties", {}):
            return f"arn:{PARTITION}:secretsmanager:{self.region}:{ACCOUNT}:secret:{resource['Properties']['Name']}-??????"
        return f"<unbound {name}>"

    def _get_att(self, logical_id: str, attribute: str) -> str:
        kind = self.resources[logical_id]["Type"]
        name = self._ref(logical_id)
        if attribute == "Arn":
            if kind in ("AWS::DynamoDB::GlobalTable", "AWS::DynamoDB::Table"):
                return _table_arn(self.region, name)
            if kind == "AWS::S3::Bucket":
                return f"arn:{PARTITION}:s3:::{name}"
            if kind == "AWS::Events::EventBus":
                return f"arn:{PARTITION}:events:{self.region}:{ACCOUNT}:event-bus/{name}"
        return f"<unresolved {logical_id}.{attribute}>"


def bindings(function: dict, environment: dict[str, str]) -> dict[str, str]:
    """Logical id -> value, for each template environment variable that is a plain Ref of a resource."""
    bound = {}
    for variable, value in function.get("Environment", {}).get("Variables", {}).items():
        if isinstance(value, dict) and set(value) == {"Ref"} and variable in environment:
            bound[value["Ref"]] = environment[variable]
    return bound


@dataclass(frozen=True)
class Grant:
    actions: tuple[str, ...]
    resources: tuple[str, ...]  # resolved ARN patterns

    def allows(self, action: str, resource: str) -> bool:
        return any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in self.actions) and any(
            fnmatch.fnmatchcase(resource, pattern.replace("[", "[[]")) for pattern in self.resources
        )

    def describe(self) -> str:
        return f"{', '.join(self.actions)} on {', '.join(self.resources)}"


def grants(statements: list[dict], resolve: Resolver) -> list[Grant]:
    out = []
    for statement in statements:
        if statement.get("Effect", "Allow") != "Allow":
            continue
        actions = statement["Action"]
        resources = statement["Resource"]
        out.append(Grant(
            tuple([actions] if isinstance(actions, str) else actions),
            tuple(resolve(r) for r in (resources if isinstance(resources, list) else [resources])),
        ))
    return out
