"""Moderation through the API: moderators, the queue with evidence, every action, authorization,
penalties through the reputation consumer, appeals, bans blocking rejoin, notices to the member."""

from __future__ import annotations

from datetime import timedelta

import pytest
from foodshare import clock
from foodshare.data.models import UserItem

from benchmarks.world import Request, to_event
from tests.support import flows, round_trips
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
        assert _appoint(admin, group_id, moderator).status == 200
    ada = _appoint("sam", group, "ada")
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


def _act(who: str, group_id: str, member: str | None = None, **body):
    """`member`: the member acted on, sent as the handle the moderator is shown in the group."""
    body.setdefault("reason", "Against the group's rules")
    if member is not None:
        body["memberHandle"] = flows.handle(member, group_id)
    return call("POST", f"/groups/{group_id}/moderation/actions", user=who, json=body)


def _appoint(admin: str, group_id: str, member: str):
    return call("POST", f"/groups/{group_id}/moderators", user=admin,
                json={"memberHandle": flows.handle(member, group_id)})


def _view(who: str, group_id: str):
    return call("GET", f"/groups/{group_id}/moderation", user=who)


def _score(user_id: str) -> float:
    return call("GET", f"/users/{user_id}/reputation", user=user_id).body["score"]


def test_appointing_moderators(g):
    assert _appoint("mo", g["g"], "ida").status == 403
    _exemplary("ida")
    assert _appoint("cleo", g["g"], "ida").status == 403
    appointed = call("POST", f"/groups/{g['g']}/moderators", user="sam",
                     json={"memberHandle": flows.handle("ida", g["g"])}).body
    assert appointed | {"member": None} == {"groupId": g["g"], "member": None, "role": "moderator"}
    assert appointed["member"]["handle"] == flows.handle("ida", g["g"]) and appointed["member"]["mine"] is False
    again = _appoint("sam", g["g"], "ida")
    assert again.status == 409 and again.error_code == "already_moderating"
    unknown = _appoint("sam", g["g"], "olga")
    assert unknown.status == 404 and set(unknown.body["error"]["fields"]) == {"memberHandle"}  # not a member of g
    for bad in ("olga", "h-" + "x" * 20):
        assert call("POST", f"/groups/{g['g']}/moderators", user="sam", json={"memberHandle": bad}).status == 404


def test_the_evidence_shows_account_wide_figures_in_bands(g):
    from foodshare.data.models import UserItem

    UserItem(*UserItem.key("cleo")).update(actions=[
        UserItem.score.set(73.4), UserItem.completed_count.set(7), UserItem.no_show_count.set(2),
        UserItem.cancelled_count.set(30), UserItem.ratings_received.set(4), UserItem.rating_stars_total.set(15)])
    _report("ida", "user", flows.handle("cleo", g["g"]), "no_show")
    [entry] = _view("mo", g["g"]).body["reports"]
    assert entry["member"] | {"member": None, "trustLevel": None} == {
        "member": None, "trustLevel": None, "score": 70, "exchangesCompleted": 6, "noShows": 1,
        "cancellations": 26, "averageRating": 4.0, "openReports": 1}  # exact: 73.4, 7, 2, 30, 3.75


def test_the_queue_shows_open_reports_with_evidence_to_moderators_only(g):
    food = flows.share("cleo", g["g"])
    report = _report("ida", "food", food, "unsafe_food")
    _report("sam", "user", flows.handle("cleo", g["g"]), "harassment")
    for who, status in (("cleo", 403), ("olga", 404), ("hal", 404)):
        assert _view(who, g["g"]).status == status, who
    view = _view("mo", g["g"]).body
    assert view["groupId"] == g["g"] and view["flagged"] == [] and view["appeals"] == []
    entry = next(e for e in view["reports"] if e["reportId"] == report)
    assert entry["reason"] == "unsafe_food" and entry["details"] == "seen it"
    assert entry["member"]["member"]["handle"] == flows.handle("cleo", g["g"])
    assert entry["member"] | {"score": None, "trustLevel": None, "member": None} == {
        "member": None, "trustLevel": None, "score": None, "exchangesCompleted": 0, "noShows": 0,
        "cancellations": 0, "averageRating": None, "openReports": 2}
    assert entry["reporter"] | {"member": None} == {"member": None, "upheld": 0, "dismissed": 0}
    assert entry["reporter"]["member"]["handle"] == flows.handle("ida", g["g"])
    [about_cleo] = [e for e in view["reports"] if e["subjectType"] == "user"]
    assert about_cleo["subjectId"] == flows.handle("cleo", g["g"])
    # The user report went to both groups cleo and sam share? Only g: sam is not in h.
    assert _view("hal", g["h"]).body["reports"] == []


