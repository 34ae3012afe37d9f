"""Groups, invites, membership and partnerships."""

from __future__ import annotations

from datetime import timedelta

from foodshare import clock
from tests.support import flows
from tests.support.api import call


def test_create_group_makes_creator_admin():
    reply = call("POST", "/groups", user="sam", json={"name": "Kiez Kitchen", "description": "Neighbours"})
    assert reply.status == 201
    group_id = reply.body["groupId"]
    got = call("GET", f"/groups/{group_id}", user="sam")
    assert got.status == 200
    assert got.body["name"] == "Kiez Kitchen" and got.body["memberCount"] == 1 and got.body["role"] == "admin"


def test_group_validation():
    reply = call("POST", "/groups", user="sam", json={"name": " ", "description": "x" * 501})
    assert reply.status == 400
    assert set(reply.body["error"]["fields"]) == {"name", "description"}


def test_group_is_invisible_to_non_members():
    group_id = flows.group("sam")
    assert call("GET", f"/groups/{group_id}", user="eve").status == 404
    assert call("GET", "/groups/NOPE", user="sam").status == 404


def test_invite_and_join():
    group_id = flows.group("sam")
    reply = call("POST", f"/groups/{group_id}/invites", user="sam")
    assert reply.status == 201
    code = reply.body["inviteCode"]
    joined = call("POST", "/groups/join", user="cleo", json={"inviteCode": code.lower()})
    assert joined.status == 200 and joined.body["role"] == "member" and joined.body["memberCount"] == 2
    assert call("GET", f"/groups/{group_id}", user="cleo").body["memberCount"] == 2
    again = call("POST", "/groups/join", user="cleo", json={"inviteCode": code})
    assert again.status == 409 and again.error_code == "already_member"
    assert call("GET", f"/groups/{group_id}", user="sam").body["memberCount"] == 2


def test_an_invite_code_from_before_the_group_in_it_still_joins():
    """Codes made before issue 15 are 10 characters without the group's id: the group is read after the invite."""
    from foodshare.data.models import InviteItem

    group_id = flows.group("sam")
    new_code = call("POST", f"/groups/{group_id}/invites", user="sam").body["inviteCode"]
    assert new_code.startswith(f"{group_id}-") and len(new_code) == len(group_id) + 11
    expires = clock.now() + timedelta(days=1)
    InviteItem(*InviteItem.key("K7Q2XR9M4A"), code="K7Q2XR9M4A", group_id=group_id, created_by="sam",
               expires_at=clock.iso(expires), expires_at_epoch=expires).save()
    joined = call("POST", "/groups/join", user="cleo", json={"inviteCode": "k7q2xr9m4a"})
    assert joined.status == 200 and joined.body["groupId"] == group_id and joined.body["memberCount"] == 2
    # a code naming another group than its invite's: the invite decides
    other = flows.group("bea")
    InviteItem(*InviteItem.key(f"{other}-K7Q2XR9M4B"), code=f"{other}-K7Q2XR9M4B", group_id=group_id,
               created_by="sam", expires_at=clock.iso(expires), expires_at_epoch=expires).save()
    flows.user("tom")
    joined = call("POST", "/groups/join", user="tom", json={"inviteCode": f"{other}-K7Q2XR9M4B"})
    assert joined.status == 200 and joined.body["groupId"] == group_id and joined.body["memberCount"] == 3
    unknown = call("POST", "/groups/join", user="tom", json={"inviteCode": f"{group_id}-ZZZZZZZZZZ"})
    assert unknown.status == 404 and unknown.body["error"]["fields"] == {"inviteCode": "unknown code"}


def test_only_admins_invite():
    group_id = flows.group("sam")
    flows.join("cleo", group_id, "sam")
    assert call("POST", f"/groups/{group_id}/invites", user="cleo").status == 403
    assert call("POST", f"/groups/{group_id}/invites", user="eve").status == 404


def test_unknown_and_expired_invites():
    group_id = flows.group("sam")
    unknown = call("POST", "/groups/join", user="cleo", json={"inviteCode": "ZZZZZZZZZZ"})
    assert unknown.status == 404 and unknown.body["error"]["fields"] == {"inviteCode": "unknown code"}
    code = flows.invite("sam", group_id)
    clock.advance(8 * 24 * 3600)
    expired = call("POST", "/groups/join", user="cleo", json={"inviteCode": code})
    assert expired.status == 409 and expired.error_code == "invite_expired"
    assert call("POST", "/groups/join", user="cleo", json={}).status == 400


