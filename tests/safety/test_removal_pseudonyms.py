"""A moderator's removal or ban frees the member's pseudonym in the group as leaving does: the name no longer points
at them (docs/privacy.md keeps a pseudonym claim "while a member"), and back in the group they are the name they were
(they were given another: their old claim still held candidate 0)."""

from __future__ import annotations

import pytest
from foodshare.data.models import GroupPseudonymItem, MembershipItem

from tests.safety.test_moderation import READ_PATH, TWO_CALLS, _act, _action_trips, _promote_ada_to_admin, _report, g  # noqa: F401
from tests.support import flows
from tests.support.api import call


def _claims(group_id: str) -> dict[str, str]:
    """The group's pseudonym claims: name -> whom it names."""
    return {c.sk.removeprefix("PSEUDONYM#"): c.user_id
            for c in GroupPseudonymItem.query(f"GROUP#{group_id}", GroupPseudonymItem.sk.startswith("PSEUDONYM#"))}


def _pseudonym(group_id: str, user_id: str) -> str:
    return MembershipItem.get(*MembershipItem.key(group_id, user_id)).pseudonym


@pytest.mark.parametrize("action", ["remove_member", "ban"])
def test_a_removal_or_ban_by_handle_frees_the_pseudonym_in_two_calls(g, action):  # noqa: F811
    name = _pseudonym(g["g"], "ida")
    assert _claims(g["g"])[name] == "ida"
    trips = _action_trips("mo", g["g"], action=action, member="ida")
    assert trips.status == 201 and dict(trips.aws) == TWO_CALLS, trips.describe()
    assert name not in _claims(g["g"]) and "ida" not in _claims(g["g"]).values()
    assert _claims(g["h"]) and "ida" not in _claims(g["h"]).values()  # only in that group (she is not in h)


def test_a_removal_through_a_report_frees_the_pseudonym_and_the_member_comes_back_as_herself(g):  # noqa: F811
    """The report names the member, not her pseudonym: the read path reads her membership for it."""
    name = _pseudonym(g["g"], "cleo")
    report = _report("ida", "user", flows.handle("cleo", g["g"]), "harassment")
    trips = _action_trips("mo", g["g"], action="remove_member", reportId=report)
    assert trips.status == 201 and dict(trips.aws) == READ_PATH, trips.describe()
    assert "cleo" not in _claims(g["g"]).values()
    flows.join("cleo", g["g"], "sam")  # removed, not banned: invited again, she is the name she was
    assert _pseudonym(g["g"], "cleo") == name and _claims(g["g"])[name] == "cleo"


def test_an_overturned_ban_lets_the_member_back_under_her_own_name(g):  # noqa: F811
    _promote_ada_to_admin(g["g"])
    name = _pseudonym(g["g"], "ida")
    banned = _act("mo", g["g"], action="ban", member="ida").body
    assert name not in _claims(g["g"])
    appeal = call("POST", "/appeals", user="ida", json={"actionId": banned["actionId"]}).body
    assert call("POST", f"/appeals/{appeal['appealId']}/decision", user="ada",
                json={"outcome": "overturned", "reason": "Reviewed"}).status == 200
    flows.join("ida", g["g"], "sam")
    assert _pseudonym(g["g"], "ida") == name


def test_a_handle_item_naming_another_pseudonym_is_not_trusted_the_membership_is_read(g):  # noqa: F811
    """The first try frees the pseudonym the handle's index item carries only while the membership holds it: an
    item out of step (written before it carried the member's) makes the transaction refuse, and the read path frees
    the name the membership holds, not the one the item said."""
    from foodshare.data.models import HandleItem

    name = _pseudonym(g["g"], "ida")
    HandleItem.get(*HandleItem.key(flows.handle("ida", g["g"]))).update(actions=[HandleItem.pseudonym.set("Stale1")])
    trips = _action_trips("mo", g["g"], action="remove_member", member="ida")
    assert trips.status == 201 and dict(trips.aws) == {"dynamodb:BatchGetItem": 2,
                                                       "dynamodb:TransactWriteItems": 2}, trips.describe()
    assert name not in _claims(g["g"]) and "ida" not in _claims(g["g"]).values()