def test_upheld_reports_apply_their_penalties_with_monthly_caps(g, backbone):
    backbone.deliver()
    start = _score("cleo")
    for _ in range(4):  # safety_violation: -10 each, at most -30 a month
        report = _report("ida", "user", flows.handle("cleo", g["g"]), "harassment")
        reply = _act("mo", g["g"], action="warn", reportId=report)
        assert reply.status == 201 and reply.body["penalty"] == "safety_violation", reply
    backbone.deliver()
    assert _score("cleo") == start - 30
    history = call("GET", "/users/cleo/reputation", user="cleo").body["history"]
    penalties = [h for h in history if h["impact"] == "safety_violation"]
    assert sorted(h["applied"] for h in penalties) == [-10, -10, -10, 0]  # whichever came last hit the cap
    assert all(h["reason"].startswith("A moderator upheld a report") for h in penalties)
    assert sum("the month's cap of -30" in h["reason"] for h in penalties) == 1
    report = _report("ida", "user", flows.handle("cleo", g["g"]), "spam")
    assert _act("mo", g["g"], action="warn", reportId=report).body["penalty"] == "spam_report"
    report = _report("ida", "user", flows.handle("cleo", g["g"]), "late")  # no penalty for other reasons
    assert _act("mo", g["g"], action="warn", reportId=report).body["penalty"] is None
    backbone.deliver()
    assert _score("cleo") == start - 35
    assert _view("mo", g["g"]).body["reports"] == []  # all decided


def test_dismissals_flag_a_reporter_whose_reports_keep_being_dismissed(g):
    for reason in ("spam", "selling", "other"):
        report = _report("ida", "user", flows.handle("cleo", g["g"]), reason)
        reply = _act("mo", g["g"], action="dismiss", reportId=report, reason="Nothing found")
        assert reply.status == 201 and reply.body["penalty"] is None
    [flag] = _view("mo", g["g"]).body["flagged"]
    assert flag["member"]["handle"] == flows.handle("ida", g["g"]) and flag["kind"] == "unfounded_reports"
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

    restricted = _act("mo", g["g"], action="restrict", member="cleo", days=3)
    assert restricted.status == 201
    other = flows.share("sam", g["g"])
    refused = call("POST", f"/food/{other}/claims", user="cleo")
    assert refused.status == 409 and refused.error_code == "restricted"
    assert refused.body["error"]["retryAt"] == restricted.body["until"]
    assert call("POST", "/food", user="cleo", json=flows.post_body(g["g"])).error_code == "restricted"
    assert call("POST", "/food", user="cleo", json=flows.post_body(g["h"])).status == 201  # only in that group
    clock.advance(3 * 86400 + 1)
    assert call("POST", f"/food/{flows.share('sam', g['g'])}/claims", user="cleo").status == 201

    assert _act("mo", g["g"], action="remove_member", member="ida").status == 201
    assert call("GET", f"/groups/{g['g']}", user="ida").status == 404
    flows.join("ida", g["g"], "sam")  # removed, not banned: may be invited again

    assert _act("mo", g["g"], action="ban", member="ida").status == 201
    code = call("POST", f"/groups/{g['g']}/invites", user="sam").body["inviteCode"]
    rejoin = call("POST", "/groups/join", user="ida", json={"inviteCode": code})
    assert rejoin.status == 403 and rejoin.error_code == "banned"


