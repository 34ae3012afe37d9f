"""The rehearsal: the synthesized template deployed on the emulator, driven through its API Gateway.

One stack per session (tests/support/stack.py, registered in tests/conftest.py). The suite-wide in-process fixtures (moto,
per-test Redis flush, the fake clock) are replaced here: these tests talk to the served stack.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def aws():
    yield


@pytest.fixture(autouse=True)
def clean_redis():
    yield None
