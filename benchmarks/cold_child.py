"""One cold start in a fresh interpreter, reported as one line `COLD <json>`.

`python -m benchmarks.cold_child function <module> <event.json>`: import a handler module
and serve one event (an on-demand cold start: INIT, then the first event). `... snapstart
<module> <event.json>`: the same with SnapStart's cycle between them, as Lambda runs it: the
handler's before-snapshot hooks (`snapshot_ms`, part of the INIT that runs once, when a
version is published), then the after-restore hooks and the first event, which every
restored environment runs (`after_restore_ms` = `restore_hooks_ms` + `first_event_ms`). `... baseline`: import boto3 and aws_lambda_powertools. `... floor
<modules.json>`: import just those (third-party) modules. The line carries the process's
CPU time from interpreter start to that point (`cpu_ms`), split into import and first
event for a function, with the first event's wall time and, for a function, the
third-party modules it loaded. It is printed before the interpreter tears down, which
Lambda never does on a cold start, so the parent's clock stops at the line too.
Nothing is imported before the handler that a Lambda container would not import itself.
"""

import importlib
import json
import sys
import time

MARKER = "COLD "
BASELINE_MODULES = ("boto3", "aws_lambda_powertools")
OWN_PACKAGES = frozenset({"foodshare", "functions", "local", "benchmarks", "__main__"})


def _cpu_ms() -> float:
    return time.process_time() * 1000


def third_party_modules() -> list[str]:
    """Every loaded module of a package that is neither the standard library nor ours."""
    return sorted(
        name for name in list(sys.modules)
        if name.split(".")[0] not in sys.stdlib_module_names and name.split(".")[0] not in OWN_PACKAGES
        and not name.startswith("_")
    )


def _import_all(names: list[str]) -> None:
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - aliases some packages register at run time (six.moves.*) cannot be imported by name
            pass


def serve_first_event(module_name: str, event_path: str, snapstart: bool = False) -> dict:
    with open(event_path) as source:
        event = json.load(source)
    started = _cpu_ms()
    module = importlib.import_module(module_name)
    imported = _cpu_ms()
    hooks = {}
    if snapstart:
        from foodshare import snapstart as hooks_module  # the function registered its hooks when it was assembled

        hooks_module.run_before_snapshot()
        snapshotted = _cpu_ms()
        hooks_module.run_after_restore()
        restored = _cpu_ms()
        hooks = {"snapshot_ms": snapshotted - imported, "restore_hooks_ms": restored - snapshotted}
    runtime_from = _cpu_ms()
    from local.lambda_context import LambdaContext  # the runtime's object, not part of the function's cold start

    context = LambdaContext(function_name=module_name.split(".")[1])
    serving, wall_from = _cpu_ms(), time.perf_counter()
    answer = module.handler(event, context) or {}
    served, wall_to = _cpu_ms(), time.perf_counter()
    runtime_ms = serving - runtime_from
    first_event_ms = served - serving
    if hooks:
        hooks["after_restore_ms"] = hooks["restore_hooks_ms"] + first_event_ms
    return {
        **hooks,
        "cpu_ms": served - runtime_ms,
        "import_ms": imported - started,
        "first_event_ms": first_event_ms,
        "first_event_wall_ms": (wall_to - wall_from) * 1000,
        "status": answer.get("statusCode"),
        "failed_records": len(answer.get("batchItemFailures", [])),
        "third_party": third_party_modules(),
    }


def main() -> None:
    mode = sys.argv[1]
    if mode in ("function", "snapstart"):
        report = serve_first_event(sys.argv[2], sys.argv[3], snapstart=mode == "snapstart")
    elif mode == "baseline":
        _import_all(list(BASELINE_MODULES))
        report = {"cpu_ms": _cpu_ms()}
    elif mode == "floor":
        with open(sys.argv[2]) as source:
            _import_all(json.load(source))
        report = {"cpu_ms": _cpu_ms()}
    else:
        raise SystemExit(f"unknown mode {mode!r}: function, baseline or floor")
    print(MARKER + json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