def test_actions_need_a_reason_and_their_target(g):
    no_reason = call("POST", f"/groups/{g['g']}/moderation/actions", user="mo", json={
        "action": "warn", "memberHandle": flows.handle("cleo", g["g"])})
    assert no_reason.status == 400 and set(no_reason.body["error"]["fields"]) == {"reason"}
    assert set(_act("mo", g["g"], action="restrict", member="cleo").body["error"]["fields"]) == {"days"}
    assert set(_act("mo", g["g"], action="dismiss").body["error"]["fields"]) == {"reportId"}
    assert set(_act("mo", g["g"], action="remove_post").body["error"]["fields"]) == {"foodId"}
    assert set(_act("mo", g["g"], action="warn").body["error"]["fields"]) == {"memberHandle"}
    assert set(_act("mo", g["g"], action="shout", member="cleo").body["error"]["fields"]) == {"action"}
    assert call("GET", "/me/moderation", user="cleo").body == {"actions": []}  # nothing was written


def test_authorization_only_this_groups_admins_and_moderators(g):
    report_h = _report("hal", "user", flows.handle("cleo", g["h"]), "spam")  # in group h
    # A member may not act; a moderator of g may not act in h (a plain member there) or on h's report from g.
    assert _act("ida", g["g"], action="warn", member="cleo").status == 403
    assert _act("mo", g["h"], action="warn", member="cleo").status == 403
    assert _act("mo", g["g"], action="dismiss", reportId=report_h).status == 404
    assert _act("hal", g["g"], action="warn", member="cleo").status == 404
    about_mo = _report("ida", "user", flows.handle("mo", g["g"]), "harassment")
    own = _act("mo", g["g"], action="dismiss", reportId=about_mo)
    assert own.status == 403 and own.error_code == "own_report"
    food_h = flows.share("cleo", g["h"])
    assert _act("mo", g["g"], action="remove_post", foodId=food_h).status == 404
    # Nobody acts on an admin or on themselves; moderators not on moderators.
    for who, target in (("mo", "sam"), ("mo", "mo"), ("sam", "sam")):
        reply = _act(who, g["g"], action="warn", member=target)
        assert reply.status == 403 and reply.error_code == "not_allowed_on_member", (who, target)
    _exemplary("ida")
    _appoint("sam", g["g"], "ida")
    assert _act("mo", g["g"], action="warn", member="ida").status == 403
    assert _act("sam", g["g"], action="warn", member="ida").status == 201  # an admin may
    assert _act("mo", g["g"], action="warn", member="olga").status == 404  # not a member of g
    assert call("GET", "/me/moderation", user="cleo").body == {"actions": []}


def test_appeal_once_decided_by_another_admin_undoes_a_restriction_and_its_penalty(g, backbone):
    _promote_ada_to_admin(g["g"])
    backbone.deliver()
    start = _score("cleo")
    report = _report("ida", "user", flows.handle("cleo", g["g"]), "unsafe_food")
    action = _act("mo", g["g"], action="restrict", reportId=report, days=30).body
    backbone.deliver()
    assert _score("cleo") == start - 10
    assert call("POST", "/appeals", user="ida", json={"actionId": action["actionId"]}).status == 404  # not hers
    appeal = call("POST", "/appeals", user="cleo", json={"actionId": action["actionId"], "statement": "It was fine"})
    assert appeal.status == 201 and appeal.body["status"] == "open"
    again = call("POST", "/appeals", user="cleo", json={"actionId": action["actionId"]})
    assert again.status == 409 and again.error_code == "already_appealed"
    [listed] = _view("sam", g["g"]).body["appeals"]
    assert listed["statement"] == "It was fine" and listed["member"]["handle"] == flows.handle("cleo", g["g"])
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
    for member, outcome, status in (("cleo", "upheld", 403), ("ida", "overturned", 200)):
        banned = _act("mo", g["g"], action="ban", member=member).body
        appeal = call("POST", "/appeals", user=member, json={"actionId": banned["actionId"]}).body
        assert call("POST", f"/appeals/{appeal['appealId']}/decision", user="ada",
                    json={"outcome": outcome, "reason": "Reviewed"}).status == 200
        code = call("POST", f"/groups/{g['g']}/invites", user="sam").body["inviteCode"]
        assert call("POST", "/groups/join", user=member, json={"inviteCode": code}).status == status, outcome
    # A handle names a member: someone banned is no longer one, so their handle acts on nobody.
    again = _act("mo", g["g"], action="ban", member="cleo")
    assert again.status == 404 and set(again.body["error"]["fields"]) == {"memberHandle"}


