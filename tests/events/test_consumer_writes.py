"""What the consumers write per record (issue 15's cost), and that each still applies an event once.

The reputation consumer's history lines carry the once-condition (their keys name the event), so an event that
writes history needs no processed marker; an event that changes nothing writes nothing; the group read model's
FoodClaimed only moves a moment forward and needs no marker either.
"""

from __future__ import annotations

import pytest

from foodshare import clock, group_activity, ids, reputation
from foodshare.consumers import Delivered
from foodshare.data.models import ActiveMemberItem, ConsumedItem, ReputationHistoryItem, UserItem, botocore_client
from foodshare.settings import get_settings
from tests.support import flows


def _event(event_type: str, data: dict, occurred_at: str | None = None) -> Delivered:
    return Delivered(ids.new_id(), event_type, occurred_at or clock.now_iso(), None, data)


def _items() -> list[dict]:
    return botocore_client("dynamodb").scan(TableName=get_settings().table_name)["Items"]


def _marker(consumer: str, event: Delivered) -> bool:
    try:
        ConsumedItem.get(*ConsumedItem.key(consumer, event.event_id))
        return True
    except ConsumedItem.DoesNotExist:
        return False


def _profile(user_id: str) -> UserItem:
    return UserItem.get(*UserItem.key(user_id))


def test_an_impact_is_applied_once_without_a_processed_marker():
    c = flows.community()
    before = float(_profile(c["sharer"]).score)
    shared = _event("FoodShared", {"sharerId": c["sharer"], "groupId": c["group"], "foodId": "f1"})
    assert reputation.apply(shared) is True
    assert not _marker(reputation.CONSUMER, shared)  # the history line is the once-condition
    after = _profile(c["sharer"])
    assert reputation.apply(shared) is False and reputation.apply(shared) is False  # duplicates
    again = _profile(c["sharer"])
    assert float(again.score) == float(after.score) > before and int(again.shared_count) == int(after.shared_count) == 1
    assert [h.event_id for h in reputation.history(c["sharer"])] == [shared.event_id]


def test_an_event_that_changes_nothing_writes_nothing():
    c = flows.community()
    before = _items()
    no_penalty = _event("ModerationActionTaken", {"memberId": c["claimer"], "groupId": c["group"]})
    erased = _event("FoodShared", {"sharerId": "gone-user", "groupId": c["group"], "foodId": "f2"})
    assert reputation.apply(no_penalty) is False and reputation.apply(erased) is False
    assert _items() == before


def test_a_neutral_rating_writes_its_line_with_its_stars_and_applies_once_without_a_marker():
    """A 3-star rating moves no score but counts: its line (`rated_neutral`) carries the once-condition, and its
    stars, so a rating ring's reversal finds it and takes it out of the counts."""
    c = flows.community()
    neutral = _event("RatingSubmitted", {"ratedUserId": c["sharer"], "raterId": c["claimer"], "stars": 3,
                                         "groupId": c["group"], "exchangeId": "x1"})
    assert reputation.apply(neutral) is True
    assert not _marker(reputation.CONSUMER, neutral)
    [line] = [h for h in reputation.history(c["sharer"]) if h.event_id == neutral.event_id]
    assert (line.kind, float(line.applied), int(line.stars), line.source_user_id) == ("rated_neutral", 0, 3,
                                                                                      c["claimer"])
    assert reputation.apply(neutral) is False
    assert (int(_profile(c["sharer"]).ratings_received), int(_profile(c["sharer"]).rating_stars_total)) == (1, 3)


