"""The rehearsal: the synthesized template deployed on the emulator, driven through its API Gateway.

One stack per session (tests/support/stack.py). The suite-wide in-process fixtures (moto,
per-test Redis flush, the fake clock) are replaced here: these tests talk to the served stack.
"""

from __future__ import annotations

import pytest

from tests.support.stack import served_stack  # noqa: F401  (the session fixture)


@pytest.fixture(autouse=True)
def aws():
    yield


@pytest.fixture(autouse=True)
def clean_redis():
    yield None
