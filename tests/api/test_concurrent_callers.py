"""Concurrent requests in one process each answer their own caller.

Powertools keeps the event being resolved on the class, shared by every resolver in the
process; the local stack runs many containers, and these tests many threads, in one
process. Every reply here must be about the user who sent the request.
"""

from __future__ import annotations

import sys
import threading

import pytest

from tests.support import flows
from tests.support.api import call

USERS = [f"caller-{n}" for n in range(8)]


@pytest.fixture
def frequent_thread_switches():
    """Switch threads every microsecond (default 5 ms), so overlapping requests really interleave."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def test_each_concurrent_caller_gets_their_own_answer(frequent_thread_switches):
    for user in USERS:
        flows.user(user)
    wrong: list[tuple[str, str]] = []

    def ask(user: str) -> None:
        for _ in range(25):
            reply = call("GET", "/me", user=user)
            if reply.status != 200 or reply.body["userId"] != user:
                wrong.append((user, str(reply.body)[:80]))

    threads = [threading.Thread(target=ask, args=(user,)) for user in USERS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
