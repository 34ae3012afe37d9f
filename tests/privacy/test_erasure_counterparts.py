"""What others keep when a person is erased: a record of someone else that only refers to the erased person stays,
under the anonymous id (docs/privacy.md, "Erasure"): a counterpart's reputation history line, a member's moderation
action and appeal, a group's settings, a report and a fraud flag about someone else. Through the API and the erasure
consumer fed its queue (the `backbone` fixture)."""

from __future__ import annotations

import json

from foodshare.data.models import (
    AppealItem,
    FlagItem,
    ModerationActionItem,
    ReportItem,
    ReputationHistoryItem,
    RiskItem,
)

from tests.events.conftest import backbone  # noqa: F401  (the fixture)
from tests.privacy.test_erasure import _table_dump
from tests.safety.test_moderation import _act, _promote_ada_to_admin, _report, _view, g  # noqa: F401  (a fixture)
from tests.support import flows
from tests.support.api import call


def _erase(user_id: str, backbone) -> None:  # noqa: F811
    code = call("POST", "/me/erasure", user=user_id).body["confirmationCode"]
    assert call("DELETE", "/me", user=user_id, json={"confirmationCode": code}).status == 202
    backbone.deliver()
    assert [t for t in _table_dump() if f'"{user_id}"' in t or f"#{user_id}\"" in t] == []  # no item names them


def _history(user: str) -> tuple[list[tuple[str, str]], float]:
    body = call("GET", f"/users/{user}/reputation", user=user).body
    return sorted((h["eventType"], h["impact"]) for h in body["history"]), body["score"]


def test_erasing_a_rater_keeps_the_rated_persons_history_line(backbone):  # noqa: F811
    flows.user("erin")
    flows.user("cleo")
    group = flows.group("erin", "Corner")
    flows.join("cleo", group, "erin")
    done = flows.claim("cleo", flows.share("erin", group, title="Soup"))
    flows.complete("erin", "cleo", done)
    assert call("POST", f"/exchanges/{done}/ratings", user="erin", json={"stars": 5}).status == 201
    backbone.deliver()
    before, score_before = _history("cleo")
    assert ("RatingSubmitted", "rated_high") in before, before

    _erase("erin", backbone)

    after, score_after = _history("cleo")
    assert (after, score_after) == (before, score_before)  # her score and the lines that explain it
    [line] = [h for h in ReputationHistoryItem.query("USER#cleo", ReputationHistoryItem.sk.startswith("REPHIST#"))
              if h.event_type == "RatingSubmitted"]
    assert line.source_user_id.startswith("anon-")  # the rater, as the rating's other records name them


def test_erasing_a_moderator_keeps_the_members_action_and_appeal(g, backbone):  # noqa: F811
    _promote_ada_to_admin(g["g"])
    action = _act("mo", g["g"], action="restrict", member="cleo", days=30)
    assert action.status == 201
    action_id = action.body["actionId"]
    backbone.deliver()
    [before] = call("GET", "/me/moderation", user="cleo").body["actions"]
    assert before["actionId"] == action_id

    _erase("mo", backbone)

    still = call("POST", f"/food/{flows.share('sam', g['g'])}/claims", user="cleo")
    assert still.error_code == "restricted"  # the restriction still holds, so does what it comes from
    assert call("GET", "/me/moderation", user="cleo").body["actions"] == [before]
    kept = ModerationActionItem.get(*ModerationActionItem.key("cleo", action_id))
    assert kept.moderator_id.startswith("anon-")
    appeal = call("POST", "/appeals", user="cleo", json={"actionId": action_id, "statement": "Unfair"})
    assert appeal.status == 201, appeal
    decided = call("POST", f"/appeals/{appeal.body['appealId']}/decision", user="ada",
                   json={"outcome": "overturned", "reason": "Not shown"})
    assert decided.status == 200 and decided.body["status"] == "overturned", decided
    assert call("POST", f"/food/{flows.share('sam', g['g'])}/claims", user="cleo").status == 201  # lifted


def test_erasing_an_admin_keeps_the_groups_quota_their_appeal_decisions_and_their_reports(g, backbone):  # noqa: F811
    _promote_ada_to_admin(g["g"])
    quota = {"maxClaims": 2, "windowHours": 24, "liftHours": 2}
    assert call("PUT", f"/groups/{g['g']}/claim-quota", user="ada", json=quota).status == 200
    restricted = _act("mo", g["g"], action="restrict", member="cleo", days=30).body["actionId"]
    appeal = call("POST", "/appeals", user="cleo", json={"actionId": restricted, "statement": "Unfair"}).body
    decision = f"/appeals/{appeal['appealId']}/decision"
    assert call("POST", decision, user="ada", json={"outcome": "upheld", "reason": "Seen twice"}).status == 200
    report = _report("ada", "food", flows.share("ida", g["g"]), "spam")  # "seen it": her words
    backbone.deliver()

    _erase("ada", backbone)

    shown = call("GET", f"/groups/{g['g']}/claim-quota", user="cleo").body
    assert {k: shown[k] for k in quota} == quota  # the group's setting, not hers
    [mine] = call("GET", "/me/moderation", user="cleo").body["actions"]
    assert mine["appealStatus"] == "upheld"
    assert AppealItem.get(*AppealItem.key(appeal["appealId"])).decided_by.startswith("anon-")
    kept = ReportItem.get(*ReportItem.key(report))
    assert kept.reporter_id.startswith("anon-") and kept.details is None  # the report stays, her words go
    assert [r["reportId"] for r in _view("mo", g["g"]).body["reports"]] == [report]  # still to be decided


