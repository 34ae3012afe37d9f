"""A small community made through the domain layer, and a ready request for every API route.

Benchmarks (warm latency, cold starts) need a request per route that the handler
really serves: a claim needs a fresh available post and a claimer with credits, a
rating needs a completed exchange. `request_for(route_key, world)` gives one, doing the
setup through the domain (outside any timing); a route added to the catalog later with
no sample here still gets a request (path parameters filled from the world by name),
and `has_sample` tells the report it is generic.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from foodshare import clock, ids
from foodshare.domain import erasure, exchanges, food, groups, identities, partnerships, users

BERLIN = (52.52, 13.405)
_serial = itertools.count(1)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    user: str | None = None
    json: Any = None
    raw_body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)

    @property
    def body(self) -> bytes | None:
        return self.raw_body if self.raw_body is not None else (
            json.dumps(self.json).encode() if self.json is not None else None)


def to_event(request: Request) -> tuple[str, dict]:
    """(function name, API Gateway v2 event) for a request, as the gateway would send it."""
    from tests.support.apigw import build_event, match_route
    from tests.support.api import claims_for

    matched = match_route(request.method, request.path)
    if matched is None:
        raise ValueError(f"no route for {request.method} {request.path}")
    event = build_event(matched, request.path, query_string=urlencode(request.query),
                        headers={"content-type": "application/json", **request.headers}, body=request.body,
                        claims=claims_for(request.user) if request.user else None)
    return matched.function, event


def _name(prefix: str) -> str:
    return f"{prefix}-{ids.new_id()[-8:].lower()}-{next(_serial)}"


def post_window(start_in_hours: float = 1, hours: float = 2):
    start = clock.now() + timedelta(hours=start_in_hours)
    return start, start + timedelta(hours=hours)


def new_post(group_id: str, title: str = "Sourdough loaves", lat_lng: tuple[float, float] = BERLIN,
             start_in_hours: float = 1) -> food.NewPost:
    start, end = post_window(start_in_hours)
    return food.NewPost(group_id=group_id, title=title, description="Baked this morning", quantity=2,
                        dietary_tags=["vegetarian"], allergens=["gluten"], lat=lat_lng[0], lng=lat_lng[1],
                        label="Bakery door", pickup_start=start, pickup_end=end)


def person(prefix: str = "user", lat_lng: tuple[float, float] = BERLIN) -> str:
    user_id = _name(prefix)
    users.ensure(user_id)
    users.update_profile(user_id, prefix.title(), lat_lng)
    return user_id


@dataclass
class World:
    """Two partner groups: `sharer` (admin of A) posts, `claimer` (member of A) browses and claims."""

    sharer: str
    claimer: str
    admin_b: str
    group_a: str
    group_b: str
    partnership: str
    posts: list[str]

    @classmethod
    def build(cls, posts: int = 20) -> World:
        sharer, claimer, admin_b = person("sharer"), person("claimer"), person("partner")
        group_a = groups.create(sharer, "Kiez Kitchen", "Neighbours sharing food")[0].group_id
        group_b = groups.create(admin_b, "Elm Street", None)[0].group_id
        groups.add_member(group_a, claimer)
        partnership = partnerships.propose(group_a, sharer, group_b, partnerships.Terms(10, 0, 3)).partnership_id
        partnerships.accept(partnership, admin_b)
        post_ids = [food.share(sharer if i % 2 else admin_b, new_post(group_a if i % 2 else group_b,
                                                                       f"Loaf {i}")).food_id
                    for i in range(posts)]
        return cls(sharer, claimer, admin_b, group_a, group_b, partnership, post_ids)

    # -- fresh state for routes that consume it ------------------------------------------

    def member(self) -> str:
        """A new member of group A with their welcome credits."""
        user_id = person("member")
        groups.add_member(self.group_a, user_id)
        return user_id

    def fresh_post(self) -> str:
        return food.share(self.sharer, new_post(self.group_a)).food_id

    def claimed(self) -> tuple[str, str]:
        """(exchange id, claimer) of a new claim on a new post."""
        claimer = self.member()
        return exchanges.claim(self.fresh_post(), claimer).exchange_id, claimer

    def completed(self) -> tuple[str, str]:
        exchange_id, claimer = self.claimed()
        exchanges.confirm(exchange_id, claimer)
        exchanges.confirm(exchange_id, self.sharer)
        return exchange_id, claimer

    def proposal(self) -> tuple[str, str]:
        """(partnership id, admin of the proposed group) of a new pending proposal from group A."""
        admin = person("admin")
        target = groups.create(admin, "Corner Pantry", None)[0].group_id
        return partnerships.propose(self.group_a, self.sharer, target, partnerships.Terms(10, 0, 3)).partnership_id, admin

    def ids_by_parameter(self) -> dict[str, str]:
        exchange_id, _ = self.claimed()
        return {"groupId": self.group_a, "foodId": self.posts[1], "userId": self.sharer,
                "partnershipId": self.partnership, "exchangeId": exchange_id}


# -- one request per route ------------------------------------------------------------------


def _answer_proposal(action: str) -> Callable[[World], Request]:
    def build(world: World) -> Request:
        partnership_id, admin = world.proposal()
        return Request("POST", f"/partnerships/{partnership_id}/{action}", admin)

    return build


def _claimer_acts(action: str, prepare: Callable[[World], tuple[str, str]], body: dict | None = None
                  ) -> Callable[[World], Request]:
    def build(world: World) -> Request:
        exchange_id, claimer = prepare(world)
        return Request("POST", f"/exchanges/{exchange_id}/{action}", claimer, body)

    return build


def _no_show(world: World) -> Request:
    exchange_id, _ = world.claimed()
    clock.advance(4 * 3600)  # the pickup window has ended
    return Request("POST", f"/exchanges/{exchange_id}/no-show", world.sharer)


def _my_exchanges(world: World) -> Request:
    """A new member's list: an exchange they claimed (the sharer's profile is read for its place) and one on their
    own post (their sharer entry)."""
    member = world.member()
    exchanges.claim(world.fresh_post(), member)
    exchanges.claim(food.share(member, new_post(world.group_a)).food_id, world.member())
    return Request("GET", "/me/exchanges", member)


def _ended_partnership(world: World) -> Request:
    partnership_id, admin = world.proposal()
    partnerships.accept(partnership_id, admin)
    return Request("DELETE", f"/partnerships/{partnership_id}", world.sharer)


def _telegram(world: World) -> Request:
    from benchmarks.environment import TELEGRAM_SECRET

    sender = {"id": 4242, "is_bot": False, "first_name": "Bench"}
    update = {"update_id": int(time.time() * 1000) % 2**31 + next(_serial),
              "message": {"message_id": next(_serial), "from": sender, "date": int(time.time()),
                          "chat": {"id": 4242, "type": "private", "first_name": "Bench"}, "text": "/help",
                          "entities": [{"offset": 0, "length": 5, "type": "bot_command"}]}}
    return Request("POST", "/webhooks/telegram", json=update, headers={"x-telegram-bot-api-secret-token": TELEGRAM_SECRET})


def _slack(world: World) -> Request:
    from benchmarks.environment import SLACK_SECRET

    body = urlencode({"team_id": "T0001", "channel_id": "C0FOOD", "user_id": "U0BENCH", "command": "/food",
                      "text": "help", "response_url": "https://hooks.slack.invalid/x"}).encode()
    stamp = str(int(clock.now().timestamp()))
    digest = hmac.new(SLACK_SECRET.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    return Request("POST", "/webhooks/slack", raw_body=body, headers={
        "content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": stamp,
        "x-slack-signature": f"v0={digest}"})


def _exemplary_member(world: World) -> str:
    """A new member of group A at the exemplary trust level (as its reputation would make them)."""
    from foodshare.data.models import UserItem

    user_id = world.member()
    UserItem.get(*UserItem.key(user_id)).update(actions=[UserItem.score.set(92), UserItem.trust_level.set("exemplary")])
    return user_id


def _appointed(world: World, user_id: str) -> str:
    """The member made a moderator of group A, as an admin's appointment leaves them (the same in every version
    of the code the harness measures: the domain's `appoint_moderator` changed its arguments)."""
    from foodshare.data.models import MembershipItem

    MembershipItem(*MembershipItem.key(world.group_a, user_id)).update(actions=[MembershipItem.role.set("moderator")])
    return user_id


