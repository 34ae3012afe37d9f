"""One cold start: a fresh interpreter imports a handler module and serves one event.

Run by benchmarks.cold_start as `python -m benchmarks.cold_child <module> <event.json>`;
prints one line `COLD <json>` with the import and first-event times it measured. It
imports nothing before the handler that a Lambda container would not import itself.
"""

import importlib
import json
import sys
import time

MARKER = "COLD "


def main() -> None:
    module_name, event_path = sys.argv[1], sys.argv[2]
    with open(event_path) as source:
        event = json.load(source)
    started = time.perf_counter()
    module = importlib.import_module(module_name)
    imported = time.perf_counter()
    from local.apigw import LambdaContext  # the runtime's object, not part of the function's cold start

    context = LambdaContext(function_name=module_name.split(".")[1])
    served_from = time.perf_counter()
    answer = module.handler(event, context) or {}
    served = time.perf_counter()
    print(MARKER + json.dumps({
        "import_ms": (imported - started) * 1000,
        "first_event_ms": (served - served_from) * 1000,
        "status": answer.get("statusCode"),
        "failed_records": len(answer.get("batchItemFailures", [])),
    }), flush=True)


if __name__ == "__main__":
    main()
