"""The restore drill's invariants as pure decisions over raw items: a consistent table passes, each break is named."""

from __future__ import annotations

from datetime import UTC, datetime

from foodshare import invariants
from foodshare.reputation_rules import INITIAL_SCORE, PendingChange, trust_level

AS_OF = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
GRACE = 30


def _profile(user: str, balance: int, held: int = 0, score: float = INITIAL_SCORE) -> dict:
    return {"pk": f"USER#{user}", "sk": "PROFILE", "credit_balance": balance, "credits_held": held, "score": score,
            "trust_level": trust_level(score)}


def _entry(user: str, n: int, amount: int, after: int) -> dict:
    return {"pk": f"USER#{user}", "sk": f"CREDIT#{n:02d}", "entry_id": f"{n:02d}", "amount": amount,
            "balance_after": after, "created_at": f"2026-12-01T10:00:{n:02d}Z"}


def _world() -> list[dict]:
    """ana shared soup, bo claimed it and it completed; ana's second post is claimed by bo, open."""
    return [
        _profile("ana", 4, score=INITIAL_SCORE + 2.5), _entry("ana", 1, 3, 3), _entry("ana", 4, 1, 4),
        {"pk": "USER#ana", "sk": "REPHIST#2026-12-01T10:00:04Z#e1#completed", "applied": 2.5},
        _profile("bo", 1, held=1), _entry("bo", 2, 3, 3), _entry("bo", 3, -1, 2), _entry("bo", 5, -1, 1),
        {"pk": "FOOD#f1", "sk": "META", "food_id": "f1", "status": "completed", "exchange_id": "x1"},
        {"pk": "EXCHANGE#x1", "sk": "META", "exchange_id": "x1", "food_id": "f1", "status": "completed",
         "claimer_id": "bo"},
        {"pk": "FOOD#f2", "sk": "META", "food_id": "f2", "status": "claimed", "exchange_id": "x2"},
        {"pk": "EXCHANGE#x2", "sk": "META", "exchange_id": "x2", "food_id": "f2", "status": "claimed",
         "claimer_id": "bo"},
        {"pk": "FOOD#f3", "sk": "META", "food_id": "f3", "status": "available", "exchange_id": None},
        {"pk": "EXCHANGE#x3", "sk": "META", "exchange_id": "x3", "food_id": "f3", "status": "cancelled",
         "claimer_id": "bo"},
        {"pk": "EVENTLOG#2026-12-01#1", "sk": "e9", "outbox_pk": "OUTBOX#1", "event_type": "FoodShared",
         "occurred_at": "2026-12-01T11:59:50Z"},
    ]


def _rules(items: list[dict]) -> set[tuple[str, str]]:
    return {(v.rule, v.key) for v in invariants.check(items, AS_OF, GRACE)}


def _replace(items: list[dict], pk: str, sk: str, **changes) -> list[dict]:
    return [{**i, **changes} if (i["pk"], i["sk"]) == (pk, sk) else i for i in items]


def test_a_consistent_table_passes():
    assert _rules(_world()) == set()


def test_a_balance_changed_outside_the_ledger_is_caught():
    assert _rules(_replace(_world(), "USER#ana", "PROFILE", credit_balance=11)) == {
        ("ledger-balance", "USER#ana/PROFILE")}


def test_a_broken_chain_is_caught_at_its_entry():
    assert ("ledger-chain", "USER#bo/CREDIT#03") in _rules(_replace(_world(), "USER#bo", "CREDIT#03", balance_after=5))


def test_lines_without_a_stored_balance_are_summed():
    """Lines written since the blind credits (issue 15) store no balance_after: they still add up to the profile's
    balance, and one more (or one missing) is caught."""
    blind = {"pk": "USER#ana", "sk": "CREDIT#06", "entry_id": "06", "amount": 1, "created_at": "2026-12-01T10:00:06Z"}
    world = _replace(_world(), "USER#ana", "PROFILE", credit_balance=5) + [blind]
    assert _rules(world) == set()
    assert _rules(world + [{**blind, "sk": "CREDIT#07", "entry_id": "07"}]) == {("ledger-balance", "USER#ana/PROFILE")}


def test_held_credits_must_match_open_claims():
    assert _rules(_replace(_world(), "USER#bo", "PROFILE", credits_held=0)) == {("credits-held", "USER#bo/PROFILE")}


