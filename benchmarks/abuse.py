"""`make bench-abuse`: planted abusers in a synthetic community, run through the fraud-signals consumer.

A simulated week: honest members with heavy-tailed activity (a few sharers get most
claims, most members trade once or twice), a few tight honest friend groups that trade
with each other several times a week (and with the neighbourhood), and planted abusers
of each pattern: rating rings of 3-8 accounts (trading and rating each other 5 stars
daily, with camouflage ratings to honest members), hoarders, cancellers, spammers and
repeat no-shows. Every event goes, in time order, through the real consumer
(`foodshare.fraud.apply`: its reads, rules and transactions, on moto in this process)
with the clock set to the event's time. Prints per pattern: detection rate within the
week, false-positive rate among honest members, and time from an abuser's first event
to their flag.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from dataclasses import dataclass, field

DAY = 86400.0


@dataclass(order=True)
class Planned:
    at: float  # seconds from the start of the week
    kind: str = field(compare=False)
    data: dict = field(compare=False)


@dataclass
class Community:
    events: list[Planned] = field(default_factory=list)
    honest: list[str] = field(default_factory=list)
    abusers: dict[str, str] = field(default_factory=dict)  # user -> planted pattern
    first_seen: dict[str, float] = field(default_factory=dict)
    counter: int = 0

    def add(self, at: float, kind: str, actor: str | None = None, **data) -> None:
        self.events.append(Planned(at, kind, data))
        if actor and actor in self.abusers:
            self.first_seen[actor] = min(self.first_seen.get(actor, at), at)

    def next_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter:07d}"

    def exchange(self, rng: random.Random, at: float, sharer: str, claimer: str, stars: tuple[int | None, int | None],
                 title: str | None = None, outcome: str = "completed") -> None:
        food, exchange = self.next_id("F"), self.next_id("X")
        self.add(at, "FoodShared", sharer, foodId=food, sharerId=sharer, title=title or f"food {food}")
        claimed = at + rng.uniform(600, 4 * 3600)
        self.add(claimed, "FoodClaimed", claimer, foodId=food, exchangeId=exchange, sharerId=sharer, claimerId=claimer)
        closed = claimed + rng.uniform(1800, 6 * 3600)
        if outcome == "cancelled":
            self.add(closed, "ExchangeCancelled", claimer, exchangeId=exchange, sharerId=sharer, claimerId=claimer,
                     closedBy=claimer)
            return
        if outcome == "no_show":
            self.add(closed, "ExchangeNoShow", claimer, exchangeId=exchange, sharerId=sharer, claimerId=claimer)
            return
        for rater, ratee, given in ((claimer, sharer, stars[0]), (sharer, claimer, stars[1])):
            if given is not None:
                self.add(closed + rng.uniform(60, 12 * 3600), "RatingSubmitted", rater, exchangeId=exchange,
                         raterId=rater, ratedUserId=ratee, stars=given)


def _honest_stars(rng: random.Random) -> int | None:
    if rng.random() < 0.25:
        return None  # not everyone rates
    return rng.choices([5, 4, 3, 2], [60, 28, 9, 3])[0]


def build(users: int, seed: int) -> Community:
    rng = random.Random(seed)
    c = Community()
    c.honest = [f"h{i:05d}" for i in range(users)]
    popularity = [1 / (i + 1) ** 0.9 for i in range(users)]  # sharers: heavy-tailed
    activity = [rng.lognormvariate(0.2, 0.9) for _ in range(users)]  # claims a week per member: heavy-tailed
    for claimer, rate in zip(c.honest, activity):
        for _ in range(min(40, int(rate) + (rng.random() < rate - int(rate)))):
            sharer = rng.choices(c.honest, popularity)[0]
            if sharer == claimer:
                continue
            outcome = rng.choices(["completed", "cancelled", "no_show"], [93, 5, 2])[0]
            c.exchange(rng, rng.uniform(0, 7 * DAY), sharer, claimer, (_honest_stars(rng), _honest_stars(rng)),
                       outcome=outcome)
    # Tight honest friend groups: several trades a week among themselves, on top of their usual activity.
    for g in range(max(1, users // 200)):
        friends = rng.sample(c.honest, rng.randint(4, 6))
        for _ in range(rng.randint(8, 14)):
            a, b = rng.sample(friends, 2)
            c.exchange(rng, rng.uniform(0, 7 * DAY), a, b, (rng.choice([5, 5, 4, None]), rng.choice([5, 4, None])))
    # Planted abusers (about 1 % of the community).
    rings = max(2, users // 200)
    for r in range(rings):
        ring = [f"ring{r}-{i}" for i in range(3 + r % 6)]
        for member in ring:
            c.abusers[member] = "reputation_manipulation"
        start = rng.uniform(0, 2 * DAY)
        for day in range(7):
            for i, sharer in enumerate(ring):
                claimer = ring[(i + 1 + day) % len(ring)] if len(ring) > 1 else ring[0]
                if claimer == sharer:
                    claimer = ring[(i + 1) % len(ring)]
                c.exchange(rng, start + day * DAY + rng.uniform(0, 3600), sharer, claimer, (5, 5))
            for member in ring:  # camouflage: claim from popular honest sharers and rate them well
                if rng.random() < 0.6:
                    c.exchange(rng, start + day * DAY + rng.uniform(0, DAY), rng.choice(c.honest[:50]), member,
                               (5, None))
    for i in range(max(2, users // 400)):
        for pattern, make in (("credit_abuse", "hoarder"), ("credit_abuse", "canceller"), ("spam_behavior", "spammer"),
                              ("safety_violations", "no_show")):
            abuser = f"{make}{i}"
            c.abusers[abuser] = pattern
            start = rng.uniform(0, 2 * DAY)
            for day in range(7):
                at = start + day * DAY
                if make == "hoarder":  # claims everything going, many a day
                    for _ in range(8):
                        c.exchange(rng, at + rng.uniform(0, DAY), rng.choice(c.honest[:200]), abuser, (None, None))
                elif make == "canceller":  # claims to block others, then cancels
                    for _ in range(2):
                        c.exchange(rng, at + rng.uniform(0, DAY), rng.choice(c.honest[:200]), abuser, (None, None),
                                   outcome="cancelled")
                elif make == "spammer":  # the same ad again and again, nobody claims it
                    for _ in range(5):
                        food = c.next_id("F")
                        c.add(at + rng.uniform(0, DAY), "FoodShared", abuser, foodId=food, sharerId=abuser,
                              title="CHEAP MEALS visit my shop")
                elif day % 2 == 0:  # claims and does not come, every other day
                    c.exchange(rng, at + rng.uniform(0, DAY), rng.choice(c.honest[:200]), abuser, (None, None),
                               outcome="no_show")
    c.events.sort()
    return c


def run(c: Community, start_epoch: float) -> tuple[dict[str, tuple[str, float]], int, float]:
    """Every event through the consumer; returns user -> (first pattern flagged, simulated time), events, seconds."""
    from foodshare import clock, fraud
    from foodshare.consumers import Delivered

    _register(c)
    began = time.perf_counter()
    for n, planned in enumerate(c.events):
        clock.reset()
        clock.advance(start_epoch + planned.at - time.time())
        fraud.apply(Delivered(f"E{n:08d}", planned.kind, clock.now_iso(), None, planned.data))
        if n and n % 2000 == 0:
            print(f"  {n} events, {time.perf_counter() - began:.0f} s", flush=True)
    seconds = time.perf_counter() - began
    return _flags(start_epoch), len(c.events), seconds


def _register(c: Community) -> None:
    """A profile for every member: the consumer ignores people without one (erased while their events were
    in flight)."""
    from foodshare import clock
    from foodshare.data.models import UserItem

    now = clock.now_iso()
    with UserItem.batch_write() as batch:
        for user_id in sorted({*c.honest, *c.abusers}):
            batch.save(UserItem(*UserItem.key(user_id), user_id=user_id, pseudonym=user_id, score=50,
                                trust_level="developing", credit_balance=10, created_at=now, updated_at=now))


def _flags(start_epoch: float) -> dict[str, tuple[str, float]]:
    """Who was flagged, for what first and when (seconds into the week): the FraudFlagged events the
    consumer committed with its effects (read once at the end, so the run pays only for the consumer)."""
    from foodshare import clock
    from foodshare.data.models import EventItem

    flagged: dict[str, tuple[str, float]] = {}
    items = EventItem.scan(EventItem.event_type == "FraudFlagged")
    for detail in sorted((json.loads(item.detail) for item in items), key=lambda d: (d["occurredAt"], d["data"]["pattern"])):
        user = detail["data"]["userId"]
        if user not in flagged:
            flagged[user] = (detail["data"]["pattern"], clock.parse_iso(detail["occurredAt"]).timestamp() - start_epoch)
    return flagged


def report(c: Community, flagged: dict[str, tuple[str, float]], events: int, seconds: float) -> dict:
    honest_flagged = [u for u in c.honest if u in flagged]
    out: dict = {"honestUsers": len(c.honest), "honestFlagged": len(honest_flagged),
                 "falsePositiveRate": len(honest_flagged) / len(c.honest), "events": events,
                 "seconds": round(seconds, 1), "patterns": {},
                 "honestFlaggedBy": {p: sum(1 for u in honest_flagged if flagged[u][0] == p)
                                     for p in sorted({flagged[u][0] for u in honest_flagged})}}
    for pattern in sorted(set(c.abusers.values())):
        planted = [u for u, p in c.abusers.items() if p == pattern]
        caught = [u for u in planted if u in flagged and flagged[u][1] - c.first_seen[u] <= 7 * DAY]
        hours = sorted((flagged[u][1] - c.first_seen[u]) / 3600 for u in caught)
        out["patterns"][pattern] = {
            "planted": len(planted),
            "detected": len(caught),
            "detectionRate": len(caught) / len(planted),
            "flaggedAsPlanted": sum(1 for u in caught if flagged[u][0] == pattern),
            "hoursToFlagMedian": round(statistics.median(hours), 1) if hours else None,
            "hoursToFlagMax": round(hours[-1], 1) if hours else None,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--out", default="bench-abuse.json")
    args = parser.parse_args()

    from benchmarks import environment

    environment.configure()
    os.environ["REDIS_URL"] = ""  # no cache involved: the consumer reads and writes DynamoDB only
    os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"
    from foodshare.settings import get_settings

    get_settings.cache_clear()
    community = build(args.users, args.seed)
    with environment.in_process_aws():
        flagged, events, seconds = run(community, time.time() - 8 * DAY)
    result = report(community, flagged, events, seconds)
    print(f"{events} events through fraud_signals in {seconds:.0f} s; {result['honestUsers']} honest members, "
          f"{result['honestFlagged']} flagged (false-positive rate {result['falsePositiveRate']:.2%}: "
          f"{result['honestFlaggedBy']})")
    print(f"{'pattern':<26}{'planted':>8}{'detected':>9}{'rate':>8}{'as planted':>11}{'median h':>10}{'max h':>8}")
    for pattern, row in result["patterns"].items():
        print(f"{pattern:<26}{row['planted']:>8}{row['detected']:>9}{row['detectionRate']:>8.0%}"
              f"{row['flaggedAsPlanted']:>11}{row['hoursToFlagMedian']!s:>10}{row['hoursToFlagMax']!s:>8}")
    with open(args.out, "w") as fh:
        json.dump(result, fh, indent=2)


if __name__ == "__main__":
    main()
