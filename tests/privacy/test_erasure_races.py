"""Erasure racing what others (or the person's own earlier requests) are doing: nothing may name the person after it
(docs/privacy.md, "Erasure")."""

from __future__ import annotations

import pytest
from foodshare.domain import erasure, exports

from tests.events.conftest import backbone  # noqa: F401
from tests.privacy.test_erasure import _bucket_dump, _table_dump
from tests.support import flows
from tests.support.api import call


def test_an_export_finishing_after_the_wind_down_leaves_no_document_in_the_bucket(backbone, monkeypatch):  # noqa: F811
    """The export's scan reads the table, the erasure winds down (deleting the documents there are), then the export
    writes its document: its completion checks the person is not erasing, and deletes what it wrote."""
    flows.user("erin", name="Erin Xyzzy")
    flows.user("cleo")
    group = flows.group("cleo", "Corner street")
    flows.join("erin", group, "cleo")
    flows.share("erin", group, title="xyzzy soup")
    backbone.deliver()
    assert call("POST", "/me/exports", user="erin").status == 202
    code = call("POST", "/me/erasure", user="erin").body["confirmationCode"]
    request_id = call("DELETE", "/me", user="erin", json={"confirmationCode": code}).body["requestId"]

    assembled, wound = exports._assembled, []

    def erasure_winds_down_meanwhile(user_id, export_id):
        document = assembled(user_id, export_id)  # the export's scan has read the table
        if not wound:  # the erasure queue's first message (ErasureStarted) is handled while the export writes
            wound.append(backbone.sources["erasure"].poll().received)
        return document

    monkeypatch.setattr(exports, "_assembled", erasure_winds_down_meanwhile)
    backbone.deliver()
    assert wound == [1]
    assert call("GET", f"/me/erasure/{request_id}", user="erin").body["status"] == "completed"
    leaked = [d for d in _bucket_dump() if "xyzzy" in d.lower()]
    assert leaked == []



def _erin_items() -> list[str]:
    return [t for t in _table_dump() if '"erin"' in t or '#erin"' in t or "#erin#" in t]


def test_a_counterparts_rating_while_the_sweep_runs_is_refused_and_leaves_nothing_naming_the_erased(
        backbone, monkeypatch):  # noqa: F811
    """A rating takes the rated person from the exchange as read; one landing after the exchange's segment was
    scanned would name them for good (no segment scans again). The rating holds only while they are not erasing."""
    flows.user("erin")
    flows.user("cleo")
    group = flows.group("cleo", "Corner street")
    flows.join("erin", group, "cleo")
    done = flows.claim("erin", flows.share("cleo", group, title="Pears"))
    flows.complete("cleo", "erin", done)
    backbone.deliver()

    rewrite, rated = erasure._rewrite, []

    def scanned_then_rated(user_id, anon, markers, items):
        items = list(items)  # the segment's scan has read its pages
        if not rated and any(i["pk"]["S"] == f"EXCHANGE#{done}" for i in items):
            # cleo rates the completed exchange (inside the rating window) while the segment works
            rated.append(call("POST", f"/exchanges/{done}/ratings", user="cleo", json={"stars": 2}).status)
        return rewrite(user_id, anon, markers, items)

    monkeypatch.setattr(erasure, "_rewrite", scanned_then_rated)
    code = call("POST", "/me/erasure", user="erin").body["confirmationCode"]
    request_id = call("DELETE", "/me", user="erin", json={"confirmationCode": code}).body["requestId"]
    backbone.deliver()
    assert rated == [409]  # the rated person is being erased: no rating names them after the sweep
    assert call("GET", f"/me/erasure/{request_id}", user="erin").body["status"] == "completed"
    assert _erin_items() == []