def test_the_member_is_told_privately_with_the_reason():
    from foodshare.bots import notifications

    c = flows.community()
    flows.user("tg:77")
    flows.join("tg:77", c["group"], "sam")
    action = _act("sam", c["group"], action="restrict", member="tg:77", days=2, reason="Three no-shows").body
    detail = {"eventId": "E", "eventType": "ModerationActionTaken", "actorId": "sam",
              "data": {"actionId": action["actionId"], "memberId": "tg:77", "groupId": c["group"]}}
    [notice] = notifications.notices(detail)
    assert notice.user_id == "tg:77" and notice.private
    assert "restricted you" in notice.reply.text and "Three no-shows" in notice.reply.text
    assert f"until {(clock.now() + timedelta(days=2)).date().isoformat()}" in notice.reply.text


def _queue_trips(who: str, group_id: str):
    return round_trips.measure(*to_event(Request("GET", f"/groups/{group_id}/moderation", who)))


def test_the_queue_reads_its_evidence_with_its_reports_and_entries_from_before_still_show(g):
    from foodshare.data.models import OpenAppealItem, OpenReportItem

    _promote_ada_to_admin(g["g"])
    for reason in ("spam", "selling", "other"):  # ida's reports keep being dismissed: she is flagged
        dismissed = _report("ida", "user", flows.handle("cleo", g["g"]), reason)
        assert _act("mo", g["g"], action="dismiss", reportId=dismissed, reason="Nothing found").status == 201
    warned = _act("mo", g["g"], action="warn", reportId=_report("sam", "user", flows.handle("cleo", g["g"]), "late"))
    assert call("POST", "/appeals", user="cleo", json={"actionId": warned.body["actionId"]}).status == 201
    _report("cleo", "food", flows.share("ida", g["g"]), "spam")
    # An overturned dismissal puts its report back in the queue (its entry names whom it concerns again).
    appeal = call("POST", "/appeals", user="ida", json={"actionId": call(
        "GET", "/me/moderation", user="ida").body["actions"][0]["actionId"]}).body
    assert call("POST", f"/appeals/{appeal['appealId']}/decision", user="sam",
                json={"outcome": "overturned", "reason": "It was spam"}).status == 200
    view = _view("mo", g["g"]).body
    assert len(view["reports"]) == 2 and len(view["appeals"]) == 1 and len(view["flagged"]) == 1
    assert {e["reporter"]["member"]["handle"] for e in view["reports"]} == {flows.handle(p, g["g"]) for p in ("ida", "cleo")}
    trips = _queue_trips("mo", g["g"])
    assert trips.aws == {"dynamodb:Query": 1, "dynamodb:BatchGetItem": 1}, trips

    group_pk = f"GROUP#{g['g']}"  # the entries as written before they named anyone
    for entry in OpenReportItem.query(group_pk, OpenReportItem.sk.startswith("OPENREPORT#")):
        OpenReportItem(entry.pk, entry.sk, report_id=entry.report_id).save()
    for entry in OpenAppealItem.query(group_pk, OpenAppealItem.sk.startswith("OPENAPPEAL#")):
        OpenAppealItem(entry.pk, entry.sk, appeal_id=entry.appeal_id).save()
    assert _view("mo", g["g"]).body == view
    assert _queue_trips("mo", g["g"]).aws == {"dynamodb:Query": 1, "dynamodb:BatchGetItem": 2}
