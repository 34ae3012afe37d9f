"""The one-off moving older flags into the moderation queue's `OPEN` range (ops/flags.py)."""

from __future__ import annotations

import json

from foodshare.data.models import FlagItem
from ops import flags
from tests.support import flows
from tests.support.api import call


def _older_flag(group_id: str, user_id: str, kind: str, dismissed: int) -> None:
    """A flag as written before the move (`FLAG#<user>#<kind>`)."""
    FlagItem(f"GROUP#{group_id}", f"{flags.OLD_PREFIX}{user_id}#{kind}", user_id=user_id, kind=kind,
             explanation=f"{dismissed} of this member's reports were dismissed",
             evidence=json.dumps({"upheld": 0, "dismissed": dismissed}), created_at="2026-11-01T00:00:00Z").save()


def test_older_flags_show_in_the_queue_once_moved_and_a_newer_one_stays():
    c = flows.community()
    group = c["group"]
    flows.user("ida")
    flows.join("ida", group, "sam")
    _older_flag(group, "ida", "unfounded_reports", 3)
    _older_flag(group, "cleo", "unfounded_reports", 4)
    newer = FlagItem(*FlagItem.key(group, "cleo", "unfounded_reports"), user_id="cleo", kind="unfounded_reports",
                     explanation="5 of this member's reports were dismissed",
                     evidence=json.dumps({"upheld": 0, "dismissed": 5}), created_at="2026-12-01T00:00:00Z")
    newer.save()  # flagged again after the deploy, before the one-off ran

    def flagged() -> dict[str, dict]:
        view = call("GET", f"/groups/{group}/moderation", user="sam").body
        return {f["member"]["handle"]: f["evidence"] for f in view["flagged"]}

    assert flagged() == {flows.handle("cleo", group): {"upheld": 0, "dismissed": 5}}  # the older ones are unread

    assert flags.migrate() == 1  # ida's; cleo's newer one stays and the older is dropped
    assert flagged() == {flows.handle("ida", group): {"upheld": 0, "dismissed": 3},
                         flows.handle("cleo", group): {"upheld": 0, "dismissed": 5}}
    assert not list(FlagItem.query(f"GROUP#{group}", FlagItem.sk.startswith(flags.OLD_PREFIX)))
    assert flags.migrate() == 0  # again: nothing left to move