def test_leave_group():
    """Leaving, down to the last member (the last admin hands over first: tests/api/test_admin_handover.py)."""
    group_id = flows.group("sam")
    flows.join("cleo", group_id, "sam")
    flows.join("ida", group_id, "sam")
    assert call("DELETE", f"/groups/{group_id}/members/me", user="ida").status == 200
    assert call("GET", f"/groups/{group_id}", user="ida").status == 404
    assert call("GET", f"/groups/{group_id}", user="sam").body["memberCount"] == 2
    assert call("DELETE", f"/groups/{group_id}/members/me", user="ida").status == 404
    assert call("DELETE", f"/groups/{group_id}/members/me", user="sam").status == 200  # the last admin: hands over
    shown = call("GET", f"/groups/{group_id}", user="cleo").body
    assert (shown["role"], shown["memberCount"]) == ("admin", 1)
    assert call("DELETE", f"/groups/{group_id}/members/me", user="cleo").status == 200  # alone: may leave


def _two_groups():
    group_a = flows.group("sam", "North")
    group_b = flows.group("bea", "South")
    return group_a, group_b


def test_partnership_proposal_defaults_and_acceptance():
    group_a, group_b = _two_groups()
    reply = call("POST", f"/groups/{group_a}/partnerships", user="sam", json={"targetGroupId": group_b})
    assert reply.status == 201
    body = reply.body
    assert body["status"] == "pending"
    assert body["terms"] == {"maxDistanceKm": 10, "minReputation": 70, "maxClaimsPerMemberPerWeek": 3}
    pid = body["partnershipId"]
    assert call("POST", f"/partnerships/{pid}/accept", user="sam").status == 403  # proposer cannot accept
    assert call("POST", f"/partnerships/{pid}/accept", user="eve").status == 404
    accepted = call("POST", f"/partnerships/{pid}/accept", user="bea")
    assert accepted.status == 200 and accepted.body["status"] == "active"
    assert call("POST", f"/partnerships/{pid}/decline", user="bea").status == 409
    ended = call("DELETE", f"/partnerships/{pid}", user="sam")
    assert ended.status == 200 and ended.body["status"] == "ended"
    assert call("DELETE", f"/partnerships/{pid}", user="bea").status == 409


def _proposal_from_before(group_a: str, group_b: str) -> str:
    """A pending proposal as written before issue 15: its id one ULID, naming no group."""
    from foodshare import ids
    from foodshare.data.models import PartnerLinkItem, PartnershipItem
    from foodshare.domain import partnerships

    pid, terms, now = ids.new_id(), partnerships.Terms().attribute(), clock.now_iso()
    PartnershipItem(*PartnershipItem.key(pid), partnership_id=pid, from_group_id=group_a, to_group_id=group_b,
                    status="pending", terms=terms, created_by="sam", created_at=now, updated_at=now).save()
    for own, other in ((group_a, group_b), (group_b, group_a)):
        PartnerLinkItem(*PartnerLinkItem.key(own, other), group_id=own, partner_group_id=other, partnership_id=pid,
                        status="pending", terms=terms).save()
    return pid


def test_partnership_ids_name_both_groups_and_ids_from_before_still_work():
    from foodshare.data.models import PartnerSetItem
    from foodshare.domain import partnerships

    group_a, group_b = _two_groups()
    pid = call("POST", f"/groups/{group_a}/partnerships", user="sam", json={"targetGroupId": group_b}).body[
        "partnershipId"]
    assert pid.startswith(f"{group_a}-{group_b}-")
    assert call("POST", f"/partnerships/{group_b}-{group_a}-{pid.rsplit('-', 1)[1]}/accept",
                user="bea").status == 404  # the groups swapped: no such partnership
    assert call("POST", f"/partnerships/{pid}/decline", user="bea").body["status"] == "declined"
    old = _proposal_from_before(group_a, group_b)
    assert call("POST", f"/partnerships/{old}/accept", user="sam").status == 403
    assert call("POST", f"/partnerships/{old}/accept", user="bea").body["status"] == "active"
    partners = {g: [p.group_id for p in partnerships.partners_in(g, PartnerSetItem.get(*PartnerSetItem.key(g)))]
                for g in (group_a, group_b)}
    assert partners == {group_a: [group_b], group_b: [group_a]}  # both partner sets, as with a new id
    assert call("DELETE", f"/partnerships/{old}", user="sam").body["status"] == "ended"
    assert partnerships.partners_in(group_a, PartnerSetItem.get(*PartnerSetItem.key(group_a))) == []


