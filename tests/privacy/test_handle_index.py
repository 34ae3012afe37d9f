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
    # An item recorded before it carried the member's pseudonym gets it (a report's put kept none).
    HandleItem(*HandleItem.key(shown), user_id="ben", group_id=home).save()
    handles.migrate()
    assert HandleItem.get(*HandleItem.key(shown)).pseudonym == identities.in_group("ben", home).pseudonym


def _ben_also_in_anns_second_group() -> tuple[str, str, str]:
    """ann's groups "Home" (ben and cat) and "Second" (ben): (Home, Second, ben's handle in Home)."""
    home, shown = _ben_in_anns_group()
    flows.user("cat")
    flows.join("cat", home, "ann")
    second = flows.group("ann", "Second")
    flows.join("ben", second, "ann")
    return home, second, shown


def _report_trips(reporter: str, handle: str) -> round_trips.Trips:
    return round_trips.measure(*to_event(Request("POST", "/reports", reporter,
                                                 {"subjectType": "user", "subjectId": handle, "reason": "late"})))


def _reports_filed() -> int:
    from foodshare.data.models import EventItem

    return sum(e.event_type == "ReportFiled" for e in EventItem.scan(EventItem.pk.startswith("EVENTLOG#")))


def test_a_report_by_handle_is_checked_in_its_transaction_and_answers_as_before_when_the_check_fails():
    home, _, shown = _ben_also_in_anns_second_group()
    filed = _report_trips("cat", shown)  # both in Home: the index item, then the transaction (it checks both)
    assert filed.status == 201 and filed.aws == {"dynamodb:GetItem": 1, "dynamodb:TransactWriteItems": 1}, filed

    assert call("DELETE", f"/groups/{home}/members/me", user="ben").status < 300  # ben is only in Second now
    # The transaction's check fails; the general path answers what it always did, and nothing is written.
    shares_another = call("POST", "/reports", user="ann", json={"subjectType": "user", "subjectId": shown,
                                                                 "reason": "spam"})
    assert shares_another.status == 404
    assert shares_another.body["error"]["fields"] == {"subjectId": "not a member of a group you are in"}
    flows.user("dan")
    flows.join("dan", home, "ann")
    shares_none = call("POST", "/reports", user="dan", json={"subjectType": "user", "subjectId": shown,
                                                              "reason": "spam"})
    assert shares_none.status == 404
    assert shares_none.body["error"]["fields"] == {"subjectId": "no member of the group has this handle"}
    assert call("DELETE", f"/groups/{home}/members/me", user="cat").status < 300  # the reporter left
    gone = call("POST", "/reports", user="cat", json={"subjectType": "user", "subjectId": flows.handle("ann", home),
                                                       "reason": "spam"})
    assert gone.status == 404 and gone.body["error"]["fields"] == {"subjectId": "no member of the group has this handle"}
    assert _reports_filed() == 1


def test_someone_seen_in_a_group_they_left_is_found_through_the_groups_still_shared():
    home, _, shown = _ben_also_in_anns_second_group()
    status, shared = _reputation_calls(shown, "ann")
    assert (status, shared) == (200, 2)  # the index item, then both memberships and ben's profile
    assert call("DELETE", f"/groups/{home}/members/me", user="ben").status < 300
    status, searched = _reputation_calls(shown, "ann")  # ben is in Second: the caller's groups are searched
    # the index item (once), the batch that finds ben gone from Home, ann's visible groups (2), ben's memberships,
    # then his membership and profile in one batch
    assert status == 200 and searched == 6, searched
    seen = call("GET", f"/users/{shown}/reputation", user="ann").body
    assert seen["handle"] == shown and seen["mine"] is False  # still as Home knew him
    assert call("GET", f"/users/{shown}/reputation", user="cat").status == 404  # cat shares no group with ben


def test_a_handle_is_no_probe_for_members_who_do_not_moderate_nor_for_outsiders():
    home, _, shown = _ben_also_in_anns_second_group()
    flows.user("dan")
    flows.group("dan", "Elsewhere")
    unknown = "h-" + "x" * (len(shown) - 2)
    for who, status in (("cat", 403), ("dan", 404)):
        for path, body in ((f"/groups/{home}/moderators", {}),
                           (f"/groups/{home}/moderation/actions", {"action": "warn", "reason": "Rude"})):
            answers = [call("POST", path, user=who, json=body | {"memberHandle": h}) for h in (shown, unknown)]
            assert {a.status for a in answers} == {status}, (who, path)
            assert answers[0].body == answers[1].body, (who, path)