def test_a_claim_moves_the_claimers_last_active_moment_once_without_a_marker():
    c = flows.community()
    at = clock.now_iso()
    claimed = _event("FoodClaimed", {"claimerId": c["claimer"], "sharerId": c["sharer"], "groupId": c["group"],
                                     "foodId": "f3", "exchangeId": "x3"}, at)
    assert group_activity.apply(claimed) is True
    assert not _marker(group_activity.CONSUMER, claimed)
    active = ActiveMemberItem.get(*ActiveMemberItem.key(c["group"], c["claimer"]))
    assert active.last_active_at == at
    before = _items()
    assert group_activity.apply(claimed) is False  # a duplicate finds the moment there: nothing written
    partner = _event("FoodClaimed", {"claimerId": "outsider", "sharerId": c["sharer"], "groupId": c["group"],
                                     "foodId": "f4", "exchangeId": "x4", "partnershipId": "p1"})
    assert group_activity.apply(partner) is False  # a partner group's claimer is not counted here
    assert _items() == before


def test_a_counted_post_keeps_its_marker_and_counts_once():
    c = flows.community()
    shared = _event("FoodShared", {"sharerId": c["sharer"], "groupId": c["group"], "foodId": "f5"})
    assert group_activity.apply(shared) is True
    assert _marker(group_activity.CONSUMER, shared)
    assert group_activity.apply(shared) is False
    assert group_activity.summary(c["group"])["postsLast30Days"] == 1


def _written(before: list[dict]) -> set[str]:
    """The sort keys of the items added or changed since `before` (prefixes up to the first '#')."""
    return {item["sk"]["S"].split("#")[0] for item in _items() if item not in before}


def test_a_record_writes_the_profile_and_its_history_line_only():
    c = flows.community()
    before = _items()
    shared = _event("FoodShared", {"sharerId": c["sharer"], "groupId": c["group"], "foodId": "f6"})
    assert reputation.apply(shared) is True
    assert _written(before) == {"PROFILE", "REPHIST"}  # no cap window item, no stored ReputationChanged


def _penalty(member: str, group: str, at: str) -> Delivered:
    return _event("ModerationActionTaken", {"memberId": member, "groupId": group, "penalty": "spam_report"}, at)


def test_a_taken_back_penalty_gives_its_window_room_back_once():
    c = flows.community()
    at = clock.now_iso()
    penalties = [_penalty(c["claimer"], c["group"], at) for _ in range(6)]
    for penalty in penalties:
        assert reputation.apply(penalty) is True
    assert [float(h.applied) for h in reputation.history(c["claimer"])].count(0.0) == 1  # the month's cap: -25
    first = penalties[0]
    overturned = _event("AppealDecided", {"memberId": c["claimer"], "groupId": c["group"], "outcome": "overturned",
                                          "penalty": "spam_report", "actionOccurredAt": first.occurred_at,
                                          "actionEventId": first.event_id})
    assert reputation.apply(overturned) is True
    score = float(_profile(c["claimer"]).score)
    before = _items()
    assert reputation.apply(overturned) is False  # a duplicate finds its mark on the line: nothing written
    assert _items() == before
    taken_back = ReputationHistoryItem.get(*ReputationHistoryItem.key(c["claimer"], at, first.event_id, "spam_report"))
    assert taken_back.reversed_by == overturned.event_id
    assert reputation.apply(_penalty(c["claimer"], c["group"], at)) is True  # the room given back is used again
    assert float(_profile(c["claimer"]).score) == score - 5


def _overturn(member: str, group: str, penalty: Delivered) -> Delivered:
    return _event("AppealDecided", {"memberId": member, "groupId": group, "outcome": "overturned",
                                    "penalty": "spam_report", "actionOccurredAt": penalty.occurred_at,
                                    "actionEventId": penalty.event_id})


