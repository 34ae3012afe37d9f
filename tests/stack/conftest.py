"""The rehearsal: the synthesized template deployed on the emulator, driven through its API Gateway.

One stack per session (tests/support/stack.py, registered in tests/conftest.py). The suite-wide in-process fixtures (moto,
per-test Redis flush, the fake clock) are replaced here: these tests talk to the served stack.
"""

from __future__ import annotations

from tests.support.stack import aws, clean_redis  # noqa: F401  (the served stack's replacements)
