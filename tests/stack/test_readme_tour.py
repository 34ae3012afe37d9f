"""The README's curl tour, run as written against the served stack (the dev template on the emulator)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _tour_script() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## A short tour", 1)[1]
    return re.search(r"```bash\n(.*?)```", section, re.S).group(1)


def test_readme_tour_runs_as_written(served_stack):
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", _tour_script()], cwd=ROOT,
                            env={**os.environ, "BASE": served_stack.api_url}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert '"status":"ok"' in lines[0] or '"status":"degraded"' in lines[0]
    assert '"pseudonym"' in lines[1]
    assert '"Sourdough"' in result.stdout and '"distanceKm"' in result.stdout
    assert '"already_claimed"' in result.stdout
    assert '"status":"completed"' in result.stdout
    assert result.stdout.count('"stars":5') == 2
    assert lines[-1].startswith('{"balance":4')  # Sam: 3 welcome credits + 1 from Cleo