def test_an_overturn_and_its_penalty_racing_either_way_end_where_they_started(monkeypatch):
    """The penalty read the profile before the overturn forestalled its line (its commit must fail and find the
    line), or the overturn read no line before the penalty committed (its commit must fail and take it back)."""
    c = flows.community()
    member, start = c["claimer"], float(_profile(c["claimer"]).score)
    for racer, target in (("overturn", "_Windows"), ("penalty", "_taken_back")):
        penalty = _penalty(member, c["group"], clock.now_iso())
        overturned = _overturn(member, c["group"], penalty)
        first, second = (penalty, overturned) if racer == "overturn" else (overturned, penalty)
        read, racing = getattr(reputation, target), [second]

        def read_then_race(*args, read=read, racing=racing):
            done = read(*args)
            while racing:
                reputation.apply(racing.pop())  # the other record commits between this one's read and write
            return done

        with monkeypatch.context() as patch:
            patch.setattr(reputation, target, read_then_race)
            reputation.apply(first)
        assert reputation.apply(penalty) is False and reputation.apply(overturned) is False  # duplicates
        assert float(_profile(member).score) == start
        line = ReputationHistoryItem.get(*ReputationHistoryItem.key(member, penalty.occurred_at, penalty.event_id,
                                                                    "spam_report"))
        assert line.reversed_by == overturned.event_id


def test_an_impact_committed_between_the_read_and_the_write_is_neither_lost_nor_over_the_cap(monkeypatch):
    c = flows.community()
    sharer, start = c["sharer"], float(_profile(c["sharer"]).score)
    shares = [_event("FoodShared", {"sharerId": sharer, "groupId": c["group"], "foodId": f"r{i}"}) for i in range(6)]
    for share in shares[:4]:
        assert reputation.apply(share) is True  # 8 of the day's cap of 10
    windows, racing = reputation._Windows, [shares[4]]

    def read_windows(*args):
        read = windows(*args)  # this record's read of the window (and of the score before it)...
        while racing:
            assert reputation.apply(racing.pop()) is True  # ...then another record of the user commits
        return read

    monkeypatch.setattr(reputation, "_Windows", read_windows)
    assert reputation.apply(shares[5]) is True  # its first attempt fails the score's condition, the retry caps it
    profile, lines = _profile(sharer), reputation.history(sharer)
    assert (float(profile.score), int(profile.shared_count)) == (start + 10, 6)
    assert sorted(float(h.applied) for h in lines) == [0, 2, 2, 2, 2, 2]


class _Crash(Exception):
    """The consumer's process failing between two of its writes."""


def _crash_once(monkeypatch, target, name: str) -> None:
    real, calls = getattr(target, name), []

    def crashing(*args, **kwargs):
        if not calls:
            calls.append(1)
            raise _Crash()
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, crashing)


def _state(user_id: str) -> tuple:
    profile = _profile(user_id)
    return (float(profile.score), int(profile.shared_count), int(profile.completed_count),
            sorted((h.event_id, h.kind, float(h.applied)) for h in reputation.history(user_id, 50)))


def test_a_change_committed_without_its_lines_is_finished_by_the_redelivery_and_not_doubled(monkeypatch):
    c = flows.community()
    shared = _event("FoodShared", {"sharerId": c["sharer"], "groupId": c["group"], "foodId": "p1"})
    _crash_once(monkeypatch, reputation, "_put_lines")  # the profile's update commits, the line's put fails
    with pytest.raises(_Crash):
        reputation.apply(shared)
    score, count, _, lines = _state(c["sharer"])
    assert (count, lines) == (1, [])  # applied, its line still only on the profile (rep_pending)
    assert reputation.apply(shared) is False  # the redelivery: writes the line, applies nothing again
    assert _state(c["sharer"]) == (score, 1, 0, [(shared.event_id, "food_shared", 2.0)])
    assert reputation.apply(shared) is False and _state(c["sharer"])[3] == [(shared.event_id, "food_shared", 2.0)]


