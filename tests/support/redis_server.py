"""Which Redis the tests use: the machine's real one, else a redis-server we start, else fakeredis.

CI must use a real server, so with CI set the fakeredis fallback is refused.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from tests.support.environment import redis_answers

TEST_DB = 15
# Databases a second test session on this machine may take (0 serves `make serve`; 12-14 the benchmarks')
SPARE_DBS = tuple(range(11, 0, -1))
_claims: list = []  # the lock files held for the session's life


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_redis_server(binary: str) -> str:
    port = _free_port()
    workdir = tempfile.mkdtemp(prefix="foodshare-redis-")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    atexit.register(process.terminate)
    for _ in range(50):
        if redis_answers("127.0.0.1", port):
            return f"redis://127.0.0.1:{port}/{TEST_DB}"
        time.sleep(0.1)
    raise RuntimeError("started redis-server but it does not answer")


def claim_db(host: str, port: int, lock_dir: str | None = None) -> int:
    """A database of that Redis no other test session on this machine uses: each test flushes its database,
    so two sessions on one (a second `make test`, a helper's checkout) failed each other's cache and rate-limit
    tests. An exclusive lock per database, held until this process ends: db 15, else a spare one."""
    import fcntl

    for db in (TEST_DB, *SPARE_DBS):
        path = os.path.join(lock_dir or tempfile.gettempdir(), f"foodshare-tests-redis-{host}-{port}-db{db}.lock")
        handle = open(path, "a")  # noqa: SIM115 - held open: the lock lasts as long as the session
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        _claims.append(handle)
        return db
    raise RuntimeError(f"every test database of redis://{host}:{port} is taken by another test session")


def redis_url_for_tests() -> str:
    """A URL for a real Redis (env TEST_REDIS_URL wins); "fakeredis://" as the last resort."""
    if os.environ.get("TEST_REDIS_URL"):
        return os.environ["TEST_REDIS_URL"]
    if redis_answers("127.0.0.1", 6379):
        url = f"redis://127.0.0.1:6379/{claim_db('127.0.0.1', 6379)}"
        print(f"tests: using the real Redis at {url}", file=sys.stderr)
        return url
    binary = shutil.which("redis-server")
    if binary:
        url = _start_redis_server(binary)
        print(f"tests: started {binary} for the tests at {url}", file=sys.stderr)
        return url
    if os.environ.get("CI"):
        raise RuntimeError("CI must test against a real Redis: none answers on 127.0.0.1:6379 and no redis-server")
    print("tests: no Redis found; falling back to fakeredis", file=sys.stderr)
    return "fakeredis://"
