"""Logger, Metrics and Tracer, created once per container and shared by every module.

Powertools' Tracer imports the X-Ray SDK when it is built (~0.25 s of every cold
start), even with tracing off. Where tracing is off by Powertools' own rule
(POWERTOOLS_TRACE_DISABLED, or not running in Lambda: the local stack, tests,
benchmarks) the tracer is a stand-in whose decorators return the function unchanged.

Every function imports this module first, so it is also where a container checks at cold
start that its environment names what it needs (settings.check_required).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.tracing.tracer import Tracer

from foodshare.settings import check_required

check_required()


class _TracingOff:
    """What the code uses of Tracer, doing nothing (no X-Ray SDK import)."""

    def capture_lambda_handler(self, lambda_handler: Callable[..., Any] | None = None, **_: Any) -> Any:
        return lambda_handler if lambda_handler is not None else (lambda handler: handler)

    def capture_method(self, method: Callable[..., Any] | None = None, **_: Any) -> Any:
        return method if method is not None else (lambda function: function)


logger = Logger()
metrics = Metrics()
tracer: Tracer | _TracingOff = _TracingOff() if Tracer._is_tracer_disabled() else Tracer()


# ---- validation errors: where and what kind, never the values ---------------------------------------------------


def validation_errors(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Each validation error (pydantic's `errors()`) as where it is and what kind it is, `response.pseudonym` and
    `missing`. Never its `input` (the value refused: a name, a title, a place, a code; for a missing field the whole
    object around it), `ctx` or message (a custom validator's may quote the value)."""
    return [{"loc": ".".join(str(part) for part in error.get("loc", ())), "type": str(error.get("type", ""))}
            for error in errors]


def _validation_error_in(exc: BaseException | None) -> BaseException | None:
    """A pydantic ValidationError that is `exc` or caused it (its chain: `raise … from`, or raised while handling)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if type(exc).__name__ == "ValidationError" and hasattr(exc, "errors") and hasattr(exc, "title"):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def log_exception(message: str, exc: BaseException, **extra: Any) -> None:
    """`logger.exception(message)`, unless a pydantic ValidationError is in the exception's chain: its text quotes
    every value it refused (`input_value=…`), so it is logged as its model, each error's location and type, and the
    traceback's frames (where it was raised), without any exception's message."""
    found = _validation_error_in(exc)
    if found is None:
        logger.exception(message, extra=extra or None, stacklevel=3)  # the caller's location, not this function's
        return
    logger.error(message, stacklevel=3, extra={
        **extra,
        "error": type(exc).__name__,
        "validationError": {"model": str(getattr(found, "title", "")), "errors": validation_errors(found.errors())},
        "frames": "".join(traceback.format_tb(exc.__traceback__)),
    })
