"""Build the shared Lambda layer directory without Docker.

The layer is `build/layer/python/`: the runtime dependencies from requirements.txt as
Linux/arm64 CPython 3.12 wheels (pip's cross-platform install, so nothing compiles
here) plus our own `foodshare` package. A stamp holding the hash of the inputs makes a
rebuild happen only when requirements.txt changes; our package is copied afresh
every time because it changes with every commit.

Run: `python scripts/build_layer.py` (also run by `make layer`, `make synth` and app.py).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements.txt"
OWN_PACKAGE = ROOT / "layers" / "foodshare" / "python" / "foodshare"
EVENT_SCHEMAS = ROOT / "schemas"
LAYER_DIR = ROOT / "build" / "layer"
PLATFORM = "manylinux2014_aarch64"
PYTHON_VERSION = "3.12"


def _inputs_hash() -> str:
    spec = f"{PLATFORM} {PYTHON_VERSION}\n{REQUIREMENTS.read_text()}"
    return hashlib.sha256(spec.encode()).hexdigest()


def build(layer_dir: Path = LAYER_DIR) -> Path:
    """Return `layer_dir` holding `python/` with the dependencies and our package."""
    site = layer_dir / "python"
    stamp = layer_dir / ".deps-hash"
    if not stamp.exists() or stamp.read_text() != _inputs_hash():
        shutil.rmtree(layer_dir, ignore_errors=True)
        site.mkdir(parents=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--platform",
                PLATFORM,
                "--implementation",
                "cp",
                "--python-version",
                PYTHON_VERSION,
                "--only-binary=:all:",
                "--no-compile",
                "--target",
                str(site),
                "-r",
                str(REQUIREMENTS),
            ],
            check=True,
        )
        stamp.write_text(_inputs_hash())
    shutil.rmtree(site / OWN_PACKAGE.name, ignore_errors=True)
    shutil.copytree(OWN_PACKAGE, site / OWN_PACKAGE.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copytree(EVENT_SCHEMAS, site / OWN_PACKAGE.name / "schemas")  # read by foodshare.event_schemas
    return layer_dir


if __name__ == "__main__":
    print(build())
