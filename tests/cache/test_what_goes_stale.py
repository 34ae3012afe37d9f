"""Which cached views a change makes stale (cache/versions.py `keys_for`, applied after every commit): each test
warms a cached read (served from L1, proven by the hit counters), makes the change through its real path (a
handler, or the consumer that applies the event) and reads again at once, without waiting for any TTL.
"""

from __future__ import annotations

import json

import pytest

from foodshare import reputation
from foodshare.cache import stats
from foodshare.consumers import Delivered
from foodshare.data.models import EventItem
from tests.support import flows
from tests.support.api import call


def _l1_hits(kind: str) -> int:
    return sum(n for (k, level, hit), n in stats.totals().items() if k == kind and level == "L1" and hit)


def _own_row(group_id: str, user: str) -> dict:
    reply = call("GET", f"/groups/{group_id}/leaderboard", user=user)
    assert reply.status == 200, reply
    [row] = [r for r in reply.body["leaders"] if r["mine"]]
    return row


def _warm_own_row(group_id: str, user: str) -> dict:
    before = _l1_hits("reputation_rankings")
    for _ in range(3):
        row = _own_row(group_id, user)
    assert _l1_hits("reputation_rankings") > before, "the leaderboard was not served from the cache"
    return row


def _recorded(event_type: str) -> Delivered:
    [event] = [e for e in EventItem.scan(EventItem.pk.startswith("EVENTLOG#")) if e.event_type == event_type]
    return Delivered.of(json.loads(event.detail))


def _throttle_next_put(monkeypatch) -> list[str]:
    """DynamoDB refusing the next PutItem (throttled). Returns the refused operations."""
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

    real = BaseClient._make_api_call
    refused: list[str] = []

    def call_aws(client, operation, params):
        if operation == "PutItem" and not refused:
            refused.append(operation)
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
                              operation)
        return real(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", call_aws)
    return refused


def test_a_score_change_is_shown_at_once_when_its_history_line_failed_and_the_redelivery_finds_it_applied(
        monkeypatch):
    """The reputation consumer commits a lone score change as one UpdateItem, then puts its history lines. A put
    that failed (throttling) made the record fail before the cache was told; its redelivery finds the change
    applied (it only puts the lines) and told nobody either: the leaderboard kept the old score for its TTL."""
    c = flows.community()
    flows.share("sam", c["group"], title="Bread")
    assert _warm_own_row(c["group"], "sam")["score"] == 60
    shared = _recorded("FoodShared")
    refused = _throttle_next_put(monkeypatch)  # the history line, put after the profile's update committed
    with pytest.raises(Exception, match="slow down"):
        reputation.apply(shared)  # the record fails: SQS delivers it again
    assert refused == ["PutItem"]
    assert reputation.apply(shared) is False  # applied already: the lines are put, nothing more
    assert call("GET", "/users/sam/reputation", user="sam").body["score"] == 62  # the profile (uncached)
    assert _own_row(c["group"], "sam")["score"] == 62
