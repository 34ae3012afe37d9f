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


# ---- and nothing more: a change no cached view shows leaves every entry served ---------------------------------


def _titles(user: str) -> list[str]:
    reply = call("GET", "/food", user=user)
    assert reply.status == 200, reply
    return sorted(item["title"] for item in reply.body["items"])


def _warm_titles(user: str) -> list[str]:
    before = _l1_hits("discovery_page")
    for _ in range(3):
        titles = _titles(user)
    assert _l1_hits("discovery_page") > before, "the page was not served from the cache"
    return titles


def test_a_claim_leaves_the_claimers_own_posts_cached_for_the_members_of_their_other_groups(aws_operations):
    """sam claims bea's soup in South. The claim holds his credit (`CreditsHeld`, naming him): a balance on his
    profile that no cached view shows. ada, in North with him, keeps her page of his bread: before, every claim,
    cancel and completion made the profile of everyone it named stale, and with it every page showing their posts
    in any group (and their discovery entry), rebuilt from DynamoDB."""
    for name in ("sam", "ada", "bea"):
        flows.user(name)
    north, south = flows.group("sam", "North"), flows.group("bea", "South")
    flows.join("ada", north, "sam")
    flows.join("sam", south, "bea")
    flows.share("sam", north, title="Bread")
    soup = flows.share("bea", south, title="Soup")
    assert _warm_titles("ada") == ["Bread"]
    flows.claim("sam", soup)
    del aws_operations[:]
    hits = _l1_hits("discovery_page")
    assert _titles("ada") == ["Bread"]
    assert _l1_hits("discovery_page") == hits + 1 and aws_operations == []


def _read(group_id: str, user: str) -> tuple[dict, list]:
    summary = call("GET", f"/groups/{group_id}/summary", user=user)
    board = call("GET", f"/groups/{group_id}/leaderboard", user=user)
    assert summary.status == board.status == 200, (summary, board)
    return summary.body, board.body["leaders"]


def test_a_withdrawal_an_expiry_and_a_cancel_leave_the_groups_summary_and_leaderboard_cached(aws_operations):
    """Neither read model counts a post taken off or an exchange cancelled (the summary counts posts shared and
    exchanges completed, kept by the read-model consumer, which makes them stale once it has counted; the
    leaderboard shows the members and their scores, which `ReputationChanged` makes stale). Before, each of these
    made both stale, and a large group's leaderboard (a query and a batch per 100 members) was read again."""
    from datetime import timedelta

    from foodshare import clock
    from foodshare.catalog import SCHEDULED_JOBS

    from tests.support.event_source import function_invoker
    from tests.support.schedules import scheduled_event

    c = flows.community()
    soon = flows.share("sam", c["group"], title="Soon", pickupStart=clock.now_iso(),
                       pickupEnd=clock.iso(clock.now() + timedelta(seconds=5)))
    bread = flows.share("sam", c["group"], title="Bread")
    soup = flows.share("sam", c["group"], title="Soup")
    for _ in range(3):
        before = _read(c["group"], "cleo")
    exchange = flows.claim("cleo", soup)
    before = [_read(c["group"], "cleo") for _ in range(2)][-1]  # the claim's active mark is the consumer's
    hits = _l1_hits("group_summary"), _l1_hits("reputation_rankings")

    assert call("DELETE", f"/food/{bread}", user="sam").status == 200  # FoodWithdrawn
    assert call("POST", f"/exchanges/{exchange}/cancel", user="cleo").status == 200  # ExchangeCancelled
    clock.advance(10)
    job = next(j for j in SCHEDULED_JOBS if j.name == "food_expiry")
    assert function_invoker(job.name)(scheduled_event(job))["expired"] == 1  # FoodExpired
    assert call("GET", f"/food/{soon}", user="sam").body["status"] == "expired"
    del aws_operations[:]
    assert _read(c["group"], "cleo") == before
    assert (_l1_hits("group_summary"), _l1_hits("reputation_rankings")) == (hits[0] + 1, hits[1] + 1)
    assert aws_operations == []


def test_every_event_type_is_decided_on():
    """`keys_for` has no default: a new event type that changes what a cached view reads, left out of `STALES`,
    would be served stale until the TTL, and one that changes nothing would make views stale for nothing."""
    from foodshare.cache import versions
    from foodshare.events import EVENT_SOURCES

    assert set(versions.STALES) == set(EVENT_SOURCES)
