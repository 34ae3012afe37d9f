"""What must hold in any consistent copy of the table: checked after a restore (make restore-drill).

Pure decision functions over the table's raw items (attribute name -> plain value, as
a scan returns them deserialized), so they run the same on AWS, on an emulator and
in unit tests:

- every user's credit ledger sums (from 0) to the profile's balance, each entry that
  stores its balance (those written before issue 15's blind credits; later ones have
  it derived on read) agreeing with the sum up to it, and the credits the profile
  holds equal its open claims; neither is below 0, the profile's `ledger_head` names a
  line of its ledger, and no movement is in it twice (one line per exchange and reason,
  one welcome: a movement applied twice keeps the sums agreeing);
- every exchange agrees with its post (open: the post is claimed by it; completed: the
  post is completed by it; cancelled or no-show: the post has moved on), and every
  claimed post names an open exchange; only available and claimed posts are in the `expiring_food`
  index (the expiry and the settlement of exchanges nobody closed read it);
- every available post of a group with a complete board of open posts is on it, until its pickup end
  (cache-cold discovery reads only the board);
- every user's reputation equals the starting score plus what its history applied (and
  what its last change's lines not written yet applied: `rep_pending`, which a copy taken
  between the profile's update and their puts has only on the profile), and its trust
  level is the one that score gives;
- every group's rating totals (`GROUP#<id>/ACTIVITY`, the summary's ratingsCount and averageRating) are the
  ratings and stars of the rating lines naming the group that still count (not taken back by a rating ring's
  reversal); checked only when every such line names its group (lines from before API 5.4.0 do not, and totals
  from then cannot be told apart by group until a replay);
- no event sits in the outbox longer than the sweeper's grace before `as_of` (the moment
  the data stands for: the restore point), or the sweeper was not running.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from foodshare import clock
from foodshare.reputation_rules import INITIAL_SCORE, RATING_KINDS, PendingChange, trust_level

SCORE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Violation:
    rule: str
    key: str
    detail: str


@dataclass
class _Tables:
    users: dict[str, dict]
    ledgers: dict[str, list[dict]]
    histories: dict[str, list[dict]]
    exchanges: dict[str, dict]
    posts: dict[str, dict]
    outbox: list[dict]
    boards: dict[str, dict]  # group id -> its board of open posts
    group_ratings: dict[str, dict]  # group id -> its rating totals (ACTIVITY)


def _sort(items: Iterable[dict]) -> _Tables:
    t = _Tables({}, defaultdict(list), defaultdict(list), {}, {}, [], {}, {})
    for item in items:
        pk, sk = item["pk"], item["sk"]
        if pk.startswith("USER#"):
            user = pk.removeprefix("USER#")
            if sk == "PROFILE":
                t.users[user] = item
            elif sk.startswith("CREDIT#"):
                t.ledgers[user].append(item)
            elif sk.startswith("REPHIST#"):
                t.histories[user].append(item)
        elif pk.startswith("EXCHANGE#") and sk == "META":
            t.exchanges[item["exchange_id"]] = item
        elif pk.startswith("FOOD#") and sk == "META":
            t.posts[item["food_id"]] = item
        elif pk.startswith("GROUP#") and sk == "OPENPOSTS":
            t.boards[pk.removeprefix("GROUP#")] = item
        elif pk.startswith("GROUP#") and sk == "ACTIVITY":
            t.group_ratings[pk.removeprefix("GROUP#")] = item
        elif pk.startswith("EVENTLOG#") and item.get("outbox_pk"):
            t.outbox.append(item)
    return t


def ledger_violations(user_id: str, profile: dict | None, entries: list[dict], open_claims: int) -> list[Violation]:
    out, balance, movements = [], 0, set()
    for entry in sorted(entries, key=lambda e: (e["created_at"], e["entry_id"])):
        balance += int(entry["amount"])
        movement = (entry.get("exchange_id"), entry.get("reason"))
        if movement[1] is not None and movement in movements:  # applied twice: line and balance both, the sum agrees
            out.append(Violation("ledger-twice", f"USER#{user_id}/CREDIT#{entry['entry_id']}",
                                 f"a second {movement[1]} line of exchange {movement[0]}"))
        movements.add(movement)
        if entry.get("balance_after") is not None and int(entry["balance_after"]) != balance:
            out.append(Violation("ledger-chain", f"USER#{user_id}/CREDIT#{entry['entry_id']}",
                                 f"balance_after {int(entry['balance_after'])}, chain gives {balance}"))
            balance = int(entry["balance_after"])
    if profile is None:
        if entries:
            out.append(Violation("ledger-orphan", f"USER#{user_id}", f"{len(entries)} entries without a profile"))
        return out
    if int(profile["credit_balance"]) != balance:
        out.append(Violation("ledger-balance", f"USER#{user_id}/PROFILE",
                             f"credit_balance {int(profile['credit_balance'])}, ledger ends at {balance}"))
    if int(profile["credit_balance"]) < 0 or int(profile.get("credits_held") or 0) < 0:
        out.append(Violation("ledger-negative", f"USER#{user_id}/PROFILE",
                             f"credit_balance {int(profile['credit_balance'])}, "
                             f"credits_held {int(profile.get('credits_held') or 0)}"))
    head = profile.get("ledger_head")
    if head is not None and not any(e["entry_id"] == head for e in entries):
        out.append(Violation("ledger-head", f"USER#{user_id}/PROFILE", f"ledger_head {head} names no line"))
    if int(profile.get("credits_held") or 0) != open_claims:
        out.append(Violation("credits-held", f"USER#{user_id}/PROFILE",
                             f"credits_held {int(profile.get('credits_held') or 0)}, open claims {open_claims}"))
    return out


# exchange status -> what its post's status must be, and whether the post still names it
_POST_OF_EXCHANGE = {"claimed": ("claimed", True), "completed": ("completed", True)}


def exchange_violations(exchange: dict, post: dict | None) -> list[Violation]:
    key = f"EXCHANGE#{exchange['exchange_id']}"
    if post is None:
        return [Violation("exchange-post", key, f"post {exchange['food_id']} missing")]
    status = exchange["status"]
    names_it = post.get("exchange_id") == exchange["exchange_id"]
    if status in _POST_OF_EXCHANGE:
        wanted, _ = _POST_OF_EXCHANGE[status]
        if post["status"] != wanted or not names_it:
            return [Violation("exchange-post", key, f"exchange {status}, post {post['status']} "
                                                    f"naming {post.get('exchange_id')}")]
        return []
    if names_it and post["status"] in ("claimed", "completed"):
        return [Violation("exchange-post", key, f"exchange {status}, post still {post['status']} by it")]
    return []


def claimed_post_violations(post: dict, exchanges: dict[str, dict]) -> list[Violation]:
    if post["status"] != "claimed":
        return []
    exchange = exchanges.get(post.get("exchange_id") or "")
    if exchange is None or exchange["status"] != "claimed":
        return [Violation("post-exchange", f"FOOD#{post['food_id']}",
                          f"claimed, but exchange {post.get('exchange_id')} is "
                          f"{exchange['status'] if exchange else 'missing'}")]
    return []


def expiry_index_violations(post: dict) -> list[Violation]:
    if post.get("expiry_pk") and post["status"] not in ("available", "claimed"):
        return [Violation("post-index", f"FOOD#{post['food_id']}", f"{post['status']}, still in expiring_food")]
    return []


def board_violations(group_id: str, board: dict, posts: Iterable[dict]) -> list[Violation]:
    """`posts`: the group's available posts. An entry naming a post no longer available is no violation: readers
    drop it (the one-off building older boards may leave one, ops/boards.py)."""
    if not board.get("complete"):
        return []  # not read: discovery queries the index for this group
    return [Violation("board", f"GROUP#{group_id}/OPENPOSTS",
                      f"post {post['food_id']} available until {post['pickup_end']}, on the board: "
                      f"{board.get('p_' + post['food_id'])}")
            for post in posts if board.get("p_" + post["food_id"]) != post["pickup_end"]]


def reputation_violations(user_id: str, profile: dict, history: list[dict]) -> list[Violation]:
    expected = INITIAL_SCORE + sum(float(h["applied"]) for h in history)
    pending = PendingChange.decode(profile.get("rep_pending"))
    if pending:
        expected += pending.unwritten_applied({h.get("kind") for h in history if h.get("event_id") == pending.event_id})
    score = float(profile["score"])
    out = []
    if abs(score - expected) > SCORE_TOLERANCE:
        out.append(Violation("reputation", f"USER#{user_id}/PROFILE",
                             f"score {score}, history replayed gives {expected} ({len(history)} impacts"
                             f"{', and its last change pending' if pending else ''})"))
    if profile.get("trust_level") != trust_level(score):
        out.append(Violation("trust-level", f"USER#{user_id}/PROFILE",
                             f"trust_level {profile.get('trust_level')}, score {score} gives {trust_level(score)}"))
    return out


def group_rating_violations(group_id: str, totals: dict | None, lines: list[dict]) -> list[Violation]:
    """`lines`: the rating lines naming the group that still count."""
    want = (len(lines), sum(int(h["stars"]) for h in lines))
    have = (int((totals or {}).get("ratings_count") or 0), int((totals or {}).get("rating_stars_total") or 0))
    if have == want:
        return []
    return [Violation("group-ratings", f"GROUP#{group_id}/ACTIVITY",
                      f"{have[0]} ratings of {have[1]} stars, the rating lines that count give {want[0]} of {want[1]}")]


def outbox_violations(events: list[dict], as_of: datetime, grace_seconds: int) -> list[Violation]:
    cutoff = clock.iso(as_of - timedelta(seconds=grace_seconds))
    return [
        Violation("outbox-stuck", f"{e['pk']}/{e['sk']}", f"{e['event_type']} of {e['occurred_at']} unpublished")
        for e in events
        if e["occurred_at"] < cutoff
    ]


def check(items: Iterable[dict], as_of: datetime, grace_seconds: int) -> list[Violation]:
    """Every violation of the rules above in `items` (a whole table)."""
    t = _sort(items)
    open_claims: dict[str, int] = defaultdict(int)
    for exchange in t.exchanges.values():
        if exchange["status"] == "claimed":
            open_claims[exchange["claimer_id"]] += 1
    out: list[Violation] = []
    for user_id in sorted(t.users.keys() | t.ledgers.keys()):
        out += ledger_violations(user_id, t.users.get(user_id), t.ledgers.get(user_id, []), open_claims[user_id])
    for user_id, profile in sorted(t.users.items()):
        out += reputation_violations(user_id, profile, t.histories.get(user_id, []))
    for exchange in t.exchanges.values():
        out += exchange_violations(exchange, t.posts.get(exchange["food_id"]))
    for post in t.posts.values():
        out += claimed_post_violations(post, t.exchanges)
        out += expiry_index_violations(post)
    available: dict[str, list[dict]] = defaultdict(list)
    for post in t.posts.values():
        if post.get("avail_pk"):
            available[post["avail_pk"].removeprefix("AVAIL#")].append(post)
    for group_id, board in sorted(t.boards.items()):
        out += board_violations(group_id, board, available[group_id])
    counted = [h for lines in t.histories.values() for h in lines
               if h.get("kind") in RATING_KINDS and not h.get("reversed_by")]
    if all(h.get("group_id") and h.get("stars") is not None for h in counted):
        by_group: dict[str, list[dict]] = defaultdict(list)
        for h in counted:
            by_group[h["group_id"]].append(h)
        for group_id in sorted(by_group.keys() | t.group_ratings.keys()):
            out += group_rating_violations(group_id, t.group_ratings.get(group_id), by_group[group_id])
    out += outbox_violations(t.outbox, as_of, grace_seconds)
    return out


def summary(items: list[dict]) -> dict[str, int]:
    """How much was checked, for the drill's report."""
    t = _sort(items)
    return {"users": len(t.users), "ledger_entries": sum(map(len, t.ledgers.values())),
            "reputation_impacts": sum(map(len, t.histories.values())), "exchanges": len(t.exchanges),
            "posts": len(t.posts), "outbox": len(t.outbox)}
