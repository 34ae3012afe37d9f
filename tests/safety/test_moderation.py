"""Moderation through the API: moderators, the queue with evidence, every action, authorization,
penalties through the reputation consumer, appeals, bans blocking rejoin, notices to the member."""

from __future__ import annotations

from datetime import timedelta

import pytest
from foodshare import clock
from foodshare.data.models import UserItem

from tests.support import flows
from tests.support.api import call


def _exemplary(user_id: str) -> None:
    UserItem.get(*UserItem.key(user_id)).update(actions=[UserItem.score.set(92), UserItem.trust_level.set("exemplary")])


@pytest.fixture
def g() -> dict:
    """Group "g": sam (admin), ada (second admin), mo (moderator), cleo and ida (members).
    Group "h": olga (admin), hal (moderator), with cleo and mo as plain members."""
    c = flows.community()
    group = c["group"]
    for name in ("ada", "mo", "ida"):
        flows.user(name)
        flows.join(name, group, "sam")
    flows.user("olga")
    flows.user("hal")
    other = flows.group("olga", "Other")
    for name in ("hal", "cleo", "mo"):
        flows.join(name, other, "olga")
    for admin, group_id, moderator in (("sam", group, "mo"), ("olga", other, "hal")):
        _exemplary(moderator)
        assert call("POST", f"/groups/{group_id}/moderators", user=admin, json={"memberId": moderator}).status == 200
    ada = call("POST", f"/groups/{group}/moderators", user="sam", json={"memberId": "ada"})
    assert ada.status == 409 and ada.error_code == "not_exemplary"
    return {"g": group, "h": other}


def _promote_ada_to_admin(group_id: str) -> None:
    from foodshare.data.models import GroupItem, MembershipItem

    MembershipItem.get(*MembershipItem.key(group_id, "ada")).update(actions=[MembershipItem.role.set("admin")])
    GroupItem.get(*GroupItem.key(group_id)).update(actions=[GroupItem.admin_count.add(1)])


def _report(who: str, subject_type: str, subject_id: str, reason: str) -> str:
    reply = call("POST", "/reports", user=who, json={"subjectType": subject_type, "subjectId": subject_id,
                                                      "reason": reason, "details": "seen it"})
    assert reply.status == 201, reply
    return reply.body["reportId"]


def _act(who: str, group_id: str, **body):
    body.setdefault("reason", "Against the group's rules")
    return call("POST", f"/groups/{group_id}/moderation/actions", user=who, json=body)


def _view(who: str, group_id: str):
    return call("GET", f"/groups/{group_id}/moderation", user=who)


def _score(user_id: str) -> float:
    return call("GET", f"/users/{user_id}/reputation", user=user_id).body["score"]


def test_appointing_moderators(g):
    assert call("POST", f"/groups/{g['g']}/moderators", user="mo", json={"memberId": "ida"}).status == 403
    _exemplary("ida")
    assert call("POST", f"/groups/{g['g']}/moderators", user="cleo", json={"memberId": "ida"}).status == 403
    assert call("POST", f"/groups/{g['g']}/moderators", user="sam", json={"memberId": "ida"}).body == {
        "groupId": g["g"], "memberId": "ida", "role": "moderator"}
    again = call("POST", f"/groups/{g['g']}/moderators", user="sam", json={"memberId": "ida"})
    assert again.status == 409 and again.error_code == "already_moderating"
    assert call("POST", f"/groups/{g['g']}/moderators", user="sam", json={"memberId": "olga"}).status == 404


def test_the_queue_shows_open_reports_with_evidence_to_moderators_only(g):
    food = flows.share("cleo", g["g"])
    report = _report("ida", "food", food, "unsafe_food")
    _report("sam", "user", "cleo", "harassment")
    for who, status in (("cleo", 403), ("olga", 404), ("hal", 404)):
        assert _view(who, g["g"]).status == status, who
    view = _view("mo", g["g"]).body
    assert view["groupId"] == g["g"] and view["flagged"] == [] and view["appeals"] == []
    entry = next(e for e in view["reports"] if e["reportId"] == report)
    assert entry["reason"] == "unsafe_food" and entry["details"] == "seen it"
    assert entry["member"] | {"score": None, "trustLevel": None} == {
        "userId": "cleo", "trustLevel": None, "score": None, "exchangesCompleted": 0, "noShows": 0,
        "cancellations": 0, "averageRating": None, "openReports": 2}
    assert entry["reporter"] == {"userId": "ida", "upheld": 0, "dismissed": 0}
    # The user report went to both groups cleo and sam share? Only g: sam is not in h.
    assert _view("hal", g["h"]).body["reports"] == []


