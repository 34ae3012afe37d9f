"""Round-trip budgets per API route: the most AWS calls (by operation) and Redis round trips one request may make.

One table, read by tests/perf/test_round_trips.py (a route over its budget fails) and by
`make bench` (benchmarks/round_trips.py prints each route against it). Measured on the
benchmarks' sample request of each route (benchmarks/world.py). `warm`: the function's
container and the cache are warm; `cold`: the cache is empty (only for the cached reads).
Lower a number when a change saves a call; raising one needs a reason in the commit.
"""

from __future__ import annotations

from dataclasses import dataclass

# Shorthands for the operations.
GET, BATCH_GET, QUERY = "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"
TRANSACT_GET, TRANSACT = "dynamodb:TransactGetItems", "dynamodb:TransactWriteItems"


@dataclass(frozen=True)
class Budget:
    warm: dict[str, int]  # operation -> most calls, container and cache warm
    redis: int  # most Redis round trips, warm
    cold: dict[str, int] | None = None  # operation -> most calls with an empty cache (cached reads only)
    cold_redis: int | None = None
    notes: str = ""

    @property
    def warm_calls(self) -> int:
        return sum(self.warm.values())

    @property
    def cold_calls(self) -> int | None:
        return None if self.cold is None else sum(self.cold.values())


def _write(reads: int, redis: int = 2, **more: int) -> Budget:
    """A write: `reads` reads its rules need, then one transaction holding its events (the outbox). Nothing
    after it: the table's stream feeds the outbox relay, which publishes (its calls are not the route's)."""
    warm = {GET: reads, TRANSACT: 1}
    warm.update({f"dynamodb:{op}": n for op, n in more.items()})
    return Budget({op: n for op, n in warm.items() if n}, redis)


