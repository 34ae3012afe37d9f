"""Logger, Metrics and Tracer, created once per container and shared by every module.

Powertools' Tracer imports the X-Ray SDK when it is built (~0.25 s of every cold
start), even with tracing off. Where tracing is off by Powertools' own rule
(POWERTOOLS_TRACE_DISABLED, or not running in Lambda: the local stack, tests,
benchmarks) the tracer is a stand-in whose decorators return the function unchanged.

Every function imports this module first, so it is also where a container checks at cold
start that its environment names what it needs (settings.check_required).
"""

from __future__ import annotations

from collections.abc import Callable
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