def test_upheld_reports_apply_their_penalties_with_monthly_caps(g, backbone):
    backbone.deliver()
    start = _score("cleo")
    for _ in range(4):  # safety_violation: -10 each, at most -30 a month
        report = _report("ida", "user", "cleo", "harassment")
        reply = _act("mo", g["g"], action="warn", reportId=report)
        assert reply.status == 201 and reply.body["penalty"] == "safety_violation", reply
    backbone.deliver()
    assert _score("cleo") == start - 30
    history = call("GET", "/users/cleo/reputation", user="cleo").body["history"]
    penalties = [h for h in history if h["impact"] == "safety_violation"]
    assert sorted(h["applied"] for h in penalties) == [-10, -10, -10, 0]  # whichever came last hit the cap
    assert all(h["reason"].startswith("A moderator upheld a report") for h in penalties)
    assert sum("the month's cap of -30" in h["reason"] for h in penalties) == 1
    report = _report("ida", "user", "cleo", "spam")
    assert _act("mo", g["g"], action="warn", reportId=report).body["penalty"] == "spam_report"
    report = _report("ida", "user", "cleo", "late")  # no penalty for other reasons
    assert _act("mo", g["g"], action="warn", reportId=report).body["penalty"] is None
    backbone.deliver()
    assert _score("cleo") == start - 35
    assert _view("mo", g["g"]).body["reports"] == []  # all decided


def test_dismissals_flag_a_reporter_whose_reports_keep_being_dismissed(g):
    for reason in ("spam", "selling", "other"):
        report = _report("ida", "user", "cleo", reason)
        reply = _act("mo", g["g"], action="dismiss", reportId=report, reason="Nothing found")
        assert reply.status == 201 and reply.body["penalty"] is None
    [flag] = _view("mo", g["g"]).body["flagged"]
    assert flag["userId"] == "ida" and flag["kind"] == "unfounded_reports"
    assert flag["evidence"] == {"upheld": 0, "dismissed": 3} and "3 of this member's reports" in flag["explanation"]
    # The dismissal concerns the reporter: it is theirs to see and appeal.
    assert [a["action"] for a in call("GET", "/me/moderation", user="ida").body["actions"]] == ["dismiss"] * 3
    closed = _act("mo", g["g"], action="dismiss", reportId=report)
    assert closed.status == 409 and closed.error_code == "report_closed"


def test_remove_post_restrict_remove_member_and_ban(g):
    food = flows.share("cleo", g["g"])
    report = _report("ida", "food", food, "selling")
    removed = _act("mo", g["g"], action="remove_post", reportId=report)
    assert removed.status == 201 and removed.body["foodId"] == food
    assert call("GET", f"/food/{food}", user="ida").body["status"] == "removed"

    restricted = _act("mo", g["g"], action="restrict", memberId="cleo", days=3)
    assert restricted.status == 201
    other = flows.share("sam", g["g"])
    refused = call("POST", f"/food/{other}/claims", user="cleo")
    assert refused.status == 409 and refused.error_code == "restricted"
    assert refused.body["error"]["retryAt"] == restricted.body["until"]
    assert call("POST", "/food", user="cleo", json=flows.post_body(g["g"])).error_code == "restricted"
    assert call("POST", "/food", user="cleo", json=flows.post_body(g["h"])).status == 201  # only in that group
    clock.advance(3 * 86400 + 1)
    assert call("POST", f"/food/{flows.share('sam', g['g'])}/claims", user="cleo").status == 201

    assert _act("mo", g["g"], action="remove_member", memberId="ida").status == 201
    assert call("GET", f"/groups/{g['g']}", user="ida").status == 404
    flows.join("ida", g["g"], "sam")  # removed, not banned: may be invited again

    assert _act("mo", g["g"], action="ban", memberId="ida").status == 201
    code = call("POST", f"/groups/{g['g']}/invites", user="sam").body["inviteCode"]
    rejoin = call("POST", "/groups/join", user="ida", json={"inviteCode": code})
    assert rejoin.status == 403 and rejoin.error_code == "banned"


def test_actions_need_a_reason_and_their_target(g):
    no_reason = call("POST", f"/groups/{g['g']}/moderation/actions", user="mo", json={"action": "warn",
                                                                                      "memberId": "cleo"})
    assert no_reason.status == 400 and set(no_reason.body["error"]["fields"]) == {"reason"}
    assert set(_act("mo", g["g"], action="restrict", memberId="cleo").body["error"]["fields"]) == {"days"}
    assert set(_act("mo", g["g"], action="dismiss").body["error"]["fields"]) == {"reportId"}
    assert set(_act("mo", g["g"], action="remove_post").body["error"]["fields"]) == {"foodId"}
    assert set(_act("mo", g["g"], action="warn").body["error"]["fields"]) == {"memberId"}
    assert set(_act("mo", g["g"], action="shout", memberId="cleo").body["error"]["fields"]) == {"action"}
    assert call("GET", "/me/moderation", user="cleo").body == {"actions": []}  # nothing was written