BUDGETS: dict[str, Budget] = {
    "GET /health": Budget({QUERY: 1}, 1),
    "GET /me": Budget({GET: 1}, 1),
    "PUT /me": _write(1),  # no re-read after the commit
    "POST /groups": _write(1),
    "GET /groups/{groupId}": Budget({BATCH_GET: 1}, 1),  # the caller's membership + the group
    "POST /groups/{groupId}/invites": _write(1, redis=1),
    # the invite, the caller's profile and the group its code names (codes since issue 15) in one batch (the invite
    # at both its keys: in the group's partition since API 5.2.0, INVITE#<code> before); a code from before (no
    # group in it) reads the group after (tests/perf/test_round_trips.py). The transaction counts the use and checks
    # that the invite's creator is still an admin (no read of their membership)
    "POST /groups/join": _write(0, BatchGetItem=1),
    # API 5.2.0: a page of the group's invites (one query of its partition, strongly consistent), then the caller's
    # membership and each creator's (who made it, and whether they are still an admin: a live invite) in one batch
    "GET /groups/{groupId}/invites": Budget({QUERY: 1, BATCH_GET: 1}, 1),
    # the caller's membership and the invite where 5.2.0 keeps it and where it was before, in one batch
    "DELETE /groups/{groupId}/invites/{code}": _write(0, redis=1, BatchGetItem=1),
    # membership + group in one read. The last admin of a group with others also queries its members for the heir
    # (a Query more: tests/api/test_admin_handover.py); the sample is a member
    "DELETE /groups/{groupId}/members/me": _write(0, BatchGetItem=1),
    "POST /groups/{groupId}/partnerships": _write(0, redis=1, BatchGetItem=1),  # membership + target group
    # API 5.3.0: a page of the group's partner links (one query of its partition, strongly consistent), then the
    # caller's membership and each open link's partnership and partner group (its name) in one batch; uncached
    "GET /groups/{groupId}/partnerships": Budget({QUERY: 1, BATCH_GET: 1}, 1),
    # the partnership, both memberships and both partner sets in one BatchGetItem: the id names both groups (ids
    # since issue 15; an id from before reads the partnership first, tests/perf/test_round_trips.py)
    "POST /partnerships/{partnershipId}/accept": _write(0, BatchGetItem=1),
    "POST /partnerships/{partnershipId}/decline": _write(0, redis=1, BatchGetItem=1),  # never active: no bump
    "DELETE /partnerships/{partnershipId}": _write(0, BatchGetItem=1),
    # members only, the caller's groups cached too (member_groups): warm, no DynamoDB call at all;
    # cold: the caller's memberships (1 query) and the read model (summary: days, active members, totals;
    # leaderboard: every member's profile, in batches of 100)
    "GET /groups/{groupId}/summary": Budget({}, 2, cold={GET: 1, QUERY: 3}, cold_redis=10),
    "GET /groups/{groupId}/leaderboard": Budget({}, 2, cold={QUERY: 2, BATCH_GET: 1}, cold_redis=10),
    # one batch: the caller's profile (registration), membership, a moderator's restriction and the low-rating
    # rule's months of received ratings (issue 17; read by key, no query)
    "POST /food": _write(0, BatchGetItem=1),
    # the post, then membership + the sharer's profile (precision) + the exchange the post names (visibility.py: its
    # claimer sees it) in one batch; a caller not in the post's group reads their groups' links as before (a query
    # and a batch), the sample is a member
    "GET /food/{foodId}": Budget({GET: 1, BATCH_GET: 1}, 1),
    "DELETE /food/{foodId}": _write(1),
    # cold: memberships (1 query), profile + partner sets (1 batch), the visible groups' boards and the posts they
    # list (1 batch each, whatever the number of groups: was 1 query a group, 2 in the sample), sharers and group
    # names (1 batch each); Redis pipelined per read
    "GET /food": Budget({}, 2, cold={QUERY: 1, BATCH_GET: 5}, cold_redis=14),
    # one batch: the post (its id names its group, ids since issue 15), the claimer's membership and profile, the
    # fairness rules' items (restriction, today's spend, the group's quota, the low-rating rule's months of received
    # ratings); the transaction checks the sharer's restriction (no profile read), and that the claimer's membership
    # giving access (a partnership's link too) and the absence of a restriction still hold; both parties' per-group
    # pseudonyms are kept on the exchange (the sharer's from the post), so the answer reads nothing more.
    # (A group quota adds its member's slots query; a post id from before reads the post first, then the rest and
    # the sharer's profile: tests/perf/test_round_trips.py.)
    "POST /food/{foodId}/claims": _write(0, BatchGetItem=1),
    # Exchange answers name both parties from the pseudonyms kept on the exchange (issue 16): no identity read.
    # The exchange only: a credit given back (release, payment) is a blind ADD under the cap, so neither party's
    # profile is read (domain/credits.py; at the cap the write is done again reading them); the post is updated
    # from what the exchange knows. A completing confirm and a sharer's cancel too (tests/perf/test_round_trips.py).
    "POST /exchanges/{exchangeId}/confirm": _write(1, redis=1),
    "POST /exchanges/{exchangeId}/cancel": _write(1),
    "POST /exchanges/{exchangeId}/no-show": _write(1),
    "POST /exchanges/{exchangeId}/ratings": _write(1, redis=1),  # the exchange; the answer names from it
    # someone else's is opened by a per-group handle (issue 16): the handle's index item, then both people's
    # memberships in its group and the person's profile (one batch). Seen elsewhere (a partner group's member,
    # someone who moved groups) adds the caller's visible groups and the person's memberships (identities.seen_by)
    "GET /users/{userId}/reputation": Budget({GET: 1, BATCH_GET: 1}, 1),
    # The caller's own lists (API 5.1.0), uncached: one page of their `by_user` index entries (one query), then
    # what the page names by key (one batch; at most 100 keys: the routes' `limit` bounds keep it one call), so the
    # items read follow the page, not how much the caller has. Groups: each membership and group; food: each post;
    # exchanges: each exchange, its post and (claimed ones) the sharer's profile, both parties named from the
    # pseudonyms kept on it (an erased party needs no read; an exchange from before they were kept: + 1 batch).
    "GET /me/groups": Budget({QUERY: 1, BATCH_GET: 1}, 1),
    "GET /me/food": Budget({QUERY: 1, BATCH_GET: 1}, 1),
    "GET /me/exchanges": Budget({QUERY: 1, BATCH_GET: 1}, 1),
    "GET /exchanges/{exchangeId}": Budget({GET: 1}, 1),  # the exchange; its answer names from it
    "GET /me/credits": Budget({GET: 1, QUERY: 1}, 1),
    # privacy (issue 16)
    "GET /me/privacy": Budget({GET: 1}, 1),
    # the profile; starting or stopping to show on leaderboards (restriction, ranking) also names the caller's
    # groups (those leaderboards' caches go stale): from the cache of their groups, the memberships query only
    # when it is cold (tests/perf/test_round_trips.py); the sample changes neither
    "PUT /me/privacy": _write(1),
    "GET /me/requests": Budget({QUERY: 1}, 1),
    "POST /me/erasure": _write(1, redis=1),  # the rate limit: a code changes no cached view
    "POST /me/exports": _write(1, redis=1),  # asked again within a day: the profile and that export read, no write
    "GET /me/exports/{exportId}": Budget({GET: 1}, 1),
    # erasure's synchronous part only, never a Scan: the code, then one transaction freezing the account and
    # queueing its wind-down (the erasure consumer's, with the sweep: docs/privacy.md); the caller's groups from
    # the cache (a memberships query more when it is cold); the cache's versions bumped (no keyspace pass)
    "DELETE /me": _write(1, redis=3),  # the rate limit, the caller's groups, the bump
    "GET /me/erasure/{requestId}": Budget({GET: 1}, 1),
    # trust and safety (issue 17)
    "GET /groups/{groupId}/claim-quota": Budget({BATCH_GET: 1}, 1),  # the caller's membership + the quota
    "PUT /groups/{groupId}/claim-quota": _write(1, redis=1),
    "DELETE /groups/{groupId}/claim-quota": _write(1, redis=1),
    # A handle names the person (issue 16): its index item, then the transaction checks that both are members of
    # its group (no membership read), whatever the number of groups (tests/privacy/test_handle_index.py)
    "POST /reports": _write(1, redis=1),
    # the admin's membership + the handle's index item (the admin check first: handles are no probe), which
    # carries the member's pseudonym; the transaction checks the membership holds it and the profile is exemplary.
    # (An index item from before it carried one, or a refusal: + the member's membership and profile, 1 batch.)
    "POST /groups/{groupId}/moderators": _write(0, redis=1, BatchGetItem=1),  # a role: in no cached view
    # the open reports, open appeals and flags (one query: prefix OPEN; the entries name whom they concern); one
    # batch: the caller's membership, those reports and appeals, the subjects' profiles, the reporters' records
    # and everyone's memberships (identities). (Entries from before they named anyone: + 1 batch.)
    "GET /groups/{groupId}/moderation": Budget({QUERY: 1, BATCH_GET: 1}, 1),
    # the moderator's membership + what the request names (report, post, handle); the transaction checks the
    # member's membership (a role the moderator may act on) and, dismissing, that the reporter's record is too
    # low to flag them. A removal or ban frees the member's pseudonym, which the handle's index item carries. (A
    # reported post, a record that may flag, a removal or ban named by a report, not a handle (its pseudonym), or a
    # refusal: + what those name, 1 batch.)
    "POST /groups/{groupId}/moderation/actions": _write(0, redis=1, BatchGetItem=1),
    "GET /me/moderation": Budget({QUERY: 1}, 1),
    "POST /appeals": _write(1, redis=1),
    # the appeal, which carries what deciding needs of its action: the transaction checks the decider is an admin
    # of the group, the action is there and (to overturn) its restriction or ban still is. (An appeal from before
    # them, or a refusal: + the decider's membership, the action and what it may hold, 1 batch.)
    "POST /appeals/{appealId}/decision": _write(1, redis=1),
}

# Routes measured but not budgeted here: the docs (no AWS) and the chat webhooks (their calls
# depend on the chat command; tests/bots pins their behaviour).
UNBUDGETED = frozenset({"GET /openapi.json", "GET /docs", "POST /webhooks/telegram", "POST /webhooks/slack"})


def over_budget(allowed: dict[str, int], measured: dict[str, int]) -> list[str]:
    """One line per operation called more often than allowed."""
    return [f"{op}: {n} > {allowed.get(op, 0)}" for op, n in sorted(measured.items()) if n > allowed.get(op, 0)]