def _report(world: World) -> tuple[str, str]:
    """(report id, member reported) of a new report between two new members of group A."""
    from foodshare.domain import reports

    subject = world.member()
    return reports.file(world.member(), "user", subject, "late", None).report_id, subject


def _handle(user_id: str, group_id: str) -> str:
    """The handle members of the group are shown for the user (what a client sends back, issue 16)."""
    from foodshare.domain import identities

    return identities.of(user_id, group_id).handle


def _moderator_action(world: World) -> tuple[str, str]:
    """(action id, member) of a warning a moderator of group A gave on a report."""
    from foodshare.domain import moderation

    moderator = _appointed(world, _exemplary_member(world))
    report_id, member = _report(world)
    action = moderation.act(world.group_a, moderator, moderation.ActionRequest("warn", "Came late", report_id))
    return action.action_id, member


def _appeal(world: World) -> Request:
    action_id, member = _moderator_action(world)
    return Request("POST", "/appeals", member, {"actionId": action_id, "statement": "I was on time"})


def _appeal_decision(world: World) -> Request:
    from foodshare.domain import moderation

    action_id, member = _moderator_action(world)
    appeal_id = moderation.appeal(member, action_id, "I was on time").appeal_id
    return Request("POST", f"/appeals/{appeal_id}/decision", world.sharer, {"outcome": "upheld", "reason": "Confirmed"})