def test_erasing_one_of_a_ring_keeps_the_others_flags_and_risk(backbone):  # noqa: F811
    """A rating ring is flagged on each member, naming the others: the others' flags and risk stay."""
    c = flows.community()
    flows.user("erin")
    flows.join("erin", c["group"], "sam")
    ring = ["cleo", "erin"]
    evidence = json.dumps({"score": 0.9, "ringMembers": ring})
    FlagItem(*FlagItem.key(c["group"], "cleo", "reputation_manipulation"), user_id="cleo",
             kind="reputation_manipulation", explanation="Possible ring", evidence=evidence,
             created_at="2026-01-01T00:00:00Z").save()
    RiskItem(*RiskItem.key("cleo"), scores=json.dumps({"reputation_manipulation": 0.9}),
             evidence=json.dumps({"reputation_manipulation": "2 members rate each other far more than anyone else"}), risk=0.9,
             flagged={"reputation_manipulation"}, ring_id="ring-1", ring_members=set(ring),
             updated_at="2026-01-01T00:00:00Z").save()

    _erase("erin", backbone)

    flag = FlagItem.get(*FlagItem.key(c["group"], "cleo", "reputation_manipulation"))
    [anon] = [m for m in json.loads(flag.evidence)["ringMembers"] if m != "cleo"]
    assert anon.startswith("anon-")
    risk = RiskItem.get(*RiskItem.key("cleo"))
    assert risk.ring_members == {"cleo", anon} and float(risk.risk) == 0.9


def test_erasing_someone_withdraws_the_exports_of_others_that_hold_their_words_or_name(backbone):  # noqa: F811
    """Cleo's export, ready in the bucket for 7 days, holds Erin's rating comment and Erin's pseudonym in their group:
    copied before Erin's erasure, it would outlive it. The erasure deletes that document; Cleo's export shows as
    expired (no download), so she can ask for a new one; Cleo's export of nothing of Erin's stays."""
    from foodshare.domain import identities
    from tests.privacy.test_erasure import _bucket_dump
    from tests.privacy.test_exports import _exported

    for who in ("erin", "cleo", "pat"):
        flows.user(who)
    group = flows.group("erin", "Corner")
    flows.join("cleo", group, "erin")
    done = flows.claim("cleo", flows.share("erin", group, title="Soup"))
    flows.complete("erin", "cleo", done)
    assert call("POST", f"/exchanges/{done}/ratings", user="erin",
                json={"stars": 5, "comment": "xyzzy: lives above the bakery"}).status == 201
    backbone.deliver()
    erin_here = identities.in_group("erin", group).pseudonym  # how cleo's group shows erin
    cleos, document = _exported("cleo", backbone)
    assert "xyzzy: lives above the bakery" in json.dumps(document) and erin_here in json.dumps(document)
    pats, _ = _exported("pat", backbone)  # nothing of erin's in it

    _erase("erin", backbone)

    found = {what: sum(what in doc for doc in _bucket_dump()) for what in ("xyzzy: lives above the bakery", erin_here)}
    assert found == {"xyzzy: lives above the bakery": 0, erin_here: 0}
    withdrawn = call("GET", f"/me/exports/{cleos['exportId']}", user="cleo")
    assert withdrawn.status == 200 and withdrawn.body["status"] == "expired" and withdrawn.body["downloadUrl"] is None
    assert call("GET", f"/me/exports/{pats['exportId']}", user="pat").body["status"] == "ready"
    assert not [t for t in _table_dump() if '"erin"' in t or "#erin" in t]


def test_a_completed_exchange_with_someone_erased_can_no_longer_be_rated(backbone):  # noqa: F811
    """Found by an audit: once erin's erasure completed, cleo could still rate their exchange (201, the rating window
    still open): a rating, a month of received ratings and a score change for nobody (the anonymous id erin's
    records stay under), while rating her during the sweep was already refused. The same 409 `invalid_state`."""
    from foodshare.data.models import RatingItem, UserItem

    flows.user("erin")
    flows.user("cleo")
    group = flows.group("cleo", "Corner")
    flows.join("erin", group, "cleo")
    done = flows.claim("erin", flows.share("cleo", group, title="Soup"))
    flows.complete("cleo", "erin", done)
    backbone.deliver()
    _erase("erin", backbone)
    [anonymous] = [u for u in UserItem.scan(UserItem.sk == "PROFILE") if u.user_id.startswith("anon-")]

    refused = call("POST", f"/exchanges/{done}/ratings", user="cleo", json={"stars": 1, "comment": "Gone"})
    assert (refused.status, refused.error_code) == (409, "invalid_state"), refused
    backbone.deliver()
    assert list(RatingItem.query(f"EXCHANGE#{done}", RatingItem.sk.startswith("RATING#"))) == []
    after = UserItem.get(*UserItem.key(anonymous.user_id))
    assert (float(after.score), int(after.ratings_received)) == (float(anonymous.score), 0)