def test_an_exchange_and_its_post_must_agree():
    rules = _rules(_replace(_world(), "FOOD#f2", "META", status="available", exchange_id=None))
    assert rules == {("exchange-post", "EXCHANGE#x2")}
    rules = _rules(_replace(_world(), "EXCHANGE#x2", "META", status="cancelled"))
    assert rules == {("exchange-post", "EXCHANGE#x2"), ("post-exchange", "FOOD#f2"), ("credits-held", "USER#bo/PROFILE")}


def test_reputation_must_equal_its_history_replayed():
    rules = _rules(_replace(_world(), "USER#ana", "PROFILE", score=INITIAL_SCORE))
    assert ("reputation", "USER#ana/PROFILE") in rules


def test_a_change_whose_lines_are_not_written_yet_counts_from_the_profile():
    """A copy from between the profile's update and its lines' puts (a restore to that second) is consistent: the
    profile's `rep_pending` holds the lines; a line already written is not counted twice; a pending line that the
    score does not include is still caught."""
    pending = PendingChange("e2", "ExchangeCompleted", "2026-12-01T10:00:06Z",
                            [["exchange_completed", 1.5, 62.5, 64.0, False], ["reliable_pickup", 1.0, 64.0, 65.0, False]])
    ana = {"score": INITIAL_SCORE + 5.0, "rep_pending": pending.encode()}
    assert not _rules(_replace(_world(), "USER#ana", "PROFILE", **ana, trust_level=trust_level(ana["score"])))
    first_line = {"pk": "USER#ana", "sk": "REPHIST#2026-12-01T10:00:06Z#e2#exchange_completed", "applied": 1.5,
                  "event_id": "e2", "kind": "exchange_completed"}
    half_written = [*_replace(_world(), "USER#ana", "PROFILE", **ana, trust_level=trust_level(ana["score"])), first_line]
    assert not _rules(half_written)
    short = _replace(half_written, "USER#ana", "PROFILE", score=INITIAL_SCORE + 4.0)
    assert ("reputation", "USER#ana/PROFILE") in _rules(short)


def test_a_groups_rating_totals_must_be_the_rating_lines_that_still_count():
    """A group's summary counts the ratings given in it that the rated people's lines still count: one a ring's
    reversal took back is out of both; totals that disagree are caught, unless some line does not name its group
    (from before lines kept it: the totals cannot be told apart by group)."""
    def rating(user: str, event: str, stars: int, **more) -> dict:
        kind = "rated_high" if stars >= 4 else "rated_neutral"
        return {"pk": f"USER#{user}", "sk": f"REPHIST#2026-12-01T10:00:0{event[-1]}Z#{event}#{kind}", "applied": 0.0,
                "event_id": event, "kind": kind, "stars": stars, "group_id": "g1", **more}

    world = [*_world(), rating("ana", "r1", 5), rating("bo", "r2", 3), rating("bo", "r3", 5, reversed_by="ring"),
             {"pk": "GROUP#g1", "sk": "ACTIVITY", "ratings_count": 2, "rating_stars_total": 8}]
    assert _rules(world) == set()
    assert _rules(_replace(world, "GROUP#g1", "ACTIVITY", ratings_count=3, rating_stars_total=13)) == {
        ("group-ratings", "GROUP#g1/ACTIVITY")}  # the ring's rating still in the group's figures
    assert _rules([*world, rating("ana", "r4", 4, group_id="g2")]) == {("group-ratings", "GROUP#g2/ACTIVITY")}
    legacy = _replace(world, "USER#bo", "REPHIST#2026-12-01T10:00:02Z#r2#rated_neutral", group_id=None)
    assert _rules(_replace(legacy, "GROUP#g1", "ACTIVITY", ratings_count=9)) == set()


def test_an_event_in_the_outbox_past_the_grace_is_stuck():
    stuck = _replace(_world(), "EVENTLOG#2026-12-01#1", "e9", occurred_at="2026-12-01T11:58:00Z")
    assert _rules(stuck) == {("outbox-stuck", "EVENTLOG#2026-12-01#1/e9")}