def _share_body(world: World) -> dict:
    start, end = post_window()
    return {"groupId": world.group_a, "title": "Apples", "quantity": 3, "dietaryTags": ["vegan"],
            "pickupLocation": {"lat": BERLIN[0], "lng": BERLIN[1], "label": "Gate"},
            "pickupStart": clock.iso(start), "pickupEnd": clock.iso(end)}


def _an_export(world) -> Request:
    """The status of an export the claimer asked for (pending: no consumer runs in the sample)."""
    from foodshare.domain import exports

    return Request("GET", f"/me/exports/{exports.request(world.claimer).export_id}", world.claimer)


def _erase_someone(world: World) -> Request:
    """A member of a group who has used the app (their groups are cached, as any read of theirs leaves them)
    erases their account with a confirmation code: the synchronous part (freeze, queue the wind-down and the
    sweep: docs/privacy.md)."""
    from foodshare.cache import group_reads

    leaver = person("leaver")
    groups.add_member(world.group_a, leaver)
    cached_groups = getattr(group_reads, "member_groups", None)  # absent in a baseline from before 2026-12-02
    if cached_groups is not None:
        time.sleep(0.002)  # an entry is stored only on versions older than its request (cache/versions.py)
        cached_groups(leaver)
    code, _ = erasure.request(leaver)
    return Request("DELETE", "/me", leaver, {"confirmationCode": code})


def _an_erasure(world: World) -> Request:
    """The progress of an erasure under way (no consumer runs in the sample)."""
    leaver = person("leaver")
    code, _ = erasure.request(leaver)
    return Request("GET", f"/me/erasure/{erasure.start(leaver, code).request_id}", leaver)