def test_authorization_only_this_groups_admins_and_moderators(g):
    report_h = _report("hal", "user", "cleo", "spam")  # in group h
    # A member may not act; a moderator of g may not act in h (a plain member there) or on h's report from g.
    assert _act("ida", g["g"], action="warn", memberId="cleo").status == 403
    assert _act("mo", g["h"], action="warn", memberId="cleo").status == 403
    assert _act("mo", g["g"], action="dismiss", reportId=report_h).status == 404
    assert _act("hal", g["g"], action="warn", memberId="cleo").status == 404
    about_mo = _report("ida", "user", "mo", "harassment")
    own = _act("mo", g["g"], action="dismiss", reportId=about_mo)
    assert own.status == 403 and own.error_code == "own_report"
    food_h = flows.share("cleo", g["h"])
    assert _act("mo", g["g"], action="remove_post", foodId=food_h).status == 404
    # Nobody acts on an admin or on themselves; moderators not on moderators.
    for who, target in (("mo", "sam"), ("mo", "mo"), ("sam", "sam")):
        reply = _act(who, g["g"], action="warn", memberId=target)
        assert reply.status == 403 and reply.error_code == "not_allowed_on_member", (who, target)
    _exemplary("ida")
    call("POST", f"/groups/{g['g']}/moderators", user="sam", json={"memberId": "ida"})
    assert _act("mo", g["g"], action="warn", memberId="ida").status == 403
    assert _act("sam", g["g"], action="warn", memberId="ida").status == 201  # an admin may
    assert _act("mo", g["g"], action="warn", memberId="olga").status == 404  # not a member of g
    assert call("GET", "/me/moderation", user="cleo").body == {"actions": []}


def test_appeal_once_decided_by_another_admin_undoes_a_restriction_and_its_penalty(g, backbone):
    _promote_ada_to_admin(g["g"])
    backbone.deliver()
    start = _score("cleo")
    report = _report("ida", "user", "cleo", "unsafe_food")
    action = _act("mo", g["g"], action="restrict", reportId=report, days=30).body
    backbone.deliver()
    assert _score("cleo") == start - 10
    assert call("POST", "/appeals", user="ida", json={"actionId": action["actionId"]}).status == 404  # not hers
    appeal = call("POST", "/appeals", user="cleo", json={"actionId": action["actionId"], "statement": "It was fine"})
    assert appeal.status == 201 and appeal.body["status"] == "open"
    again = call("POST", "/appeals", user="cleo", json={"actionId": action["actionId"]})
    assert again.status == 409 and again.error_code == "already_appealed"
    [listed] = _view("sam", g["g"]).body["appeals"]
    assert listed["statement"] == "It was fine" and listed["memberId"] == "cleo"
    decision = f"/appeals/{appeal.body['appealId']}/decision"
    for who, status in (("mo", 403), ("cleo", 403), ("olga", 404)):  # the moderator who acted, the appellant, outsiders
        assert call("POST", decision, user=who, json={"outcome": "overturned", "reason": "Fine"}).status == status
    decided = call("POST", decision, user="sam", json={"outcome": "overturned", "reason": "The food was fine"})
    assert decided.status == 200 and decided.body["status"] == "overturned"
    assert call("POST", decision, user="ada", json={"outcome": "upheld", "reason": "Not so"}).error_code == "appeal_decided"
    assert call("POST", f"/food/{flows.share('sam', g['g'])}/claims", user="cleo").status == 201  # lifted
    backbone.deliver()
    assert _score("cleo") == start
    newest = call("GET", "/users/cleo/reputation", user="cleo").body["history"][0]
    assert newest["impact"] == "reversed_safety_violation" and "overturned on appeal" in newest["reason"]
    [mine] = call("GET", "/me/moderation", user="cleo").body["actions"]
    assert mine["appealStatus"] == "overturned"


def test_an_overturned_ban_lets_the_member_rejoin_and_an_upheld_one_does_not(g):
    _promote_ada_to_admin(g["g"])
    for outcome, status in (("upheld", 403), ("overturned", 200)):
        banned = _act("mo", g["g"], action="ban", memberId="cleo").body
        appeal = call("POST", "/appeals", user="cleo", json={"actionId": banned["actionId"]}).body
        assert call("POST", f"/appeals/{appeal['appealId']}/decision", user="ada",
                    json={"outcome": outcome, "reason": "Reviewed"}).status == 200
        code = call("POST", f"/groups/{g['g']}/invites", user="sam").body["inviteCode"]
        assert call("POST", "/groups/join", user="cleo", json={"inviteCode": code}).status == status, outcome


def test_the_member_is_told_privately_with_the_reason():
    from foodshare.bots import notifications

    c = flows.community()
    flows.user("tg:77")
    flows.join("tg:77", c["group"], "sam")
    action = _act("sam", c["group"], action="restrict", memberId="tg:77", days=2, reason="Three no-shows").body
    detail = {"eventId": "E", "eventType": "ModerationActionTaken", "actorId": "sam",
              "data": {"actionId": action["actionId"], "memberId": "tg:77", "groupId": c["group"]}}
    [notice] = notifications.notices(detail)
    assert notice.user_id == "tg:77" and notice.private
    assert "restricted you" in notice.reply.text and "Three no-shows" in notice.reply.text
    assert f"until {(clock.now() + timedelta(days=2)).date().isoformat()}" in notice.reply.text
