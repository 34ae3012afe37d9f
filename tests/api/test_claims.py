"""Claims and the exchange lifecycle, with the credit ledger that follows them."""

from __future__ import annotations

import json
import threading
from collections import Counter

import pytest

from foodshare import clock
from foodshare.settings import get_settings
from foodshare.data.models import EventItem, ExchangeItem, LedgerEntryItem, UserItem
from tests.support import api, flows
from tests.support.api import call


def _credits(user_id: str) -> dict:
    return call("GET", "/me/credits", user=user_id).body


def _assert_ledger_consistent(user_id: str) -> None:
    """The balance equals the sum of the ledger (lines that store their balance agree with the sum up to them), and
    the balanceAfter GET /me/credits derives chains, page after page, from the balance down to 0."""
    entries = sorted(LedgerEntryItem.query(f"USER#{user_id}", LedgerEntryItem.sk.startswith("CREDIT#")),
                     key=lambda e: e.entry_id)
    running = 0
    for entry in entries:
        running += int(entry.amount)
        assert entry.balance_after is None or int(entry.balance_after) == running
    assert int(UserItem.get(*UserItem.key(user_id)).credit_balance) == running
    expected, seen = running, 0
    for page in api.pages("/me/credits", user=user_id, limit=2):
        assert page["balance"] == running
        for line in page["transactions"]:
            assert line["balanceAfter"] == expected
            expected -= line["amount"]
            seen += 1
    assert expected == 0 and seen == len(entries)


def _exchanges_of(food_id: str) -> int:
    return sum(1 for _ in ExchangeItem.scan(ExchangeItem.pk.startswith("EXCHANGE#") & (ExchangeItem.sk == "META")
                                            & (ExchangeItem.food_id == food_id)))  # not its sharer entry


