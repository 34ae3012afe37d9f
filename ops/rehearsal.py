"""The rehearsal's steps that run the domain against one table: `python -m ops.rehearsal STEP`.

Each step runs in its own process with TABLE_NAME naming its table, exactly as a
function switched to a restored table would: the models bind the table name when
they are imported, so one process serves one table.

- `populate`: a small community (local.seed), then exchanges through the domain
  (claims, completions, cancellations, ratings); the read side is derived by replaying
  the event store (the consumers do not run in the drill).
- `after`: what happens after the restore point: completions and ratings of exchanges
  open at that point, then one corrupting write (a profile's credit balance changed
  outside the domain: what a bad deploy or a wrong manual fix leaves). Prints the
  corrupted item's key and values.
- `window --live TABLE --after ISO`: on the restored table, rebuild the read side from
  its event store (`make replay`), then deliver the events the live table stored after
  the restore point (what the bus archive holds for that window) shuffled, with
  duplicates, in SQS batches to the real consumer handlers. Prints the derived state.
- `derived`: prints the table's derived state (foodshare.replay.derived_state).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import uuid

from local.seed import SeedSize

SIZE = SeedSize.parse(os.environ.get("DRILL_SEED", "4,24,40"))  # groups,users,posts
DUPLICATE_SHARE = 0.3  # of the window's events delivered twice (at-least-once delivery)
BATCH = 10


def _members_other_than(manifest, group_id: str, sharer: str) -> list[str]:
    return [m for m in manifest.groups[group_id]["members"] if m != sharer]


def populate(rng: random.Random) -> dict:
    from foodshare.domain import exchanges, food, ratings
    from foodshare.errors import DomainError

    from local.seed import seed

    manifest = seed(SIZE, rng_seed=7, progress=False)
    opened, completed, cancelled, rated = [], 0, 0, 0
    for food_id in manifest.posts[: len(manifest.posts) * 3 // 4]:
        post = food.find(food_id)
        claimers = _members_other_than(manifest, post.group_id, post.sharer_id)
        if not claimers:
            continue
        try:
            exchange = exchanges.claim(food_id, rng.choice(claimers))
        except DomainError:  # no credits left, or a partner rule: normal answers, not the drill's concern
            continue
        fate = rng.random()
        if fate < 0.4:
            exchanges.confirm(exchange.exchange_id, exchange.claimer_id)
            exchanges.confirm(exchange.exchange_id, exchange.sharer_id)
            completed += 1
            ratings.rate(exchange.exchange_id, exchange.claimer_id, rng.randint(3, 5), None)
            rated += 1
        elif fate < 0.55:
            exchanges.cancel(exchange.exchange_id, exchange.claimer_id)
            cancelled += 1
        else:
            opened.append(exchange.exchange_id)
    return {"users": len(manifest.users), "posts": len(manifest.posts), "completed": completed,
            "cancelled": cancelled, "rated": rated, "open": opened}


def rebuild() -> dict:
    """The read side from the event store. A separate step: on a served stack it runs once the consumers
    have applied every event (scripts/restore_drill.py waits for that), never beside them."""
    from foodshare import replay

    return {"events_replayed": replay.rebuild()}


def after(open_exchanges: list[str], rng: random.Random) -> dict:
    """Legitimate writes after the restore point (the restore must not bring them back)."""
    from foodshare.data.models import ExchangeItem
    from foodshare.domain import exchanges, ratings

    done, touched = 0, set()
    for exchange_id in open_exchanges[: max(2, len(open_exchanges) // 2)]:
        exchange = ExchangeItem.get(*ExchangeItem.key(exchange_id))
        touched |= {exchange.claimer_id, exchange.sharer_id}
        exchanges.confirm(exchange_id, exchange.claimer_id)
        exchanges.confirm(exchange_id, exchange.sharer_id)
        ratings.rate(exchange_id, exchange.sharer_id, rng.randint(1, 5), None)
        done += 1
    return {"completed_after_point": done, "touched": sorted(touched)}


def corrupt(touched: list[str]) -> dict:
    """The incident: someone nothing legitimate changed after the point gets a balance written outside the
    domain (no ledger entry); their balance at the point is their balance now."""
    from foodshare.data.models import UserItem

    victim = min((u for u in UserItem.scan(UserItem.sk == "PROFILE") if u.user_id not in set(touched)),
                 key=lambda u: u.pk)
    before = int(victim.credit_balance)
    victim.update([UserItem.credit_balance.set(before + 7)])
    return {"corrupted": {"pk": victim.pk, "sk": victim.sk, "attribute": "credit_balance", "before": before,
                          "after": before + 7}}


def _sqs_event(envelopes: list[dict]) -> dict:
    return {"Records": [{
        "messageId": str(uuid.uuid4()), "receiptHandle": "r", "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:eu-west-1:000000000000:drill", "awsRegion": "eu-west-1",
        "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
        "body": json.dumps({"id": str(uuid.uuid4()), "detail-type": e["eventType"], "source": "foodshare",
                            "detail": e}),
    } for e in envelopes]}


def window(live_table: str, after_iso: str, rng: random.Random) -> dict:
    """Rebuild from the restored event store, then the archive window, reordered, through the consumers."""
    import importlib

    from foodshare import catalog, replay

    from local.lambda_context import LambdaContext
    from ops.restore import scan

    rebuilt = replay.rebuild()
    stored = [i for i in scan(live_table) if i["pk"].startswith("EVENTLOG#") and i["occurred_at"] > after_iso]
    envelopes = [json.loads(i["detail"]) for i in stored]
    delivered = envelopes + rng.sample(envelopes, int(len(envelopes) * DUPLICATE_SHARE))
    rng.shuffle(delivered)
    failures = 0
    for name in replay.REBUILDERS:
        handler = importlib.import_module(f"functions.{name}.handler").handler
        wanted = set(catalog.consumer(name).event_types)
        mine = [e for e in delivered if e["eventType"] in wanted]
        for start in range(0, len(mine), BATCH):
            answer = handler(_sqs_event(mine[start : start + BATCH]), LambdaContext(name))
            failures += len((answer or {}).get("batchItemFailures", []))
    return {"rebuilt_from_store": rebuilt, "window_events": len(envelopes), "delivered": len(delivered),
            "failures": failures, "derived": _derived()}


def _derived() -> dict:
    """The derived state as JSON: 'pk|sk' -> attributes, without what depends on delivery order.

    A reputation history entry records the score before and after it, which depends on
    the order the events arrived in; the impact itself (`applied`), the final score and
    every count do not, and those are compared."""
    from foodshare import replay

    out = {}
    for (pk, sk), value in replay.derived_state().items():
        if isinstance(value, dict) and sk.startswith("REPHIST#"):
            value = {k: v for k, v in value.items() if k not in ("previous_score", "new_score")}
        out[f"{pk}|{sk}"] = value
    return json.loads(json.dumps(out, default=str, sort_keys=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("populate", "rebuild", "after", "corrupt", "window", "derived"))
    parser.add_argument("--open", default="[]", help="after: JSON list of exchanges open at the restore point")
    parser.add_argument("--touched", default="[]", help="corrupt: JSON list of users the writes after it touched")
    parser.add_argument("--live", help="window: the live table")
    parser.add_argument("--after", help="window: the restore point (ISO)")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    if args.step == "populate":
        result = populate(rng)
    elif args.step == "rebuild":
        result = rebuild()
    elif args.step == "after":
        result = after(json.loads(args.open), rng)
    elif args.step == "corrupt":
        result = corrupt(json.loads(args.touched))
    elif args.step == "window":
        result = window(args.live, args.after, rng)
    else:
        result = {"derived": _derived()}
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