def _erin_traded_with_cleo_and_ida(backbone, monkeypatch) -> dict:  # noqa: F811
    """Erin took part in an exchange with cleo (the group's admin, who reported it) and one with ida; the sweep is
    one segment, so whatever lands while it is rewritten was not scanned."""
    from foodshare.settings import get_settings

    monkeypatch.setenv("SCAN_SEGMENTS", "1")
    get_settings.cache_clear()
    for name in ("erin", "cleo", "ida"):
        flows.user(name)
    group = flows.group("cleo", "Corner street")
    flows.join("erin", group, "cleo")
    flows.join("ida", group, "cleo")
    with_cleo = flows.claim("erin", flows.share("cleo", group, title="Pears"))
    flows.complete("cleo", "erin", with_cleo)
    with_ida = flows.claim("erin", flows.share("ida", group, title="Plums"))
    flows.complete("ida", "erin", with_ida)
    reported = call("POST", "/reports", user="cleo", json={"subjectType": "exchange", "subjectId": with_cleo,
                                                            "reason": "no_show"})
    assert reported.status == 201, reported
    backbone.deliver()
    return {"group": group, "with_ida": with_ida, "report": reported.body["reportId"]}


def _erase_erin_while(backbone, monkeypatch, meanwhile) -> list:  # noqa: F811
    """Erase erin, calling `meanwhile()` once the sweep's segment has been scanned (before it is rewritten)."""
    rewrite, answers = erasure._rewrite, []

    def scanned_then(user_id, anon, markers, items):
        items = list(items)  # the segment's scan has read its pages
        if not answers:
            answers.append(meanwhile())
        return rewrite(user_id, anon, markers, items)

    monkeypatch.setattr(erasure, "_rewrite", scanned_then)
    code = call("POST", "/me/erasure", user="erin").body["confirmationCode"]
    request_id = call("DELETE", "/me", user="erin", json={"confirmationCode": code}).body["requestId"]
    backbone.deliver()
    assert call("GET", f"/me/erasure/{request_id}", user="erin").body["status"] == "completed"
    return answers


def test_a_report_about_someone_whose_sweep_runs_is_refused_and_leaves_nothing_naming_them(
        backbone, monkeypatch):  # noqa: F811
    """A report takes whom it is about from the exchange (or post) as read: one landing after the sweep scanned would
    name the erased person for good (the report, its queue entry, `ReportFiled`). It holds only while they are not
    erasing."""
    erin = _erin_traded_with_cleo_and_ida(backbone, monkeypatch)
    answers = _erase_erin_while(backbone, monkeypatch, lambda: call("POST", "/reports", user="ida", json={
        "subjectType": "exchange", "subjectId": erin["with_ida"], "reason": "late"}))
    assert [(a.status, a.error_code) for a in answers] == [(409, "invalid_state")], answers
    assert _erin_items() == []


def test_a_moderation_action_about_someone_whose_sweep_runs_is_refused_and_leaves_nothing_naming_them(
        backbone, monkeypatch):  # noqa: F811
    """A moderator's action takes its member from the report: a ban landing after the sweep scanned would name the
    erased person for good (the ban, the action record under their id). It holds only while they are not erasing."""
    erin = _erin_traded_with_cleo_and_ida(backbone, monkeypatch)
    answers = _erase_erin_while(backbone, monkeypatch, lambda: call(
        "POST", f"/groups/{erin['group']}/moderation/actions", user="cleo",
        json={"action": "ban", "reason": "Never turned up", "reportId": erin["report"]}))
    assert [(a.status, a.error_code) for a in answers] == [(409, "invalid_state")], answers
    assert _erin_items() == []



