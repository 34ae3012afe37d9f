"""Two test sessions on one machine never share (and flush) one Redis database (tests/support/redis_server.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support import redis_server

ROOT = Path(__file__).resolve().parents[2]


def test_a_second_session_takes_a_spare_database_and_db_15_is_free_again_when_the_first_ends(tmp_path):
    claim = f"from tests.support.redis_server import claim_db; print(claim_db('h', 1, {str(tmp_path)!r}))"
    held = len(redis_server._claims)
    try:
        assert redis_server.claim_db("h", 1, str(tmp_path)) == redis_server.TEST_DB  # this process: the first
        other = subprocess.run([sys.executable, "-c", claim], cwd=ROOT, capture_output=True, text=True, check=True)
        assert int(other.stdout) == redis_server.SPARE_DBS[0] != redis_server.TEST_DB
        assert redis_server.SPARE_DBS[0] not in (0, 12, 13, 14)  # `make serve`'s and the benchmarks' databases
    finally:
        for handle in redis_server._claims[held:]:
            handle.close()  # the session ends: its lock goes with it
        del redis_server._claims[held:]
    again = subprocess.run([sys.executable, "-c", claim], cwd=ROOT, capture_output=True, text=True, check=True)
    assert int(again.stdout) == redis_server.TEST_DB
