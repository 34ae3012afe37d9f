"""Each group's board of open posts (`OpenPostsItem`) follows every change that lists or unlists a post, and
cache-cold discovery built from the boards shows exactly the available posts."""

from __future__ import annotations

from datetime import timedelta

from botocore.exceptions import ClientError

from foodshare import clock
from foodshare.catalog import SCHEDULED_JOBS
from foodshare.data import reads, transaction
from foodshare.data.models import EventItem, FoodItem, OpenPostsItem, table_connection
from tests.support import flows, round_trips
from tests.support.api import call
from tests.support.event_source import function_invoker
from tests.support.schedules import scheduled_event


def _board(group_id: str) -> dict[str, str]:
    [board] = reads.get_many([(OpenPostsItem, OpenPostsItem.key(group_id))])
    assert board is not None and board.complete
    return board.listed


def _discovered(user_id: str) -> set[str]:
    round_trips.cold()  # built from the table, not from what an earlier request cached
    reply = call("GET", "/food", user=user_id, query={"limit": 50})
    assert reply.status == 200, reply
    return {item["foodId"] for item in reply.body["items"]}


def _assert_listed(group_id: str, available: set[str]) -> None:
    ends = {food_id: FoodItem.get(*FoodItem.key(food_id)).pickup_end for food_id in available}
    assert _board(group_id) == ends
    assert _discovered("ida") == available


def _run_expiry() -> dict:
    job = next(j for j in SCHEDULED_JOBS if j.name == "food_expiry")
    return function_invoker(job.name)(scheduled_event(job))


def test_the_board_follows_share_claim_cancel_withdraw_removal_expiry_and_no_show():
    c = flows.community()
    group = c["group"]
    flows.user("ida")
    flows.join("ida", group, "sam")
    assert _board(group) == {}  # created with the group
    ends_soon = clock.iso(clock.now() + timedelta(hours=1.5))
    expiring = flows.share("sam", group, pickupEnd=ends_soon)
    claimed, relisted, withdrawn, kept = (flows.share("sam", group) for _ in range(4))
    removed = flows.share("cleo", group)
    _assert_listed(group, {expiring, claimed, relisted, withdrawn, kept, removed})

    no_show = flows.claim("cleo", claimed)
    _assert_listed(group, {expiring, relisted, withdrawn, kept, removed})
    cancelled = flows.claim("ida", relisted)
    _assert_listed(group, {expiring, withdrawn, kept, removed})
    assert call("POST", f"/exchanges/{cancelled}/cancel", user="ida").status == 200
    _assert_listed(group, {expiring, relisted, withdrawn, kept, removed})
    assert call("DELETE", f"/food/{withdrawn}", user="sam").status == 200
    _assert_listed(group, {expiring, relisted, kept, removed})
    removal = call("POST", f"/groups/{group}/moderation/actions", user="sam",
                   json={"action": "remove_post", "foodId": removed, "reason": "Against the group's rules"})
    assert removal.status == 201, removal
    _assert_listed(group, {expiring, relisted, kept})

    clock.advance(2 * 3600)
    assert _run_expiry() == {"expired": 1, "completed": 0, "lapsed": 0, "notSettled": 0}
    _assert_listed(group, {relisted, kept})
    clock.advance(2 * 3600)  # the others' windows are over too: nobody discovers them, the board still names them
    assert _discovered("ida") == set()
    assert call("POST", f"/exchanges/{no_show}/no-show", user="sam").status == 200  # a claimed post: on no board
    assert set(_board(group)) == {relisted, kept}
    assert _run_expiry() == {"expired": 2, "completed": 0, "lapsed": 0, "notSettled": 0}
    assert _board(group) == {}


def test_a_group_from_before_boards_is_read_by_its_index_query():
    c = flows.community()
    food_id = flows.share("sam", c["group"])
    OpenPostsItem(*OpenPostsItem.key(c["group"])).delete()  # as a group created before boards has none
    assert _discovered("cleo") == {food_id}
    other = flows.share("sam", c["group"])  # upserts an incomplete board: still not the one read
    assert _discovered("cleo") == {food_id, other}


