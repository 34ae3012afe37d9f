"""What `make serve` needs before the emulator starts: a synthesized template, a host layer, the issuer's key.

Runs with the project's own interpreter (.venv). Prints the JSON the Makefile passes on to
local/stack.py (which runs with the emulator's interpreter).

- **Synthesis, cached.** `dev` is synthesized into `.local/synth/<hash>/`, keyed on everything
  synthesis reads (cdk/, app.py, cdk.json, the catalog and the rest of the layer's sources,
  functions/, schemas/, requirements). A second `make serve` with nothing changed reuses it.
  `TEMPLATE=path` skips synthesis and serves that template (its assets beside it).
- **The layer, for this machine.** The template's layer is built for Lambda (arm64, CPython 3.12);
  ministack runs functions with its own interpreter here, so the same requirements are built
  for the host (scripts/build_layer.py's HOST target) plus what Lambda's Python runtime provides
  and the host interpreter does not: the AWS SDK (boto3, pinned as in requirements-dev.txt) and
  SnapStart's runtime hooks module (snapshot-restore-py), through which the emulator runs the
  functions' before-snapshot and after-restore hooks when it publishes a SnapStart version.
- **The issuer's key.** `make token` signs with the key in `.local/`; its JWKS is written where
  local/stack.py hands it to the emulator's JWT authorizer.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / ".local"
SYNTH_INPUTS = ("app.py", "cdk.json", "cdk", "functions", "layers/foodshare/python/foodshare", "schemas",
                "requirements.txt", "scripts/build_layer.py")
HOST_LAYER = LOCAL / "host-layer"
# What the Lambda Python runtime ships and the layer therefore leaves out.
RUNTIME_PROVIDED = ("boto3", "s3transfer")
# ... and what it provides that no requirements file pins (python3.12+ runtimes).
RUNTIME_PINNED = ("snapshot-restore-py==1.0.0",)


def synthesis_key(stage: str) -> str:
    digest = hashlib.sha256(stage.encode())
    for name in SYNTH_INPUTS:
        path = ROOT / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if "__pycache__" in file.parts or file.suffix == ".pyc":
                continue
            digest.update(file.relative_to(ROOT).as_posix().encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def synthesize(stage: str = "dev") -> Path:
    """The stage's template, synthesized at most once per state of its inputs."""
    out = LOCAL / "synth" / f"{stage}-{synthesis_key(stage)}"
    template = out / f"Foodshare-{stage}.template.json"
    if template.exists():
        print(f"synthesis of {stage} unchanged: {template.relative_to(ROOT)}", file=sys.stderr)
        return template
    print(f"synthesizing {stage} (about a minute; cached afterwards) ...", file=sys.stderr)
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps({"stage": stage}), "CDK_OUTDIR": str(out)}
    done = subprocess.run([sys.executable, str(ROOT / "app.py")], env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0 or not template.exists():
        sys.exit(f"make serve: synthesizing {stage} failed:\n{done.stderr[-4000:]}")
    for old in (LOCAL / "synth").glob(f"{stage}-*"):  # keep only the current one
        if old != out:
            subprocess.run(["rm", "-rf", str(old)], check=False)
    return template


def _runtime_pins() -> list[str]:
    pins = {}
    for line in (ROOT / "requirements-dev.txt").read_text().splitlines():
        name, _, version = line.split("#")[0].strip().partition("==")
        if name.lower() in RUNTIME_PROVIDED and version:
            pins[name.lower()] = f"{name}=={version}"
    if "s3transfer" not in pins:  # follows boto3's pin: take the installed one
        from importlib.metadata import version

        pins["s3transfer"] = f"s3transfer=={version('s3transfer')}"
    return sorted([*pins.values(), *RUNTIME_PINNED])


def host_layer() -> Path:
    sys.path.insert(0, str(ROOT))
    from scripts.build_layer import HOST, build

    layer = build(layer_dir=HOST_LAYER, target=HOST)
    site = layer / "python"
    pins = _runtime_pins()
    stamp = layer / ".runtime-provided"
    if not stamp.exists() or stamp.read_text() != "\n".join(pins):
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
                        "--no-compile", "--target", str(site), *pins], check=True)
        stamp.write_text("\n".join(pins))
    return layer


def write_jwks() -> Path:
    from local.jwt_keys import jwks

    path = LOCAL / "jwks.json"
    path.write_text(json.dumps(jwks()))
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--template", help="serve this synthesized template instead of synthesizing dev")
    parser.add_argument("--stage", default="dev")
    args = parser.parse_args()
    if args.template:
        template = Path(args.template).resolve()
        if not template.exists():
            sys.exit(f"make serve: TEMPLATE={args.template} does not exist")
    else:
        template = synthesize(args.stage)
    layer = host_layer()
    write_jwks()
    print(json.dumps({"template": str(template), "layerDir": str(layer)}))


if __name__ == "__main__":
    main()