def test_the_next_change_of_the_user_writes_the_lines_a_failure_left_and_counts_them_in_the_cap(monkeypatch):
    c = flows.community()
    shares = [_event("FoodShared", {"sharerId": c["sharer"], "groupId": c["group"], "foodId": f"q{i}"})
              for i in range(6)]
    _profile(c["sharer"]).update([UserItem.score.set(50)])  # the day's +10 stays within one trust level
    for share in shares[:4]:
        assert reputation.apply(share) is True
    _crash_once(monkeypatch, reputation, "_put_lines")
    with pytest.raises(_Crash):
        reputation.apply(shares[4])  # the day's cap is used up, its line not written
    assert reputation.apply(shares[5]) is True  # puts the 5th's line first, then caps itself
    assert reputation.apply(shares[4]) is False  # the 5th's redelivery: its line is written, nothing doubles
    score, count, _, lines = _state(c["sharer"])
    assert count == 6 and sorted(applied for _, _, applied in lines) == [0, 2, 2, 2, 2, 2]


def test_an_exchange_that_failed_after_one_of_its_two_users_is_finished_for_the_other_only(monkeypatch):
    c = flows.community()
    completed = _event("ExchangeCompleted", {"sharerId": c["sharer"], "claimerId": c["claimer"], "groupId": c["group"],
                                             "exchangeId": "x9", "foodId": "f9"})
    commit = reputation._commit_alone

    def second_fails(user, *args):
        if user.user_id == c["claimer"]:
            raise _Crash()
        return commit(user, *args)

    monkeypatch.setattr(reputation, "_commit_alone", second_fails)
    with pytest.raises(_Crash):
        reputation.apply(completed)
    sharer_after, claimer_before = _state(c["sharer"]), _state(c["claimer"])
    assert sharer_after[2] == 1 and claimer_before[2] == 0
    monkeypatch.setattr(reputation, "_commit_alone", commit)
    assert reputation.apply(completed) is True  # the redelivery: the claimer's part only
    assert _state(c["sharer"]) == sharer_after
    claimer = _state(c["claimer"])
    assert claimer[2] == 1 and [kind for _, kind, _ in claimer[3]] == ["exchange_completed", "reliable_pickup"]
    assert reputation.apply(completed) is False


# ---- one item, one conditional write (data/transaction.py) ------------------------------------


def _refusal(code: str, retry_attempts: int = 0):
    """The error PynamoDB raises for an UpdateItem DynamoDB answered with `code`."""
    from botocore.exceptions import ClientError
    from pynamodb.exceptions import UpdateError

    return UpdateError(code, cause=ClientError({"Error": {"Code": code, "Message": code},
                                                "ResponseMetadata": {"RetryAttempts": retry_attempts}}, "UpdateItem"))


def _rating_counted(group_id: str, condition=None, on_fail=None):
    """A unit of work that changes one item: the group's rating count."""
    from foodshare.data.models import GroupActivityItem
    from foodshare.data.transaction import UnitOfWork

    uow = UnitOfWork(allow_no_events=True)
    uow.update(GroupActivityItem(*GroupActivityItem.key(group_id)), [GroupActivityItem.ratings_count.add(1)],
               condition, on_fail=on_fail)
    return uow


def test_a_lone_marker_is_one_conditional_put_and_still_applies_once(aws_operations):
    from foodshare.consumers import once

    event = _event("FoodWithdrawn", {"foodId": "f7", "groupId": "g7"})
    assert once("announcements", event, lambda uow: None) is True
    assert aws_operations == ["PutItem"]  # not a one-item TransactWriteItems: half the write units
    assert _marker("announcements", event)
    assert once("announcements", event, lambda uow: None) is False  # the put's condition refuses the duplicate


def test_a_one_item_change_answers_its_failed_condition_as_a_transaction_does(aws_operations):
    from foodshare.data.models import GroupActivityItem
    from foodshare.errors import ConcurrentUpdate, NotFound

    with pytest.raises(NotFound, match="no such group"):
        _rating_counted("g8", GroupActivityItem.pk.exists(), NotFound("no such group")).commit()
    with pytest.raises(ConcurrentUpdate):
        _rating_counted("g8", GroupActivityItem.pk.exists()).commit()
    assert aws_operations == ["UpdateItem", "UpdateItem"]
    assert not [i for i in _items() if i["pk"]["S"] == "GROUP#g8"]  # nothing written


