"""The reputation consumer through the real path: API change -> outbox -> bus -> queue -> handler."""

from __future__ import annotations

import json
from datetime import timedelta

from foodshare import clock
from foodshare.data.models import EventItem
from tests.support import flows
from tests.support.api import call


def _reputation(user_id: str) -> dict:
    reply = call("GET", f"/users/{user_id}/reputation", user=user_id)  # one's own: score, counts, history
    assert reply.status == 200, reply
    return reply.body


def _rate(exchange_id: str, who: str, stars: int) -> None:
    assert call("POST", f"/exchanges/{exchange_id}/ratings", user=who, json={"stars": stars}).status == 201


def test_completion_and_ratings_move_both_scores_counts_and_history(backbone):
    c = flows.community()
    exchange = flows.claim("cleo", flows.share("sam", c["group"]))
    flows.complete("sam", "cleo", exchange)
    _rate(exchange, "cleo", 5)
    _rate(exchange, "sam", 1)
    backbone.deliver()
    sam, cleo = _reputation("sam"), _reputation("cleo")
    assert sam["score"] == 60 + 2 + 1.5 + 3 and sam["trustLevel"] == "developing"
    assert cleo["score"] == 60 + 1.5 + 1 - 2.5
    assert sam["counts"] == {"foodShared": 1, "exchangesCompleted": 1, "exchangesCancelled": 0, "noShows": 0,
                             "ratingsReceived": 1}
    assert (cleo["counts"]["exchangesCompleted"], cleo["averageRating"]) == (1, 1.0)
    assert [(h["impact"], h["applied"], h["previousScore"], h["newScore"]) for h in cleo["history"]] == [
        ("rated_low", -2.5, 62.5, 60),
        ("reliable_pickup", 1, 61.5, 62.5),
        ("exchange_completed", 1.5, 60, 61.5),
    ]
    assert cleo["history"][0]["reason"] == "Received a poor rating"


def test_cancel_costs_the_canceller_and_a_no_show_costs_the_claimer(backbone):
    c = flows.community()
    cancelled = flows.claim("cleo", flows.share("sam", c["group"]))
    assert call("POST", f"/exchanges/{cancelled}/cancel", user="sam").status == 200
    missed = flows.claim("cleo", flows.share("sam", c["group"], pickupEnd=clock.iso(clock.now() + timedelta(hours=1.5))))
    clock.advance(2 * 3600)
    assert call("POST", f"/exchanges/{missed}/no-show", user="sam").status == 200
    backbone.deliver()
    sam, cleo = _reputation("sam"), _reputation("cleo")
    assert (sam["score"], sam["counts"]["exchangesCancelled"]) == (60 + 2 + 2 - 1, 1)
    assert (cleo["score"], cleo["counts"]["noShows"], cleo["counts"]["exchangesCancelled"]) == (57, 1, 0)


def test_daily_cap_holds_and_the_history_says_so_and_a_level_change_is_emitted(backbone):
    c = flows.community()
    for _ in range(6):
        flows.share("sam", c["group"])
    backbone.deliver()
    sam = _reputation("sam")
    assert (sam["score"], sam["trustLevel"], sam["counts"]["foodShared"]) == (70, "established", 6)
    newest = sam["history"][0]
    assert (newest["applied"], newest["points"]) == (0, 2) and "cap of +10" in newest["reason"]
    [changed] = [json.loads(e.detail) for e in EventItem.scan(EventItem.pk.startswith("EVENTLOG#"))
                 if e.event_type == "TrustLevelChanged"]
    assert changed["data"] | {"causeEventId": None} == {
        "userId": "sam", "previousLevel": "developing", "newLevel": "established", "previousScore": 68.0,
        "score": 70.0, "causeEventId": None, "causeEventType": "FoodShared"}
    # The cap window is the day the event happened: tomorrow's shares count again.
    clock.advance(24 * 3600)
    flows.share("sam", c["group"])
    backbone.deliver()
    assert _reputation("sam")["score"] == 72


def test_duplicate_delivery_changes_nothing(backbone):
    c = flows.community()
    flows.share("sam", c["group"])
    [message] = backbone.queued("reputation_consumer")
    _redeliver("reputation_consumer", backbone, message, times=2)
    backbone.deliver()
    sam = _reputation("sam")
    assert (sam["score"], sam["counts"]["foodShared"], len(sam["history"])) == (62, 1, 1)


def test_out_of_order_delivery_ends_in_the_same_state(backbone):
    """A rating delivered before the completion it follows: same scores, caps by occurredAt."""
    c = flows.community()
    backbone.deliver()
    exchange = flows.claim("cleo", flows.share("sam", c["group"]))
    flows.complete("sam", "cleo", exchange)
    _rate(exchange, "cleo", 4)
    queued = backbone.queued("reputation_consumer")
    assert [m["detail-type"] for m in queued] == ["FoodShared", "ExchangeCompleted", "RatingSubmitted"]
    _purge("reputation_consumer", backbone)
    for message in reversed(queued):
        _redeliver("reputation_consumer", backbone, message)
        backbone.deliver()
    sam = _reputation("sam")
    assert (sam["score"], sam["counts"]["exchangesCompleted"], sam["counts"]["ratingsReceived"]) == (66.5, 1, 1)
    assert [h["eventType"] for h in sam["history"]] == ["RatingSubmitted", "ExchangeCompleted", "FoodShared"]


def _purge(consumer: str, backbone) -> None:
    from tests.support.backbone import clients

    clients()[1].purge_queue(QueueUrl=backbone.sources[consumer].queue.url)


def _redeliver(consumer: str, backbone, message: dict, times: int = 1) -> None:
    from tests.support.backbone import clients

    for _ in range(times):
        clients()[1].send_message(QueueUrl=backbone.sources[consumer].queue.url, MessageBody=json.dumps(message))


def test_a_double_submitted_rating_lands_once_and_moves_the_score_once(backbone, monkeypatch):
    """The same side's rating sent twice at once (a double tap, a client's retry before the answer), both read before
    either wrote: one rating, one `RatingSubmitted`, one score change, one received rating; the other answers 409
    `already_rated` naming nothing half-written. Delivered twice more, the event still applies once."""
    from foodshare.domain import exchanges, ratings

    c = flows.community()
    exchange = flows.claim("cleo", flows.share("sam", c["group"]))
    flows.complete("sam", "cleo", exchange)
    backbone.deliver()
    before = _reputation("sam")["score"]
    read, raced = exchanges.get_for_participant, []

    def rated_meanwhile(*args):
        found = read(*args)
        if not raced:
            raced.append(True)
            ratings.rate_exchange(exchange, "cleo", 2, None)  # the other submit, between this one's read and write
        return found

    monkeypatch.setattr(exchanges, "get_for_participant", rated_meanwhile)
    second = call("POST", f"/exchanges/{exchange}/ratings", user="cleo", json={"stars": 1})
    assert (second.status, second.error_code) == (409, "already_rated"), second
    monkeypatch.undo()
    [submitted] = backbone.queued("reputation_consumer")[-1:]
    assert submitted["detail-type"] == "RatingSubmitted" and submitted["detail"]["data"]["stars"] == 2
    _redeliver("reputation_consumer", backbone, submitted, times=2)
    backbone.deliver()
    sam = _reputation("sam")
    assert (sam["score"], sam["counts"]["ratingsReceived"], sam["averageRating"]) == (before - 2.5, 1, 2.0)
    assert [h["impact"] for h in sam["history"]].count("rated_low") == 1
    assert sum(1 for e in EventItem.scan(EventItem.pk.startswith("EVENTLOG#")) if e.event_type == "RatingSubmitted") == 1