def test_an_available_post_missing_from_its_groups_complete_board_is_caught():
    post = {"pk": "FOOD#f4", "sk": "META", "food_id": "f4", "status": "available", "avail_pk": "AVAIL#g1",
            "pickup_end": "2026-12-01T14:00:00Z"}
    board = {"pk": "GROUP#g1", "sk": "OPENPOSTS", "complete": True, "p_f4": "2026-12-01T14:00:00Z",
             "p_f2": "2026-12-01T13:00:00Z"}  # f2 is claimed since: a stale entry readers drop, no violation
    assert _rules([*_world(), post, board]) == set()
    assert _rules([*_world(), post, {**board, "p_f4": None}]) == {("board", "GROUP#g1/OPENPOSTS")}
    assert _rules([*_world(), post, {"pk": "GROUP#g1", "sk": "OPENPOSTS"}]) == set()  # not complete: not read


def test_only_available_and_claimed_posts_are_in_the_expiry_index():
    """A claimed post stays in `expiring_food` for the settlement; whatever closes its exchange takes it out."""
    indexed = {"expiry_pk": "EXPIRES#2026-12-01T10", "expiry_sk": "2026-12-01T10:00:00Z#f"}
    world = _replace(_replace(_world(), "FOOD#f2", "META", **indexed), "FOOD#f3", "META", **indexed)
    assert _rules(world) == set()
    lapsed = _replace(_replace(world, "FOOD#f2", "META", status="expired"), "EXCHANGE#x2", "META", status="lapsed")
    lapsed = _replace(lapsed, "USER#bo", "PROFILE", credits_held=0)
    assert _rules(lapsed) == {("post-index", "FOOD#f2")}
    assert _rules(_replace(world, "FOOD#f1", "META", **indexed)) == {("post-index", "FOOD#f1")}


def test_a_movement_applied_twice_is_caught_though_the_sums_agree():
    """Found by an audit: a payment, a release or a welcome grant written twice (line and balance both) kept the
    balance equal to its ledger, and a payment to the sharer moves no held credit: the drill saw nothing. One
    user's ledger holds at most one line per exchange and reason (and one welcome)."""
    paid = {"pk": "USER#ana", "sk": "CREDIT#04", "entry_id": "04", "amount": 1, "reason": "exchange_completed",
            "exchange_id": "x1", "created_at": "2026-12-01T10:00:04Z"}
    world = [i for i in _world() if (i["pk"], i["sk"]) != ("USER#ana", "CREDIT#04")] + [paid]
    assert _rules(world) == set()
    again = {**paid, "sk": "CREDIT#06", "entry_id": "06", "created_at": "2026-12-01T10:00:06Z"}
    twice = _replace(world, "USER#ana", "PROFILE", credit_balance=5) + [again]
    assert _rules(twice) == {("ledger-twice", "USER#ana/CREDIT#06")}
    welcome = _replace(_world(), "USER#bo", "CREDIT#02", reason="welcome", exchange_id=None)
    regranted = {"pk": "USER#bo", "sk": "CREDIT#07", "entry_id": "07", "amount": 3, "reason": "welcome",
                 "exchange_id": None, "created_at": "2026-12-01T10:00:07Z"}
    assert _rules(_replace(welcome, "USER#bo", "PROFILE", credit_balance=4) + [regranted]) == {
        ("ledger-twice", "USER#bo/CREDIT#07")}


def test_a_negative_balance_is_caught_though_its_ledger_agrees():
    """A balance never goes below 0 (a claim's hold is refused first): one that did, its ledger agreeing, was passed."""
    spent = [{"pk": "USER#bo", "sk": f"CREDIT#{n}", "entry_id": str(n), "amount": -1, "created_at": f"2026-12-01T10:01:{n}Z"}
             for n in range(10, 14)]
    world = _replace(_world(), "USER#bo", "PROFILE", credit_balance=-3) + spent
    assert _rules(world) == {("ledger-negative", "USER#bo/PROFILE")}


def test_a_ledger_head_naming_no_line_is_caught():
    """GET /me/credits checks its first page against the profile's `ledger_head` (the last line committed) and
    queries again while the page lacks it: a head naming no line made every read query three times."""
    assert _rules(_replace(_world(), "USER#ana", "PROFILE", ledger_head="04")) == set()
    assert _rules(_replace(_world(), "USER#ana", "PROFILE", ledger_head="99")) == {("ledger-head", "USER#ana/PROFILE")}
