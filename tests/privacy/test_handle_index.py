"""Handles resolve by key (issue 16's handles at issue 15's scale): two reads however many groups and members
the caller can see; partner claimers and reporters resolve where they were shown; people who left do not."""

from __future__ import annotations

from benchmarks.world import Request, to_event
from foodshare.data.models import HandleItem
from foodshare.domain import discovery, identities
from ops import handles
from tests.support import flows, round_trips
from tests.support.api import call


def _reputation_calls(handle: str, viewer: str) -> tuple[int, int]:
    trips = round_trips.measure(*to_event(Request("GET", f"/users/{handle}/reputation", viewer)))
    return trips.status, sum(trips.aws.values())


def _ben_in_anns_group() -> tuple[str, str]:
    """ann's group "Home" with ben as a member: (its id, ben's handle there)."""
    for name in ("ann", "ben"):
        flows.user(name)
    home = flows.group("ann", "Home")
    flows.join("ben", home, "ann")
    return home, flows.handle("ben", home)


def test_opening_a_handle_costs_the_same_reads_in_one_group_or_in_many_crowded_ones():
    home, shown = _ben_in_anns_group()
    status, alone = _reputation_calls(shown, "ann")
    assert status == 200

    for n in range(6):  # ann sees six more groups of five members each; ben is in none of them
        other = flows.group("ann", f"Crowd {n}")
        for m in range(5):
            flows.user(f"crowd-{n}-{m}")
            flows.join(f"crowd-{n}-{m}", other, "ann")
    status, crowded = _reputation_calls(shown, "ann")
    assert status == 200
    assert crowded == alone, (alone, crowded)


def test_a_partner_claimer_and_a_partner_reporter_resolve_in_the_posts_group():
    for name in ("sam", "pia", "ola"):
        flows.user(name)
    home, partner = flows.group("sam", "Home"), flows.group("pia", "Partner")
    flows.join("ola", partner, "pia")
    flows.partnership("pia", partner, "sam", home, maxDistanceKm=50, minReputation=0)
    exchange = flows.claim("pia", flows.share("sam", home))
    claimer = call("POST", f"/exchanges/{exchange}/cancel", user="sam").body["claimer"]
    assert call("GET", f"/users/{claimer['handle']}/reputation", user="sam").status == 200

    food = flows.share("sam", home)
    assert call("POST", "/reports", user="ola",
                json={"subjectType": "food", "subjectId": food, "reason": "spam"}).status == 201
    reporter = next(r["reporter"]["member"] for r in call("GET", f"/groups/{home}/moderation", user="sam").body["reports"])
    assert identities.resolve(reporter["handle"], "sam", discovery.visible_group_ids("sam")) == ("ola", home)
    assert identities.resolve(reporter["handle"], "sam", {home}) is None  # only partners' members are seen


def test_a_member_who_left_and_an_unknown_handle_name_nobody():
    home, shown = _ben_in_anns_group()
    assert identities.resolve(shown, "ann", {home}) == ("ben", home)
    assert call("DELETE", f"/groups/{home}/members/me", user="ben").status < 300
    assert identities.resolve(shown, "ann", {home}) is None
    assert call("GET", f"/users/{shown}/reputation", user="ann").status == 404
    assert identities.resolve("h-" + "a" * (len(shown) - 2), "ann", {home}) is None


def test_the_one_off_records_the_handles_of_people_who_appeared_before_the_index():
    home, shown = _ben_in_anns_group()
    HandleItem(*HandleItem.key(shown)).delete()  # as before the index existed
    assert identities.resolve(shown, "ann", {home}) is None

    assert handles.migrate() >= 2  # ann and ben in Home
    assert identities.resolve(shown, "ann", {home}) == ("ben", home)
    assert handles.migrate() >= 2  # again: the same items
    assert identities.resolve(shown, "ann", {home}) == ("ben", home)