def test_an_account_being_erased_acts_in_no_group(backbone):  # noqa: F811
    """DELETE /me froze the account: "it can no longer act". Before its wind-down it is still an admin, a moderator
    and a member, yet it may not invite, propose a partnership, moderate, report or appeal (each writes a record
    naming the person, which one landing after the sweep keeps for good): 403 `account_erased`, nothing written."""
    from foodshare.data.models import UserItem

    for name in ("erin", "sam", "cleo"):
        flows.user(name)
    group = flows.group("sam", "Corner street")  # erin moderates it
    flows.join("erin", group, "sam")
    flows.join("cleo", group, "sam")
    UserItem.get(*UserItem.key("erin")).update(actions=[UserItem.score.set(92), UserItem.trust_level.set("exemplary")])
    assert call("POST", f"/groups/{group}/moderators", user="sam",
                json={"memberHandle": flows.handle("erin", group)}).status == 200
    own = flows.group("erin", "Erin's street")  # erin's own group
    food = flows.share("cleo", group, title="Pears")
    third = flows.group("cleo", "Third street")
    partnership = flows.partnership("erin", own, "cleo", third)
    flows.join("cleo", own, "erin")
    UserItem.get(*UserItem.key("cleo")).update(actions=[UserItem.trust_level.set("exemplary")])
    warned = call("POST", f"/groups/{group}/moderation/actions", user="sam",
                  json={"action": "warn", "reason": "Be kind", "memberHandle": flows.handle("erin", group)})
    assert warned.status == 201, warned
    backbone.deliver()
    code = call("POST", "/me/erasure", user="erin").body["confirmationCode"]
    assert call("DELETE", "/me", user="erin", json={"confirmationCode": code}).status == 202
    before = sorted(_table_dump())
    tries = {
        "invite": call("POST", f"/groups/{own}/invites", user="erin"),
        "partnership": call("POST", f"/groups/{own}/partnerships", user="erin", json={"targetGroupId": group}),
        "action": call("POST", f"/groups/{group}/moderation/actions", user="erin", json={
            "action": "warn", "reason": "Be kind", "memberHandle": flows.handle("cleo", group)}),
        "report": call("POST", "/reports", user="erin", json={"subjectType": "food", "subjectId": food,
                                                               "reason": "spam"}),
        "appeal": call("POST", "/appeals", user="erin", json={"actionId": warned.body["actionId"]}),
        "end partnership": call("DELETE", f"/partnerships/{partnership}", user="erin"),
        "appoint": call("POST", f"/groups/{own}/moderators", user="erin",
                        json={"memberHandle": flows.handle("cleo", own)}),
        "quota": call("PUT", f"/groups/{own}/claim-quota", user="erin",
                      json={"maxClaims": 3, "windowHours": 24, "liftHours": 1}),
    }
    assert {k: (r.status, r.error_code) for k, r in tries.items()} == {k: (403, "account_erased") for k in tries}
    assert sorted(_table_dump()) == before


def test_an_action_on_a_report_whose_reporter_is_being_erased_lands_without_naming_the_reporter(
        backbone, monkeypatch):  # noqa: F811
    """Found by an audit: upholding a report counts it in its reporter's record in the group; decided while the
    reporter's sweep ran, that record named the erased person for good. The action about the member still lands
    (the reporter's erasure does not shield them); the reporter's record is left alone."""
    erin = _erin_traded_with_cleo_and_ida(backbone, monkeypatch)
    filed = call("POST", "/reports", user="erin", json={"subjectType": "exchange", "subjectId": erin["with_ida"],
                                                         "reason": "no_show"})
    assert filed.status == 201, filed
    backbone.deliver()
    answers = _erase_erin_while(backbone, monkeypatch, lambda: call(
        "POST", f"/groups/{erin['group']}/moderation/actions", user="cleo",
        json={"action": "warn", "reason": "Missed the pickup", "reportId": filed.body["reportId"]}))
    assert [a.status for a in answers] == [201], answers
    assert _erin_items() == []


def test_a_rating_by_someone_whose_sweep_runs_is_refused_and_leaves_nothing_naming_them(
        backbone, monkeypatch):  # noqa: F811
    """Found by an audit: DELETE /me froze the account, yet its completed exchanges could still be rated by it (201).
    A rating names its rater (the rating and its comment, the rated person's received ratings and history line, the
    rating graph): one landing after the sweep scanned named the erased person for good. 403 `account_erased`."""
    erin = _erin_traded_with_cleo_and_ida(backbone, monkeypatch)
    answers = _erase_erin_while(backbone, monkeypatch, lambda: call(
        "POST", f"/exchanges/{erin['with_ida']}/ratings", user="erin", json={"stars": 1, "comment": "Never again"}))
    assert [(a.status, a.error_code) for a in answers] == [(403, "account_erased")], answers
    assert _erin_items() == []
    assert call("GET", "/users/ida/reputation", user="ida").body["counts"]["ratingsReceived"] == 0


