#!/usr/bin/env python3
"""CDK entry point: `cdk synth -c stage=prod`, or `make synth` (no CLI needed).

Builds the shared layer first (scripts/build_layer.py; pip only when
requirements.txt changed), so a clean clone synthesizes and deploys as it is.
"""

import os
import sys
from pathlib import Path

# jsii warns loudly about Node 20 on every run; the synthesis itself works on it.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

ROOT = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "foodshare" / "python")]

from cdk.app import build_app  # noqa: E402
from scripts.build_layer import build as build_layer  # noqa: E402

if __name__ == "__main__":
    app, _ = build_app(layer_dir=build_layer())
    app.synth()
