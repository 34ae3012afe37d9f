"""The README's curl tour, run as written against `python -m local.server` in its own process."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _tour_script() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## A short tour", 1)[1]
    return re.search(r"```bash\n(.*?)```", section, re.S).group(1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server():
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TABLE_NAME", "EVENT_BUS"))}
    env["REDIS_URL"] = os.environ["REDIS_URL"]
    env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{ROOT / 'layers/foodshare/python'}"
    process = subprocess.Popen([sys.executable, "-m", "local.server", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/health", timeout=1)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"local server did not start: {process.communicate()[0]}")
            time.sleep(0.1)
    yield base
    process.terminate()
    process.wait(timeout=10)


def test_readme_tour_runs_as_written(server):
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", _tour_script()], cwd=ROOT,
                            env={**os.environ, "BASE": server}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert '"status":"ok"' in lines[0] or '"status":"degraded"' in lines[0]
    assert '"pseudonym"' in lines[1]
    assert '"Sourdough"' in result.stdout and '"distanceKm"' in result.stdout
    assert '"already_claimed"' in result.stdout
    assert '"status":"completed"' in result.stdout
    assert result.stdout.count('"stars":5') == 2
    assert lines[-1].startswith('{"balance":4')  # Sam: 3 welcome credits + 1 from Cleo
