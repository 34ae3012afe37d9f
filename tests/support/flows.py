"""Building blocks for API tests: users, groups, partnerships and posts made through the handlers."""

from __future__ import annotations

from datetime import timedelta

from foodshare import clock
from tests.support.api import call

BERLIN = {"lat": 52.52, "lng": 13.405}
POTSDAM = {"lat": 52.39, "lng": 13.065}  # ~27 km from Berlin


def user(user_id: str, location: dict | None = BERLIN, name: str | None = None) -> dict:
    body = {"displayName": name or user_id.title()}
    if location:
        body["location"] = location
    reply = call("PUT", "/me", user=user_id, json=body)
    assert reply.status == 200, reply
    return reply.body


def group(admin: str, name: str = "Kiez Kitchen") -> str:
    reply = call("POST", "/groups", user=admin, json={"name": name})
    assert reply.status == 201, reply
    return reply.body["groupId"]


def invite(admin: str, group_id: str) -> str:
    reply = call("POST", f"/groups/{group_id}/invites", user=admin)
    assert reply.status == 201, reply
    return reply.body["inviteCode"]


def join(user_id: str, group_id: str, admin: str) -> None:
    reply = call("POST", "/groups/join", user=user_id, json={"inviteCode": invite(admin, group_id)})
    assert reply.status == 200, reply


def partnership(admin_a: str, group_a: str, admin_b: str, group_b: str, **terms) -> str:
    body: dict = {"targetGroupId": group_b}
    if terms:
        body["terms"] = terms
    reply = call("POST", f"/groups/{group_a}/partnerships", user=admin_a, json=body)
    assert reply.status == 201, reply
    partnership_id = reply.body["partnershipId"]
    accepted = call("POST", f"/partnerships/{partnership_id}/accept", user=admin_b)
    assert accepted.status == 200, accepted
    return partnership_id


def window(start_in_hours: float = 1, length_hours: float = 2) -> tuple[str, str]:
    start = clock.now() + timedelta(hours=start_in_hours)
    return clock.iso(start), clock.iso(start + timedelta(hours=length_hours))


def post_body(group_id: str, **overrides) -> dict:
    start, end = window()
    body = {
        "groupId": group_id,
        "title": "Sourdough loaves",
        "description": "Baked this morning",
        "quantity": 3,
        "dietaryTags": ["vegetarian"],
        "allergens": ["gluten"],
        "pickupLocation": {**BERLIN, "label": "Bakery door"},
        "pickupStart": start,
        "pickupEnd": end,
    }
    body.update(overrides)
    return body


def share(user_id: str, group_id: str, **overrides) -> str:
    reply = call("POST", "/food", user=user_id, json=post_body(group_id, **overrides))
    assert reply.status == 201, reply
    return reply.body["foodId"]


def claim(user_id: str, food_id: str) -> str:
    reply = call("POST", f"/food/{food_id}/claims", user=user_id)
    assert reply.status == 201, reply
    return reply.body["exchangeId"]


def complete(sharer: str, claimer: str, exchange_id: str) -> None:
    for who in (claimer, sharer):
        reply = call("POST", f"/exchanges/{exchange_id}/confirm", user=who)
        assert reply.status == 200, reply
    assert reply.body["status"] == "completed"


def community() -> dict:
    """Two users in one group: "sam" (admin, sharer) and "cleo" (member, claimer)."""
    user("sam")
    user("cleo")
    group_id = group("sam")
    join("cleo", group_id, "sam")
    return {"group": group_id, "sharer": "sam", "claimer": "cleo"}


def handle(user_id: str, group_id: str) -> str:
    """The handle other members of `group_id` are shown for `user_id` (what a client would send back)."""
    from foodshare.domain import identities

    return identities.of(user_id, group_id).handle


def set_score(user_id: str, score: float) -> None:
    """Put the person's reputation score (and trust level) straight into their profile, before anything caches it."""
    from foodshare.data.models import UserItem
    from foodshare.reputation_rules import trust_level

    user = UserItem.get(*UserItem.key(user_id))
    user.update(actions=[UserItem.score.set(score), UserItem.trust_level.set(trust_level(score))])


def one_sharer_in_two_groups_with_a_partner() -> tuple[str, str]:
    """sam in North (his) and South (bea's); pia's Partner group partnered with both (50 km, no minimum): what a
    partner member sees of one sharer in two groups. Returns (North, South)."""
    for name in ("sam", "bea", "pia"):
        user(name)
    one = group("sam", "North")
    two = group("bea", "South")
    join("sam", two, "bea")
    partner = group("pia", "Partner")
    for g, admin in ((one, "sam"), (two, "bea")):
        partnership("pia", partner, admin, g, maxDistanceKm=50, minReputation=0)
    return one, two
