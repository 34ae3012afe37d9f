"""Data written beside the served stack (`make seed`, the load test's seeding: local/seed.py) is data the stack's
functions can use: in particular, recorded with the functions' identity key, so the handles the API shows for seeded
people resolve (before, the seeder used the development key and the stack a generated one: every handle the API
showed for a seeded sharer answered 404 on `GET /users/{handle}/reputation`, 58 of 65 in a load test)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEED = "from local.seed import SeedSize, seed; import sys; seed(SeedSize.parse('2,8,12'), progress=False).write(__import__('pathlib').Path(sys.argv[1]))"


def test_handles_of_seeded_people_resolve_through_the_api(served_stack, tmp_path):
    manifest_path = tmp_path / "manifest.json"
    env = {**os.environ, **served_stack.served.client_environment()}
    env.pop("PYTHONPATH", None)
    env["PYTHONPATH"] = f"{ROOT}:{ROOT / 'layers' / 'foodshare' / 'python'}"
    done = subprocess.run([sys.executable, "-c", SEED, str(manifest_path)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    manifest = json.loads(manifest_path.read_text())

    looked_up = 0
    for viewer, group_ids in sorted(manifest["users"].items()):
        page = served_stack.call("GET", "/food", user=viewer, query={"lat": 52.52, "lng": 13.405, "radiusKm": 30})
        assert page.status == 200, page
        others = {item["sharer"]["handle"] for item in page.body["items"] if not item["sharer"]["mine"]}
        for handle in sorted(others):
            reply = served_stack.call("GET", f"/users/{handle}/reputation", user=viewer)
            assert reply.status == 200, (viewer, handle, reply)
            assert reply.body["handle"] == handle and "trustLevel" in reply.body
            looked_up += 1
        if looked_up >= 6:
            break
    assert looked_up >= 6, "the seeded viewers saw too few other sharers to check"
