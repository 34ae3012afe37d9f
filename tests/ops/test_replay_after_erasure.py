"""Replay (`make replay` = scripts/replay.py --verify) after an erasure must reproduce the live derived state."""

from __future__ import annotations

from foodshare import replay

from tests.events.conftest import backbone  # noqa: F401
from tests.privacy.test_erasure_counterparts import _erase
from tests.support import flows
from tests.support.api import call


def test_replay_after_an_erasure_equals_the_live_state(backbone):  # noqa: F811
    """The sweep deletes the person's activity marks; replaying their events (now under the anonymous id) must not
    write one back (`make replay` --verify compares the two)."""
    c = flows.community()  # sam, cleo in a group
    flows.user("erin")
    flows.join("erin", c["group"], "sam")
    exchange = flows.claim("erin", flows.share("sam", c["group"]))
    flows.complete("sam", "erin", exchange)
    assert call("POST", f"/exchanges/{exchange}/ratings", user="erin", json={"stars": 5}).status == 201
    flows.share("erin", c["group"])
    backbone.deliver()
    _erase("erin", backbone)
    live = replay.derived_state()
    assert replay.rebuild() > 0
    after = replay.derived_state()
    differing = sorted(k for k in live.keys() | after.keys() if live.get(k) != after.get(k))
    assert differing == []