def _race(targets, action) -> list:
    """Run action(target) for every target at the same instant, one thread each."""
    barrier = threading.Barrier(len(targets))
    results = []

    def run(target):
        barrier.wait()
        results.append(action(target))

    threads = [threading.Thread(target=run, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_claim_holds_a_credit():
    c = flows.community()
    food_id = flows.share("sam", c["group"])
    reply = call("POST", f"/food/{food_id}/claims", user="cleo")
    assert reply.status == 201
    assert reply.body["status"] == "claimed" and reply.body["exchangeId"]
    assert call("GET", f"/food/{food_id}", user="cleo").body["status"] == "claimed"
    credits = _credits("cleo")
    assert credits["balance"] == 2 and credits["held"] == 1
    assert credits["transactions"][0]["reason"] == "claim_hold"
    assert credits["transactions"][0]["balanceAfter"] == 2
    assert call("POST", f"/food/{food_id}/claims", user="tom").status == 404  # not a member
    flows.user("tom")
    flows.join("tom", c["group"], "sam")
    again = call("POST", f"/food/{food_id}/claims", user="tom")
    assert again.status == 409 and again.error_code == "already_claimed"


def test_cannot_claim_own_post():
    c = flows.community()
    food_id = flows.share("sam", c["group"])
    reply = call("POST", f"/food/{food_id}/claims", user="sam")
    assert reply.status == 403 and reply.error_code == "own_post"


def test_insufficient_credits_writes_nothing():
    c = flows.community()
    foods = [flows.share("sam", c["group"], title=f"Meal {i}") for i in range(4)]
    for food_id in foods[:3]:
        flows.claim("cleo", food_id)
    events_before = sum(1 for _ in EventItem.scan())
    reply = call("POST", f"/food/{foods[3]}/claims", user="cleo")
    assert reply.status == 409 and reply.error_code == "insufficient_credits"
    assert call("GET", f"/food/{foods[3]}", user="cleo").body["status"] == "available"
    assert sum(1 for _ in EventItem.scan()) == events_before
    assert _exchanges_of(foods[3]) == 0
    _assert_ledger_consistent("cleo")


def test_completion_moves_the_credit_to_the_sharer():
    c = flows.community()
    food_id = flows.share("sam", c["group"])
    exchange_id = flows.claim("cleo", food_id)
    first = call("POST", f"/exchanges/{exchange_id}/confirm", user="cleo")
    assert first.status == 200 and first.body["status"] == "claimed" and first.body["claimerConfirmed"] is True
    assert call("POST", f"/exchanges/{exchange_id}/confirm", user="cleo").body["status"] == "claimed"  # idempotent
    assert call("POST", f"/exchanges/{exchange_id}/confirm", user="eve").status == 404
    done = call("POST", f"/exchanges/{exchange_id}/confirm", user="sam")
    assert done.status == 200 and done.body["status"] == "completed" and done.body["completedAt"]
    assert call("GET", f"/food/{food_id}", user="cleo").body["status"] == "completed"
    assert _credits("sam")["balance"] == 4
    cleo = _credits("cleo")
    assert cleo["balance"] == 2 and cleo["held"] == 0
    assert call("POST", f"/exchanges/{exchange_id}/cancel", user="cleo").status == 409
    for user_id in ("sam", "cleo"):
        _assert_ledger_consistent(user_id)


def test_sharer_balance_is_capped():
    c = flows.community()
    UserItem.get(*UserItem.key("sam")).update(actions=[UserItem.credit_balance.set(50)])
    exchange_id = flows.claim("cleo", flows.share("sam", c["group"]))
    flows.complete("sam", "cleo", exchange_id)
    assert _credits("sam")["balance"] == 50
    assert _credits("cleo")["balance"] == 2


def test_simultaneous_confirmations_complete_exactly_once():
    c = flows.community()
    exchange_id = flows.claim("cleo", flows.share("sam", c["group"]))
    results = _race(["sam", "cleo"], lambda u: call("POST", f"/exchanges/{exchange_id}/confirm", user=u))
    assert [r.status for r in results] == [200, 200]
    assert call("POST", f"/exchanges/{exchange_id}/confirm", user="sam").body["status"] == "completed"
    assert _credits("sam")["balance"] == 4
    assert len([e for e in EventItem.scan() if e.event_type == "ExchangeCompleted"]) == 1


def test_one_side_confirming_twice_at_once_records_one_confirmation(monkeypatch):
    """A double tap (or a client's retry) of the same side's confirm, both read before either wrote: the second
    finds its flag set as it commits and answers what is there; one PickupConfirmed (one notice to each side)."""
    from foodshare.domain import exchanges

    c = flows.community()
    exchange_id = flows.claim("cleo", flows.share("sam", c["group"]))
    read, raced = exchanges.get_for_participant, []

    def confirmed_meanwhile(*args):
        exchange = read(*args)
        if not raced:
            raced.append(True)
            exchanges.confirm(exchange_id, "cleo")  # the other tap, landing between this one's read and write
        return exchange

    monkeypatch.setattr(exchanges, "get_for_participant", confirmed_meanwhile)
    reply = call("POST", f"/exchanges/{exchange_id}/confirm", user="cleo")
    assert reply.status == 200 and reply.body["claimerConfirmed"] is True and reply.body["status"] == "claimed"
    assert [e.event_type for e in EventItem.scan()].count("PickupConfirmed") == 1
    monkeypatch.undo()
    flows.complete("sam", "cleo", exchange_id)
    assert _credits("sam")["balance"] == 4 and _credits("cleo")["held"] == 0


def test_cancel_relists_while_window_open_and_releases_credit():
    c = flows.community()
    food_id = flows.share("sam", c["group"])
    exchange_id = flows.claim("cleo", food_id)
    assert call("POST", f"/exchanges/{exchange_id}/cancel", user="eve").status == 404
    reply = call("POST", f"/exchanges/{exchange_id}/cancel", user="sam")
    assert reply.status == 200 and reply.body["status"] == "cancelled"
    assert call("GET", f"/food/{food_id}", user="cleo").body["status"] == "available"
    assert [i["foodId"] for i in call("GET", "/food", user="cleo").body["items"]] == [food_id]
    credits = _credits("cleo")
    assert credits["balance"] == 3 and credits["held"] == 0
    assert credits["transactions"][0]["reason"] == "claim_cancelled"
    assert call("POST", f"/exchanges/{exchange_id}/cancel", user="cleo").status == 409
    assert flows.claim("cleo", food_id) != exchange_id  # claimable again
    _assert_ledger_consistent("cleo")


def test_cancel_after_window_expires_the_post():
    c = flows.community()
    food_id = flows.share("sam", c["group"])
    exchange_id = flows.claim("cleo", food_id)
    clock.advance(4 * 3600)
    assert call("POST", f"/exchanges/{exchange_id}/cancel", user="cleo").body["status"] == "cancelled"
    assert call("GET", f"/food/{food_id}", user="cleo").body["status"] == "expired"
    assert _credits("cleo")["balance"] == 3


def test_no_show_rules():
    c = flows.community()
    food_id = flows.share("sam", c["group"])
    exchange_id = flows.claim("cleo", food_id)
    early = call("POST", f"/exchanges/{exchange_id}/no-show", user="sam")
    assert early.status == 409 and early.error_code == "too_early"
    clock.advance(4 * 3600)
    assert call("POST", f"/exchanges/{exchange_id}/no-show", user="cleo").status == 403
    reply = call("POST", f"/exchanges/{exchange_id}/no-show", user="sam")
    assert reply.status == 200 and reply.body["status"] == "no_show"
    assert call("GET", f"/food/{food_id}", user="sam").body["status"] == "expired"
    assert _credits("cleo")["transactions"][0]["reason"] == "no_show"
    assert call("POST", f"/exchanges/{exchange_id}/no-show", user="sam").status == 409


def test_no_show_not_after_completion():
    c = flows.community()
    exchange_id = flows.claim("cleo", flows.share("sam", c["group"]))
    flows.complete("sam", "cleo", exchange_id)
    clock.advance(4 * 3600)
    assert call("POST", f"/exchanges/{exchange_id}/no-show", user="sam").status == 409


def test_partner_claims_respect_terms_and_weekly_limit():
    c = flows.community()
    south = flows.group("bea", "South")
    flows.partnership("sam", c["group"], "bea", south, minReputation=50, maxDistanceKm=10,
                      maxClaimsPerMemberPerWeek=2)
    far = flows.share("bea", south, title="Far", pickupLocation=flows.POTSDAM)
    too_far = call("POST", f"/food/{far}/claims", user="cleo")  # hidden from her (visibility.py): not found
    assert too_far.status == 404 and too_far.error_code == "not_found"
    near = [flows.share("bea", south, title=f"Near {i}") for i in range(3)]
    for food_id in near[:2]:
        assert call("POST", f"/food/{food_id}/claims", user="cleo").status == 201
    limited = call("POST", f"/food/{near[2]}/claims", user="cleo")
    assert limited.status == 409 and limited.error_code == "partner_claim_limit"
    assert call("GET", f"/food/{near[2]}", user="cleo").body["status"] == "available"
    own = flows.share("sam", c["group"])
    assert call("POST", f"/food/{own}/claims", user="cleo").status == 201  # own group: no partner limit


def test_a_partner_post_below_the_terms_reputation_is_not_found_to_claim():
    c = flows.community()
    south = flows.group("bea", "South")
    flows.partnership("sam", c["group"], "bea", south)  # default minReputation 70
    food_id = flows.share("bea", south)
    reply = call("POST", f"/food/{food_id}/claims", user="cleo")  # hidden from her (visibility.py): not found
    assert reply.status == 404 and reply.error_code == "not_found"


def test_twenty_concurrent_claimers_exactly_one_wins():
    c = flows.community()
    claimers = [f"racer-{i}" for i in range(20)]
    for user_id in claimers:
        flows.user(user_id)
        flows.join(user_id, c["group"], "sam")
    food_id = flows.share("sam", c["group"])
    replies = dict(_race(claimers, lambda u: (u, call("POST", f"/food/{food_id}/claims", user=u))))
    outcomes = Counter(r.status for r in replies.values())
    assert outcomes == {201: 1, 409: 19}, outcomes
    assert {r.error_code for r in replies.values() if r.status == 409} == {"already_claimed"}
    winner = next(u for u, r in replies.items() if r.status == 201)
    assert _exchanges_of(food_id) == 1
    for user_id in claimers:
        assert _credits(user_id)["balance"] == (2 if user_id == winner else 3)
        _assert_ledger_consistent(user_id)
    assert len([e for e in EventItem.scan() if e.event_type == "FoodClaimed"]) == 1


def test_one_claimer_racing_for_many_posts_never_overspends():
    c = flows.community()
    foods = [flows.share("sam", c["group"], title=f"Meal {i}") for i in range(6)]
    replies = _race(foods, lambda f: call("POST", f"/food/{f}/claims", user="cleo"))
    statuses = Counter(r.status for r in replies)
    assert statuses == {201: 3, 409: 3}, [r.body for r in replies]
    credits = _credits("cleo")
    assert credits["balance"] == 0 and credits["held"] == 3
    _assert_ledger_consistent("cleo")


def test_twenty_concurrent_domain_claims_exactly_one_wins():
    """The same race below the API: the in-process harness resolves API requests one at a time
    (tests/support/runtime.py), so this is what races the conditional `available -> claimed`
    write itself here; the HTTP race runs on the served stack (tests/stack)."""
    from foodshare.domain import exchanges
    from foodshare.errors import DomainError

    c = flows.community()
    claimers = [f"domain-racer-{i}" for i in range(20)]
    for user_id in claimers:
        flows.user(user_id)
        flows.join(user_id, c["group"], "sam")
    food_id = flows.share("sam", c["group"])

    def claim(user_id: str):
        try:
            return user_id, exchanges.claim(food_id, user_id).exchange_id
        except DomainError as exc:
            return user_id, exc.code

    outcomes = dict(_race(claimers, claim))
    assert Counter(v == "already_claimed" for v in outcomes.values()) == {True: 19, False: 1}, outcomes
    winner = next(u for u, v in outcomes.items() if v != "already_claimed")
    assert _exchanges_of(food_id) == 1
    for user_id in claimers:
        assert _credits(user_id)["balance"] == (2 if user_id == winner else 3)
        _assert_ledger_consistent(user_id)


def _top_up(user_id: str, balance: int) -> None:
    """Set a balance as a ledger line would (the ledger keeps summing to it)."""
    from foodshare import ids

    profile = UserItem.get(*UserItem.key(user_id))
    entry_id = ids.new_id()
    LedgerEntryItem(*LedgerEntryItem.key(user_id, entry_id), entry_id=entry_id, user_id=user_id,
                    amount=balance - int(profile.credit_balance), reason="test_top_up",
                    created_at=clock.now_iso()).save()
    profile.update(actions=[UserItem.credit_balance.set(balance), UserItem.ledger_head.set(entry_id)])


def _sam_is_paid_and_released_at_once(start: int) -> None:
    """Sam holds a claim of his own (Bea's post) and is owed a payment (Cleo's claim on his post, Cleo confirmed):
    his cancel (a release) and his confirm (the payment) race, both giving him a credit without reading his
    balance. `start`: his balance when they race."""
    from foodshare.domain import exchanges

    c = flows.community()
    flows.user("bea")
    flows.join("bea", c["group"], "sam")
    own_claim = flows.claim("sam", flows.share("bea", c["group"]))
    owed = flows.claim("cleo", flows.share("sam", c["group"]))
    assert call("POST", f"/exchanges/{owed}/confirm", user="cleo").status == 200
    _top_up("sam", start)
    outcomes = _race([("cancel", own_claim), ("confirm", owed)],
                     lambda job: getattr(exchanges, job[0])(job[1], "sam").status)
    assert sorted(outcomes) == ["cancelled", "completed"]


def test_a_release_and_a_payment_racing_to_one_person_both_land():
    cap = get_settings().max_credit_balance
    _sam_is_paid_and_released_at_once(cap - 2)
    sam = UserItem.get(*UserItem.key("sam"))
    assert (int(sam.credit_balance), int(sam.credits_held)) == (cap, 0)
    assert Counter(e.reason for e in LedgerEntryItem.query("USER#sam", LedgerEntryItem.sk.startswith("CREDIT#"))
                   if e.reason in ("claim_cancelled", "exchange_completed")) == {"claim_cancelled": 1,
                                                                                  "exchange_completed": 1}
    given = [json.loads(e.detail)["data"] for e in EventItem.scan()
             if e.event_type in ("CreditsReleased", "CreditsTransferred")]
    assert len(given) == 2 and not any("balanceAfter" in g for g in given)  # both blind: no balance was read
    _assert_ledger_consistent("sam")


def test_a_release_and_a_payment_racing_at_the_cap_never_pass_it():
    cap = get_settings().max_credit_balance
    _sam_is_paid_and_released_at_once(cap - 1)
    sam = UserItem.get(*UserItem.key("sam"))
    assert (int(sam.credit_balance), int(sam.credits_held)) == (cap, 0)  # one credit landed, the other is not paid
    _assert_ledger_consistent("sam")


def test_a_balance_above_a_lowered_cap_pays_one_credit_a_claim_and_is_never_cut(monkeypatch):
    """MAX_CREDIT_BALANCE lowered below what someone holds: their claim costs one credit and the cancel gives
    nothing beyond the cap back, but neither cuts the balance down to the cap."""
    c = flows.community()
    flows.user("bea")
    flows.join("bea", c["group"], "sam")
    food_id = flows.share("bea", c["group"])
    _top_up("sam", 40)
    monkeypatch.setenv("MAX_CREDIT_BALANCE", "30")
    get_settings.cache_clear()
    try:
        exchange_id = flows.claim("sam", food_id)
        held = _credits("sam")
        assert (held["balance"], held["held"], held["transactions"][0]["amount"]) == (39, 1, -1)
        assert call("POST", f"/exchanges/{exchange_id}/cancel", user="sam").status == 200
        released = _credits("sam")
        assert (released["balance"], released["held"]) == (39, 0)  # beyond the cap: not paid back, not cut
        _assert_ledger_consistent("sam")
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("named", [True, False], ids=["id-names-its-group", "id-from-before"])
def test_a_claim_answers_alike_whether_the_post_id_names_its_group_or_not(named, monkeypatch):
    """A post id naming its group (issue 15) is claimed in one batch and a transaction that checks the sharer's
    restriction; an id from before (one ULID) reads the post, then the rest with the sharer's profile. Same answers,
    and a refusal writes nothing."""
    from foodshare import ids

    if not named:
        monkeypatch.setattr(ids, "food_id", lambda group_id: ids.new_id())
    c = flows.community()
    flows.user("ina")
    flows.join("ina", c["group"], "sam")
    flows.user("stranger")
    food_id = flows.share("sam", c["group"], title="Soup")
    assert ids.food_group(food_id) == (c["group"] if named else None)
    before = _credits("cleo")

    assert call("PUT", "/me/privacy", user="sam", json={"restricted": True}).status == 200
    refused = call("POST", f"/food/{food_id}/claims", user="cleo")  # hidden from her, as GET /food/{foodId} says
    assert refused.status == 404 and refused.error_code == "not_found", refused
    assert call("GET", f"/food/{food_id}", user="sam").body["status"] == "available"
    assert _credits("cleo") == before
    assert not [e for e in EventItem.scan() if e.event_type == "FoodClaimed"]

    assert call("POST", f"/food/{food_id}/claims", user="stranger").status == 404
    assert call("POST", f"/food/{food_id}/claims", user="sam").status in (403, 409)  # own post (restricted too)
    assert call("PUT", "/me/privacy", user="sam", json={"restricted": False}).status == 200
    assert call("POST", f"/food/{food_id}/claims", user="sam").error_code == "own_post"
    won = call("POST", f"/food/{food_id}/claims", user="cleo")
    assert won.status == 201 and won.body["foodId"] == food_id, won
    lost = call("POST", f"/food/{food_id}/claims", user="ina")
    assert lost.status == 409 and lost.error_code == "already_claimed", lost


def test_an_id_naming_another_group_finds_no_post():
    """The group in a post's id is only where to look: an id naming another group (edited by hand) is not found."""
    from foodshare import ids

    c = flows.community()
    other = flows.group("cleo", "Corner Pantry")
    food_id = flows.share("sam", c["group"], title="Soup")
    suffix = food_id.rpartition(ids.FOOD_GROUP_SEPARATOR)[2]
    forged = call("POST", f"/food/{other}{ids.FOOD_GROUP_SEPARATOR}{suffix}/claims", user="cleo")
    assert forged.status == 404 and forged.error_code == "not_found", forged
    assert call("GET", f"/food/{food_id}", user="sam").body["status"] == "available"


def test_a_post_claimed_meanwhile_whose_sharer_restricted_meanwhile_is_not_found_as_the_read_answers(monkeypatch):
    """Ina reads an available post; before her transaction, Cleo claims it and its sharer restricts processing.
    Both of the transaction's conditions fail: the answer is what `GET /food/{foodId}` now answers her (a restricted
    sharer's post is hidden from all but its active claimer: not found; API 5.2.4, was `already_claimed`), and
    nothing of Ina's is written. Cleo, its claimer, is answered `already_claimed`."""
    from foodshare import ids
    from foodshare.domain import exchanges

    c = flows.community()
    flows.user("ina")
    flows.join("ina", c["group"], "sam")
    food_id = flows.share("sam", c["group"], title="Soup")
    assert ids.food_group(food_id) == c["group"]  # the path that checks the sharer in the transaction
    reads, raced = exchanges._claim_reads, []

    def read_then_race(food, user_id, now):
        read = reads(food, user_id, now)
        if user_id == "ina" and not raced:
            raced.append(exchanges.claim(food_id, "cleo"))
            UserItem.get(*UserItem.key("sam")).update([UserItem.restricted.set(True)])
        return read

    monkeypatch.setattr(exchanges, "_claim_reads", read_then_race)
    before = _credits("ina")
    lost = call("POST", f"/food/{food_id}/claims", user="ina")
    assert raced and lost.status == 404 and lost.error_code == "not_found", lost
    assert _credits("ina") == before
    assert _exchanges_of(food_id) == 1
    assert ExchangeItem.get(*ExchangeItem.key(raced[0].exchange_id)).claimer_id == "cleo"
    assert call("POST", f"/food/{food_id}/claims", user="cleo").error_code == "already_claimed"


@pytest.mark.parametrize("meanwhile", ["leaves_the_group", "leaves_the_partner_group", "partnership_ends"])
def test_a_claimer_whose_access_ends_while_the_claim_is_in_flight_is_answered_as_read(monkeypatch, meanwhile):
    """Between the claim's access check and its transaction, cleo leaves the post's group, or (claiming through a
    partnership) her own partnered group, or the partnership ends. The transaction checks the membership that gave
    access and the partnership's link: the claim reads again and is not found, nothing written."""
    from foodshare.domain import exchanges

    c = flows.community()
    flows.user("bea")
    south = flows.group("bea", "South")
    partnership = flows.partnership("sam", c["group"], "bea", south, minReputation=0)
    food_id = flows.share("sam", c["group"]) if meanwhile == "leaves_the_group" else flows.share("bea", south)
    decide, raced = exchanges.food_posts.access, []

    def access_then_race(post, user_id, *args):
        seen = decide(post, user_id, *args)
        if user_id == "cleo" and not raced:
            raced.append(seen)
            ended = (call("DELETE", f"/partnerships/{partnership}", user="bea") if meanwhile == "partnership_ends"
                     else call("DELETE", f"/groups/{c['group']}/members/me", user="cleo"))
            assert ended.status == 200, ended
        return seen

    monkeypatch.setattr(exchanges.food_posts, "access", access_then_race)
    before = _credits("cleo")
    lost = call("POST", f"/food/{food_id}/claims", user="cleo")
    assert raced and raced[0] is not None and raced[0].via_partnership == (meanwhile != "leaves_the_group")
    assert (lost.status, lost.error_code) == (404, "not_found"), lost
    assert _exchanges_of(food_id) == 0 and _credits("cleo") == before
    assert call("GET", f"/food/{food_id}", user="sam" if meanwhile == "leaves_the_group" else "bea"
                ).body["status"] == "available"


def test_a_partner_groups_member_reaches_a_post_in_calls_that_do_not_grow_with_their_groups():
    """Cleo is in seven groups; the post's group is partnered with the last of them. Her access was one read
    of a partner link per group of hers, in turn (10 calls to see the post); now the links of all her groups are read
    in one batch: the post, then her membership and its sharer, her groups, their links."""
    from benchmarks.world import Request, to_event
    from tests.support import round_trips

    flows.community()
    for i in range(5):
        flows.join("cleo", flows.group("sam", f"Other {i}"), "sam")
    late = flows.group("sam", "Late")  # the last of her groups in key order (ids grow with time)
    flows.join("cleo", late, "sam")
    flows.user("bea")
    south = flows.group("bea", "South")
    flows.partnership("sam", late, "bea", south, minReputation=0)
    posts = [flows.share("bea", south, title=f"Bread {i}") for i in range(2)]
    seen = round_trips.measure(*to_event(Request("GET", f"/food/{posts[0]}", "cleo")))
    assert seen.status == 200 and seen.aws == {"dynamodb:GetItem": 1, "dynamodb:BatchGetItem": 2,
                                               "dynamodb:Query": 1}, seen
    claimed = round_trips.measure(*to_event(Request("POST", f"/food/{posts[1]}/claims", "cleo")))
    assert claimed.status == 201 and claimed.aws == {"dynamodb:BatchGetItem": 2, "dynamodb:Query": 1,
                                                     "dynamodb:TransactWriteItems": 1}, claimed


def test_a_post_whose_window_ended_before_the_expiry_job_ran_says_so():
    """Found by an audit: it answered "no longer available (available)"; its status is still available until the
    job marks it expired, so the answer names what happened: its pickup window ended."""
    from foodshare import clock

    c = flows.community()
    food_id = flows.share("sam", c["group"], title="Soup", **dict(zip(("pickupStart", "pickupEnd"),
                                                                        flows.window(0, 1))))
    clock.advance(2 * 3600)
    refused = call("POST", f"/food/{food_id}/claims", user="cleo")
    assert refused.status == 409 and refused.error_code == "not_available", refused
    assert refused.body["error"]["message"] == "This food's pickup window has ended.", refused.body


def test_a_side_that_confirmed_the_pickup_can_no_longer_cancel_or_report_a_no_show():
    """Found by an audit: a sharer who confirmed the handover could then report that the claimer never came (the
    claimer losing their credit and taking a no-show penalty for a pickup the sharer had just confirmed), and a side
    could cancel after confirming. Their own confirmation stands; the other side still decides for itself."""
    c = flows.community()
    exchange_id = flows.claim("cleo", flows.share("sam", c["group"]))
    assert call("POST", f"/exchanges/{exchange_id}/confirm", user="sam").status == 200
    clock.advance(4 * 3600)
    for route in ("no-show", "cancel"):
        refused = call("POST", f"/exchanges/{exchange_id}/{route}", user="sam")
        assert refused.status == 409 and refused.error_code == "invalid_state", refused
        assert "You confirmed the pickup" in refused.body["error"]["message"]
    assert [e.event_type for e in EventItem.scan()].count("ExchangeNoShow") == 0
    assert call("POST", f"/exchanges/{exchange_id}/cancel", user="cleo").body["status"] == "cancelled"

    other = flows.claim("cleo", flows.share("sam", c["group"], title="Bread"))
    assert call("POST", f"/exchanges/{other}/confirm", user="cleo").status == 200
    refused = call("POST", f"/exchanges/{other}/cancel", user="cleo")
    assert refused.status == 409 and "cancel it" in refused.body["error"]["message"], refused
    assert call("POST", f"/exchanges/{other}/confirm", user="sam").body["status"] == "completed"
    _assert_ledger_consistent("cleo")


def test_a_confirmation_landing_between_a_cancels_read_and_its_write_wins_whole(monkeypatch):
    """The cancel holds only while its side is unconfirmed as read: a confirmation by the same side in between makes
    it read again and refuse, rather than cancel a handover just confirmed."""
    from foodshare.domain import exchanges

    c = flows.community()
    exchange_id = flows.claim("cleo", flows.share("sam", c["group"]))
    real = exchanges.get_for_participant
    raced = []

    def read_then_confirm(exchange_id_, user_id):
        found = real(exchange_id_, user_id)
        if not raced:
            raced.append(None)  # the confirm reads through this too: only the first read races
            raced[0] = call("POST", f"/exchanges/{exchange_id}/confirm", user="sam").status
        return found

    monkeypatch.setattr(exchanges, "get_for_participant", read_then_confirm)
    refused = call("POST", f"/exchanges/{exchange_id}/cancel", user="sam")
    assert raced == [200] and refused.status == 409, refused
    assert ExchangeItem.get(*ExchangeItem.key(exchange_id)).status == "claimed"