def test_a_one_item_change_that_meets_a_transaction_is_sent_again(monkeypatch):
    from foodshare.data.models import GroupActivityItem

    real, refused = GroupActivityItem.update, []

    def update(self, *args, **kwargs):
        if not refused:
            refused.append(1)
            raise _refusal("TransactionConflictException")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(GroupActivityItem, "update", update)
    _rating_counted("g9").commit()
    assert refused == [1]
    assert int(GroupActivityItem.get(*GroupActivityItem.key("g9")).ratings_count) == 1


def test_a_one_item_change_that_keeps_meeting_transactions_answers_as_a_conflict(monkeypatch):
    from foodshare.data import transaction
    from foodshare.data.models import GroupActivityItem
    from foodshare.errors import ConcurrentUpdate

    sent = []

    def update(self, *args, **kwargs):
        sent.append(1)
        raise _refusal("TransactionConflictException")

    monkeypatch.setattr(GroupActivityItem, "update", update)
    with pytest.raises(ConcurrentUpdate):  # as a transaction that only met others answers (a 409, or retried)
        _rating_counted("g11").commit()
    assert len(sent) == transaction.CONFLICT_ATTEMPTS


def test_a_one_item_write_refused_after_the_sdk_sent_it_again_is_answered_as_a_conflict(monkeypatch):
    """No answer, a resend, a refusal: the first send may have been applied, so the refusal is no proof of a
    duplicate or a lost race (a transaction's request token would have made the resend a no-op)."""
    from foodshare.data.models import GroupActivityItem
    from foodshare.errors import ConcurrentUpdate, NotFound

    def refused(retry_attempts: int):
        def update(self, *args, **kwargs):
            raise _refusal("ConditionalCheckFailedException", retry_attempts)
        return update

    def change():
        return _rating_counted("g10", GroupActivityItem.pk.exists(), NotFound("no such group"))

    monkeypatch.setattr(GroupActivityItem, "update", refused(1))
    with pytest.raises(ConcurrentUpdate):
        change().commit()
    monkeypatch.setattr(GroupActivityItem, "update", refused(0))
    with pytest.raises(NotFound):
        change().commit()


# ---- fraud signals: a counted event's tag on its day is its once-condition (fraud.py) ---------


def _day(user_id: str, at: str):
    from foodshare.data.models import SignalDayItem

    try:
        return SignalDayItem.get(*SignalDayItem.key(user_id, at[:10]), consistent_read=True)
    except SignalDayItem.DoesNotExist:
        return None


def test_a_counted_post_is_one_update_of_its_day_and_counts_once(aws_operations):
    from foodshare import fraud

    c = flows.community()
    shared = _event("FoodShared", {"sharerId": c["sharer"], "groupId": c["group"], "foodId": "f10", "title": "Soup"})
    aws_operations.clear()
    assert fraud.apply(shared) is True
    assert [op for op in aws_operations if op not in ("GetItem", "BatchGetItem", "Query")] == ["UpdateItem"]
    assert not _marker(fraud.CONSUMER, shared)
    before = _items()
    assert fraud.apply(shared) is False  # a redelivery finds its tag on the day
    assert _items() == before
    day = _day(c["sharer"], shared.occurred_at)
    assert int(day.posts) == 1 and day.applied == {fraud.event_tag(shared)}


def test_a_claim_counts_claimer_and_sharer_in_one_transaction_without_a_marker_once():
    from foodshare import fraud

    c = flows.community()
    claimed = _event("FoodClaimed", {"claimerId": c["claimer"], "sharerId": c["sharer"], "groupId": c["group"],
                                     "foodId": "f11", "exchangeId": "x11"})
    assert fraud.apply(claimed) is True and fraud.apply(claimed) is False
    assert not _marker(fraud.CONSUMER, claimed)
    assert int(_day(c["claimer"], claimed.occurred_at).claims) == 1
    assert int(_day(c["sharer"], claimed.occurred_at).claimed_posts) == 1