def test_a_board_entry_whose_post_is_gone_shows_nothing():
    c = flows.community()
    kept, taken = flows.share("sam", c["group"]), flows.share("sam", c["group"])
    end = FoodItem.get(*FoodItem.key(taken)).pickup_end
    flows.claim("cleo", taken)
    # as the one-off racing a claim may leave it: the entry back on the board, the post claimed
    OpenPostsItem(*OpenPostsItem.key(c["group"])).update(actions=[OpenPostsItem.entry(taken).set(end)])
    assert _discovered("cleo") == {kept}


def _refuse(monkeypatch, reason_of) -> list[dict]:
    """Have DynamoDB refuse the next transaction (or every one, `reason_of` deciding) with the cancellation
    reasons `reason_of(item)` gives each item: what real DynamoDB answers a transaction meeting another on one of
    its items (`TransactionConflict`), which moto, serialising them, never does. Returns the refused sends."""
    # The botocore client under PynamoDB, which reads the reasons from the error. Patched on its class: undoing a
    # patch on the instance would leave the method in the instance, out of reach of later tests' recorders.
    client_class = type(table_connection().connection.client)
    send = client_class._make_api_call
    refused: list[dict] = []

    def refusing(client, operation: str, kwargs: dict) -> dict:
        reasons = [reason_of(item, len(refused)) for item in kwargs.get("TransactItems", ())]
        if operation == "TransactWriteItems" and any(r != "None" for r in reasons):
            refused.append(kwargs)
            raise ClientError({"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
                               "CancellationReasons": [{"Code": r} for r in reasons]}, operation)
        return send(client, operation, kwargs)

    monkeypatch.setattr(client_class, "_make_api_call", refusing)
    return refused


def _on_board(item: dict) -> bool:
    return "OPENPOSTS" in str(item)


def test_a_transaction_that_met_another_on_the_board_is_sent_again_and_applied_once(monkeypatch):
    c = flows.community()
    refused = _refuse(monkeypatch, lambda item, sent: "TransactionConflict" if _on_board(item) and not sent
                      else "None")
    food_id = flows.share("sam", c["group"])
    assert len(refused) == 1 and any(_on_board(item) for item in refused[0]["TransactItems"])
    assert set(_board(c["group"])) == {food_id}
    shared = [e for e in EventItem.scan(EventItem.pk.startswith("EVENTLOG#")) if e.event_type == "FoodShared"]
    assert len(shared) == 1 and food_id in shared[0].detail
    assert _discovered("cleo") == {food_id}


def test_a_transaction_whose_condition_failed_is_not_sent_again(monkeypatch):
    """A conflict beside a failed condition is the condition's answer at once (a lost claim race stays a 409)."""
    c = flows.community()
    food_id = flows.share("sam", c["group"])
    refused = _refuse(monkeypatch, lambda item, sent: "TransactionConflict" if _on_board(item)
                      else "ConditionalCheckFailed" if f"FOOD#{food_id}" in str(item) else "None")
    reply = call("POST", f"/food/{food_id}/claims", user="cleo")
    assert reply.status == 409 and reply.error_code == "already_claimed"
    assert len(refused) == 1
    assert set(_board(c["group"])) == {food_id}


def test_a_transaction_that_keeps_meeting_others_gives_up_with_a_retryable_conflict(monkeypatch):
    c = flows.community()
    refused = _refuse(monkeypatch, lambda item, sent: "TransactionConflict" if _on_board(item) else "None")
    reply = call("POST", "/food", user="sam", json=flows.post_body(c["group"]))
    assert reply.status == 409 and reply.error_code == "concurrent_update", reply
    assert len(refused) == transaction.CONFLICT_ATTEMPTS
    monkeypatch.undo()
    assert _board(c["group"]) == {} and _discovered("cleo") == set()
