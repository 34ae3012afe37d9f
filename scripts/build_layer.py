"""Build the shared Lambda layer directory without Docker.

The layer is `build/layer/python/`: the runtime dependencies from requirements.txt as
Linux/arm64 CPython 3.12 wheels (pip's cross-platform install, so nothing compiles
here) plus our own `foodshare` package. A stamp holding the hash of the inputs makes a
rebuild happen only when requirements.txt changes; our package is copied afresh
every time because it changes with every commit.

botocore's data is trimmed to the services the functions call (`BOTOCORE_SERVICES`):
botocore lists every service directory (~400) when it loads its first service model
and JSON-decodes the 1.25 MB `endpoints.json` when it creates its first client, about
80 ms of CPU on every cold start's first AWS call; trimmed, the layer also loses ~27 MB.

The layer ships bytecode (`__pycache__`, unchecked-hash .pyc): Lambda's /opt is read-only,
so without it every cold start compiles botocore, Powertools, pydantic and redis-py from
source again (~1 s of CPU measured here). .pyc files are specific to the Python minor
version, so they are compiled by a Python 3.12 (`LAMBDA_PYTHON`, `python3.12` on the PATH,
or a pyenv 3.12); without one the build says so and ships source only.

`build(target=HOST)` builds the same layer for this machine's Python (the cold-start
benchmark runs functions on it, as Lambda runs them on the real one).

Run: `python scripts/build_layer.py` (also run by `make layer`, `make synth` and app.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements.txt"
OWN_PACKAGE = ROOT / "layers" / "foodshare" / "python" / "foodshare"
EVENT_SCHEMAS = ROOT / "schemas"
OPENAPI_DOCUMENT = ROOT / "docs" / "openapi.json"
LAYER_DIR = ROOT / "build" / "layer"
LAMBDA = ("--platform", "manylinux2014_aarch64", "--implementation", "cp", "--python-version", "3.12", "--only-binary=:all:")
HOST = ()
# What the functions call: DynamoDB (PynamoDB, Idempotency), EventBridge (the outbox relay),
# Secrets Manager and SSM (the bots' secrets), STS (credential providers outside Lambda).
BOTOCORE_SERVICES = ("dynamodb", "events", "s3", "secretsmanager", "ssm", "sts")


def _inputs_hash(target: tuple[str, ...], python: str | None) -> str:
    spec = f"{' '.join(target)}\n{python}\n{BOTOCORE_SERVICES}\n{REQUIREMENTS.read_text()}"
    return hashlib.sha256(spec.encode()).hexdigest()


def _python_version(python: str) -> tuple[int, int] | None:
    try:
        done = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:2])"],
                              capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return None
    return tuple(int(part) for part in done.stdout.split()) if done.returncode == 0 else None  # type: ignore[return-value]


def bytecode_python(target: tuple[str, ...]) -> str | None:
    """An interpreter of the target's Python version, to compile the layer's bytecode with."""
    if target == HOST:
        return sys.executable
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [os.environ.get("LAMBDA_PYTHON"), shutil.which("python3.12"),
                  *map(str, sorted(pyenv_root.glob("versions/3.12*/bin/python3.12")))]
    return next((c for c in candidates if c and _python_version(c) == (3, 12)), None)


def compile_bytecode(path: Path, python: str) -> None:
    """.pyc beside the sources, valid whatever the files' timestamps (a zip's extraction changes them)."""
    subprocess.run([python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash", str(path)],
                   check=False, stdout=subprocess.DEVNULL)


def trim_botocore(site: Path, services: tuple[str, ...] = BOTOCORE_SERVICES) -> None:
    """Keep only `services` in botocore/data and in its endpoints.json partitions."""
    data = site / "botocore" / "data"
    for entry in data.iterdir():
        if entry.is_dir() and entry.name not in services:
            shutil.rmtree(entry)
    endpoints_file = data / "endpoints.json"
    endpoints = json.loads(endpoints_file.read_text())
    for partition in endpoints["partitions"]:
        partition["services"] = {name: spec for name, spec in partition["services"].items() if name in services}
    endpoints_file.write_text(json.dumps(endpoints, separators=(",", ":")))


def build(layer_dir: Path = LAYER_DIR, target: tuple[str, ...] = LAMBDA) -> Path:
    """Return `layer_dir` holding `python/` with the dependencies and our package."""
    site = layer_dir / "python"
    stamp = layer_dir / ".deps-hash"
    python = bytecode_python(target)
    if python is None:
        print("build_layer: no Python 3.12 here (set LAMBDA_PYTHON): the layer ships without bytecode, "
              "and every cold start compiles its libraries (~1 s of CPU)", file=sys.stderr)
    if not stamp.exists() or stamp.read_text() != _inputs_hash(target, python):
        shutil.rmtree(layer_dir, ignore_errors=True)
        site.mkdir(parents=True)
        subprocess.run(
            [
                sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                *target, "--no-compile", "--target", str(site), "-r", str(REQUIREMENTS),
            ],
            check=True,
        )
        trim_botocore(site)
        if python:
            compile_bytecode(site, python)
        stamp.write_text(_inputs_hash(target, python))
    shutil.rmtree(site / OWN_PACKAGE.name, ignore_errors=True)
    shutil.copytree(OWN_PACKAGE, site / OWN_PACKAGE.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copytree(EVENT_SCHEMAS, site / OWN_PACKAGE.name / "schemas")  # read by foodshare.event_schemas
    shutil.copy2(OPENAPI_DOCUMENT, site / OWN_PACKAGE.name / "openapi.json")  # served by foodshare.api.docs
    if python:
        compile_bytecode(site / OWN_PACKAGE.name, python)
    return layer_dir


if __name__ == "__main__":
    print(build())