def test_a_duplicate_the_read_missed_is_refused_by_the_days_condition(monkeypatch):
    from foodshare import fraud

    c = flows.community()
    shared = _event("FoodShared", {"sharerId": c["sharer"], "groupId": c["group"], "foodId": "f12", "title": "Jam"})
    assert fraud.apply(shared) is True
    real, stale = fraud._recent_days, []

    def recent_days(*args):
        if not stale:  # an eventually consistent read that does not show the day yet
            stale.append(1)
            return []
        return real(*args)

    monkeypatch.setattr(fraud, "_recent_days", recent_days)
    real_count, consistent = fraud._count_and_score, []

    def count_and_score(*args):
        consistent.append(args[-1])
        return real_count(*args)

    monkeypatch.setattr(fraud, "_count_and_score", count_and_score)
    assert fraud.apply(shared) is False
    assert stale == [1] and int(_day(c["sharer"], shared.occurred_at).posts) == 1
    assert consistent == [False, True]  # the attempt after the refused condition reads strongly consistent


def test_a_day_counted_before_tags_keeps_the_marker_for_that_day():
    from foodshare import fraud
    from foodshare.data.models import SignalDayItem

    c = flows.community()
    at = clock.now_iso()
    SignalDayItem(*SignalDayItem.key(c["claimer"], at[:10]), claims=2).save()  # written by the consumer before tags
    claimed = _event("FoodClaimed", {"claimerId": c["claimer"], "sharerId": c["sharer"], "groupId": c["group"],
                                     "foodId": "f13", "exchangeId": "x13"}, at)
    assert fraud.apply(claimed) is True and fraud.apply(claimed) is False
    assert _marker(fraud.CONSUMER, claimed)
    day = _day(c["claimer"], at)
    assert int(day.claims) == 3 and day.applied is None


def test_fraud_events_that_count_nothing_write_nothing():
    from datetime import timedelta

    from foodshare import fraud

    c = flows.community()
    before = _items()
    by_sharer = _event("ExchangeCancelled", {"claimerId": c["claimer"], "sharerId": c["sharer"],
                                             "closedBy": c["sharer"], "groupId": c["group"], "exchangeId": "x14"})
    old = _event("FoodShared", {"sharerId": c["sharer"], "groupId": c["group"], "foodId": "f15", "title": "Old"},
                 clock.iso(clock.now() - timedelta(days=30)))  # its day has left every window: a late replay
    assert fraud.apply(by_sharer) is False and fraud.apply(old) is False
    assert _items() == before


def test_a_claim_redelivered_after_its_claimer_was_erased_counts_the_sharer_once():
    from foodshare import fraud

    c = flows.community()
    claimed = _event("FoodClaimed", {"claimerId": c["claimer"], "sharerId": c["sharer"], "groupId": c["group"],
                                     "foodId": "f16", "exchangeId": "x16"})
    assert fraud.apply(claimed) is True
    profile = _profile(c["claimer"])
    profile.update(actions=[UserItem.erasing.set(True)])  # erased while the redelivery was on its way
    assert fraud.apply(claimed) is False  # the sharer's own tag refuses it (no marker was written)
    assert int(_day(c["sharer"], claimed.occurred_at).claimed_posts) == 1


def test_an_event_the_code_before_tags_applied_is_refused_by_its_marker():
    from foodshare import fraud

    c = flows.community()
    shared = _event("FoodShared", {"sharerId": c["sharer"], "groupId": c["group"], "foodId": "f17", "title": "Pie"})
    ConsumedItem(*ConsumedItem.key(fraud.CONSUMER, shared.event_id), consumer=fraud.CONSUMER,
                 event_id=shared.event_id, event_type=shared.event_type).save()  # counted by the code before tags
    before = _items()
    assert fraud.apply(shared) is False
    assert _items() == before