def test_partnership_rules():
    group_a, group_b = _two_groups()
    flows.join("cleo", group_a, "sam")
    assert call("POST", f"/groups/{group_a}/partnerships", user="cleo", json={"targetGroupId": group_b}).status == 403
    self_partner = call("POST", f"/groups/{group_a}/partnerships", user="sam", json={"targetGroupId": group_a})
    assert self_partner.status == 400 and "targetGroupId" in self_partner.body["error"]["fields"]
    assert call("POST", f"/groups/{group_a}/partnerships", user="sam", json={"targetGroupId": "NOPE"}).status == 404
    bad_terms = call("POST", f"/groups/{group_a}/partnerships", user="sam",
                     json={"targetGroupId": group_b, "terms": {"maxDistanceKm": -1, "minReputation": 101}})
    assert bad_terms.status == 400
    assert set(bad_terms.body["error"]["fields"]) == {"terms.maxDistanceKm", "terms.minReputation"}
    first = call("POST", f"/groups/{group_a}/partnerships", user="sam",
                 json={"targetGroupId": group_b, "terms": {"maxDistanceKm": 5}})
    assert first.status == 201 and first.body["terms"]["maxDistanceKm"] == 5
    duplicate = call("POST", f"/groups/{group_b}/partnerships", user="bea", json={"targetGroupId": group_a})
    assert duplicate.status == 409 and duplicate.error_code == "partnership_exists"
    declined = call("POST", f"/partnerships/{first.body['partnershipId']}/decline", user="bea")
    assert declined.status == 200 and declined.body["status"] == "declined"
    renewed = call("POST", f"/groups/{group_b}/partnerships", user="bea", json={"targetGroupId": group_a})
    assert renewed.status == 201  # a declined proposal does not block a new one


def test_a_group_everyone_left_can_neither_be_partnered_nor_have_its_proposal_accepted():
    """sam proposed from North, then left it, its last member: nobody in North can answer for the partnership. Bea's
    accept made it active with an empty group (and a proposal to North waited for an admin who would never come)."""
    group_a, group_b = _two_groups()
    pid = call("POST", f"/groups/{group_a}/partnerships", user="sam", json={"targetGroupId": group_b}).body[
        "partnershipId"]
    assert call("DELETE", f"/groups/{group_a}/members/me", user="sam").status == 200
    accepted = call("POST", f"/partnerships/{pid}/accept", user="bea")
    assert accepted.status == 409 and accepted.error_code == "invalid_state", accepted
    assert call("POST", f"/partnerships/{pid}/decline", user="bea").body["status"] == "declined"
    proposed = call("POST", f"/groups/{group_b}/partnerships", user="bea", json={"targetGroupId": group_a})
    assert proposed.status == 404 and proposed.body["error"]["fields"] == {"targetGroupId": "unknown group"}


def test_an_admin_who_leaves_while_their_answer_is_in_flight_does_not_answer_for_the_group(monkeypatch):
    """ada, South's second admin, accepts; she leaves South between the accept's read and its write. The accept was
    decided on her role as read and landed: a partnership accepted by someone no longer in the group. Now it reads
    again, finds her gone (404) and the proposal is still pending for South's admins."""
    from foodshare.data import reads
    from foodshare.data.models import GroupItem, MembershipItem, PartnershipItem

    group_a, group_b = _two_groups()
    flows.join("ada", group_b, "bea")
    MembershipItem.get(*MembershipItem.key(group_b, "ada")).update(actions=[MembershipItem.role.set("admin")])
    GroupItem.get(*GroupItem.key(group_b)).update(actions=[GroupItem.admin_count.add(1)])  # no route makes admins
    pid = call("POST", f"/groups/{group_a}/partnerships", user="sam", json={"targetGroupId": group_b}).body[
        "partnershipId"]
    real, raced = reads.get_many, []

    def read_then_leave(keys, *args, **kwargs):
        found = real(keys, *args, **kwargs)
        if not raced and any(model is PartnershipItem for model, _ in keys):
            raced.append(True)
            assert call("DELETE", f"/groups/{group_b}/members/me", user="ada").status == 200
        return found

    monkeypatch.setattr(reads, "get_many", read_then_leave)
    accepted = call("POST", f"/partnerships/{pid}/accept", user="ada")
    monkeypatch.setattr(reads, "get_many", real)
    assert raced and accepted.status == 404, accepted
    assert PartnershipItem.get(*PartnershipItem.key(pid)).status == "pending"
    assert call("POST", f"/partnerships/{pid}/accept", user="bea").body["status"] == "active"


def test_an_account_being_erased_cannot_join_a_group():
    """DELETE /me froze the account (it can no longer act): joining answers 403 `account_erased`, as documented for
    `joinGroup`, and writes no membership naming the person (one landing after the wind-down would outlive it)."""
    from foodshare.data.models import MembershipItem

    group_id = flows.group("sam")
    flows.user("erin")
    code = flows.invite("sam", group_id)
    confirmation = call("POST", "/me/erasure", user="erin").body["confirmationCode"]
    assert call("DELETE", "/me", user="erin", json={"confirmationCode": confirmation}).status == 202
    joined = call("POST", "/groups/join", user="erin", json={"inviteCode": code})
    assert joined.status == 403 and joined.error_code == "account_erased", joined
    assert [m.user_id for m in MembershipItem.query(f"GROUP#{group_id}", MembershipItem.sk.startswith("MEMBER#"))] == [
        "sam"]
    assert call("GET", f"/groups/{group_id}", user="sam").body["memberCount"] == 1