SAMPLES: dict[str, Callable[[World], Request]] = {
    "GET /health": lambda w: Request("GET", "/health"),
    "GET /me": lambda w: Request("GET", "/me", w.claimer),
    "PUT /me": lambda w: Request("PUT", "/me", w.claimer, {"displayName": "Claire",
                                                            "location": {"lat": BERLIN[0], "lng": BERLIN[1]}}),
    "POST /groups": lambda w: Request("POST", "/groups", w.claimer, {"name": "Bench Street"}),
    "GET /groups/{groupId}": lambda w: Request("GET", f"/groups/{w.group_a}", w.claimer),
    "POST /groups/{groupId}/invites": lambda w: Request("POST", f"/groups/{w.group_a}/invites", w.sharer),
    "POST /groups/join": lambda w: Request("POST", "/groups/join", person("joiner"),
                                           {"inviteCode": groups.create_invite(w.group_a, w.sharer).code}),
    "GET /groups/{groupId}/invites": lambda w: Request("GET", f"/groups/{w.group_a}/invites", w.sharer),
    "DELETE /groups/{groupId}/invites/{code}": lambda w: Request(
        "DELETE", f"/groups/{w.group_a}/invites/{groups.create_invite(w.group_a, w.sharer).code}", w.sharer),
    "DELETE /groups/{groupId}/members/me": lambda w: Request("DELETE", f"/groups/{w.group_a}/members/me", w.member()),
    "POST /groups/{groupId}/partnerships": lambda w: Request(
        "POST", f"/groups/{w.group_a}/partnerships", w.sharer,
        {"targetGroupId": groups.create(person("admin"), "Corner Pantry", None)[0].group_id}),
    "GET /groups/{groupId}/partnerships": lambda w: Request("GET", f"/groups/{w.group_a}/partnerships", w.sharer),
    "POST /partnerships/{partnershipId}/accept": _answer_proposal("accept"),
    "POST /partnerships/{partnershipId}/decline": _answer_proposal("decline"),
    "DELETE /partnerships/{partnershipId}": _ended_partnership,
    "GET /groups/{groupId}/summary": lambda w: Request("GET", f"/groups/{w.group_a}/summary", w.claimer),
    "GET /groups/{groupId}/leaderboard": lambda w: Request("GET", f"/groups/{w.group_a}/leaderboard", w.claimer),
    "POST /food": lambda w: Request("POST", "/food", w.sharer, _share_body(w)),
    "GET /food/{foodId}": lambda w: Request("GET", f"/food/{w.posts[1]}", w.claimer),
    "DELETE /food/{foodId}": lambda w: Request("DELETE", f"/food/{w.fresh_post()}", w.sharer),
    "GET /food": lambda w: Request("GET", "/food", w.claimer, query={"lat": "52.52", "lng": "13.405", "radiusKm": "25"}),
    "POST /food/{foodId}/claims": lambda w: Request("POST", f"/food/{w.fresh_post()}/claims", w.member()),
    "POST /exchanges/{exchangeId}/confirm": _claimer_acts("confirm", World.claimed),
    "GET /exchanges/{exchangeId}": lambda w: Request("GET", f"/exchanges/{w.claimed()[0]}", w.sharer),
    # the sharer's lists: their posts (half the world's), the exchanges on them, their group
    "GET /me/groups": lambda w: Request("GET", "/me/groups", w.sharer),
    "GET /me/food": lambda w: Request("GET", "/me/food", w.sharer),
    "GET /me/exchanges": _my_exchanges,
    "POST /exchanges/{exchangeId}/cancel": _claimer_acts("cancel", World.claimed),
    "POST /exchanges/{exchangeId}/no-show": _no_show,
    "POST /exchanges/{exchangeId}/ratings": _claimer_acts("ratings", World.completed,
                                                          {"stars": 5, "comment": "Lovely bread"}),
    "GET /users/{userId}/reputation": lambda w: Request(  # someone else's, by their handle in the group
        "GET", f"/users/{identities.of(w.sharer, w.group_a).handle}/reputation", w.claimer),
    "GET /me/credits": lambda w: Request("GET", "/me/credits", w.claimer),
    "GET /me/privacy": lambda w: Request("GET", "/me/privacy", w.claimer),
    "PUT /me/privacy": lambda w: Request("PUT", "/me/privacy", w.claimer, {"leaderboard": True}),
    "GET /me/requests": lambda w: Request("GET", "/me/requests", w.claimer),
    "POST /me/erasure": lambda w: Request("POST", "/me/erasure", w.claimer),
    "DELETE /me": _erase_someone,
    "GET /me/erasure/{requestId}": _an_erasure,
    # someone with no export in the last day: the write (asked again within it, the last one is answered: 2 reads)
    "POST /me/exports": lambda w: Request("POST", "/me/exports", person("exporter")),
    "GET /me/exports/{exportId}": _an_export,
    "POST /webhooks/telegram": _telegram,
    "POST /webhooks/slack": _slack,
    "GET /groups/{groupId}/claim-quota": lambda w: Request("GET", f"/groups/{w.group_a}/claim-quota", w.claimer),
    "PUT /groups/{groupId}/claim-quota": lambda w: Request("PUT", f"/groups/{w.group_a}/claim-quota", w.sharer,
                                                           {"maxClaims": 50, "windowHours": 168, "liftHours": 2}),
    "DELETE /groups/{groupId}/claim-quota": lambda w: Request("DELETE", f"/groups/{w.group_a}/claim-quota", w.sharer),
    "POST /reports": lambda w: Request("POST", "/reports", w.member(),
                                       {"subjectType": "user", "subjectId": _handle(w.claimer, w.group_a),
                                        "reason": "late"}),
    "POST /groups/{groupId}/moderators": lambda w: Request(
        "POST", f"/groups/{w.group_a}/moderators", w.sharer,
        {"memberHandle": _handle(_exemplary_member(w), w.group_a)}),
    "GET /groups/{groupId}/moderation": lambda w: Request("GET", f"/groups/{w.group_a}/moderation", w.sharer),
    "POST /groups/{groupId}/moderation/actions": lambda w: Request(
        "POST", f"/groups/{w.group_a}/moderation/actions", w.sharer,
        {"action": "dismiss", "reason": "Not a rule breach", "reportId": _report(w)[0]}),
    "GET /me/moderation": lambda w: Request("GET", "/me/moderation", w.claimer),
    "POST /appeals": _appeal,
    "POST /appeals/{appealId}/decision": _appeal_decision,
    "GET /openapi.json": lambda w: Request("GET", "/openapi.json"),
    "GET /docs": lambda w: Request("GET", "/docs"),
}


# Samples that move this process's clock forward: benchmarks run them after the others.
TIME_TRAVELLING = frozenset({"POST /exchanges/{exchangeId}/no-show"})


def route_keys() -> list[str]:
    """Every catalog route key, the time-travelling ones last."""
    from foodshare.catalog import all_routes

    keys = [f"{route.method} {route.path}" for _, route in all_routes()]
    return sorted(keys, key=lambda key: key in TIME_TRAVELLING)


def has_sample(route_key: str) -> bool:
    return route_key in SAMPLES


def request_for(route_key: str, world: World) -> Request:
    """A request the route's handler serves; a route with no sample gets its path filled from the world."""
    if route_key in SAMPLES:
        return SAMPLES[route_key](world)
    method, path = route_key.split(" ", 1)
    values = world.ids_by_parameter()
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return Request(method, path, world.claimer)
