"""Erasure's sweep and export's scan on a large table, by parallel-scan segments (moto, in-process).

The table is filled with `--items` items shaped like the real one (event-store envelopes over a
year of days and shards, posts, exchanges, profiles and ledgers, memberships), 300 of which name
one person. Then, for 1, 4 and 8 segments:

- **sweep**: every segment of a fresh erasure of a person (`erasure.sweep_segment`, what one queue
  message of the `erasure` consumer runs), one after the other: `sum` is one worker doing all of them,
  `max` the slowest segment, i.e. the wall time when every segment is its own invocation (as deployed);
- **export scan**: `personal_data.parallel_scan` (export's threads), wall time.

moto answers a Scan page by walking every item of the table (its own cost grows with the table, not the
segment) and holds the GIL, so threads cannot overlap here; DynamoDB serves each segment from its own
partitions, where per-segment time is what shrinks. docs/privacy.md turns these into the 5M estimate.
`python -m benchmarks.erasure_sweep --items 50000 --out part.json` (or `python -m benchmarks --only erasure`).
"""

from __future__ import annotations

import json
import time

from benchmarks import environment, results

SEGMENTS = (1, 4, 8)
NAMING = 300  # items that name the person being erased
DAYS, SHARDS = 365, 8


def _items(count: int, person: str | None, start: int):
    """`count` items; the first NAMING name `person` (when given)."""
    for n in range(start, start + count):
        who = person if person and n - start < NAMING else f"u{n % 5000}"
        kind = n % 20
        if kind < 12:  # the event store dominates the table
            envelope = {"eventId": f"e{n:012d}", "eventType": "FoodClaimed", "occurredAt": "2026-06-01T10:00:00Z",
                        "actorId": who, "data": {"foodId": f"f{n}", "exchangeId": f"x{n}", "groupId": f"g{n % 3000}",
                                                 "sharerId": f"u{(n + 7) % 5000}", "claimerId": who,
                                                 "partnershipId": None}}
            yield {"pk": {"S": f"EVENTLOG#2026-{1 + n % 12:02d}-{1 + (n // 12) % 28:02d}#{n % SHARDS}"},
                   "sk": {"S": f"e{n:012d}"}, "event_type": {"S": "FoodClaimed"}, "actor_id": {"S": who},
                   "detail": {"S": json.dumps(envelope, separators=(",", ":"))}}
        elif kind < 15:
            yield {"pk": {"S": f"FOOD#f{n}"}, "sk": {"S": "META"}, "food_id": {"S": f"f{n}"},
                   "group_id": {"S": f"g{n % 3000}"}, "sharer_id": {"S": who}, "title": {"S": "Sourdough loaf"},
                   "description": {"S": "Baked this morning, two of them"}, "quantity": {"N": "2"},
                   "pickup_lat": {"N": "52.52"}, "pickup_lng": {"N": "13.405"}, "pickup_label": {"S": "Bakery door"},
                   "pickup_start": {"S": "2026-06-01T10:00:00Z"}, "pickup_end": {"S": "2026-06-01T12:00:00Z"},
                   "status": {"S": "completed"}, "created_at": {"S": "2026-06-01T09:00:00Z"},
                   "updated_at": {"S": "2026-06-01T12:00:00Z"}, "by_user_pk": {"S": f"USER#{who}"},
                   "by_user_sk": {"S": f"FOOD#f{n}"}}
        elif kind < 17:
            yield {"pk": {"S": f"EXCHANGE#x{n}"}, "sk": {"S": "META"}, "exchange_id": {"S": f"x{n}"},
                   "food_id": {"S": f"f{n}"}, "group_id": {"S": f"g{n % 3000}"}, "sharer_id": {"S": f"u{(n + 7) % 5000}"},
                   "claimer_id": {"S": who}, "status": {"S": "completed"}, "claimed_at": {"S": "2026-06-01T10:00:00Z"},
                   "pickup_start": {"S": "2026-06-01T10:00:00Z"}, "pickup_end": {"S": "2026-06-01T12:00:00Z"},
                   "updated_at": {"S": "2026-06-01T12:00:00Z"}, "by_user_pk": {"S": f"USER#{who}"},
                   "by_user_sk": {"S": f"EXCHANGE#x{n}"}}
        elif kind < 19:
            yield {"pk": {"S": f"USER#{who}"}, "sk": {"S": f"CREDIT#c{n:012d}"}, "entry_id": {"S": f"c{n}"},
                   "user_id": {"S": who}, "amount": {"N": "1"}, "balance_after": {"N": "3"},
                   "reason": {"S": "exchange_completed"}, "created_at": {"S": "2026-06-01T12:00:00Z"}}
        else:
            yield {"pk": {"S": f"GROUP#g{n % 3000}"}, "sk": {"S": f"MEMBER#{who}#{n}"}, "user_id": {"S": who},
                   "role": {"S": "member"}, "pseudonym": {"S": "Brave Basil"}, "joined_at": {"S": "2026-01-01T00:00:00Z"},
                   "by_user_pk": {"S": f"USER#{who}"}, "by_user_sk": {"S": f"GROUP#g{n % 3000}#{n}"}}


