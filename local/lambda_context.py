"""The Lambda context object, as far as Powertools reads it: for invoking a handler outside Lambda.

Used where our own tooling calls a function's handler in this process (the restore drill's
consumer replay, the benchmarks) and by the tests' in-process harness (tests/support).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass
class LambdaContext:
    """The parts of the Lambda context object that Powertools reads."""

    function_name: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = ""

    def __post_init__(self) -> None:
        self.aws_request_id = self.aws_request_id or str(uuid.uuid4())
        self.invoked_function_arn = f"arn:aws:lambda:eu-west-1:000000000000:function:{self.function_name}"
        self.function_version = "$LATEST"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000