def test_contact_after_the_profile_is_swept_and_before_the_erasure_completes_registers_no_new_account(
        backbone, monkeypatch):  # noqa: F811
    """Found by an audit: once the sweep had moved the profile to the anonymous id, the person's next call (GET
    /me/credits, or any route) found no profile and registered a new account while the erasure still ran: its welcome
    credits, and whatever it then did in a segment not swept yet renamed to the anonymous id (a claim's exchange
    there, its hold left on the new profile: both accounts' `credits_held` off). Until the erasure completes, 403
    `account_erased`; after it, a new account as documented."""
    from foodshare.data.models import UserItem

    _erin_traded_with_cleo_and_ida(backbone, monkeypatch)
    rewrite, answers = erasure._rewrite, []

    def swept_then(user_id, anon, markers, items):
        rewrite(user_id, anon, markers, items)  # the profile is under the anonymous id now; not completed yet
        answers.extend([call("GET", "/me/credits", user="erin"), call("PUT", "/me", user="erin",
                                                                      json={"displayName": "Erin"})])

    monkeypatch.setattr(erasure, "_rewrite", swept_then)
    code = call("POST", "/me/erasure", user="erin").body["confirmationCode"]
    request_id = call("DELETE", "/me", user="erin", json={"confirmationCode": code}).body["requestId"]
    backbone.deliver()
    assert call("GET", f"/me/erasure/{request_id}", user="erin").body["status"] == "completed"
    assert [(a.status, a.error_code) for a in answers] == [(403, "account_erased")] * 2, answers
    assert _erin_items() == []
    assert [u.user_id for u in UserItem.scan(UserItem.sk == "PROFILE") if u.user_id == "erin"] == []
    again = call("GET", "/me/credits", user="erin")  # completed: nothing recognises them, a new account
    assert again.status == 200 and [t["reason"] for t in again.body["transactions"]] == ["welcome"], again


@pytest.mark.parametrize("freeze", ["erasure", "restriction"])
def test_a_claim_read_before_the_account_froze_lands_nothing(monkeypatch, freeze):
    """Found by an audit: a claim's transaction held the credit under the balance as read only, so a claim whose reads
    came before DELETE /me (or PUT /me/privacy restricting processing) committed after it: an exchange, a held credit
    and a claim naming a frozen account (an erasing one's possibly missed by its wind-down's index read). The hold
    now holds only while the claimer is unrestricted (an erasure restricts): the claim reads again and is refused."""
    from foodshare.data.models import ExchangeItem, UserItem
    from foodshare.domain import exchanges

    c = flows.community()
    food = flows.share("sam", c["group"], title="Pears")
    reads, frozen = exchanges._claim_reads, []

    def frozen_meanwhile(*args):
        read = reads(*args)
        if not frozen:
            if freeze == "erasure":
                code = call("POST", "/me/erasure", user="cleo").body["confirmationCode"]
                frozen.append(call("DELETE", "/me", user="cleo", json={"confirmationCode": code}).status)
            else:
                frozen.append(call("PUT", "/me/privacy", user="cleo", json={"restricted": True}).status)
        return read

    monkeypatch.setattr(exchanges, "_claim_reads", frozen_meanwhile)
    claimed = call("POST", f"/food/{food}/claims", user="cleo")
    assert frozen == [202 if freeze == "erasure" else 200]
    assert (claimed.status, claimed.error_code) == (403, "processing_restricted"), claimed  # as read again
    cleo = UserItem.get(*UserItem.key("cleo"))
    assert (int(cleo.credit_balance), int(cleo.credits_held)) == (3, 0)
    assert list(ExchangeItem.scan(ExchangeItem.pk.startswith("EXCHANGE#"))) == []


def _erased_while(backbone, monkeypatch, module, name: str) -> list:  # noqa: F811
    """Erase erin completely (DELETE /me, then the wind-down and every segment of the sweep) right after
    `module.name` has run once for her request: the request's reads came before the freeze, its transaction comes
    after the erasure completed."""
    original, erased = getattr(module, name), []

    def erased_meanwhile(*args, **kwargs):
        answer = original(*args, **kwargs)
        if not erased:
            erased.append("erin")
            code = call("POST", "/me/erasure", user="erin").body["confirmationCode"]
            request_id = call("DELETE", "/me", user="erin", json={"confirmationCode": code}).body["requestId"]
            backbone.deliver()
            erased.append(call("GET", f"/me/erasure/{request_id}", user="erin").body["status"])
        return answer

    monkeypatch.setattr(module, name, erased_meanwhile)
    return erased


