"""The cached group summary and leaderboard follow their read models the moment a consumer applies an event.

Each test reads the route between the API write and the delivery to the one consumer that
maintains the read model, so the cache holds the state from before that consumer ran, under
the version the API write bumped; the next read after delivery must show the consumer's effect.
"""

from __future__ import annotations

import pytest

from foodshare.cache import stats
from foodshare.settings import get_settings
from tests.support.event_source import drain
from tests.support import flows
from tests.support.api import call


@pytest.fixture(autouse=True)
def no_settle_time(monkeypatch):
    """Store entries at once (by default an entry built on versions younger than 1 s is not kept)."""
    monkeypatch.setenv("CACHE_SETTLE_MS", "0")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _hits(cache_type: str) -> int:
    return sum(n for (kind, level, hit), n in stats.totals().items() if kind == cache_type and level == "L1" and hit)


def _summary(group_id: str) -> dict:
    reply = call("GET", f"/groups/{group_id}/summary", user="cleo")
    assert reply.status == 200, reply
    return reply.body


def _board(group_id: str, members=("cleo", "sam")) -> list[tuple[str, float]]:
    """Each member's own row (only one's own row carries the exact score)."""
    rows = []
    for user in members:
        reply = call("GET", f"/groups/{group_id}/leaderboard", user=user)
        assert reply.status == 200, reply
        rows += [(user, e["score"]) for e in reply.body["leaders"] if e["mine"]]
    return rows


def test_summary_is_cached_and_shows_what_the_consumer_applied_at_once(backbone):
    c = flows.community()
    hits = _hits("group_summary")
    assert [_summary(c["group"])["postsLast30Days"] for _ in range(3)] == [0, 0, 0]
    assert _hits("group_summary") > hits  # served from the cache (a fresh Redis stores from the second read)

    flows.share("sam", c["group"])
    assert _summary(c["group"])["postsLast30Days"] == 0  # the consumer has not run yet: cached again
    drain([backbone.sources["read_models"]])
    assert _summary(c["group"])["postsLast30Days"] == 1


def test_summary_shows_a_rating_the_reputation_consumer_counted_at_once(backbone):
    """A group's rating totals are the reputation consumer's (with the rating lines they count): a 3-star rating
    moves no score, so no ReputationChanged names the group, and the cached summary must still show it."""
    c = flows.community()
    exchange = flows.claim("cleo", flows.share("sam", c["group"]))
    flows.complete("sam", "cleo", exchange)
    backbone.deliver()
    assert [(_summary(c["group"])["ratingsCount"], _summary(c["group"])["averageRating"]) for _ in range(2)] == [
        (0, None), (0, None)]
    assert call("POST", f"/exchanges/{exchange}/ratings", user="cleo", json={"stars": 3}).status == 201
    assert _summary(c["group"])["ratingsCount"] == 0  # the reputation consumer has not run yet: cached again
    drain([backbone.sources["reputation_consumer"]])
    assert (_summary(c["group"])["ratingsCount"], _summary(c["group"])["averageRating"]) == (1, 3.0)


def test_leaderboard_is_cached_and_follows_score_changes_and_members_at_once(backbone):
    c = flows.community()
    hits = _hits("reputation_rankings")
    before = _board(c["group"])
    assert [_board(c["group"]) for _ in range(2)] == [before, before]
    assert _hits("reputation_rankings") > hits

    exchange = flows.claim("cleo", flows.share("sam", c["group"]))
    flows.complete("sam", "cleo", exchange)
    assert call("POST", f"/exchanges/{exchange}/ratings", user="sam", json={"stars": 5}).status == 201
    assert _board(c["group"]) == before  # the reputation consumer has not run yet
    drain([backbone.sources["reputation_consumer"]])
    after = dict(_board(c["group"]))
    assert after["cleo"] > dict(before)["cleo"] and after["sam"] > dict(before)["sam"]

    flows.user("ida")
    flows.join("ida", c["group"], "sam")
    assert "ida" in dict(_board(c["group"], ("cleo", "sam", "ida")))


def test_a_leaderboard_shows_each_member_as_its_own_group_knows_them_and_drops_those_who_left_at_once(backbone):
    """cleo is in sam's group and olga's. Each group's leaderboard shows her by that group's handle and pseudonym
    only (never the other group's, never an id); once she leaves sam's group, or a moderator bans her from it, she is
    off its leaderboard at the next read, warm cache or not, and still on olga's."""
    from foodshare.domain import identities

    c = flows.community()
    flows.user("ida")
    flows.join("ida", c["group"], "sam")
    flows.user("olga")
    other = flows.group("olga", "Other")
    flows.join("cleo", other, "olga")
    backbone.deliver()
    here, there = identities.in_group("cleo", c["group"]), identities.in_group("cleo", other)
    assert here.handle != there.handle

    def board(group_id: str, viewer: str) -> list[dict]:
        reply = call("GET", f"/groups/{group_id}/leaderboard", user=viewer)
        assert reply.status == 200, reply
        return reply.body["leaders"]

    for _ in range(2):  # the second read is served from the cache
        rows = board(c["group"], "ida")
        assert {"handle": here.handle, "pseudonym": here.pseudonym} in [
            {"handle": r["handle"], "pseudonym": r["pseudonym"]} for r in rows]
        assert there.handle not in str(rows) and there.pseudonym not in str(rows) and "cleo" not in str(rows)
        assert there.handle in str(board(other, "olga")) and here.handle not in str(board(other, "olga"))

    assert call("DELETE", f"/groups/{c['group']}/members/me", user="cleo").status == 200
    assert here.handle not in str(board(c["group"], "ida")) and len(board(c["group"], "ida")) == 2
    assert there.handle in str(board(other, "olga"))
    flows.join("cleo", c["group"], "sam")  # back in, then banned by the admin
    assert here.handle in str(board(c["group"], "ida"))
    banned = call("POST", f"/groups/{c['group']}/moderation/actions", user="sam",
                  json={"action": "ban", "memberHandle": here.handle, "reason": "Selling"})
    assert banned.status == 201, banned
    assert here.handle not in str(board(c["group"], "ida")) and there.handle in str(board(other, "olga"))
