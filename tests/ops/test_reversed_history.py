"""The one-off marking impacts taken back before cap windows were summed from the history (ops/reversed_history.py)."""

from __future__ import annotations

from foodshare import clock, ids, reputation
from foodshare.consumers import Delivered
from foodshare.data.models import ReputationHistoryItem, UserItem

from ops import reversed_history
from tests.support import flows


def _event(event_type: str, data: dict, at: str) -> Delivered:
    return Delivered(ids.new_id(), event_type, at, None, data)


def test_a_penalty_overturned_before_the_deploy_gives_its_window_room_back_after_the_pass():
    c = flows.community()
    member, at = c["claimer"], clock.now_iso()
    penalties = [_event("ModerationActionTaken", {"memberId": member, "groupId": c["group"], "penalty": "spam_report"},
                        at) for _ in range(5)]  # the month's cap (-25) is used up
    for penalty in penalties:
        assert reputation.apply(penalty) is True
    first = penalties[0]
    overturned = _event("AppealDecided", {"memberId": member, "groupId": c["group"], "outcome": "overturned",
                                          "penalty": "spam_report", "actionOccurredAt": at,
                                          "actionEventId": first.event_id}, at)
    assert reputation.apply(overturned) is True
    original = ReputationHistoryItem.get(*ReputationHistoryItem.key(member, at, first.event_id, "spam_report"))
    original.update([ReputationHistoryItem.reversed_by.remove()])  # as the consumer before the deploy left it

    assert reversed_history.migrate() == 1
    assert reversed_history.migrate() == 0  # again: marked once
    original.refresh()
    assert original.reversed_by == overturned.event_id
    score = float(UserItem.get(*UserItem.key(member)).score)
    again = _event("ModerationActionTaken", {"memberId": member, "groupId": c["group"], "penalty": "spam_report"}, at)
    assert reputation.apply(again) is True
    assert float(UserItem.get(*UserItem.key(member)).score) == score - 5  # the room given back counts