def _fill(items) -> None:
    from foodshare.data.models import table_connection
    from foodshare.settings import get_settings

    client, table, batch = table_connection().connection.client, get_settings().table_name, []
    for item in items:
        batch.append({"PutRequest": {"Item": item}})
        if len(batch) == 25:
            client.batch_write_item(RequestItems={table: batch})
            batch = []
    if batch:
        client.batch_write_item(RequestItems={table: batch})


def _erasure_of(person: str, segments: int) -> str:
    """A fresh erasure of `person` as DELETE /me leaves it: the progress record the segments read."""
    from foodshare import clock, ids
    from foodshare.data.models import DataSubjectRequestItem
    from foodshare.domain.erasure import IN_PROGRESS, ErasureProgressItem

    request_id = ids.new_id()
    DataSubjectRequestItem(*DataSubjectRequestItem.key(person, request_id), request_id=request_id, user_id=person,
                           type="erasure", requested_at=clock.now_iso(), outcome="pending").save()
    ErasureProgressItem(*ErasureProgressItem.key(request_id), request_id=request_id, status=IN_PROGRESS,
                        total_segments=segments, started_at=clock.now_iso(), anonymous_id=f"anon-{ids.new_id()}",
                        user_id=person, markers={person}).save()
    return request_id


def _naming(people: set[str]) -> list[dict]:
    from foodshare.domain import personal_data

    return personal_data.parallel_scan(lambda i: personal_data.names(i, people), 8)


def measure(items: int) -> dict[str, float]:
    environment.configure()
    with environment.in_process_aws():
        from foodshare.domain import erasure, personal_data

        started = time.perf_counter()
        _fill(_items(items - NAMING * len(SEGMENTS), None, 0))
        print(f"filled {items} items in {time.perf_counter() - started:.0f} s", flush=True)
        metrics: dict[str, float] = {"erasure_items": items}
        for k, segments in enumerate(SEGMENTS):
            person = f"erin{k}"
            _fill(_items(NAMING, person, items + k * NAMING))
            request_id = _erasure_of(person, segments)
            times = []
            for segment in range(segments):
                began = time.perf_counter()
                erasure.sweep_segment(request_id, segment, segments)
                times.append(time.perf_counter() - began)
            assert erasure.complete(request_id), f"the erasure of {person} did not complete"
            began = time.perf_counter()
            found = personal_data.parallel_scan(lambda i: personal_data.names(i, {"u1"}), segments)
            export_s = time.perf_counter() - began
            assert found, "the export scan found nothing"
            metrics.update({f"erasure_sweep_sum_s.{segments}": sum(times), f"erasure_sweep_max_s.{segments}": max(times),
                            f"export_scan_s.{segments}": export_s})
            print(f"{items} items, {segments} segment(s): sweep sum {sum(times):.1f} s, slowest segment "
                  f"{max(times):.1f} s; export scan (threads) {export_s:.1f} s", flush=True)
        still = _naming({f"erin{k}" for k in range(len(SEGMENTS))})
        assert not still, f"{len(still)} items still name someone erased, e.g. {still[0]}"
        return metrics


def main() -> None:
    results.section_cli(__doc__.splitlines()[0], measure, "items", 50_000)


if __name__ == "__main__":
    main()
