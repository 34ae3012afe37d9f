"""The API answers what its document says, for any generated input (schemathesis).

Against a running stack (`stack`), as a user who belongs to a group (`world`), with path
parameters naming real groups, posts, exchanges and partnerships so operations get past
404. Checks: no 5xx, every status documented, every body matching its schema, the
documented content type. The CI run is the fuzzing phase with a few examples an operation;
`make fuzz` adds the coverage phase (boundary and invalid values of every parameter) and
more examples: FUZZ_EXAMPLES, FUZZ_PHASES.
"""

from __future__ import annotations

import os
import random

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from local.openapi import DOCUMENT

schema = schemathesis.openapi.from_path(DOCUMENT)
schema.config.phases.update(phases=os.environ.get("FUZZ_PHASES", "examples,fuzzing").split(","))
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance]


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_the_api_answers_as_documented(case, stack, world):
    if case.path_parameters:
        # most cases name something that exists; the rest keep the generated value (404s are documented)
        for name in case.path_parameters:
            if name in world.ids and random.random() < 0.85:
                case.path_parameters[name] = random.choice(world.ids[name])
    headers = {"authorization": f"Bearer {stack.token_for(world.user)}"}
    case.call_and_validate(base_url=stack.base_url, headers=headers, checks=CHECKS)