def test_a_share_read_before_the_account_froze_leaves_no_post_after_the_erasure(backbone, monkeypatch):  # noqa: F811
    """Found by a race audit: a share's transaction held whatever its reads allowed, so a POST /food whose reads came
    before DELETE /me committed after the wind-down had looked for the person's posts: the post was never withdrawn,
    and after the sweep an available post named the erased person for good (the post, its `FoodShared` event with
    its title), still claimable by its id (an exchange naming them too). The share now holds only while its sharer's account is
    not being erased (403 `account_erased`, nothing written), as every other write of the person does."""
    from foodshare.domain import food

    flows.user("erin")
    flows.user("cleo")
    group = flows.group("cleo", "Corner street")
    flows.join("erin", group, "cleo")
    backbone.deliver()
    erased = _erased_while(backbone, monkeypatch, food.standing, "check_may_post")
    shared = call("POST", "/food", user="erin", json=flows.post_body(group, title="Late pears"))
    assert erased == ["erin", "completed"]
    assert (shared.status, shared.error_code) == (403, "account_erased"), shared
    backbone.deliver()
    assert call("GET", "/food", user="cleo").body["items"] == []
    assert _erin_items() == []


def test_a_group_created_by_someone_whose_erasure_ran_meanwhile_is_not_left_without_members(
        backbone, monkeypatch):  # noqa: F811
    """Found by a race audit: POST /groups checked the caller's account when it read it, not as the group was written,
    so a creation whose read came before DELETE /me committed after the wind-down had left the person's groups (here
    after the whole erasure): the group, its admin membership, pseudonym, handle and events named the erased person
    for good, and whoever signs in under that id next finds themselves its admin. (Landing between the wind-down and
    the sweep, the sweep deletes the membership instead: a group counting one member and one admin, with nobody in
    it.) The creation now holds only while the account is not being erased (403 `account_erased`)."""
    from foodshare.data.models import GroupItem
    from foodshare.domain import users

    flows.user("erin")
    backbone.deliver()
    erased = _erased_while(backbone, monkeypatch, users, "ensure")
    created = call("POST", "/groups", user="erin", json={"name": "Late street"})
    assert erased == ["erin", "completed"]
    assert (created.status, created.error_code) == (403, "account_erased"), created
    backbone.deliver()
    assert [g.name for g in GroupItem.scan(GroupItem.sk == "META") if g.pk.startswith("GROUP#")] == []
    assert _erin_items() == []


def test_a_profile_change_read_before_the_account_froze_is_refused(monkeypatch):
    """Found by a race audit: PUT /me wrote the profile under the condition that it exists, so a change whose read came
    before DELETE /me landed after the freeze (200 to an account that can no longer act): a new name and home on the
    frozen profile, a rectification request and a `ProfileUpdated` naming the person recorded after their erasure
    began (landing after the sweep had scanned the event store's segment, that event names them for good). The
    change now holds only while the account is not being erased (403 `account_erased`), as PUT /me/privacy does."""
    from foodshare.data.models import DataSubjectRequestItem
    from foodshare.domain import users

    from tests.bots.events import recorded

    flows.user("erin", name="Erin")
    read, frozen = users.ensure, []

    def frozen_meanwhile(user_id, *args, **kwargs):
        profile = read(user_id, *args, **kwargs)
        if not frozen:
            frozen.append(erasure.start(user_id, erasure.request(user_id)[0]).status)
        return profile

    monkeypatch.setattr(users, "ensure", frozen_meanwhile)
    changed = call("PUT", "/me", user="erin", json={"displayName": "Erin Moved", "location": flows.POTSDAM})
    assert frozen == ["in_progress"]
    assert (changed.status, changed.error_code) == (403, "account_erased"), changed
    profile = users.find("erin")
    assert profile.erasing and profile.display_name == "Erin" and float(profile.lat) == flows.BERLIN["lat"]
    assert len(recorded("ProfileUpdated")) == 1  # flows.user's own
    assert [r.type for r in DataSubjectRequestItem.query("USER#erin", DataSubjectRequestItem.sk.startswith("DSR#"))
            ].count("rectification") == 1
